// Runs a range of seeds and reports the first failure (used by tests and mutation runs):
//   FROM=1 COUNT=1000 [STEPS=3000] node dist/test/sim/sweep.js
import { runSeed } from './simulator.js';

export interface SweepResult {
  readonly seeds: number;
  readonly failedSeed: number | undefined;
  /** Every failing seed (when not stopping at the first). */
  readonly failures: readonly number[];
  readonly message: string;
  readonly ms: number;
}

export function sweep(from: number, count: number, steps: number, stopOnFailure = true): SweepResult {
  const t0 = Date.now();
  let failedSeed: number | undefined;
  let message = '';
  let n = 0;
  const failures: number[] = [];
  for (let s = from; s < from + count; s++) {
    n++;
    try {
      runSeed(s, steps);
    } catch (e) {
      failures.push(s);
      failedSeed ??= s;
      message ||= e instanceof Error ? e.message : String(e);
      if (stopOnFailure) break;
    }
  }
  return { seeds: n, failedSeed, failures, message, ms: Date.now() - t0 };
}

const invokedDirectly = process.argv[1]?.endsWith('sweep.js') ?? false;
if (invokedDirectly) {
  const from = Number(process.env['FROM'] ?? '1');
  const count = Number(process.env['COUNT'] ?? '100');
  const steps = Number(process.env['STEPS'] ?? '3000');
  const r = sweep(from, count, steps, process.env['ALL'] !== '1');
  process.stdout.write(`${JSON.stringify({ seeds: r.seeds, failures: r.failures, ms: r.ms })}\n${r.message}\n`);
  if (r.failedSeed !== undefined) process.exitCode = 1;
}
