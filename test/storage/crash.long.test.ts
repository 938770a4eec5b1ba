// The long crash loop: `npm run test:crash` (CRASH_ITERATIONS overrides the 200 kills).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { crashLoop } from './crash-harness.js';

test('crash loop: SIGKILL at random moments, recovery keeps exactly the acknowledged batches', {
  timeout: 30 * 60_000,
}, async () => {
  const n = Number(process.env.CRASH_ITERATIONS ?? 200);
  const seed = Number(process.env.CRASH_SEED ?? Date.now());
  const r = await crashLoop(n, seed);
  process.stdout.write(
    `# crash loop seed ${seed}: ${r.iterations} kills, ${r.acked} acknowledged batches, ${r.present} present\n`,
  );
  assert.ok(r.acked > 0);
});
