// Crash consistency with real processes (5 kills here; `npm run test:crash` runs 200+).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { crashLoop } from './crash-harness.js';

test('SIGKILL during wal_level 2 writes: acknowledged batches survive, none is half there', async () => {
  const seed = Date.now() % 1_000_000;
  const r = await crashLoop(5, seed).catch((e: Error) => {
    throw new Error(
      `crash loop seed ${seed} (rerun: CRASH_SEED=${seed} CRASH_ITERATIONS=5 npm run test:crash): ${e.message}`,
    );
  });
  assert.ok(r.acked > 0, 'the writer acknowledged some batches');
  assert.ok(r.present >= r.acked);
});
