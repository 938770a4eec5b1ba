// The vnode store: WAL + meta + memtable + file sets behind the VnodeStore contract.
// Every mutation is checked, logged as a typed WAL payload, then applied (`applyLogged` is
// the same apply path a Raft vnode calls for committed entries). A flush freezes the
// memtable, writes one data file per file-set time slice, then atomically replaces the
// manifest (which records the last WAL index the files hold, plus a meta snapshot) and drops
// WAL segments the files now cover.
import * as fs from 'node:fs';
import type { ColumnBlock, ColumnVector } from '../common/block.js';
import { assert } from '../common/assert.js';
import { ScratchArena } from '../common/block-codec.js';
import { BasaltError } from '../common/errors.js';
import { Limits } from '../common/limits.js';
import { msToTicks } from '../common/time.js';
import { DataType } from '../common/types.js';
import type {
  ChildTableDef,
  RangeAggregate,
  TableInfo,
  TableKind,
  TagValue,
  TimeRange,
  VnodeOptions,
  VnodeStore,
  WriteBatch,
} from './api.js';
import { DataFileWriter } from './data-file.js';
import { FileView } from './file-view.js';
import { DiskSpaceGuard, diskFullError, isDiskFull, type DiskLogFn } from './disk-space.js';
import { dirBytes, fsyncDir } from './fsutil.js';
import { assertManifestSuccessor, readManifest, writeManifest, type Manifest } from './manifest.js';
import { Meta, type ColDef, type MetaOp, type TableEntry } from './meta.js';
import { MetaMutations } from './meta-mutations.js';
import { decodePayload, encodeMetaPayload, encodeWritePayload } from './payload.js';
import { aggregateTable, lastRowOf, scanTable, type ReadContext } from './read-path.js';
import { compactFileSets } from './compaction.js';
import { TableBuffer } from './table-buffer.js';
import { Wal } from './wal.js';
import { checkBlock, checkOptions } from './validate.js';
import { snapshotStream } from './snapshot.js';

/**
 * How the WAL is driven. Standalone (default): the store logs its own writes, replays the
 * WAL on open and drops WAL segments once flushed. externalLog (a Raft vnode): the log owner
 * appends to `store.wal`, calls `applyLogged` for committed entries (after open, from
 * `flushedIndex() + 1`), and decides itself when to `wal.compactBefore`.
 */
export interface StoreMode {
  readonly externalLog?: boolean;
  /** Where the store reports a full disk (once) and its end (once). */
  readonly log?: DiskLogFn;
}

interface CheckedRows {
  entry: TableEntry;
  schema: ColDef[];
  block: ColumnBlock;
}

export class LocalVnodeStore extends MetaMutations implements VnodeStore {
  readonly meta = new Meta();
  /** Live memtable and the one being flushed (readable until its file is in the view). */
  mem = new Map<number, TableBuffer>();
  imm: Map<number, TableBuffer> | null = null;
  memBytes = 0;
  readonly files: FileView;
  /** uid -> last row (all columns by colId order of the schema) or null when known empty. */
  readonly lastRows = new Map<number, { ts: number; row: ColumnBlock } | null>();
  private appliedIdx = 0;
  /** Decoded columns of the entry being applied (see applyLogged). */
  private readonly applyScratch = new ScratchArena(Limits.applyScratchBytes);
  private manifest: Manifest;
  private lock: Promise<unknown> = Promise.resolve();
  private flushing: Promise<void> | null = null;
  /**
   * The frozen memtable's WAL index and meta, kept with `imm` while a flush that met a full
   * disk waits to be tried again (the rows stay readable in `imm` and logged in the WAL).
   */
  private immIndex = 0;
  private immMeta: Manifest['meta'] | null = null;
  /** The last flush met a full disk: when, and what it said (flushes fail fast until a retry is due). */
  private flushDiskFull: { atMs: number; err: BasaltError } | null = null;
  private flushRetryTimer: NodeJS.Timeout | null = null;
  private readonly diskGuard: DiskSpaceGuard;
  private fatal: unknown = null;
  private fsyncTimer: NodeJS.Timeout | null = null;
  private closed = false;
  readonly durationTicks: number;

