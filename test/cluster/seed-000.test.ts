// Acceptance 1: the manual-deployment flow of seed 000 with real processes on loopback.
// One dnode → show dnodes has 1 row → two more started with firstEp → create dnode ×2 →
// all ready → create mnode on dnode 2 and 3 → one leader, two followers → SIGKILL the
// leader's dnode → new leader within 3 s; create database and show dnodes work (killed one
// offline, 'connection lost') → restart it → ready again, its mnode a follower.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { dnodes, freeBasePort, mnodes, sql, TestCluster, waitFor } from './harness.js';

const cluster = new TestCluster();
after(() => cluster.cleanup());

test('seed 000: build a 3-dnode cluster, add mnodes, survive the loss of the mnode leader', {
  timeout: 90_000,
}, async () => {
  const base = await freeBasePort(3);
  const ports = [base, base + 100, base + 200];
  const firstEp = `localhost:${ports[0]}`;
  await cluster.start('d1', ports[0]!);
  const one = await waitFor('dnode 1 ready', 5_000, async () => {
    const d = await dnodes(ports[0]!);
    return d.get(1)?.status === 'ready' ? d : undefined;
  });
  assert.equal(one.size, 1);
  assert.equal(one.get(1)!.endpoint, firstEp);

  await cluster.start('d2', ports[1]!, { firstEp });
  await cluster.start('d3', ports[2]!, { firstEp });
  await sql(ports[0]!, `create dnode "localhost:${ports[1]}"`);
  await sql(ports[0]!, `create dnode localhost port ${ports[2]}`);
  const all = await waitFor('three ready dnodes', 10_000, async () => {
    const d = await dnodes(ports[0]!);
    return d.size === 3 && [...d.values()].every((x) => x.status === 'ready') ? d : undefined;
  });
  assert.deepEqual([...all.keys()].sort(), [1, 2, 3]);
  assert.equal(all.get(2)!.endpoint, `localhost:${ports[1]}`);

  // Any joined dnode works as a gateway for cluster statements.
  await sql(ports[1]!, 'create mnode on dnode 2');
  await sql(ports[0]!, 'create mnode on dnode 3');
  const roles = await waitFor('one leader and two followers', 5_000, async () => {
    const m = await mnodes(ports[2]!);
    const r = [...m.values()].sort();
    return r.join() === 'follower,follower,leader' ? m : undefined;
  });
  const leaderId = [...roles].find(([, r]) => r === 'leader')![0];
  const leaderName = `d${leaderId}`;
  const survivor = ports[leaderId === 1 ? 1 : 0]!;

  await cluster.kill(leaderName, 'SIGKILL');
  const t0 = Date.now();
  const newLeader = await waitFor(
    'a new mnode leader',
    3_000,
    async () => {
      const m = await mnodes(survivor);
      const l = [...m].find(([id, r]) => r === 'leader' && id !== leaderId);
      return l ? l[0] : undefined;
    },
    100,
  );
  const failoverMs = Date.now() - t0;
  assert.notEqual(newLeader, leaderId);
  assert.ok(failoverMs <= 3_000, `fail-over took ${failoverMs} ms`);

  await sql(survivor, 'create database seed_db');
  const dbs = await sql(survivor, 'show databases');
  assert.ok(dbs.some((r) => r[0] === 'seed_db'));
  const off = await waitFor('killed dnode offline (connection lost)', 12_000, async () => {
    const d = await dnodes(survivor);
    const k = d.get(leaderId);
    return k?.status === 'offline' ? d : undefined;
  });
  // Its connections closed with it: offline at once, with the cause (TDengine waits for the
  // status timeout and says 'status msg timeout').
  assert.equal(off.get(leaderId)!.note, 'connection lost');
  assert.equal(off.size, 3);
  assert.equal([...off.values()].filter((x) => x.status === 'ready').length, 2);
  // The killed dnode's mnode is shown offline.
  assert.equal((await mnodes(survivor)).get(leaderId), 'offline');

  // Restart it: it reads its saved mnode set (no firstEp needed) and comes back as a follower.
  await cluster.start(`${leaderName}-again`, ports[leaderId - 1]!, { dataDir: cluster.procs.get(leaderName)!.dataDir });
  await waitFor('restarted dnode ready, its mnode a follower', 10_000, async () => {
    const d = await dnodes(survivor);
    const m = await mnodes(survivor);
    return d.get(leaderId)?.status === 'ready' && m.get(leaderId) === 'follower' ? true : undefined;
  });
  const final = await mnodes(ports[leaderId - 1]!);
  assert.equal([...final.values()].filter((r) => r === 'leader').length, 1);

  // Any dnode is a gateway: a database made through one is used through the others at once.
  await sql(ports[0]!, 'create database gw_db vgroups 1');
  await sql(ports[2]!, 'create table gw_db.t (ts timestamp, v int)');
  await sql(ports[1]!, 'insert into gw_db.t values (now, 7)');
  assert.deepEqual(await sql(ports[0]!, 'select v from gw_db.t'), [[7]]);
  assert.deepEqual(await sql(ports[2]!, 'select count(*) from gw_db.t'), [[1n]]);
  const placed = await dnodes(ports[1]!);
  assert.equal(
    [...placed.values()].reduce((n, d) => n + d.vnodes, 0),
    2 + 1,
    'seed_db (2 vgroups) + gw_db (1)',
  );
  await sql(ports[2]!, 'drop database gw_db');
  const after = await dnodes(ports[0]!);
  assert.equal(
    [...after.values()].reduce((n, d) => n + d.vnodes, 0),
    2,
  );
  assert.ok(!(await sql(ports[1]!, 'show databases')).some((r) => r[0] === 'gw_db'));
  process.stdout.write(`# seed-000: mnode fail-over observed in ${failoverMs} ms\n`);
});
