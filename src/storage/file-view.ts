// The open data files of a vnode and, per table, their blocks ordered by time: what reads
// and compaction see. Files removed by compaction or retention are unlinked at once but their
// descriptors stay open a while, so a scan already under way can finish reading them.
import * as fs from 'node:fs';
import { assert } from '../common/assert.js';
import { Limits } from '../common/limits.js';
import { ChunkCache } from './chunk-cache.js';
import { DataFileReader, type BlockMeta } from './data-file.js';
import type { ManifestFile } from './manifest.js';
import { emptyStats, mergeStats, type ColStats } from './stats.js';

/** All file blocks of one table folded together, so whole-table aggregates touch no block. */
export interface TableSummary {
  readonly rows: number;
  readonly minTs: number;
  readonly maxTs: number;
  /** No two blocks share a timestamp range: rows add up without de-duplication. */
  readonly disjoint: boolean;
  /** colId -> statistics; the timestamp column's colId is included. */
  readonly cols: Map<number, ColStats>;
}

export interface FileHandle extends ManifestFile {
  readonly reader: DataFileReader;
}
export interface BlockRef {
  readonly file: FileHandle;
  readonly b: BlockMeta;
}

export class FileView {
  readonly files = new Map<string, FileHandle>();
  private readonly byTable = new Map<number, BlockRef[]>();
  private readonly summaries = new Map<number, TableSummary>();
  /** Per table: running maximum of maxTs over its time-ordered blocks (monotonic, so searchable). */
  private readonly prefixMax = new Map<number, Float64Array>();
  private readonly retired = new Set<DataFileReader>();
  private rows = 0;

  readonly cache: ChunkCache;

  constructor(
    readonly dataDir: string,
    decodedCacheBytes: number,
  ) {
    this.cache = new ChunkCache(decodedCacheBytes);
  }

  /** Opens the manifest's files; files the manifest does not name (a crash mid-flush) are deleted. */
  load(list: readonly ManifestFile[]): void {
    const keep = new Set(list.map((f) => f.name));
    for (const n of fs.readdirSync(this.dataDir)) if (!keep.has(n)) fs.unlinkSync(`${this.dataDir}/${n}`);
    this.add(list);
  }

  add(list: readonly ManifestFile[]): void {
    const touched = new Set<number>();
    for (const f of list) {
      // Names carry a never-reused sequence number: installing one twice would double its rows.
      assert(!this.files.has(f.name), `data file ${f.name} is already in the view`);
      const h: FileHandle = { ...f, reader: new DataFileReader(`${this.dataDir}/${f.name}`, this.cache) };
      this.files.set(f.name, h);
      for (const b of h.reader.blocks) {
        let refs = this.byTable.get(b.uid);
        if (!refs) {
          refs = [];
          this.byTable.set(b.uid, refs);
        }
        refs.push({ file: h, b });
        touched.add(b.uid);
        this.rows += b.rows;
      }
    }
    for (const uid of touched) {
      this.byTable.get(uid)!.sort((x, y) => x.b.minTs - y.b.minTs || x.file.seq - y.file.seq);
      this.summaries.delete(uid);
      this.prefixMax.delete(uid);
      // Built now (flush / open) rather than by the first whole-table query.
      this.summaryOf(uid);
    }
  }

  summaryOf(uid: number): TableSummary | null {
    let s = this.summaries.get(uid);
    if (s) return s;
    const refs = this.byTable.get(uid);
    if (!refs || refs.length === 0) return null;
    let rows = 0,
      minTs = Infinity,
      maxTs = -Infinity,
      disjoint = true;
    const cols = new Map<number, ColStats>();
    for (let i = 0; i < refs.length; i++) {
      const b = refs[i]!.b;
      if (i > 0 && b.minTs <= maxTs) disjoint = false;
      rows += b.rows;
      if (b.minTs < minTs) minTs = b.minTs;
      if (b.maxTs > maxTs) maxTs = b.maxTs;
      for (const c of b.cols) {
        let acc = cols.get(c.colId);
        if (!acc) {
          acc = emptyStats();
          cols.set(c.colId, acc);
        }
        mergeStats(acc, {
          count: c.count,
          min: c.min,
          max: c.max,
          sum: c.sum,
          firstTs: c.firstTs,
          first: c.first,
          lastTs: c.lastTs,
          last: c.last,
        });
      }
    }
    s = { rows, minTs, maxTs, disjoint, cols };
    this.summaries.set(uid, s);
    return s;
  }

  replace(removed: readonly string[], added: readonly ManifestFile[]): void {
    const gone = new Set(removed);
    const touched = new Set<number>();
    for (const n of removed) {
      const h = this.files.get(n);
      if (!h) continue;
      this.files.delete(n);
      for (const b of h.reader.blocks) {
        touched.add(b.uid);
        this.rows -= b.rows;
      }
      fs.unlinkSync(h.reader.path);
      this.retired.add(h.reader);
      setTimeout(() => {
        if (this.retired.delete(h.reader)) h.reader.close();
      }, Limits.retiredFileCloseDelayMs).unref();
    }
    for (const uid of touched) {
      this.summaries.delete(uid);
      this.prefixMax.delete(uid);
      const refs = this.byTable.get(uid)!.filter((r) => !gone.has(r.file.name));
      if (refs.length > 0) this.byTable.set(uid, refs);
      else this.byTable.delete(uid);
    }
    this.add(added);
  }

  /** Blocks of a table, by min timestamp then file age. */
  blocksOf(uid: number): readonly BlockRef[] {
    return this.byTable.get(uid) ?? [];
  }

  /**
   * Blocks of a table that may hold timestamps in [from, to], found by binary search, so a
   * narrow range over a table with many blocks does not walk all of them.
   */
  blocksIn(uid: number, from: number, to: number): BlockRef[] {
    const refs = this.byTable.get(uid);
    if (!refs) return [];
    let pm = this.prefixMax.get(uid);
    if (!pm) {
      pm = new Float64Array(refs.length);
      let m = -Infinity;
      for (let i = 0; i < refs.length; i++) {
        if (refs[i]!.b.maxTs > m) m = refs[i]!.b.maxTs;
        pm[i] = m;
      }
      this.prefixMax.set(uid, pm);
    }
    // First block whose running max reaches `from`: no earlier block can hold a row >= from.
    let lo = 0,
      hi = refs.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (pm[mid]! < from) lo = mid + 1;
      else hi = mid;
    }
    const out: BlockRef[] = [];
    for (let i = lo; i < refs.length && refs[i]!.b.minTs <= to; i++) if (refs[i]!.b.maxTs >= from) out.push(refs[i]!);
    return out;
  }

  tableUids(): IterableIterator<number> {
    return this.byTable.keys();
  }

  totalRows(): number {
    return this.rows;
  }

  closeAll(): void {
    for (const h of this.files.values()) h.reader.close();
    for (const r of this.retired) r.close();
    this.retired.clear();
  }
}
