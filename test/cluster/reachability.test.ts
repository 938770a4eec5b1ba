// Issue 15, finding 3 (reachability both ways) on loopback: a dnode becomes ready only once the
// mnode leader has connected back to it at its endpoint. One whose fqdn does not resolve from
// the cluster, or whose port nothing listens on for the others, stays offline in `show dnodes`
// with the cause and the fix as its note, and prints the same line on its own console (and
// `basalt check --mode ready` answers not ready). Fixing the cause makes it ready without a
// new `create dnode`. test/cluster/netns.test.ts does the same across network namespaces.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { dnodes, freeBasePort, sql, TestCluster, waitFor } from './harness.js';
import { runBasalt } from '../cli/run-basalt.js';

const cluster = new TestCluster();
after(() => cluster.cleanup());

test('an fqdn that does not resolve from the cluster, and a port nothing listens on, are named where the operator looks', {
  timeout: 120_000,
}, async () => {
  const base = await freeBasePort(3);
  await cluster.start('r1', base);
  await waitFor('dnode 1 ready', 15_000, async () =>
    (await dnodes(base)).get(1)?.status === 'ready' ? true : undefined,
  );

  // 1. Its own name does not resolve anywhere (a typo, or a name only its own host knows).
  const badName = 'no-such-host.basalt.invalid';
  const p2 = base + 100;
  const j2 = await cluster.start('r2', p2, { firstEp: `localhost:${base}`, fqdn: badName });
  await sql(base, `create dnode "${badName}:${p2}"`);
  const noteRe = new RegExp(
    `fqdn '${badName.replace(/\./g, '\\.')}' does not resolve from dnode 1: make it resolve on every dnode`,
  );
  await waitFor('dnode 2 offline with the resolve note', 15_000, async () => {
    const d = (await dnodes(base)).get(2);
    return d?.status === 'offline' && noteRe.test(d.note) ? true : undefined;
  });
  await waitFor('the joiner prints it on its console', 10_000, async () =>
    new RegExp(`not ready yet, waiting: the cluster cannot reach this dnode yet: ${noteRe.source}`).test(j2.stdout())
      ? true
      : undefined,
  );
  assert.doesNotMatch(j2.stdout(), /ready; member/);
  assert.equal((await runBasalt(['check', '--mode', 'ready', '-P', String(p2)])).code, 1, 'check: not ready');

  // 2. It advertises an address where nothing listens for the others (listenHost is another one).
  const p3 = base + 200;
  const j3 = await cluster.start('r3', p3, {
    firstEp: `localhost:${base}`,
    fqdn: '127.0.0.3',
    listenHost: '127.0.0.1',
  });
  await sql(base, `create dnode "127.0.0.3:${p3}"`);
  await waitFor('dnode 3 offline with the port note', 15_000, async () => {
    const d = (await dnodes(base)).get(3);
    return d?.status === 'offline' &&
      new RegExp(
        `port ${p3} of 127\\.0\\.0\\.3 unreachable from dnode 1 \\(connection refused\\).*check listenHost`,
      ).test(d.note)
      ? true
      : undefined;
  });
  await waitFor('the joiner prints it on its console', 10_000, async () =>
    new RegExp(
      `waiting: the cluster cannot reach this dnode yet: port ${p3} of 127\\.0\\.0\\.3 unreachable from dnode 1`,
    ).test(j3.stdout())
      ? true
      : undefined,
  );
  const row = (await sql(base, 'show dnodes')).find((r) => Number(r[0]) === 3)!;
  console.log(`# show dnodes note of dnode 3: ${String(row[7])}`);

  // The fix: restart it listening where it says it is; ready without another create dnode.
  await cluster.kill('r3', 'SIGTERM');
  const again = await cluster.start('r3b', p3, {
    firstEp: `localhost:${base}`,
    fqdn: '127.0.0.3',
    listenHost: '127.0.0.3',
    dataDir: j3.dataDir,
  });
  await waitFor('dnode 3 ready once reachable', 15_000, async () =>
    (await dnodes(base)).get(3)?.status === 'ready' ? true : undefined,
  );
  await waitFor('and it says so', 10_000, async () =>
    /basalt: dnode 3 \(127\.0\.0\.3:\d+\) ready; member of cluster/.test(again.stdout()) ? true : undefined,
  );
  assert.equal((await dnodes(base)).get(2)?.status, 'offline', 'dnode 2 still cannot be reached');

  // A member restarted with a setting the cluster does not share says why on its console.
  await cluster.kill('r3b', 'SIGTERM');
  const changed = await cluster.start('r3c', p3, {
    firstEp: `localhost:${base}`,
    fqdn: '127.0.0.3',
    listenHost: '127.0.0.3',
    dataDir: j3.dataDir,
    set: ['statusInterval=2'],
  });
  await waitFor('the refused member prints why', 15_000, async () =>
    /dnode 3 \(127\.0\.0\.3:\d+\) not ready yet, degraded: dnode 3 is refused by the mnode leader: statusInterval is '2' on this dnode but '1' in the cluster; set statusInterval 1 in its basalt\.cfg and restart it/.test(
      changed.stdout(),
    )
      ? true
      : undefined,
  );
  assert.equal((await dnodes(base)).get(3)?.note, 'statusInterval not match');
});
