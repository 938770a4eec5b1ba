// Hundreds of groups per node: every group elects and replicates, and idle heartbeats travel
// coalesced (MultiRaft), so the frames between two nodes per tick do not grow with the
// number of groups. Also: a peer that is down costs bounded memory (frames are dropped),
// and the group reconnects to it when it returns.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { join } from 'node:path';
import { MemoryLogStore, type LogStore, type NodeId } from '../../src/raft/index.js';
import { WalLogStore } from '../../src/replica/wal-log-store.js';
import type { RaftGroupHost } from '../../src/replica/group-host.js';
import { startRaftNode, type RaftNode } from '../../src/replica/standalone.js';
import { RecordingStateMachine, sleep, tempDir } from './harness.js';

const GROUPS = 200;

async function cluster(
  ids: NodeId[],
  groups: number,
  storeFor: (id: NodeId, g: number) => Promise<LogStore> = async () => MemoryLogStore.bootstrap(ids),
): Promise<{ nodes: Map<NodeId, RaftNode>; hosts: Map<NodeId, RaftGroupHost[]> }> {
  const nodes = new Map<NodeId, RaftNode>();
  for (const id of ids) nodes.set(id, await startRaftNode({ nodeId: id, host: '127.0.0.1', port: 0 }));
  for (const a of nodes.values()) for (const [id, b] of nodes) a.transport.setPeer(id, '127.0.0.1', b.port);
  const hosts = new Map<NodeId, RaftGroupHost[]>();
  for (const [id, n] of nodes) {
    const hs: RaftGroupHost[] = [];
    for (let g = 1; g <= groups; g++)
      hs.push(
        await n.runtime.addGroup({ group: g, store: await storeFor(id, g), stateMachine: new RecordingStateMachine() }),
      );
    hosts.set(id, hs);
  }
  return { nodes, hosts };
}

function framesSent(n: RaftNode): number {
  return Object.values(n.transport.peerStats()).reduce((a, p) => a + p.framesSent, 0);
}

test(`${GROUPS} groups on 3 nodes: all elect, replicate, and idle heartbeats are coalesced per peer`, {
  timeout: 60_000,
}, async () => {
  const { nodes, hosts } = await cluster([1, 2, 3], GROUPS);
  try {
    const leaderOf = (g: number): RaftGroupHost | undefined =>
      [...hosts.values()].map((hs) => hs[g - 1]!).find((h) => h.status().role === 'leader');
    const end = Date.now() + 20_000;
    while (Date.now() < end && Array.from({ length: GROUPS }, (_, i) => leaderOf(i + 1)).some((l) => !l))
      await sleep(50);
    for (let g = 1; g <= GROUPS; g++) assert.ok(leaderOf(g), `group ${g} has a leader`);
    await Promise.all(
      Array.from({ length: GROUPS }, (_, i) => leaderOf(i + 1)!.propose(new TextEncoder().encode(`g${i + 1}`))),
    );
    // Idle: count frames over 2 s (20 ticks).
    await sleep(500);
    const before = [...nodes.values()].map(framesSent);
    await sleep(2000);
    const after = [...nodes.values()].map(framesSent);
    const perNodePerTick = after.map((a, i) => (a - before[i]!) / 20);
    // Without coalescing a node would send about GROUPS heartbeats (or responses) per tick
    // per peer; with it, one or two envelopes per peer per tick.
    for (const f of perNodePerTick)
      assert.ok(f <= 8, `${f.toFixed(1)} frames per tick from one node with ${GROUPS} idle groups`);
    console.log(
      `# idle frames per node per tick with ${GROUPS} groups: ${perNodePerTick.map((f) => f.toFixed(1)).join(', ')}`,
    );
  } finally {
    for (const n of nodes.values()) await n.close();
  }
});

test('a peer that is down: frames are dropped (bounded), and replication resumes after it returns', {
  timeout: 30_000,
}, async () => {
  const tmp = tempDir('down');
  const dir = (id: NodeId): string => join(tmp.dir, `n${id}`);
  const { nodes, hosts } = await cluster([1, 2, 3], 1, (id) => WalLogStore.openBootstrapped(dir(id), [1, 2, 3]));
  try {
    let leader: RaftGroupHost | undefined;
    for (let i = 0; i < 400 && !leader; i++) {
      await sleep(20);
      leader = [...hosts.values()].map((h) => h[0]!).find((h) => h.status().role === 'leader');
    }
    assert.ok(leader);
    const downId = [1, 2, 3].find((id) => id !== leader!.nodeId)!;
    const down = nodes.get(downId)!;
    const port = down.port;
    await down.close();
    for (let i = 0; i < 200; i++) await leader.propose(new Uint8Array([i]));
    await sleep(300);
    const ps = nodes.get(leader.nodeId)!.transport.peerStats()[downId]!;
    assert.ok(
      ps.framesDropped > 0 && ps.connectFailures > 0,
      `dropped ${ps.framesDropped}, connect failures ${ps.connectFailures}`,
    );
    // It returns on its WAL and port; the leader catches it up.
    const back = await startRaftNode({ nodeId: downId, host: '127.0.0.1', port });
    nodes.set(downId, back);
    for (const [id, b] of nodes) back.transport.setPeer(id, '127.0.0.1', b.port);
    const sm = new RecordingStateMachine();
    const h = await back.runtime.addGroup({
      group: 1,
      store: await WalLogStore.openBootstrapped(dir(downId), [1, 2, 3]),
      stateMachine: sm,
    });
    const target = leader.status().commit;
    for (let i = 0; i < 300 && h.status().applied < target; i++) await sleep(20);
    assert.ok(h.status().applied >= target, `caught up to ${h.status().applied} of ${target}`);
    assert.equal(sm.values.length, 200);
  } finally {
    for (const n of nodes.values()) await n.close();
    tmp.remove();
  }
});