  private constructor(
    readonly dir: string,
    readonly options: VnodeOptions,
    readonly wal: Wal,
    manifest: Manifest,
    readonly mode: StoreMode,
  ) {
    super();
    this.manifest = manifest;
    this.files = new FileView(`${dir}/data`, Limits.decodedChunkCacheBytes);
    this.durationTicks = msToTicks(options.durationMs, options.precision);
    this.diskGuard = new DiskSpaceGuard(dir, mode.log);
  }

  static async open(dir: string, options: VnodeOptions, mode: StoreMode = {}): Promise<LocalVnodeStore> {
    checkOptions(options);
    fs.mkdirSync(`${dir}/data`, { recursive: true });
    const manifest = readManifest(dir) ?? {
      flushedIndex: 0,
      nextFileSeq: 1,
      files: [],
      meta: { nextUid: 1, tables: [] },
    };
    const wal = Wal.open(`${dir}/wal`, { segmentBytes: Limits.walSegmentBytes });
    const s = new LocalVnodeStore(dir, options, wal, manifest, mode);
    try {
      s.recover(manifest);
    } catch (e) {
      s.files.closeAll();
      await wal.close().catch(() => undefined);
      throw e;
    }
    if (options.walLevel === 1) {
      s.fsyncTimer = setInterval(
        () => {
          if (s.wal.hasUnsynced())
            s.wal.sync().catch((e: unknown) => {
              s.fatal = e;
            });
        },
        Math.max(1, options.walFsyncPeriodMs),
      );
      s.fsyncTimer.unref();
    }
    return s;
  }

  private recover(manifest: Manifest): void {
    const { dir, wal, mode } = this;
    this.meta.restore(manifest.meta);
    this.files.load(manifest.files);
    this.appliedIdx = manifest.flushedIndex;
    if (wal.lastIndex() < manifest.flushedIndex) wal.reset(manifest.flushedIndex + 1);
    if (wal.firstIndex() > manifest.flushedIndex + 1) {
      throw new BasaltError(
        'WAL_CORRUPT',
        `the WAL in ${dir}/wal starts at index ${wal.firstIndex()} but the files hold entries only up to ${manifest.flushedIndex}; entries are missing`,
      );
    }
    // Replay what the files do not hold yet, in bounded slices (a Raft owner replays itself,
    // only up to its commit index).
    const slice = Limits.walReplaySliceEntries;
    for (let lo = manifest.flushedIndex + 1; !mode.externalLog && lo <= wal.lastIndex(); lo += slice) {
      for (const e of wal.entries(lo, Math.min(lo + slice, wal.lastIndex() + 1))) {
        try {
          this.applyLogged(e.index, e.data);
        } catch (err) {
          // A deterministic rejection (the entry was refused when first applied too) changes nothing.
          if (!(err instanceof BasaltError) || err.errorName === 'WAL_CORRUPT') throw err;
        }
      }
    }
  }

  appliedIndex(): number {
    return this.appliedIdx;
  }
  flushedIndex(): number {
    return this.manifest.flushedIndex;
  }

  // ---------------------------------------------------------------- meta

  // createSuperTable … setTag come from MetaMutations; metaOp below logs and applies them.

  getTable(name: string): TableInfo | undefined {
    const t = this.meta.get(name);
    return t ? this.meta.info(t) : undefined;
  }

  listTables(filter?: { stable?: string; kind?: TableKind }): TableInfo[] {
    return this.meta.listInfos(filter);
  }

  childTablesWithTag(stable: string, tagName: string, values: readonly TagValue[]): string[] {
    return this.meta.childTablesWithTag(stable, tagName, values);
  }

  protected override async metaOp(op: MetaOp): Promise<void> {
    this.checkUsable();
    this.checkOwnLog();
    // A drop is let through on a full disk: it is how an operator makes room.
    if (op.op !== 'drop') this.diskGuard.check();
    this.meta.check(op);
    this.applyLogged(this.log(encodeMetaPayload(op)), null, op);
    await this.durable();
  }

  // ---------------------------------------------------------------- writes

  async write(batch: WriteBatch): Promise<void> {
    this.checkUsable();
    this.checkOwnLog();
    // Backpressure: while a flush runs and the new memtable is full too, wait for it.
    while (this.flushing && this.memBytes >= this.options.bufferBytes) await this.flushing;
    this.checkUsable();
    this.checkWrite(batch);
    this.diskGuard.check();
    // A flush waiting for disk space holds the frozen rows: the memtable may not grow past
    // its budget meanwhile, or memory would take what the disk cannot.
    this.checkFlushBacklog();
    const atMs = Date.now();
    const index = this.log(encodeWritePayload(batch, atMs));
    this.applyWriteBatch(batch, atMs);
    this.appliedIdx = index;
    this.maybeFlush();
    await this.durable();
  }

