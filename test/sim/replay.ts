// Replays one simulator seed with a full event trace:
//   SEED=123 [STEPS=3000] node dist/test/sim/replay.js
import { runSeed } from './simulator.js';
import { describeOptions, swarmOptions } from './sim-options.js';

const seed = Number(process.env['SEED'] ?? '1');
const steps = Number(process.env['STEPS'] ?? '3000');
const quiet = process.env['QUIET'] === '1';
process.stdout.write(`options: ${describeOptions(swarmOptions(seed, steps))}\n`);
try {
  const r = runSeed(seed, steps, quiet ? {} : { trace: (line) => process.stdout.write(line + '\n') });
  process.stdout.write(`ok: ${JSON.stringify(r)}\n`);
} catch (e) {
  process.stdout.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exitCode = 1;
}
