// Issue 15, finding 2 (truthful readiness) with real processes: `basalt start` prints
// `listening` when its ports are open and `ready` only once the dnode is a ready member (what
// `basalt check --mode ready` answers 2 for); meanwhile it says what it waits for, and a member
// that loses the mnode leader says it is degraded.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { freeBasePort, sleep, sql, TestCluster, waitFor } from './harness.js';
import { runBasalt } from '../cli/run-basalt.js';

const cluster = new TestCluster();
after(() => cluster.cleanup());

test('basalt start says ready only once the dnode is a ready member, and meanwhile what it waits for', {
  timeout: 90_000,
}, async () => {
  const base = await freeBasePort(3);
  const d1 = await cluster.start('ready1', base);
  assert.match(d1.stdout(), /dnode 1 \(localhost:\d+\) listening; REST on port \d+/);
  await waitFor('dnode 1 says ready', 10_000, async () =>
    /basalt: dnode 1 \(localhost:\d+\) ready; member of cluster \d+/.test(d1.stdout()) ? true : undefined,
  );
  // A joiner: listening at once, not ready until create dnode, and it says why.
  const j = await cluster.start('ready2', base + 100, { firstEp: `localhost:${base}` });
  assert.match(j.stdout(), /new dnode, joining through firstEp localhost:\d+, \(localhost:\d+\) listening;/);
  await waitFor('the joiner says what it waits for', 5_000, async () =>
    /not ready yet, waiting: not a cluster member yet: waiting to be created; run create dnode "localhost:\d+" on the cluster/.test(
      j.stdout(),
    )
      ? true
      : undefined,
  );
  await sleep(1_500);
  assert.doesNotMatch(j.stdout(), /ready; member/);
  const probe = await runBasalt(['check', '--mode', 'ready', '-P', String(base + 100)]);
  assert.equal(probe.code, 1, 'check --mode ready agrees: not ready');
  await sql(base, `create dnode "localhost:${base + 100}"`);
  await waitFor('the joiner says ready after create dnode', 10_000, async () =>
    /basalt: dnode 2 \(localhost:\d+\) ready; member of cluster \d+/.test(j.stdout()) ? true : undefined,
  );
  assert.equal((await runBasalt(['check', '--mode', 'ready', '-P', String(base + 100)])).code, 0);
  // Without a join token it says that instead.
  const t = await cluster.start('ready3', base + 200, { firstEp: `localhost:${base}`, joinToken: null });
  await waitFor('the tokenless joiner says it has no token', 5_000, async () =>
    /not ready yet, waiting: not a cluster member yet: it has no join token/.test(t.stdout()) ? true : undefined,
  );
  // The mnode leader's dnode dies: dnode 2 is no longer ready, and says so.
  await cluster.kill('ready1');
  await waitFor('dnode 2 says it is degraded', 20_000, async () =>
    /basalt: dnode 2 \(localhost:\d+\) not ready yet, degraded: dnode 2 has had no status accepted by the mnode leader/.test(
      j.stdout(),
    )
      ? true
      : undefined,
  );
});
