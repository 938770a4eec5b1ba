// Goal: the long simulator sweep for `npm run test:sim`: 20,000 seeds × 3,000 steps, no
// violation. SIM_FROM / SIM_SEEDS choose the range (e.g. to continue a sweep).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sweep } from './sweep.js';

const FROM = Number(process.env['SIM_FROM'] ?? '1');
const SEEDS = Number(process.env['SIM_SEEDS'] ?? '20000');

test(`simulator sweep: seeds ${FROM}..${FROM + SEEDS - 1} × 3000 steps`, () => {
  const r = sweep(FROM, SEEDS, 3000, false);
  process.stdout.write(
    `# ${r.seeds} seeds in ${(r.ms / 1000).toFixed(1)} s, failing seeds: [${r.failures.join(', ')}]\n`,
  );
  assert.equal(r.failedSeed, undefined, r.message);
});
