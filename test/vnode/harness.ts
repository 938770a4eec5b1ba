// Replicated vnodes over real loopback TCP, all in this process: per node one RpcServer +
// RaftTransport + ReplicaRuntime (startRaftNode) hosting one ReplicatedVnode of vgroup 7,
// each in its own temp directory. Nodes can be stopped and restarted on the same directory.
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { ColumnBlock } from '../../src/common/block.js';
import { BasaltError } from '../../src/common/errors.js';
import type { NodeId } from '../../src/raft/index.js';
import { startRaftNode, type RaftNode } from '../../src/replica/standalone.js';
import type { VnodeOptions, VnodeStore, WriteBatch } from '../../src/storage/api.js';
import { ReplicatedVnode, type ReplicatedVnodeConfig } from '../../src/vnode/replicated-vnode.js';
import { METERS_COLUMNS, METERS_TAGS, metersBlock, options, tempDir } from '../storage/helpers.js';

export const VGID = 7;
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export interface Member {
  readonly id: NodeId;
  node: RaftNode;
  vnode: ReplicatedVnode;
  readonly dir: string;
  port: number;
}

export type VnodeTuning = Partial<
  Pick<ReplicatedVnodeConfig, 'writeTimeoutMs' | 'snapshotEveryEntries' | 'keepEntriesAfterSnapshot' | 'readTimeoutMs'>
>;

export class VnodeCluster {
  readonly members = new Map<NodeId, Member>();
  private readonly dirs = new Map<NodeId, string>();
  private readonly ports = new Map<NodeId, number>();
  readonly root = tempDir('rvnode');
  readonly opts: VnodeOptions;

  constructor(
    private readonly tuning: VnodeTuning = {},
    opts: Partial<VnodeOptions> = {},
  ) {
    this.opts = options({ bufferBytes: 4 << 20, ...opts });
  }

  /** Starts (or restarts, on its old directory and port) node `id`. */
  async start(id: NodeId, founders?: readonly NodeId[]): Promise<Member> {
    const dir = this.dirs.get(id) ?? join(this.root, `dnode${id}`, 'vnode', `vnode${VGID}`);
    this.dirs.set(id, dir);
    let node: RaftNode;
    try {
      node = await startRaftNode({ nodeId: id, host: '127.0.0.1', port: this.ports.get(id) ?? 0 });
    } catch {
      node = await startRaftNode({ nodeId: id, host: '127.0.0.1', port: 0 }); // old port taken meanwhile
    }
    this.ports.set(id, node.port);
    for (const [pid, port] of this.ports) {
      if (pid !== id) node.transport.setPeer(pid, '127.0.0.1', port);
    }
    for (const m of this.members.values()) m.node.transport.setPeer(id, '127.0.0.1', node.port);
    let vnode: ReplicatedVnode;
    try {
      vnode = await ReplicatedVnode.open({
        runtime: node.runtime,
        vgId: VGID,
        dir,
        options: this.opts,
        ...(founders ? { founders } : {}),
        ...this.tuning,
        leaderEndpoint: (n) => node.transport.endpointOf(n),
      });
    } catch (e) {
      await node.close();
      throw e;
    }
    const m: Member = { id, node, vnode, dir, port: node.port };
    this.members.set(id, m);
    return m;
  }

  async stop(id: NodeId): Promise<void> {
    const m = this.members.get(id);
    if (!m) return;
    this.members.delete(id);
    await m.vnode.close().catch(() => undefined);
    await m.node.close().catch(() => undefined);
  }

  async close(): Promise<void> {
    for (const id of [...this.members.keys()]) await this.stop(id);
  }

  live(): Member[] {
    return [...this.members.values()];
  }

