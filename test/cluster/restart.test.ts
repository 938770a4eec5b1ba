// Crash recovery of the whole cluster: SIGKILL every dnode of a 3-mnode cluster at once,
// start them again from their dataDirs (no firstEp needed), and the cluster comes back
// with one mnode leader, two followers, every dnode ready, and its databases.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { dnodes, mnodes, sql, TestCluster, waitFor, startThreeMnodeCluster } from './harness.js';

const cluster = new TestCluster();
after(() => cluster.cleanup());

test('all dnodes killed at once come back with one leader and their databases', { timeout: 90_000 }, async () => {
  const ports = await startThreeMnodeCluster(cluster, ['r1', 'r2', 'r3']);
  await sql(ports[1], 'create database r_db vgroups 1');
  await sql(ports[2], 'create table r_db.t (ts timestamp, v int)');
  await sql(ports[0], 'insert into r_db.t values (1700000000000, 5)');

  await Promise.all(['r1', 'r2', 'r3'].map((n) => cluster.kill(n, 'SIGKILL')));
  for (const [k, n] of ['r1', 'r2', 'r3'].entries()) {
    await cluster.start(`${n}b`, ports[k]!, { dataDir: cluster.procs.get(n)!.dataDir });
  }
  const roles = await waitFor('one leader and two followers after the restart', 15_000, async () => {
    const m = await mnodes(ports[2]);
    return [...m.values()].sort().join() === 'follower,follower,leader' ? m : undefined;
  });
  assert.equal(roles.size, 3);
  await waitFor('all dnodes ready', 15_000, async () => {
    const d = await dnodes(ports[1]);
    return d.size === 3 && [...d.values()].every((x) => x.status === 'ready') ? true : undefined;
  });
  assert.deepEqual(await sql(ports[0], 'select v from r_db.t'), [[5]]);
  // Every mnode agrees on who leads (no second leader from a stale membership).
  const views = await Promise.all(ports.map((p) => mnodes(p)));
  const leaders = views.map((m) =>
    [...m]
      .filter(([, r]) => r === 'leader')
      .map(([id]) => id)
      .join(),
  );
  assert.equal(new Set(leaders).size, 1, `leaders seen: ${leaders.join(' / ')}`);
});
