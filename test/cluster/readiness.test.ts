// Issue 15, finding 2 (truthful readiness) with real processes: `basalt start` prints
// `listening` when its ports are open and `ready` only once the dnode is a ready member (what
// `basalt check --mode ready` answers 2 for); meanwhile it says what it waits for, and a member
// that loses the mnode leader says it is degraded.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { dnodes, freeBasePort, mnodes, sleep, sql, startThreeMnodeCluster, TestCluster, waitFor } from './harness.js';
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

test('a killed dnode is offline at once (connection lost), also the old mnode leader on the new leader', {
  timeout: 90_000,
}, async () => {
  const ports = await startThreeMnodeCluster(cluster, ['lost1', 'lost2', 'lost3']);
  await waitFor('three mnodes, one leader', 15_000, async () => {
    const m = await mnodes(ports[0]);
    return m.size === 3 && [...m.values()].filter((r) => r === 'leader').length === 1 ? true : undefined;
  });
  // A dnode that is not the leader: offline with 'connection lost' well before the 5 s status timeout.
  const t0 = Date.now();
  await cluster.kill('lost3');
  const row = await waitFor(
    'dnode 3 offline',
    5_000,
    async () => {
      const d = (await dnodes(ports[0])).get(3);
      return d?.status === 'offline' ? d : undefined;
    },
    50,
  );
  const lostMs = Date.now() - t0;
  process.stdout.write(`# dnode 3 shown offline ${lostMs} ms after SIGKILL (note '${row.note}')\n`);
  assert.equal(row.note, 'connection lost');
  assert.ok(lostMs < 2_500, `offline after ${lostMs} ms`);
  // dnode 3 back (its dataDir), then the mnode leader's dnode is killed: the new leader shows it
  // offline at once, not 'follower' for a status timeout.
  const d3 = cluster.procs.get('lost3')!;
  await cluster.start('lost3', ports[2], { dataDir: d3.dataDir });
  await waitFor('dnode 3 ready again', 15_000, async () =>
    (await dnodes(ports[0])).get(3)?.status === 'ready' ? true : undefined,
  );
  await waitFor('three live mnodes', 15_000, async () => {
    const m = await mnodes(ports[0]);
    return [...m.values()].filter((r) => r === 'leader' || r === 'follower').length === 3 ? true : undefined;
  });
  const leader = [...(await mnodes(ports[0])).entries()].find(([, r]) => r === 'leader')![0];
  const survivor = ports[leader === 1 ? 1 : 0];
  const t1 = Date.now();
  await cluster.kill(`lost${leader}`);
  await waitFor(
    'a new leader that shows the old one offline',
    10_000,
    async () => {
      const m = await mnodes(survivor);
      return m.get(leader) === 'offline' && [...m.values()].includes('leader') ? true : undefined;
    },
    100,
  );
  process.stdout.write(
    `# the killed mnode leader (dnode ${leader}) shown offline on the new leader ${Date.now() - t1} ms after SIGKILL\n`,
  );
});
