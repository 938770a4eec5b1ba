// Goal: unit-level guarantees of the core that the simulator checks only indirectly:
// config validation, the log store contract, flow control limits, the persistence contract
// in Ready, membership-change guards, and election time with the default timers.
// Method: small synchronous clusters (MiniCluster) with exact assertions.
import { Limits } from '../../src/common/limits.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BasaltError } from '../../src/common/errors.js';
import { raftConfig } from '../../src/raft/config.js';
import { MemoryLogStore } from '../../src/raft/log-store.js';
import { Prng } from '../../src/raft/prng.js';
import type { Entry } from '../../src/raft/types.js';
import { MiniCluster } from './mini-cluster.js';

const entry = (index: number, term: number, bytes = 0): Entry => ({
  index,
  term,
  type: 'normal',
  data: new Uint8Array(bytes),
});

test('config: lease reads without CheckQuorum and bad timers are refused', () => {
  assert.throws(
    () => raftConfig({ id: 1, readOnly: 'lease', checkQuorum: false }),
    (e: unknown) => e instanceof BasaltError && e.errorName === 'RAFT_CONFIG_INVALID' && /checkQuorum/.test(e.message),
  );
  assert.throws(() => raftConfig({ id: 1, electionTicks: 1, heartbeatTicks: 1 }), /electionTicks/);
  assert.throws(() => raftConfig({ id: 0 }), /positive/);
  const d = raftConfig({ id: 1 });
  assert.equal(d.electionTicks, Limits.raftElectionTicks);
  assert.equal(d.heartbeatTicks, 1);
  assert.ok(d.preVote && d.checkQuorum);
  assert.doesNotThrow(() => raftConfig({ id: 1, readOnly: 'lease', checkQuorum: true }));
});

test('log store: append replaces a conflicting suffix; entries honour maxBytes; compaction', () => {
  const s = new MemoryLogStore();
  s.append([entry(1, 1, 10), entry(2, 1, 10), entry(3, 2, 10)]);
  assert.equal(s.lastIndex(), 3);
  s.append([entry(3, 3, 10), entry(4, 3, 10)]);
  assert.deepEqual([s.term(2), s.term(3), s.term(4)], [1, 3, 3]);
  assert.equal(s.entries(1, 5, 1).length, 1, 'at least one entry even over the limit');
  assert.equal(s.entries(1, 5, 68).length, 2, 'two 34-byte entries fit in 68 bytes');
  assert.throws(() => s.compact(2), /beyond snapshot/);
  s.createSnapshot(3, { voters: [1], learners: [] }, new Uint8Array([7]));
  s.compact(2);
  assert.equal(s.firstIndex(), 3);
  assert.equal(s.term(2), 1, 'the term of the compaction point is kept');
  assert.equal(s.term(1), undefined);
  assert.throws(
    () => s.entries(2, 4, 100),
    (e: unknown) => e instanceof BasaltError && e.errorName === 'WAL_COMPACTED',
  );
  assert.throws(() => s.append([entry(7, 3)]), /gap/);
});

test('flow control: in-flight appends and bytes per append are bounded for a silent follower', () => {
  const c = new MiniCluster([1, 2, 3], { maxInflightAppends: 2, maxAppendBytes: 100, maxInflightBytes: 200 });
  c.node(1).campaign();
  c.stabilize();
  assert.equal(c.leader(), 1);
  c.sent = [];
  for (let k = 0; k < 20; k++) c.node(1).propose(new Uint8Array(40));
  // Node 3 never answers: everything to it is lost.
  c.stabilize((m) => m.to !== 3 && m.from !== 3);
  const to3 = c.sent.filter((m) => m.to === 3 && m.type === 'MsgApp');
  const to2 = c.sent.filter((m) => m.to === 2 && m.type === 'MsgApp' && m.entries.length > 0);
  assert.ok(to3.length <= 2, `at most 2 appends in flight to a silent follower, saw ${to3.length}`);
  for (const m of [...to3, ...to2]) {
    const bytes = m.entries.reduce((a, e) => a + e.data.length + 24, 0);
    assert.ok(m.entries.length <= 1 || bytes <= 100, `append of ${bytes} bytes`);
  }
  assert.equal(c.node(2).status().commit, c.node(1).status().lastIndex, 'the live follower keeps up');
});

