// Crash consistency with real processes (5 kills here; `npm run test:crash` runs 200+).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { crashLoop } from './crash-harness.js';

test('SIGKILL during wal_level 2 writes: acknowledged batches survive, none is half there', async () => {
  const r = await crashLoop(5, Date.now());
  assert.ok(r.acked > 0, 'the writer acknowledged some batches');
  assert.ok(r.present >= r.acked);
});
