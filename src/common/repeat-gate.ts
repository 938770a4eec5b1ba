// Logs a repeating problem once, then at most every Limits.logRepeatIntervalMs (a retry loop
// must not flood the log).
import { Limits } from './limits.js';

export class RepeatGate {
  private last = '';
  private lastAtMs = 0;

  pass(key: string, nowMs: number): boolean {
    if (key !== this.last || nowMs - this.lastAtMs >= Limits.logRepeatIntervalMs) {
      this.last = key;
      this.lastAtMs = nowMs;
      return true;
    }
    return false;
  }

  reset(): void {
    this.last = '';
  }
}
