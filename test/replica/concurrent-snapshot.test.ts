// A state machine with snapshotConcurrent (the vnode's) is imaged while the runtime goes on:
// a snapshot must never hold the Raft loop (a leader that sends no heartbeats for as long as
// a large vnode takes to image loses its leaderships). The image here is taken when asked and
// handed over only when the test opens a gate; meanwhile proposals are acknowledged, and the
// snapshot adopted afterwards is at the image's index (not at the later applied index), with
// the log compacted behind it and a new member restored from it to the same values.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RecordingStateMachine, TestCluster } from './harness.js';

class GatedImages extends RecordingStateMachine {
  gate: Promise<void> = new Promise(() => undefined);
  open: () => void = () => undefined;
  asked: number[] = [];

  constructor() {
    super();
    this.close();
  }
  close(): void {
    this.gate = new Promise<void>((r) => {
      this.open = r;
    });
  }
  async snapshotConcurrent(): Promise<{ index: number; data: Uint8Array }> {
    const index = this.lastIndex;
    const data = this.snapshot();
    this.asked.push(index);
    await this.gate;
    return { index, data };
  }
}

test('a snapshot is imaged off the Raft loop: proposals go on, it is adopted at its own index', {
  timeout: 60_000,
}, async () => {
  const c = new TestCluster({ snapshotEveryEntries: 50, keepEntriesAfterSnapshot: 10 }, () => new GatedImages());
  try {
    await c.start([1, 2, 3]);
    for (let i = 0; i < 60; i++) await c.propose(`a${i}`);
    const leader = await c.leader();
    const sm = leader.sm as GatedImages;
    assert.equal(sm.asked.length, 1, 'the leader started one image once 50 entries were applied');
    const imageIndex = sm.asked[0]!;

    // The image is not handed over yet: the group goes on taking and applying proposals.
    let last = 0;
    for (let i = 0; i < 100; i++) last = await c.propose(`b${i}`, 5_000);
    assert.ok(last > imageIndex + 90, `proposals were applied past the image's index ${imageIndex}: ${last}`);
    assert.equal(leader.group!.status().snapshotIndex, 0, 'no snapshot adopted before the image is ready');
    assert.equal(sm.asked.length, 1, 'one image at a time');

    sm.open();
    // Adopted by a later round (any proposal runs one).
    for (let i = 0; i < 20 && leader.group!.status().snapshotIndex === 0; i++) await c.propose(`c${i}`);
    const st = leader.group!.status();
    assert.equal(st.snapshotIndex, imageIndex, 'the snapshot is at the index its image holds');
    assert.equal(st.firstIndex, imageIndex - 10 + 1, 'the log is compacted to keepEntriesAfterSnapshot behind it');

    // A new member is restored from that snapshot and the log after it, to the same values.
    sm.close();
    const m4 = await c.addMember(4);
    (m4.sm as GatedImages).open();
    await leader.group!.addLearner(4);
    await c.waitApplied(leader.group!.status().commit);
    assert.ok(m4.sm.restores >= 1, 'the new member was restored from a snapshot');
    assert.deepEqual(m4.sm.values, leader.sm.values);
    assert.deepEqual(m4.sm.duplicates, []);
  } finally {
    await c.close();
  }
});
