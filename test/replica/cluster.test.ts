// Three Raft nodes over real loopback TCP with real WALs: elect, replicate, lose the leader,
// re-elect, restart the lost node and let it catch up; every acknowledged entry must be
// applied exactly once, in the same order, on every node.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { TestCluster, sleep } from './harness.js';

test('3 nodes over TCP: 1,000 proposals, leader killed, re-election, restart and catch-up', {
  timeout: 60_000,
}, async () => {
  const c = new TestCluster({ snapshotEveryEntries: 400, keepEntriesAfterSnapshot: 100 });
  after(() => c.close());
  await c.start([1, 2, 3]);
  const first = await c.leader();
  const acked: string[] = [];

  // 1,000 proposals, 32 in flight.
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < 1000) {
      const v = `a${next++}`;
      await c.propose(v);
      acked.push(v);
    }
  };
  await Promise.all(Array.from({ length: 32 }, worker));
  assert.equal(acked.length, 1000);

  // Kill the leader; the others elect a new one.
  const killedAt = Date.now();
  await c.stop(first.id);
  const second = await c.leader(5000);
  const electionMs = Date.now() - killedAt;
  assert.notEqual(second.id, first.id);
  assert.ok(electionMs < 5000, `re-election took ${electionMs} ms`);

  for (let i = 0; i < 300; i++) {
    const v = `b${i}`;
    await c.propose(v);
    acked.push(v);
  }

  // The dead node comes back on its WAL and catches up.
  await c.restart(first.id, [1, 2, 3]);
  for (let i = 0; i < 50; i++) {
    const v = `c${i}`;
    await c.propose(v);
    acked.push(v);
  }
  const lastIndex = (await c.leader()).group!.status().commit;
  await c.waitApplied(lastIndex);
  await sleep(50);

  const seqs = c.live().map((m) => m.sm.values);
  for (const m of c.live()) {
    assert.deepEqual(m.sm.duplicates, [], `node ${m.id} applied duplicates`);
    const set = new Set(m.sm.values);
    for (const v of acked) assert.ok(set.has(v), `node ${m.id} lacks acknowledged ${v}`);
  }
  assert.deepEqual(seqs[1], seqs[0]);
  assert.deepEqual(seqs[2], seqs[0]);
  // Acknowledged order within one proposer is log order.
  const pos = new Map(seqs[0]!.map((v, i) => [v, i]));
  for (let i = 1; i < 300; i++)
    assert.ok(pos.get(`b${i}`)! > pos.get(`b${i - 1}`)!, 'sequential proposals applied in order');
  const st = c.members.get(first.id)!.group!.status();
  assert.ok(st.snapshotIndex > 0, 'snapshots were taken and the log compacted');
  console.log(
    `# re-election after leader close: ${electionMs} ms; restarted node applied ${st.applied} (restores: ${c.members.get(first.id)!.sm.restores})`,
  );
});
