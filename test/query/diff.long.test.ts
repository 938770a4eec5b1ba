// Differential test, long form (`npm run test:diff`): 5,000 random queries over several seeds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runDiff } from './diff-harness.js';

const QUERIES_TOTAL = Number(process.env['BASALT_DIFF_QUERIES'] ?? 5000);
const SEEDS = [101, 202, 303, 404, 505];

for (const seed of SEEDS) {
  test(`differential select vs SQLite (long), seed ${seed}`, async () => {
    const r = await runDiff(seed, Math.ceil(QUERIES_TOTAL / SEEDS.length));
    assert.ok(r.rows > 0);
  });
}
