// A dnode without a replica of a vgroup writes to it at the vgroup's leader (vgroup-link.ts).
// When that leader freezes (SIGSTOP: it answers nothing and drops no connection), the other
// replicas elect a new one within about a second; the gateway must go there then, not wait
// out its 3 s attempt at the frozen one (issue 20: a gateway stops sending to an old leader
// as soon as another leader is known). And the rows written meanwhile are all there after
// the frozen dnode comes back.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { Limits } from '../../src/common/limits.js';
import { dnodes, sql, TestCluster, vgroupRoles, waitFor, startThreeMnodeCluster } from './harness.js';

const cluster = new TestCluster();
after(() => cluster.cleanup());

const T0 = 1_700_000_000_000;
const TABLES = 16;

test('a write through a dnode without the vgroup goes to the new leader once the old one freezes', {
  timeout: 120_000,
}, async () => {
  const ports3 = await startThreeMnodeCluster(cluster, ['f1', 'f2', 'f3']);
  const p4 = ports3[2] + 100;
  await cluster.start('f4', p4, { firstEp: `localhost:${ports3[0]}` });
  await sql(ports3[0], `create dnode "localhost:${p4}"`);
  await waitFor('four ready dnodes', 15_000, async () => {
    const d = await dnodes(ports3[0]);
    return d.size === 4 && [...d.values()].every((x) => x.status === 'ready') ? true : undefined;
  });
  const names = new Map<number, string>([
    [1, 'f1'],
    [2, 'f2'],
    [3, 'f3'],
    [4, 'f4'],
  ]);
  for (const [id, d] of await dnodes(ports3[0]))
    assert.equal(d.endpoint, `localhost:${[...ports3, p4][id - 1]}`, `dnode ${id} is ${names.get(id)}`);

  await sql(p4, 'create database test replica 3 vgroups 4');
  await sql(p4, 'create stable test.m (ts timestamp, v int) tags (k int)');
  const insertAll = (ts: number, v: number): Promise<unknown> =>
    sql(
      p4,
      `insert into ${Array.from({ length: TABLES }, (_, k) => `test.t${k} using test.m tags (${k}) values (${ts}, ${v})`).join(' ')}`,
    );
  await insertAll(T0, 0);
  // The vgroup dnode 4 holds no replica of (each dnode holds 3 of the 4), as a replica of it sees it.
  const mine = new Set((await sql(p4, 'show vnodes on dnode 4')).map((r) => Number(r[1])));
  const remote = (await sql(p4, 'show test.vgroups')).find((r) => !mine.has(Number(r[0])))!;
  const vgId = Number(remote[0]);
  const host = Number(remote[3]);
  const portOf = (id: number): number => [...ports3, p4][id - 1]!;
  const rolesAt = async (id: number): Promise<[number, string][]> => (await vgroupRoles(portOf(id))).get(vgId)!;
  const seen = (await sql(portOf(host), 'show test.vgroups')).find((r) => Number(r[0]) === vgId)!;
  assert.ok(Number(seen[2]) > 0, `some of the ${TABLES} tables live in vgroup ${vgId}, which dnode 4 does not hold`);
  const leader = (await rolesAt(host)).find(([, role]) => role === 'leader')?.[0];
  assert.ok(
    leader !== undefined && leader !== 4,
    `vgroup ${vgId} has a leader: ${JSON.stringify(await rolesAt(host))}`,
  );

  const frozen = cluster.procs.get(names.get(leader)!)!.child;
  frozen.kill('SIGSTOP');
  try {
    const t0 = Date.now();
    await insertAll(T0 + 1000, 1);
    const tookMs = Date.now() - t0;
    process.stdout.write(
      `# write through dnode 4 while vgroup ${vgId}'s leader dnode ${leader} is frozen: ${tookMs} ms\n`,
    );
    assert.ok(
      tookMs < Limits.clusterRpcTimeoutMs,
      `the write went to the new leader in ${tookMs} ms, not after the ${Limits.clusterRpcTimeoutMs} ms attempt at the frozen one`,
    );
    const other = [Number(remote[3]), Number(remote[5]), Number(remote[7])].find((id) => id !== leader)!;
    const now = await rolesAt(other);
    assert.ok(
      now.some(([id, role]) => id !== leader && role === 'leader'),
      `another replica leads vgroup ${vgId} now: ${JSON.stringify(now)}`,
    );
  } finally {
    frozen.kill('SIGCONT');
  }
  // Every row is there, through every dnode, once the frozen one is back.
  for (const p of [...ports3, p4]) {
    await waitFor(`both rows through port ${p}`, 20_000, async () => {
      try {
        const r = await sql(p, 'select count(*), sum(v) from test.m');
        return Number(r[0]![0]) === 2 * TABLES && Number(r[0]![1]) === TABLES ? true : undefined;
      } catch {
        return undefined;
      }
    });
  }
});
