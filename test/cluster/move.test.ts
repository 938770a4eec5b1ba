// Scale out and in with a replica-3 database on real dnode processes: a 4th dnode joins with
// no vnodes, `balance vgroup` moves replicas to it (learner, catch-up, promote, remove), the
// data stays exact; `balance vgroup leader` spreads leaders; `drop dnode 4` moves its replicas
// back and removes it, and its restarted process is refused as dropped; a dead dnode needs
// `drop dnode N force`, which rebuilds its replicas from the survivors. A database dropped
// while a dnode is down is dropped on that dnode when it returns.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  dnodes,
  sql,
  sqlError,
  TestCluster,
  waitFor,
  startThreeMnodeCluster,
  vgroupRoles,
  movesSettled,
} from './harness.js';

const cluster = new TestCluster();
after(() => cluster.cleanup());

const TABLES = 16;
const ROWS = 200;
const T0 = 1_700_000_000_000;

async function count(port: number): Promise<number> {
  return Number((await sql(port, 'select count(*) from test.meters'))[0]![0]);
}

test('balance vgroup onto a new dnode, balance leaders, drop dnode moves its vnodes back', {
  timeout: 240_000,
}, async () => {
  const ports3 = await startThreeMnodeCluster(cluster, ['m1', 'm2', 'm3']);
  await sql(ports3[0], 'create database test replica 3 vgroups 4');
  await sql(ports3[0], 'create stable test.meters (ts timestamp, v int) tags (g int)');
  for (let t = 0; t < TABLES; t++) {
    const vals = Array.from({ length: ROWS }, (_, r) => `(${T0 + r * 1000}, ${t * 10_000 + r})`).join(' ');
    await sql(ports3[t % 3]!, `insert into test.d${t} using test.meters tags (${t}) values ${vals}`);
  }
  const total = TABLES * ROWS;
  assert.equal(await count(ports3[0]), total);

  const p4 = ports3[2] + 100;
  await cluster.start('m4', p4, { firstEp: `localhost:${ports3[0]}` });
  await sql(ports3[1], `create dnode "localhost:${p4}"`);
  await waitFor('dnode 4 ready with no vnodes', 15_000, async () => {
    const d = await dnodes(ports3[0]);
    return d.get(4)?.status === 'ready' && d.get(4)?.vnodes === 0 ? true : undefined;
  });
  const ports = [...ports3, p4];

  await sql(ports[3]!, 'balance vgroup');
  await movesSettled(ports[0]!, 'balance vgroup finished');
  const d = await dnodes(ports[0]!);
  assert.deepEqual(
    [...d.values()].map((x) => x.vnodes),
    [3, 3, 3, 3],
    'balanced: 12 replicas over 4 dnodes',
  );
  assert.equal((await sql(ports[0]!, 'show vnodes on dnode 4')).length, 3, 'dnode 4 hosts 3 vnodes');
  assert.equal((await sql(ports[3]!, 'show vnodes')).length, 12, "show vnodes lists every dnode's");
  for (const p of ports) assert.equal(await count(p), total, `count after balance through ${p}`);
  const byTable = await sql(ports[3]!, 'select tbname, sum(v) from test.meters partition by tbname');
  for (const r of byTable) {
    const t = Number(String(r[0]).slice(1));
    assert.equal(Number(r[1]), t * 10_000 * ROWS + (ROWS * (ROWS - 1)) / 2, `rows of ${String(r[0])} intact`);
  }
  await waitFor('one leader per vgroup after balance', 15_000, async () => {
    const v = await vgroupRoles(ports[0]!);
    return [...v.values()].every((reps) => reps.length === 3 && reps.filter(([, r]) => r === 'leader').length === 1)
      ? true
      : undefined;
  });

  // Writes through the new dnode, then leaders spread over all four.
  await sql(ports[3]!, `insert into test.d0 values (${T0 + ROWS * 1000}, 1)`);
  await sql(ports[0]!, 'balance vgroup leader');
  await waitFor('leaders spread', 15_000, async () => {
    const v = await vgroupRoles(ports[0]!);
    const leaders = [...v.values()].map((reps) => reps.find(([, r]) => r === 'leader')?.[0]);
    return new Set(leaders).size === 4 ? true : undefined;
  });

  // A bad redistribute names the problem.
  const bad = await sqlError(ports[0]!, 'redistribute vgroup 1048576 dnode 1 dnode 1 dnode 2');
  assert.match(bad.message, /twice/);

  // Scale in: dnode 4's replicas move back to 1-3, then it is removed.
  await sql(ports[0]!, 'drop dnode 4');
  await waitFor('dnode 4 gone', 60_000, async () => ((await dnodes(ports[0]!)).has(4) ? undefined : true), 250);
  const d3 = await dnodes(ports[0]!);
  assert.deepEqual(
    [...d3.values()].map((x) => x.vnodes),
    [4, 4, 4],
  );
  for (const p of ports3) assert.equal(await count(p), total + 1, `count after drop dnode through ${p}`);
  const exit = await Promise.race([
    cluster.procs.get('m4')!.exited,
    new Promise<null>((r) => setTimeout(() => r(null), 15_000)),
  ]);
  assert.ok(exit !== null && exit.code !== 0, 'the dropped dnode exits by itself');
  const again = await cluster.start('m4b', p4, { dataDir: cluster.procs.get('m4')!.dataDir, noWait: true });
  const r = await Promise.race([again.exited, new Promise<null>((res) => setTimeout(() => res(null), 15_000))]);
  assert.ok(r !== null && r.code !== 0, 'a restart of the dropped dnode is refused');
  assert.match(again.stderr() + again.stdout(), /dropped/);

  // A dead dnode: drop dnode is refused with the way out, drop dnode force rebuilds its
  // replicas from the survivors.
  const p5 = p4 + 100;
  await cluster.start('m5', p5, { firstEp: `localhost:${ports[0]}` });
  await sql(ports[0]!, `create dnode "localhost:${p5}"`);
  await waitFor('dnode 5 ready', 15_000, async () =>
    (await dnodes(ports[0]!)).get(5)?.status === 'ready' ? true : undefined,
  );
  await sql(ports[0]!, 'balance vgroup');
  await movesSettled(ports[0]!, 'balance onto dnode 5 finished');
  assert.equal((await dnodes(ports[0]!)).get(5)!.vnodes, 3);
  await cluster.kill('m5', 'SIGKILL');
  await waitFor(
    'dnode 5 offline',
    20_000,
    async () => ((await dnodes(ports[0]!)).get(5)?.status === 'offline' ? true : undefined),
    500,
  );
  const refused = await sqlError(ports[0]!, 'drop dnode 5');
  assert.match(refused.message, /offline.*drop dnode 5 force/);
  await sql(ports[0]!, 'drop dnode 5 force');
  await waitFor('dnode 5 gone', 60_000, async () => ((await dnodes(ports[0]!)).has(5) ? undefined : true), 250);
  assert.deepEqual(
    [...(await dnodes(ports[0]!)).values()].map((x) => x.vnodes),
    [4, 4, 4],
  );
  for (const p of ports3) assert.equal(await count(p), total + 1, `count after drop dnode force through ${p}`);
  await waitFor('every vgroup healthy on 1-3', 15_000, async () => {
    const v = await vgroupRoles(ports[0]!);
    return [...v.values()].every(
      (reps) =>
        reps.length === 3 && reps.filter(([, r]) => r === 'leader').length === 1 && reps.every(([id]) => id <= 3),
    )
      ? true
      : undefined;
  });

  // A database dropped while one of its dnodes is down is dropped there when it comes back.
  await cluster.kill('m3', 'SIGKILL');
  await sql(ports[0]!, 'drop database test');
  await cluster.start('m3b', ports[2]!, { dataDir: cluster.procs.get('m3')!.dataDir });
  await waitFor(
    'dnode 3 drops its replicas of the dropped database',
    30_000,
    async () => {
      const vn = await sql(ports[2]!, 'show vnodes on dnode 3');
      const names = (await sql(ports[2]!, 'show databases')).map((r) => String(r[0]));
      return vn.length === 0 && !names.includes('test') ? true : undefined;
    },
    500,
  );
});
