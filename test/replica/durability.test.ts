// The persistence contract at the I/O layer: nothing leaves a node before what it promises is
// durable. Each store reports what its last completed sync() covered (fsyncs are slowed down
// at random), and the transport checks every outgoing message against it:
//   - any message but pre-votes carries a term that is durable;
//   - a granted vote is durable before the MsgVoteResp leaves;
//   - a MsgAppResp acknowledging index i leaves only once entries through i are durable.
// (The leader's own MsgApp may leave before its write completes: it promises nothing.)
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { join } from 'node:path';
import type { ConfState, Entry, HardState, LogStore, Message, NodeId, Snapshot } from '../../src/raft/index.js';
import type { NodeEnvelope } from '../../src/raft/multi-raft.js';
import { RpcServer } from '../../src/rpc/server.js';
import { ReplicaRuntime } from '../../src/replica/runtime.js';
import { RaftTransport } from '../../src/replica/transport.js';
import { WalLogStore } from '../../src/replica/wal-log-store.js';
import type { RaftGroupHost } from '../../src/replica/group-host.js';
import { RecordingStateMachine, sleep, tempDir } from './harness.js';

/** Delegates to a WalLogStore and tracks what the last completed sync made durable. */
class CheckedStore implements LogStore {
  private writtenLast: number;
  private writtenHs: HardState;
  durableLast: number;
  durableHs: HardState;
  constructor(
    readonly inner: WalLogStore,
    private readonly maxDelayMs: number,
  ) {
    this.writtenLast = this.durableLast = inner.lastIndex();
    this.writtenHs = this.durableHs = inner.initialState().hardState;
  }
  initialState(): { hardState: HardState; confState: ConfState } {
    return this.inner.initialState();
  }
  firstIndex(): number {
    return this.inner.firstIndex();
  }
  lastIndex(): number {
    return this.inner.lastIndex();
  }
  term(i: number): number | undefined {
    return this.inner.term(i);
  }
  entries(lo: number, hi: number, maxBytes: number): Entry[] {
    return this.inner.entries(lo, hi, maxBytes);
  }
  snapshot(): Snapshot {
    return this.inner.snapshot();
  }
  append(entries: readonly Entry[]): void {
    if (entries.length === 0) return;
    // A conflicting append replaces entries: the replaced ones no longer count as durable.
    this.durableLast = Math.min(this.durableLast, entries[0]!.index - 1);
    this.inner.append(entries);
    this.writtenLast = entries[entries.length - 1]!.index;
  }
  setHardState(hs: HardState): void {
    this.inner.setHardState(hs);
    this.writtenHs = hs;
  }
  applySnapshot(s: Snapshot): void {
    this.inner.applySnapshot(s);
    this.writtenLast = s.meta.index;
  }
  createSnapshot(index: number, conf: ConfState, data: Uint8Array): void {
    this.inner.createSnapshot(index, conf, data);
  }
  compact(index: number): void {
    this.inner.compact(index);
  }
  async sync(): Promise<void> {
    const last = this.writtenLast;
    const hs = this.writtenHs;
    await sleep(Math.random() * this.maxDelayMs);
    await this.inner.sync();
    this.durableLast = last;
    this.durableHs = hs;
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

/** Returns a description of the broken promise, or undefined. */
export function checkMessage(store: CheckedStore, m: Message): string | undefined {
  const d = store.durableHs;
  if (m.type !== 'MsgPreVote' && m.type !== 'MsgPreVoteResp' && m.term > d.term)
    return `${m.type} of term ${m.term} sent while term ${d.term} is durable`;
  if (m.type === 'MsgVoteResp' && !m.reject && d.vote !== m.to)
    return `vote for ${m.to} sent while the durable vote is ${d.vote}`;
  if (m.type === 'MsgAppResp' && !m.reject && m.index > store.durableLast)
    return `MsgAppResp for ${m.index} sent while ${store.durableLast} is durable`;
  return undefined;
}

class CheckingTransport extends RaftTransport {
  constructor(
    nodeId: NodeId,
    private readonly store: () => CheckedStore | undefined,
    private readonly out: { violations: string[]; checked: Map<string, number> },
  ) {
    super({ nodeId });
  }
  override send(envs: readonly NodeEnvelope[]): void {
    const st = this.store();
    if (st) {
      for (const env of envs) {
        for (const { msg } of env.messages) {
          this.out.checked.set(msg.type, (this.out.checked.get(msg.type) ?? 0) + 1);
          const v = checkMessage(st, msg);
          if (v) this.out.violations.push(`node ${this.nodeId}: ${v}`);
        }
        for (const b of env.heartbeatResps)
          if (b.term > st.durableHs.term)
            this.out.violations.push(`node ${this.nodeId}: heartbeat response of term ${b.term} before it is durable`);
      }
    }
    super.send(envs);
  }
}

test('the checker itself flags an acknowledgement ahead of the disk', () => {
  const fake = { durableLast: 5, durableHs: { term: 2, vote: 1, commit: 0 } } as unknown as CheckedStore;
  const m = (over: Partial<Message>): Message => ({
    type: 'MsgAppResp',
    from: 2,
    to: 1,
    term: 2,
    logTerm: 0,
    index: 6,
    entries: [],
    commit: 0,
    reject: false,
    rejectHint: 0,
    context: '',
    snapOffset: 0,
    snapDone: false,
    tick: 0,
    ...over,
  });
  assert.match(checkMessage(fake, m({}))!, /MsgAppResp for 6/);
  assert.match(checkMessage(fake, m({ type: 'MsgVoteResp', to: 3 }))!, /vote for 3/);
  assert.match(checkMessage(fake, m({ type: 'MsgHeartbeatResp', term: 3 }))!, /term 3/);
  assert.equal(checkMessage(fake, m({ index: 5 })), undefined);
});

test('over TCP with slow random fsyncs, no message outruns the disk (including elections)', {
  timeout: 60_000,
}, async () => {
  const tmp = tempDir('durable');
  const out = { violations: [] as string[], checked: new Map<string, number>() };
  interface N {
    id: NodeId;
    server: RpcServer;
    runtime: ReplicaRuntime;
    store: CheckedStore;
    group: RaftGroupHost;
    port: number;
  }
  const nodes = new Map<NodeId, N>();
  const ports = new Map<NodeId, number>();
  const start = async (id: NodeId): Promise<void> => {
    let store: CheckedStore | undefined;
    const transport = new CheckingTransport(id, () => store, out);
    const server = new RpcServer({ host: '127.0.0.1', port: ports.get(id) ?? 0, handler: transport.rpcHandler() });
    const port = await server.listen();
    ports.set(id, port);
    const runtime = new ReplicaRuntime({ nodeId: id, transport });
    for (const [pid, pport] of ports) transport.setPeer(pid, '127.0.0.1', pport);
    store = new CheckedStore(await WalLogStore.openBootstrapped(join(tmp.dir, `n${id}`), [1, 2, 3]), 15);
    const group = await runtime.addGroup({ group: 1, store, stateMachine: new RecordingStateMachine() });
    nodes.set(id, { id, server, runtime, store, group, port });
  };
  const stop = async (id: NodeId): Promise<void> => {
    const n = nodes.get(id)!;
    nodes.delete(id);
    await n.runtime.close();
    await n.server.close(0);
  };
  const leader = async (): Promise<N> => {
    for (let i = 0; i < 400; i++) {
      for (const n of nodes.values()) if (n.group.status().role === 'leader') return n;
      await sleep(20);
    }
    throw new Error('no leader');
  };
  try {
    for (const id of [1, 2, 3]) await start(id);
    // Peers learned of each other only as they started: tell the early ones about the later ones.
    for (const n of nodes.values())
      for (const [pid, pport] of ports) n.runtime.opts.transport.setPeer(pid, '127.0.0.1', pport);
    for (let round = 0; round < 3; round++) {
      const l = await leader();
      let next = 0;
      await Promise.all(
        Array.from({ length: 16 }, async () => {
          while (next < 200) {
            next++;
            for (let t = 0; t < 50; t++) {
              try {
                await (await leader()).group.propose(new TextEncoder().encode(`r${round}-${next}`));
                break;
              } catch {
                await sleep(20);
              }
            }
          }
        }),
      );
      // Kill the leader and bring it back: elections and catch-up are checked too.
      await stop(l.id);
      await leader();
      await start(l.id);
      for (const n of nodes.values())
        for (const [pid, pport] of ports) n.runtime.opts.transport.setPeer(pid, '127.0.0.1', pport);
    }
    assert.deepEqual(out.violations.slice(0, 10), []);
    // Proposals batch (16 writers), and a commit index alone travels with the next MsgApp
    // (lazyCommitBroadcast), so acks are fewer than proposals: 50 still covers every round.
    assert.ok((out.checked.get('MsgAppResp') ?? 0) > 50, `checked ${JSON.stringify([...out.checked])}`);
    assert.ok((out.checked.get('MsgVoteResp') ?? 0) > 0, 'elections happened and their votes were checked');
  } finally {
    for (const id of [...nodes.keys()]) await stop(id);
    tmp.remove();
  }
});