  /**
   * Applies a logged entry (standalone: our own; Raft: a committed one). Checks first, so a
   * refused entry changes nothing and throws its BasaltError. Entries must come in index order.
   */
  applyLogged(index: number, payload: Uint8Array | null, decodedOp?: MetaOp): void {
    assert(index > this.appliedIdx, `apply index ${index} after ${this.appliedIdx}`);
    try {
      if (decodedOp) {
        this.applyMeta(decodedOp);
      } else {
        // The rows are copied into the memtable right away; the entry bytes are never reused,
        // and nothing keeps the decoded columns past this call (the scratch is reset next time).
        this.applyScratch.reset(payload!.length);
        const p = decodePayload(payload!, { alias: true, scratch: this.applyScratch });
        if (p.kind === 'meta') this.applyMeta(p.op);
        else {
          this.checkWrite(p.batch);
          this.applyWriteBatch(p.batch, p.atMs);
        }
      }
    } catch (e) {
      // A refused entry is applied as a no-op (every replica refuses it the same way).
      if (e instanceof BasaltError && e.errorName !== 'WAL_CORRUPT') this.appliedIdx = index;
      throw e;
    }
    this.appliedIdx = index;
  }

  private log(payload: Uint8Array): number {
    const index = this.wal.lastIndex() + 1;
    try {
      this.wal.append([{ index, term: 0, data: payload }]);
    } catch (e) {
      // The WAL cut the failed append back: nothing was logged or applied.
      if (isDiskFull(e)) this.diskGuard.noteFull(e);
      throw e;
    }
    return index;
  }

  private async durable(): Promise<void> {
    if (this.options.walLevel === 2) await this.wal.sync();
  }

  private applyMeta(op: MetaOp): void {
    const gone = this.meta.apply(op);
    for (const uid of gone) {
      this.dropBuffer(uid);
      this.lastRows.delete(uid);
    }
    if (op.op === 'addColumn' || op.op === 'dropColumn') {
      // Buffers of the super/normal table and all its children follow the schema change.
      const t = this.meta.get(op.table)!;
      const uids = t.kind === 'super' ? this.meta.childNames(t.name).map((c) => this.meta.get(c)!.uid) : [t.uid];
      const cols = t.columns;
      for (const uid of uids) {
        this.lastRows.delete(uid);
        const b = this.mem.get(uid);
        if (!b) continue;
        if (op.op === 'addColumn') {
          const c = cols[cols.length - 1]!;
          this.memBytes -= b.bytes;
          b.addColumn(c.colId, c.type);
          this.memBytes += b.bytes;
        } else {
          for (const id of b.colIds()) if (!cols.some((c) => c.colId === id)) b.dropColumn(id);
        }
      }
    }
  }

  private dropBuffer(uid: number): void {
    const b = this.mem.get(uid);
    if (b) {
      this.memBytes -= b.bytes;
      this.mem.delete(uid);
    }
  }

  /** Throws the error a write would cause, changing nothing. */
  private checkWrite(batch: WriteBatch): CheckedRows[] {
    const creating = new Map<string, ChildTableDef>();
    for (const c of batch.createTables ?? []) {
      if (this.meta.get(c.name) || creating.has(c.name)) continue;
      this.meta.check({ op: 'createChild', def: c, atMs: 0 });
      creating.set(c.name, c);
    }
    const out: CheckedRows[] = [];
    for (const r of batch.rows) {
      let entry = this.meta.get(r.table);
      let schema: ColDef[];
      if (!entry) {
        const c = creating.get(r.table);
        if (!c)
          throw new BasaltError(
            'TABLE_NOT_EXIST',
            `table '${r.table}' does not exist; create it first or pass it in createTables`,
          );
        schema = this.meta.get(c.stable)!.columns;
      } else {
        entry = this.meta.dataTable(r.table);
        schema = this.meta.columnsOf(entry);
      }
      checkBlock(r.table, schema, r.block);
      out.push({ entry: entry!, schema, block: r.block });
    }
    return out;
  }

