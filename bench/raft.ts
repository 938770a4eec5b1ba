// Raft benchmark, part (a): three replicas in one process over an in-memory log store and a
// synchronous in-memory "network"; measures committed proposals per second with batching
// (proposals per Ready cycle), and election time in-process. Parts (b)-(d) with real
// processes, the fsyncing WAL and etcd beside it are bench/raft-net.bench.ts
// (`npm run bench:raft-net`).
//   npm run bench:raft            (BENCH_PROPOSALS=200000 by default)
import { MemoryLogStore } from '../src/raft/log-store.js';
import { Prng } from '../src/raft/prng.js';
import { RawNode } from '../src/raft/raw-node.js';
import type { Message, NodeId } from '../src/raft/types.js';

const TOTAL_PROPOSALS = Number(process.env['BENCH_PROPOSALS'] ?? '200000');
const PAYLOAD_BYTES = 64;
const IDS: NodeId[] = [1, 2, 3];

interface Result {
  readonly batch: number;
  readonly proposals: number;
  readonly seconds: number;
  readonly cycles: number;
}

function runOnce(batch: number): Result {
  const stores = new Map<NodeId, MemoryLogStore>();
  const nodes = new Map<NodeId, RawNode>();
  for (const id of IDS) {
    const store = MemoryLogStore.bootstrap(IDS);
    stores.set(id, store);
    // Large windows: the in-process network never loses messages, so flow control only
    // needs to bound memory, not pace a slow link.
    nodes.set(
      id,
      new RawNode(
        { id, prng: new Prng(id), maxInflightAppends: 1024, maxAppendBytes: 4 << 20, maxInflightBytes: 256 << 20 },
        store,
      ),
    );
  }
  let queue: Message[] = [];
  const pump = (): void => {
    for (const [id, raw] of nodes) {
      if (!raw.hasReady()) continue;
      const rd = raw.ready();
      const store = stores.get(id)!;
      store.append(rd.entries);
      if (rd.hardState) store.setHardState(rd.hardState);
      for (const m of rd.messages) queue.push(m);
      raw.advance(rd);
    }
    const batchOut = queue;
    queue = [];
    for (const m of batchOut) nodes.get(m.to)!.step(m);
  };
  const leader = nodes.get(1)!;
  pump(); // applies the bootstrap membership
  leader.campaign();
  for (let k = 0; k < 20; k++) pump();
  if (leader.status().role !== 'leader') throw new Error('bench: no leader');

  const payload = new Uint8Array(PAYLOAD_BYTES);
  const datas = Array.from({ length: batch }, () => payload);
  const startCommit = leader.status().commit;
  const target = startCommit + TOTAL_PROPOSALS;
  let proposed = 0;
  let cycles = 0;
  const t0 = process.hrtime.bigint();
  while (leader.status().commit < target) {
    if (proposed < TOTAL_PROPOSALS) {
      const n = Math.min(batch, TOTAL_PROPOSALS - proposed);
      leader.proposeBatch(n === batch ? datas : datas.slice(0, n));
      proposed += n;
    }
    pump();
    cycles++;
    // Compact behind the commit point now and then so memory stays flat, as a real driver would.
    if (cycles % 256 === 0) {
      for (const [id, raw] of nodes) {
        const s = raw.status();
        const store = stores.get(id)!;
        const upTo = s.applied - 1000;
        if (upTo > store.firstIndex()) {
          store.createSnapshot(upTo, s.conf, new Uint8Array(0));
          store.compact(upTo);
        }
      }
    }
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  for (let k = 0; k < 4; k++) pump(); // followers learn the final commit index
  for (const id of IDS) {
    if (nodes.get(id)!.status().commit < target) throw new Error(`bench: replica ${id} behind`);
  }
  return { batch, proposals: TOTAL_PROPOSALS, seconds, cycles };
}

process.stdout.write(
  `raft bench (a): 3 replicas in-process, in-memory log, ${PAYLOAD_BYTES}-byte proposals, ${TOTAL_PROPOSALS} per run\n`,
);
process.stdout.write('batch  proposals/s  Ready cycles\n');
for (const batch of [1, 16, 256]) {
  const r = runOnce(batch);
  process.stdout.write(
    `${String(batch).padStart(5)}  ${Math.round(r.proposals / r.seconds)
      .toString()
      .padStart(11)}  ${r.cycles}\n`,
  );
}
process.stdout.write('(b) TCP + WAL fsync, 3 processes, and (c) the etcd comparison: npm run bench:raft-net\n');
const kills = electionAfterKill(40);
process.stdout.write(
  `(d, in-process) election after leader kill, default timers, 100 ms ticks, ${kills.length} kills: ` +
    `median ${kills[kills.length >> 1]! * 100} ms, max ${kills[kills.length - 1]! * 100} ms (network delay < 1 tick)\n`,
);
process.stdout.write('(d, processes) SIGKILL of a leader process over TCP: npm run bench:raft-net\n');

/** Ticks from killing the leader of a settled 3-replica group until a new leader exists, sorted. */
function electionAfterKill(trials: number): number[] {
  const out: number[] = [];
  for (let trial = 1; trial <= trials; trial++) {
    const stores = new Map<NodeId, MemoryLogStore>();
    const nodes = new Map<NodeId, RawNode>();
    for (const id of IDS) {
      const store = MemoryLogStore.bootstrap(IDS);
      stores.set(id, store);
      nodes.set(id, new RawNode({ id, prng: new Prng(trial * 7919 + id) }, store));
    }
    const dead = new Set<NodeId>();
    const settle = (): void => {
      for (let round = 0; round < 50; round++) {
        const queue: Message[] = [];
        for (const [id, raw] of nodes) {
          if (dead.has(id) || !raw.hasReady()) continue;
          const rd = raw.ready();
          const store = stores.get(id)!;
          store.append(rd.entries);
          if (rd.hardState) store.setHardState(rd.hardState);
          queue.push(...rd.messages);
          raw.advance(rd);
        }
        if (queue.length === 0) return;
        for (const m of queue) if (!dead.has(m.to)) nodes.get(m.to)!.step(m);
      }
    };
    const leaderId = (): NodeId | undefined =>
      IDS.find((id) => !dead.has(id) && nodes.get(id)!.status().role === 'leader');
    const tickAll = (): void => {
      for (const [id, raw] of nodes) if (!dead.has(id)) raw.tick();
      settle();
    };
    settle();
    for (let k = 0; k < 40 && leaderId() === undefined; k++) tickAll();
    const first = leaderId();
    if (first === undefined) throw new Error('bench: no first leader');
    for (let k = 0; k < 3 + (trial % 7); k++) tickAll();
    dead.add(first);
    let ticks = 0;
    for (; ticks < 200 && leaderId() === undefined; ticks++) tickAll();
    out.push(ticks);
  }
  return out.sort((a, b) => a - b);
}
