// Membership and leadership over real TCP: a learner joins after the log was compacted (so it
// catches up by snapshot), is promoted, a voter is removed, leadership is transferred, the
// leader removes itself, and ReadIndex reads on a follower see every acknowledged write.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BasaltError } from '../../src/common/errors.js';
import { TestCluster, sleep } from './harness.js';

test('learner by snapshot, promotion, removal, transfer, leader self-removal, ReadIndex', {
  timeout: 60_000,
}, async () => {
  const c = new TestCluster({ snapshotEveryEntries: 100, keepEntriesAfterSnapshot: 20 });
  try {
    await c.start([1, 2, 3]);
    for (let i = 0; i < 300; i++) await c.propose(`v${i}`);
    let leader = await c.leader();
    assert.ok(leader.group!.status().firstIndex > 2, 'the leader compacted its log');

    // A learner that starts empty must be sent a snapshot.
    const m4 = await c.addMember(4);
    await leader.group!.addLearner(4);
    await c.waitApplied(leader.group!.status().commit);
    assert.ok(m4.sm.restores >= 1, 'the learner was restored from a snapshot');
    assert.deepEqual(m4.group!.status().learners, [4]);
    assert.deepEqual(m4.sm.values, leader.sm.values);

    await leader.group!.promote(4);
    assert.deepEqual(leader.group!.status().voters, [1, 2, 3, 4]);

    // Remove one follower (not 4) and stop it.
    const victim = [1, 2, 3].find((id) => id !== leader.id)!;
    await leader.group!.remove(victim);
    await c.stop(victim);
    assert.deepEqual(
      leader.group!.status().voters,
      [1, 2, 3, 4].filter((id) => id !== victim),
    );

    // Hand leadership to the new member.
    await leader.group!.transferLeader(4, 5000);
    leader = await c.leader();
    assert.equal(leader.id, 4);
    await c.propose('after-transfer');

    // ReadIndex on a follower: after it resolves, the follower has every acknowledged write.
    const follower = c.live().find((m) => m.id !== leader.id)!;
    for (let i = 0; i < 20; i++) {
      await c.propose(`r${i}`);
      await follower.group!.readIndex();
      assert.equal(
        follower.sm.values[follower.sm.values.length - 1],
        `r${i}`,
        'a read after an acknowledged write sees it',
      );
    }

    // The leader removes itself; a remaining voter takes over and the group keeps working.
    await leader.group!.remove(4).catch((e: unknown) => {
      // The leader may step down before it answers; the change is committed either way.
      if (!(e instanceof BasaltError)) throw e;
    });
    await c.stop(4);
    const end = Date.now() + 8000;
    let newLeader = await c.leader();
    while (newLeader.id === 4 && Date.now() < end) {
      await sleep(50);
      newLeader = await c.leader();
    }
    assert.notEqual(newLeader.id, 4);
    assert.ok(!newLeader.group!.status().voters.includes(4));
    await c.propose('after-leader-removal');
    await c.waitApplied(newLeader.group!.status().commit);
    const vals = c.live().map((m) => m.sm.values);
    assert.equal(vals.length, 2);
    assert.deepEqual(vals[0], vals[1]);
    for (const m of c.live()) assert.deepEqual(m.sm.duplicates, []);
  } finally {
    await c.close();
  }
});

test('a follower refuses proposals with NOT_LEADER and a leader hint', { timeout: 20_000 }, async () => {
  const c = new TestCluster();
  try {
    await c.start([1, 2, 3]);
    const leader = await c.leader();
    await c.propose('x');
    const f = c.live().find((m) => m.id !== leader.id)!;
    await assert.rejects(f.group!.propose(new Uint8Array([1])), (e: unknown) => {
      assert.ok(e instanceof BasaltError && e.errorName === 'NOT_LEADER');
      assert.equal(e.data?.['leader'], leader.id);
      assert.equal(e.data?.['leaderEndpoint'], `127.0.0.1:${leader.port}`);
      return true;
    });
  } finally {
    await c.close();
  }
});
