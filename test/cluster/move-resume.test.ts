// A vgroup move survives a change of mnode leader: redistribute a vgroup onto dnode 4 while
// dnode 4 is stopped (SIGSTOP), so the move cannot get past its first step; SIGKILL the mnode
// leader's dnode; resume dnode 4 — the new mnode leader's reconciler finishes the move from
// the committed state, and every row is still there.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { dnodes, mnodes, sql, TestCluster, waitFor, startThreeMnodeCluster } from './harness.js';

const cluster = new TestCluster();
after(() => cluster.cleanup());

const T0 = 1_700_000_000_000;

test('a move interrupted by an mnode leader change is resumed by the new leader', { timeout: 180_000 }, async () => {
  const ports3 = await startThreeMnodeCluster(cluster, ['q1', 'q2', 'q3']);
  const p4 = ports3[2] + 100;
  await cluster.start('q4', p4, { firstEp: `localhost:${ports3[0]}` });
  await sql(ports3[0], `create dnode "localhost:${p4}"`);
  await waitFor('dnode 4 ready', 15_000, async () =>
    (await dnodes(ports3[0])).get(4)?.status === 'ready' ? true : undefined,
  );
  // One vgroup on three of the four dnodes (least loaded first: 1, 2, 3).
  await sql(ports3[1], 'create database test replica 3 vgroups 1');
  const vg = await sql(ports3[0], 'show test.vgroups');
  const vgId = Number(vg[0]![0]);
  const members = [3, 5, 7].map((i) => Number(vg[0]![i]));
  await sql(ports3[1], 'create stable test.meters (ts timestamp, v int) tags (g int)');
  for (let t = 0; t < 10; t++) {
    const vals = Array.from({ length: 100 }, (_, r) => `(${T0 + r * 1000}, ${r})`).join(' ');
    await sql(ports3[1], `insert into test.d${t} using test.meters tags (${t}) values ${vals}`);
  }
  const roles = await mnodes(ports3[0]);
  const leaderId = [...roles].find(([, r]) => r === 'leader')![0];
  // Target: drop the mnode leader's dnode from the vgroup if it is a member, else another one;
  // dnode 4 comes in (if 4 is already a member, bring in the missing one of 1-3 instead).
  const outId = members.includes(leaderId) ? leaderId : members.find((x) => x !== 4)!;
  const inId = members.includes(4) ? [1, 2, 3].find((x) => !members.includes(x))! : 4;
  const target = [...members.filter((x) => x !== outId), inId].sort((a, b) => a - b);
  const inName = `q${inId}`;
  const survivor = ports3[[1, 2, 3].find((x) => x !== leaderId)! - 1]!;

  cluster.procs.get(inName)!.child.kill('SIGSTOP');
  try {
    await sql(survivor, `redistribute vgroup ${vgId} dnode ${target[0]} dnode ${target[1]} dnode ${target[2]}`).catch(
      () => undefined,
    );
    const tx = await sql(survivor, 'show transactions');
    assert.equal(tx.length, 1, 'the move is pending while its target is stopped');
    await cluster.kill(`q${leaderId}`, 'SIGKILL');
  } finally {
    cluster.procs.get(inName)!.child.kill('SIGCONT');
  }
  await waitFor(
    'the new mnode leader finishes the move',
    60_000,
    async () => {
      try {
        return (await sql(survivor, 'show transactions')).length === 0 ? true : undefined;
      } catch {
        return undefined;
      }
    },
    500,
  );
  const after = await sql(survivor, 'show test.vgroups');
  const now = [3, 5, 7].map((i) => Number(after[0]![i])).sort((a, b) => a - b);
  assert.deepEqual(now, target);
  assert.equal(Number((await sql(survivor, 'select count(*) from test.meters'))[0]![0]), 1000);
  assert.equal(
    Number((await sql(inId === 4 ? p4 : ports3[inId - 1]!, 'select count(*) from test.meters'))[0]![0]),
    1000,
  );
});
