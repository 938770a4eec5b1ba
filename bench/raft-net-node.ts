// One replica process of the raft-net benchmark (bench/raft-net.bench.ts starts three):
// a Raft node on 127.0.0.1 with one group on a fsyncing WAL, and a tiny key/value state
// machine (so applying costs about what etcd's put costs). The benchmark's client talks to
// it over the same RPC port with two bench-only message types:
//   BENCH_PUT (60001): payload = the entry bytes; replies {index} once applied here.
//   BENCH_STATUS (60002): replies the group status.
//   BENCH_DUMP (60003): replies {applied, order} (order kept only with RAFT_NET_TRACK=1).
// Usage: node dist/bench/raft-net-node.js <id> <port> <dataDir> <id=port,id=port,...>
import { BasaltError } from '../src/common/errors.js';
import type { Entry, Snapshot } from '../src/raft/index.js';
import { startRaftNode } from '../src/replica/standalone.js';
import type { StateMachine } from '../src/replica/state-machine.js';
import { WalLogStore } from '../src/replica/wal-log-store.js';
import type { RaftGroupHost } from '../src/replica/group-host.js';
import { BENCH_DUMP, BENCH_PUT, BENCH_STATUS } from './raft-net-proto.js';

/**
 * Puts into a map. With RAFT_NET_TRACK=1 (the crash test) it also keeps the order of applied
 * keys, which its snapshot carries, so every replica's history can be compared. The map
 * itself is not in the snapshot: this machine exists to cost what a put costs.
 */
class KvMachine implements StateMachine {
  private readonly kv = new Map<string, Uint8Array>();
  private applied = 0;
  order: string[] = [];
  constructor(private readonly track: boolean) {}
  appliedIndex(): number {
    return 0;
  }
  apply(entries: readonly Entry[]): void {
    for (const e of entries) {
      // key and value are split at the first 0 byte
      const z = e.data.indexOf(0);
      const key = Buffer.from(e.data.buffer, e.data.byteOffset, z < 0 ? e.data.length : z).toString('latin1');
      this.kv.set(key, z < 0 ? new Uint8Array(0) : e.data.subarray(z + 1));
      if (this.track) this.order.push(key);
      this.applied = e.index;
    }
  }
  snapshot(): Uint8Array {
    return new TextEncoder().encode(
      JSON.stringify({ keys: this.kv.size, applied: this.applied, order: this.track ? this.order : [] }),
    );
  }
  restore(snap: Snapshot): void {
    this.kv.clear();
    this.applied = snap.meta.index;
    this.order = snap.data.length ? (JSON.parse(new TextDecoder().decode(snap.data)) as { order: string[] }).order : [];
  }
  dump(): { applied: number; order: string[] } {
    return { applied: this.applied, order: this.order };
  }
}

async function main(): Promise<void> {
  const [idS, portS, dir, peersS] = process.argv.slice(2);
  if (!idS || !portS || !dir || !peersS) throw new Error('usage: raft-net-node <id> <port> <dataDir> <id=port,...>');
  const id = Number(idS);
  const peers = peersS.split(',').map((p) => p.split('=').map(Number) as [number, number]);
  let group: RaftGroupHost | undefined;
  const kv = new KvMachine(process.env['RAFT_NET_TRACK'] === '1');
  let syncStats: () => unknown = () => null;
  const node = await startRaftNode({
    nodeId: id,
    host: '127.0.0.1',
    port: Number(portS),
    log: (level, m) => {
      if (level !== 'info') process.stderr.write(`[node ${id}] ${level}: ${m}\n`);
    },
    next: async (_conn, frame) => {
      if (!group) throw new BasaltError('NOT_READY', 'group not open yet');
      if (frame.msgType === BENCH_PUT) {
        const r = await group.propose(frame.payload);
        return { control: { index: r.index } };
      }
      if (frame.msgType === BENCH_DUMP) return { control: kv.dump() };
      if (frame.msgType === BENCH_STATUS)
        return { control: (frame.control as { sync?: boolean } | null)?.sync ? syncStats() : group.status() };
      throw new BasaltError('BAD_FRAME', `unknown bench message ${frame.msgType}`);
    },
  });
  for (const [pid, pport] of peers) node.transport.setPeer(pid, '127.0.0.1', pport);
  // RAFT_NET_NOSYNC=1 (diagnostics only): skip the fsync to see the non-disk floor.
  const store = await WalLogStore.openBootstrapped(
    dir,
    peers
      .map(([p]) => p)
      .concat(id)
      .sort((a, b) => a - b)
      .filter((v, i, a) => a.indexOf(v) === i),
  );
  // fsync timing, reported with the status (where the commit latency goes).
  const syncLat: number[] = [];
  let lastCpu = process.cpuUsage();
  const rawSync = process.env['RAFT_NET_NOSYNC'] === '1' ? async () => undefined : store.sync.bind(store);
  store.sync = async () => {
    const t = performance.now();
    await rawSync();
    if (syncLat.length < 1_000_000) syncLat.push(performance.now() - t);
  };
  syncStats = () => {
    const s = syncLat.slice().sort((a, b) => a - b);
    syncLat.length = 0;
    const q = (p: number): number => (s.length ? +s[Math.min(s.length - 1, Math.floor(p * s.length))]!.toFixed(3) : 0);
    const cpu = process.cpuUsage(lastCpu);
    lastCpu = process.cpuUsage();
    return {
      syncs: s.length,
      p50: q(0.5),
      p90: q(0.9),
      p99: q(0.99),
      rounds: node.runtime.stats.rounds,
      cpuMs: Math.round((cpu.user + cpu.system) / 1000),
    };
  };
  group = await node.runtime.addGroup({
    group: 1,
    store,
    stateMachine: kv,
    snapshotEveryEntries: Number(process.env['RAFT_NET_SNAPSHOT_EVERY'] ?? '200000'),
    keepEntriesAfterSnapshot: Number(process.env['RAFT_NET_SNAPSHOT_KEEP'] ?? '20000'),
  });
  process.stdout.write(`ready ${id} ${node.port}\n`);
  const stop = (): void => {
    void node.close().finally(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((e) => {
  process.stderr.write(`raft-net-node failed: ${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