  /** The member every live node agrees leads, within `timeoutMs`. */
  async leader(timeoutMs = 5000): Promise<Member> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const leaders = this.live().filter((m) => m.vnode.isLeader());
      if (leaders.length === 1) {
        const l = leaders[0]!;
        const term = l.vnode.status().term;
        // Stale leaders of an old term may linger on a partitioned node: require agreement.
        if (this.live().every((m) => m.vnode.status().leader === l.id || m.vnode.status().term < term)) return l;
      }
      if (Date.now() > deadline)
        throw new Error(
          `no leader within ${timeoutMs} ms: ${JSON.stringify(this.live().map((m) => m.vnode.status()))}`,
        );
      await sleep(20);
    }
  }

  /** Waits until every live member applied at least `index`. */
  async waitApplied(index: number, timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.live().every((m) => m.vnode.status().applied >= index)) {
      if (Date.now() > deadline)
        throw new Error(
          `replicas did not apply ${index} within ${timeoutMs} ms: ${JSON.stringify(this.live().map((m) => m.vnode.status()))}`,
        );
      await sleep(20);
    }
  }

  /** Writes through whoever leads, following NOT_LEADER / NO_QUORUM for up to `timeoutMs`. */
  async write(batch: WriteBatch, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const l = this.live().find((m) => m.vnode.isLeader());
      try {
        if (!l) throw new BasaltError('NO_QUORUM', 'no leader yet');
        await l.vnode.write(batch);
        return;
      } catch (e) {
        const name = e instanceof BasaltError ? e.errorName : '';
        if (
          !['NOT_LEADER', 'NO_QUORUM', 'TIMEOUT', 'PROPOSAL_DROPPED', 'SHUTTING_DOWN'].includes(name) ||
          Date.now() > deadline
        )
          throw e;
        await sleep(20);
      }
    }
  }
}

// ---------------------------------------------------------------- data

export const TABLES = 10;
export const T0 = 1_700_000_000_000;

export function tableName(i: number): string {
  return `d${i}`;
}

export async function createSchema(v: ReplicatedVnode): Promise<void> {
  await v.createSuperTable({ name: 'meters', columns: METERS_COLUMNS, tags: METERS_TAGS });
  for (let i = 0; i < TABLES; i++)
    await v.createChildTable({ name: tableName(i), stable: 'meters', tagValues: [i % 3, `loc${i}`] });
}

/** Batch `b`: `rowsPerTable` rows for each table, timestamps unique per batch. */
export function batch(b: number, rowsPerTable: number): WriteBatch {
  const rows = [];
  for (let i = 0; i < TABLES; i++)
    rows.push({ table: tableName(i), block: metersBlock(T0 + b * rowsPerTable * 1000, rowsPerTable, 1000, i) });
  return { rows };
}

/** Writes batches [from, to) through the cluster with `inFlight` concurrent writers; returns acknowledged batch numbers. */
export async function writeBatches(
  c: VnodeCluster,
  from: number,
  to: number,
  rowsPerTable: number,
  inFlight = 8,
): Promise<number[]> {
  const acked: number[] = [];
  let next = from;
  const worker = async (): Promise<void> => {
    while (next < to) {
      const b = next++;
      await c.write(batch(b, rowsPerTable));
      acked.push(b);
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  return acked.sort((a, b) => a - b);
}

export interface TableDigest {
  rows: number;
  sha: string;
}

/** Row count and a content hash per child table, read from the replica's local store. */
export function digest(store: VnodeStore): Record<string, TableDigest> {
  const out: Record<string, TableDigest> = {};
  for (let i = 0; i < TABLES; i++) {
    const t = tableName(i);
    if (!store.getTable(t)) continue;
    // One hash per column, so the result does not depend on how the rows split into blocks.
    const hs = METERS_COLUMNS.map(() => createHash('sha256'));
    let rows = 0;
    for (const b of store.scan(
      t,
      { from: -Infinity, to: Infinity },
      METERS_COLUMNS.map((_, k) => k),
    ) as Iterable<ColumnBlock>) {
      rows += b.numRows;
      b.columns.forEach((col, k) => {
        const d = col.data as Float64Array;
        hs[k]!.update(Buffer.from(d.buffer, d.byteOffset, d.byteLength));
      });
    }
    out[t] = {
      rows,
      sha: createHash('sha256')
        .update(hs.map((h) => h.digest('hex')).join())
        .digest('hex')
        .slice(0, 16),
    };
  }
  return out;
}