test('persistence contract: a vote and an append ack travel in the Ready that persists them', () => {
  const c = new MiniCluster([1, 2, 3], { preVote: false });
  c.node(1).campaign();
  c.processReady();
  c.deliver();
  c.readies = [];
  c.processReady();
  for (const { id, ready } of c.readies) {
    const resp = ready.messages.find((m) => m.type === 'MsgVoteResp' && !m.reject);
    if (!resp) continue;
    assert.equal(ready.hardState?.vote, 1, `node ${id} persists its vote with the grant`);
    assert.ok(ready.mustSync);
  }
  c.stabilize();
  c.node(1).propose(new Uint8Array([1]));
  c.processReady();
  c.deliver();
  c.readies = [];
  c.processReady();
  for (const { ready } of c.readies) {
    const ack = ready.messages.find((m) => m.type === 'MsgAppResp' && !m.reject);
    if (!ack) continue;
    assert.ok(
      ready.entries.some((e) => e.index === ack.index),
      'the acked entry is in the same Ready',
    );
  }
});

test('a single-voter leader commits only after advance() makes its entry durable', () => {
  const c = new MiniCluster([1]);
  c.node(1).campaign();
  c.stabilize();
  const before = c.node(1).status().commit;
  c.node(1).propose(new Uint8Array([9]));
  const rd = c.node(1).ready();
  assert.equal(rd.entries.length, 1);
  assert.equal(c.node(1).status().commit, before, 'not committed while only in memory');
  c.stores.get(1)!.append(rd.entries);
  c.node(1).advance(rd);
  assert.equal(c.node(1).status().commit, before + 1);
});

test('membership: one change at a time; the last voter cannot be removed', () => {
  const c = new MiniCluster([1]);
  c.node(1).campaign();
  c.stabilize();
  c.node(1).proposeConfChange({ type: 'addLearner', node: 2 });
  assert.throws(
    () => c.node(1).proposeConfChange({ type: 'addLearner', node: 3 }),
    (e: unknown) => e instanceof BasaltError && e.errorName === 'PROPOSAL_DROPPED',
  );
  c.stabilize();
  assert.throws(() => c.node(1).proposeConfChange({ type: 'remove', node: 1 }), /at least one voter/);
  assert.throws(() => c.node(1).proposeConfChange({ type: 'remove', node: 9 }), /not a member/);
});

test('election time after a leader kill with the default timers (100 ms ticks)', () => {
  const ticks: number[] = [];
  for (let trial = 1; trial <= 40; trial++) {
    const c = new MiniCluster([1, 2, 3], {}, trial);
    c.node(1).campaign();
    c.stabilize();
    for (let k = 0; k < 5; k++) {
      c.tickAll();
      c.stabilize();
    }
    c.down.add(1);
    let n = 0;
    for (; n < 100 && c.leader() === undefined; n++) {
      c.tickAll();
      c.stabilize();
    }
    assert.notEqual(c.leader(), undefined);
    ticks.push(n);
  }
  ticks.sort((a, b) => a - b);
  const median = ticks[ticks.length >> 1]!;
  const max = ticks[ticks.length - 1]!;
  process.stdout.write(
    `# election after leader kill: median ${median * 100} ms, max ${max * 100} ms (40 trials, zero network delay)\n`,
  );
  assert.ok(median <= 15, `median ${median} ticks`);
  assert.ok(max < 20, `max ${max} ticks`);
});

test('prng: deterministic and roughly uniform', () => {
  const a = new Prng(7);
  const b = new Prng(7);
  const counts = [0, 0, 0, 0];
  for (let k = 0; k < 4000; k++) {
    const x = a.int(4);
    assert.equal(x, b.int(4));
    counts[x]!++;
  }
  for (const n of counts) assert.ok(n > 850 && n < 1150, `bucket ${n}`);
});
