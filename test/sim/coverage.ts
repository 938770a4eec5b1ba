// Prints which message types and events a range of seeds exercised, to see that the fault
// mix reaches snapshots, transfers, reads and membership changes:
//   FROM=1 COUNT=50 node dist/test/sim/coverage.js
import { Simulation } from './simulator.js';
import { swarmOptions } from './sim-options.js';

const from = Number(process.env['FROM'] ?? '1');
const count = Number(process.env['COUNT'] ?? '50');
const totals = new Map<string, number>();
const add = (k: string, n: number): void => {
  totals.set(k, (totals.get(k) ?? 0) + n);
};
for (let s = from; s < from + count; s++) {
  const sim = new Simulation(swarmOptions(s, 3000), { countMessages: true });
  const r = sim.run();
  for (const [k, v] of sim.messageCounts) add(k, v);
  add('acked writes', r.acked);
  add('reads', r.reads);
  add('crashes', r.crashes);
  add('conf changes', r.confChanges);
  add('transfers', r.transfers);
  add('leaders', r.leaders);
}
for (const [k, v] of [...totals].sort()) process.stdout.write(`${k.padEnd(20)} ${v}\n`);