  private applyWriteBatch(batch: WriteBatch, atMs: number): void {
    for (const c of batch.createTables ?? []) {
      if (this.meta.get(c.name)) continue;
      this.meta.apply({ op: 'createChild', def: c, atMs });
      this.lastRows.set(this.meta.get(c.name)!.uid, null);
    }
    for (const r of batch.rows) {
      const t = this.meta.dataTable(r.table);
      const schema = this.meta.columnsOf(t);
      let b = this.mem.get(t.uid);
      if (!b) {
        b = new TableBuffer(
          t.uid,
          schema,
          Math.min(Math.max(Limits.tableBufferInitialRowsMin, r.block.numRows), Limits.tableBufferInitialRowsMax),
        );
        this.mem.set(t.uid, b);
        this.memBytes += b.bytes;
      }
      const ts = r.block.columns[0]!.data as Float64Array;
      this.memBytes += b.append(ts, r.block.columns, r.block.numRows);
      this.updateLastRow(t.uid, r.block, b.lastAppendMaxAt);
    }
  }

  /** best: the block's row with the greatest timestamp (the last one on ties). */
  private updateLastRow(uid: number, block: ColumnBlock, best: number): void {
    if (!this.lastRows.has(uid)) return; // unknown: computed on demand from all sources
    const cur = this.lastRows.get(uid);
    const ts = block.columns[0]!.data as Float64Array;
    if (cur && ts[best]! < cur.ts) return;
    const row: ColumnBlock = {
      numRows: 1,
      columns: block.columns.map((c) => copyRow(c, best)),
    };
    this.lastRows.set(uid, { ts: ts[best]!, row });
  }

  // ---------------------------------------------------------------- reads

  private ctx(): ReadContext {
    return { meta: this.meta, mem: this.mem, imm: this.imm, files: this.files, maxRows: this.options.maxRows };
  }

  scan(table: string, range: TimeRange, columnIndexes: readonly number[]): Iterable<ColumnBlock> {
    this.checkUsable();
    return scanTable(this.ctx(), table, range, columnIndexes);
  }

  aggregate(table: string, range: TimeRange, columnIndexes: readonly number[]): RangeAggregate {
    this.checkUsable();
    return aggregateTable(this.ctx(), table, range, columnIndexes);
  }

  lastRow(table: string): ColumnBlock | undefined {
    this.checkUsable();
    const t = this.meta.dataTable(table);
    let c = this.lastRows.get(t.uid);
    if (c === undefined) {
      const row = lastRowOf(this.ctx(), t);
      c = row ? { ts: (row.columns[0]!.data as Float64Array)[0]!, row } : null;
      this.lastRows.set(t.uid, c);
    }
    return c?.row;
  }

