// Logs a repeating problem once, then at most every REPEAT_GATE_MS (a retry loop must not
// flood the log).
const REPEAT_GATE_MS = 30_000;

export class RepeatGate {
  private last = '';
  private lastAtMs = 0;

  pass(key: string, nowMs: number): boolean {
    if (key !== this.last || nowMs - this.lastAtMs >= REPEAT_GATE_MS) { this.last = key; this.lastAtMs = nowMs; return true; }
    return false;
  }

  reset(): void { this.last = ''; }
}
