// Differential test (acceptance item 2): 300 random queries, Basalt vs SQLite, same data.
// A failure prints the seed and both query texts; rerun one seed with BASALT_DIFF_SEED=n.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runDiff } from './diff-harness.js';

const SEEDS = process.env['BASALT_DIFF_SEED'] ? [Number(process.env['BASALT_DIFF_SEED'])] : [1, 2, 3];
const QUERIES_TOTAL = 300;

for (const seed of SEEDS) {
  test(`differential select vs SQLite, seed ${seed}`, async () => {
    const r = await runDiff(seed, Math.ceil(QUERIES_TOTAL / SEEDS.length));
    assert.ok(r.rows > 0, 'the queries returned rows at all');
  });
}