  // ---------------------------------------------------------------- maintenance

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.lock.then(fn, fn);
    this.lock = run.catch(() => undefined);
    return run;
  }

  private maybeFlush(): void {
    if (this.flushing || this.flushRetryTimer || this.closed || this.fatal) return;
    if (this.memBytes < this.options.bufferBytes && !this.flushDiskFull) return;
    const f = this.exclusive(() => this.flushNow());
    this.flushing = f
      .catch((e: unknown) => {
        // A full disk is retried by flushNow's timer; anything else stops the store.
        if (!isDiskFull(e)) this.fatal = e;
      })
      .finally(() => {
        this.flushing = null;
        this.maybeFlush();
      });
  }

  async flush(): Promise<void> {
    this.checkUsable();
    if (this.flushing) await this.flushing;
    await this.exclusive(() => this.flushNow());
    this.checkUsable();
  }

  private async flushNow(): Promise<void> {
    if (this.flushDiskFull) {
      // Fail fast between retries: each attempt writes (and removes) the whole file set.
      if (Date.now() - this.flushDiskFull.atMs < Limits.diskFullRetryMs) throw this.flushDiskFull.err;
      await this.writeImm();
    }
    if (this.mem.size === 0 && this.appliedIdx === this.manifest.flushedIndex) return;
    this.imm = this.mem;
    this.mem = new Map();
    this.memBytes = 0;
    this.immIndex = this.appliedIdx;
    this.immMeta = this.meta.snapshot();
    await this.writeImm();
  }

  /** Writes the frozen memtable `imm` as data files and a new manifest, then drops it. */
  private async writeImm(): Promise<void> {
    const imm = this.imm;
    const metaSnap = this.immMeta;
    assert(imm !== null && metaSnap !== null, 'a frozen memtable to write');
    const flushIndex = this.immIndex;
    const writers = new Map<number, { w: DataFileWriter; name: string; seq: number }>();
    let seq = this.manifest.nextFileSeq;
    const dataDir = `${this.dir}/data`;
    try {
      let sinceYield = 0;
      for (const uid of [...imm.keys()].sort((a, b) => a - b)) {
        const b = imm.get(uid)!;
        b.normalize();
        if (b.rows === 0) continue;
        const colIds = [b.tsColId, ...b.colIds()];
        const vectors = colIds.map((id, i) =>
          b.vector(id, i === 0 ? DataType.TIMESTAMP : b.cols[i - 1]!.type, 0, b.rows),
        );
        let s = 0;
        while (s < b.rows) {
          const fid = Math.floor(b.ts[s]! / this.durationTicks);
          const fidEnd = b.lowerBound((fid + 1) * this.durationTicks);
          let wr = writers.get(fid);
          if (!wr) {
            const name = `f${fid}-${seq}.dat`;
            wr = { w: new DataFileWriter(`${dataDir}/${name}`), name, seq: seq++ };
            writers.set(fid, wr);
          }
          for (let a = s; a < fidEnd; a += this.options.maxRows)
            wr.w.addBlock(uid, colIds, vectors, a, Math.min(fidEnd, a + this.options.maxRows));
          s = fidEnd;
        }
        sinceYield += b.rows;
        if (sinceYield >= Limits.flushYieldRows) {
          sinceYield = 0;
          await new Promise<void>((r) => setImmediate(r));
        }
      }
      const added = [...writers.entries()].map(([fid, wr]) => ({
        name: wr.name,
        fid,
        seq: wr.seq,
        bytes: wr.w.finish(),
      }));
      if (added.length > 0) fsyncDir(dataDir);
      const next: Manifest = {
        flushedIndex: flushIndex,
        nextFileSeq: seq,
        files: [...this.manifest.files, ...added],
        meta: metaSnap,
      };
      assertManifestSuccessor(this.manifest, next);
      writeManifest(this.dir, next);
      this.manifest = next;
      this.files.add(added);
    } catch (e) {
      // abort() removes the files this attempt wrote, so a retry finds their space again.
      for (const wr of writers.values()) wr.w.abort();
      throw this.flushFailed(e);
    }
    this.imm = null;
    this.immMeta = null;
    if (this.flushDiskFull) {
      this.flushDiskFull = null;
      this.mode.log?.('info', `vnode store ${this.dir}: flush succeeded again, the disk has room`);
    }
    if (this.mode.externalLog) return;
    try {
      this.wal.compactBefore(flushIndex + 1);
    } catch (e) {
      // The flush is done; the covered segments go with the next one.
      if (!isDiskFull(e)) throw e;
    }
  }

  /** What a failed flush throws: DISK_FULL keeps `imm` for a retry; anything else stops the store. */
  private flushFailed(e: unknown): unknown {
    if (isDiskFull(e)) {
      // The frozen rows stay in `imm` (readable, and in the WAL): tried again shortly.
      const err = e instanceof BasaltError ? e : diskFullError(this.dir, String(e));
      if (!this.flushDiskFull)
        this.mode.log?.(
          'error',
          `vnode store ${this.dir}: flush postponed, retrying every ${Limits.diskFullRetryMs} ms: ${err.message}`,
        );
      this.flushDiskFull = { atMs: Date.now(), err };
      this.armFlushRetry();
      return err;
    }
    // The frozen rows are only in the WAL now: stop, so that a reopen replays them.
    this.imm = null;
    this.fatal = e;
    return e;
  }

  /**
   * Throws DISK_FULL while a flush waits for disk space and the memtable has reached its
   * budget: memory must not take what the disk cannot (a Raft vnode asks before proposing).
   */
  checkFlushBacklog(): void {
    if (this.flushDiskFull && this.memBytes >= this.options.bufferBytes) throw this.flushDiskFull.err;
  }

  private armFlushRetry(): void {
    if (this.flushRetryTimer || this.closed) return;
    this.flushRetryTimer = setTimeout(() => {
      this.flushRetryTimer = null;
      this.maybeFlush();
    }, Limits.diskFullRetryMs);
    this.flushRetryTimer.unref();
  }

  async compact(): Promise<void> {
    this.checkUsable();
    await this.exclusive(async () => {
      const r = await compactFileSets(this.files, this.meta, this.manifest, `${this.dir}/data`, this.options);
      if (!r) return;
      const next: Manifest = { ...this.manifest, nextFileSeq: r.nextFileSeq, files: r.files };
      assertManifestSuccessor(this.manifest, next);
      writeManifest(this.dir, next);
      this.manifest = next;
      this.files.replace(r.removed, r.added);
    });
  }

  async applyRetention(nowMs: number): Promise<void> {
    this.checkUsable();
    await this.exclusive(async () => {
      const cutoff = msToTicks(nowMs - this.options.keepMs, this.options.precision);
      const dead = this.manifest.files.filter((f) => (f.fid + 1) * this.durationTicks <= cutoff);
      if (dead.length === 0) return;
      const next: Manifest = { ...this.manifest, files: this.manifest.files.filter((f) => !dead.includes(f)) };
      assertManifestSuccessor(this.manifest, next);
      writeManifest(this.dir, next);
      this.manifest = next;
      this.files.replace(
        dead.map((f) => f.name),
        [],
      );
      this.lastRows.clear();
    });
  }

  /**
   * A consistent snapshot (meta + files + memtable, the memtable flushed first) as chunks.
   * Maintenance waits while it streams: iterate it to the end or call return() on it.
   */
  async *snapshot(chunkBytes: number = Limits.vnodeSnapshotChunkBytes): AsyncGenerator<Uint8Array> {
    this.checkUsable();
    let release!: () => void;
    const held = new Promise<void>((r) => {
      release = r;
    });
    let ready!: () => void, failed!: (e: unknown) => void;
    const got = new Promise<void>((r, j) => {
      ready = r;
      failed = j;
    });
    void this.exclusive(async () => {
      try {
        await this.flushNow();
      } catch (e) {
        failed(e);
        return;
      }
      ready();
      await held;
    });
    await got;
    try {
      const idx = this.manifest.flushedIndex;
      let term = 0;
      if (idx >= this.wal.firstIndex() && idx <= this.wal.lastIndex()) term = this.wal.term(idx);
      yield* snapshotStream(this.manifest, term, `${this.dir}/data`, chunkBytes);
    } finally {
      release();
    }
  }

  stats(): { diskBytes: number; memtableBytes: number; rows: number; tables: number } {
    let rows = this.files.totalRows();
    for (const b of this.mem.values()) rows += b.rows;
    if (this.imm) for (const b of this.imm.values()) rows += b.rows;
    let tables = 0;
    for (const t of this.meta.allTables()) if (t.kind !== 'super') tables++;
    return { diskBytes: dirBytes(this.dir), memtableBytes: this.memBytes, rows, tables };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    if (this.flushing) await this.flushing;
    await this.lock;
    this.closed = true;
    if (this.fsyncTimer) clearInterval(this.fsyncTimer);
    if (this.flushRetryTimer) clearTimeout(this.flushRetryTimer);
    await this.wal.close();
    this.files.closeAll();
  }

  private checkOwnLog(): void {
    if (this.mode.externalLog)
      throw new BasaltError(
        'NOT_SUPPORTED',
        `vnode store ${this.dir} is driven by its log owner (Raft); propose the change there and apply committed entries with applyLogged`,
      );
  }

  private checkUsable(): void {
    if (this.closed) throw new BasaltError('SHUTTING_DOWN', `vnode store ${this.dir} is closed`);
    if (this.fatal)
      throw this.fatal instanceof BasaltError
        ? this.fatal
        : new BasaltError(
            'INTERNAL',
            `vnode store ${this.dir} stopped after an error: ${String(this.fatal)}; reopen it to recover`,
          );
  }
}

function copyRow(c: ColumnVector, i: number): ColumnVector {
  const nulls = c.nulls ? Uint8Array.of(c.nulls[i]!) : null;
  if (Array.isArray(c.data)) return { type: c.type, data: [c.data[i]!], nulls };
  const d = c.data as Float64Array;
  const out = new (d.constructor as Float64ArrayConstructor)(1);
  out[0] = d[i]!;
  return { type: c.type, data: out, nulls };
}
