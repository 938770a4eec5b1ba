// Offline replica digests for the chaos test: after every dnode stopped cleanly, open each
// replica directory dataDir/vnode/vnode<vgId> of each dnode in this process as a
// ReplicatedVnode on a private ReplicaRuntime whose transport knows no peers (and whose timer
// never ticks, so it neither campaigns nor changes its hard state), let it replay its
// committed log into the store, then scan every table: row count and a content checksum per
// vgroup per replica. Equal digests across a vgroup's replicas = identical data.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ColumnBlock } from '../../src/common/block.js';
import { DEFAULT_DB_OPTIONS } from '../../src/common/db-options.js';
import { vnodeOptionsOf } from '../../src/engine/engine-core.js';
import { ReplicaRuntime } from '../../src/replica/runtime.js';
import { RaftTransport } from '../../src/replica/transport.js';
import { ReplicatedVnode } from '../../src/vnode/replicated-vnode.js';
import { sleep } from './harness.js';

export interface ReplicaDigest {
  readonly dnodeId: number;
  readonly vgId: number;
  readonly tables: number;
  readonly rows: number;
  readonly checksum: string;
  readonly applied: number;
  readonly commit: number;
  /** Per table: rows (for a diff when replicas disagree). */
  readonly perTable: Record<string, number>;
}

/** The dnode id a dataDir belongs to (dnode/dnode.json). */
export function dnodeIdOf(dataDir: string): number {
  const j = JSON.parse(readFileSync(join(dataDir, 'dnode', 'dnode.json'), 'utf8')) as { dnodeId: number };
  return j.dnodeId;
}

/** vgIds with a replica directory in this dataDir. */
export function vgIdsOnDisk(dataDir: string): number[] {
  const root = join(dataDir, 'vnode');
  if (!existsSync(root)) return [];
  return readdirSync(root)
    .map((n) => /^vnode(\d+)$/.exec(n))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Number(m[1]))
    .sort((a, b) => a - b);
}

function hashColumn(h: ReturnType<typeof createHash>, data: unknown, n: number): void {
  if (ArrayBuffer.isView(data)) {
    const v = data as unknown as { subarray(a: number, b: number): ArrayBufferView };
    const s = v.subarray(0, n);
    h.update(Buffer.from(s.buffer, s.byteOffset, s.byteLength));
  } else {
    h.update(
      JSON.stringify((data as unknown[]).slice(0, n), (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x)),
    );
  }
}

/**
 * Opens one replica offline and digests it. The runtime's node id is the dnode id (the Raft
 * node id of its replicas); the log replays up to the commit index on disk.
 */
export async function digestReplica(
  dataDir: string,
  dnodeId: number,
  vgId: number,
  timeoutMs = 30_000,
): Promise<ReplicaDigest> {
  const transport = new RaftTransport({ nodeId: dnodeId });
  // tickMs: effectively never, so the lone replica never starts an election.
  const runtime = new ReplicaRuntime({ nodeId: dnodeId, transport, tickMs: 2_000_000_000 });
  let v: ReplicatedVnode | undefined;
  try {
    v = await ReplicatedVnode.open({
      runtime,
      vgId,
      dir: join(dataDir, 'vnode', `vnode${vgId}`),
      options: vnodeOptionsOf(DEFAULT_DB_OPTIONS),
      followerReads: true,
    });
    const deadline = Date.now() + timeoutMs;
    for (let i = 0; i < 10_000; i++) {
      const st = v.status();
      if (st.applied >= st.commit && st.storeApplied >= st.commit) break;
      if (Date.now() > deadline)
        throw new Error(`replica of vgroup ${vgId} on dnode ${dnodeId} did not apply its log: ${JSON.stringify(st)}`);
      await sleep(20);
    }
    const st = v.status();
    const store = v.local;
    const tables = store
      .listTables()
      .filter((t) => t.kind !== 'super')
      .map((t) => t.name)
      .sort();
    const vg = createHash('sha256');
    let rows = 0;
    const perTable: Record<string, number> = {};
    for (const name of tables) {
      const info = store.getTable(name)!;
      const cols = info.columns.map((_, k) => k);
      // One hash per column: the result does not depend on how rows split into blocks.
      const hs = cols.map(() => createHash('sha256'));
      let n = 0;
      for (const b of store.scan(name, { from: -Infinity, to: Infinity }, cols) as Iterable<ColumnBlock>) {
        n += b.numRows;
        b.columns.forEach((c, k) => {
          hashColumn(hs[k]!, c.data, b.numRows);
        });
      }
      perTable[name] = n;
      rows += n;
      vg.update(
        `${name}:${n}:${JSON.stringify(info.tagValues, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x))}:${hs.map((h) => h.digest('hex')).join(',')};`,
      );
    }
    return {
      dnodeId,
      vgId,
      tables: tables.length,
      rows,
      checksum: vg.digest('hex').slice(0, 16),
      applied: st.applied,
      commit: st.commit,
      perTable,
    };
  } finally {
    await v?.close().catch(() => undefined);
    await runtime.close().catch(() => undefined);
  }
}

/** Digests of every replica of every vgroup under the given dataDirs, grouped by vgId. */
export async function digestAll(dataDirs: readonly string[]): Promise<Map<number, ReplicaDigest[]>> {
  const out = new Map<number, ReplicaDigest[]>();
  for (const dir of dataDirs) {
    const id = dnodeIdOf(dir);
    for (const vgId of vgIdsOnDisk(dir)) {
      const d = await digestReplica(dir, id, vgId);
      const list = out.get(vgId) ?? [];
      list.push(d);
      out.set(vgId, list);
    }
  }
  return out;
}
