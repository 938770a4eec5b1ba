// Reads of one table: gathers the sources that can hold rows in a time range (file blocks,
// the memtable being flushed, the live memtable), then either streams them in time order
// when they do not overlap (the common case: each flush appends newer times) or merges them,
// a repeated timestamp keeping the row of the newest source. Aggregates take block
// statistics for blocks wholly inside the range and decode only the rest.
import { allocData, sliceVector, type ColumnBlock, type ColumnVector, type NumberArray } from '../common/block.js';
import { BasaltError } from '../common/errors.js';
import { Limits } from '../common/limits.js';
import { DataType } from '../common/types.js';
import type { ColumnAggregate, RangeAggregate, TimeRange } from './api.js';
import type { BlockRef, FileView } from './file-view.js';
import type { ColDef, Meta, TableEntry } from './meta.js';
import { computeStats, emptyStats, mergeStats, type ColStats } from './stats.js';
import { nullVector, type TableBuffer } from './table-buffer.js';

export interface ReadContext {
  readonly meta: Meta;
  readonly mem: Map<number, TableBuffer>;
  readonly imm: Map<number, TableBuffer> | null;
  readonly files: FileView;
  readonly maxRows: number;
}

interface Source {
  readonly minTs: number;
  readonly maxTs: number;
  /** Higher = newer; wins a repeated timestamp. */
  readonly rank: number;
  readonly ref?: BlockRef;
  readonly buf?: TableBuffer;
  readonly s: number;
  readonly e: number;
}

interface Rows {
  n: number;
  ts: Float64Array;
  vectors: ColumnVector[];
}

const IMM_RANK = Number.MAX_SAFE_INTEGER - 1;
const MEM_RANK = Number.MAX_SAFE_INTEGER;

function resolveColumns(meta: Meta, t: TableEntry, idx: readonly number[]): { schema: ColDef[]; cols: ColDef[] } {
  const schema = meta.columnsOf(t);
  const cols = idx.map((i) => {
    const c = schema[i];
    if (!Number.isInteger(i) || c === undefined)
      throw new BasaltError(
        'INVALID_COLUMN',
        `table '${t.name}' has no column index ${i} (it has ${schema.length} columns)`,
      );
    return c;
  });
  return { schema, cols };
}

function gather(ctx: ReadContext, uid: number, range: TimeRange): Source[] {
  const out: Source[] = [];
  for (const ref of ctx.files.blocksIn(uid, range.from, range.to)) {
    out.push({ minTs: ref.b.minTs, maxTs: ref.b.maxTs, rank: ref.file.seq, ref, s: 0, e: ref.b.rows });
  }
  const addBuf = (buf: TableBuffer | undefined, rank: number): void => {
    if (!buf || buf.rows === 0) return;
    buf.normalize();
    const s = buf.lowerBound(range.from),
      e = buf.upperBound(range.to);
    if (e > s) out.push({ minTs: buf.ts[s]!, maxTs: buf.ts[e - 1]!, rank, buf, s, e });
  };
  addBuf(ctx.imm?.get(uid), IMM_RANK);
  addBuf(ctx.mem.get(uid), MEM_RANK);
  return out;
}

/** Sorts by time; true when no two sources share a timestamp range. */
function sortDisjoint(src: Source[]): boolean {
  src.sort((a, b) => a.minTs - b.minTs || a.rank - b.rank);
  for (let i = 1; i < src.length; i++) if (src[i]!.minTs <= src[i - 1]!.maxTs) return false;
  return true;
}

function lowerBound(ts: Float64Array, t: number): number {
  let lo = 0,
    hi = ts.length;
  while (lo < hi) {
    const m = (lo + hi) >>> 1;
    if (ts[m]! < t) lo = m + 1;
    else hi = m;
  }
  return lo;
}

/** The rows of one source inside the range, for the given columns. */
function materialize(src: Source, tsColId: number, cols: readonly ColDef[], range: TimeRange): Rows {
  if (src.buf) {
    const b = src.buf;
    return {
      n: src.e - src.s,
      ts: b.ts.subarray(src.s, src.e),
      vectors: cols.map((c) => b.vector(c.colId, c.type, src.s, src.e)),
    };
  }
  const { file, b } = src.ref!;
  const tsv = file.reader.readColumn(b, b.cols[0]!);
  const all = tsv.data as Float64Array;
  const s = range.from <= b.minTs ? 0 : lowerBound(all, range.from);
  const e = range.to >= b.maxTs ? b.rows : lowerBound(all, range.to + 1);
  const ts = all.subarray(s, e);
  const vectors = cols.map((c) => {
    if (c.colId === tsColId) return { type: DataType.TIMESTAMP, data: ts, nulls: null } as ColumnVector;
    const chunk = b.cols.find((x) => x.colId === c.colId);
    if (!chunk) return nullVector(c.type, e - s);
    const v = file.reader.readColumn(b, chunk);
    return s === 0 && e === b.rows ? v : sliceVector(v, s, e);
  });
  return { n: e - s, ts, vectors };
}

/** Merges overlapping sources into one sorted, de-duplicated set of rows. */
function mergeAll(sources: readonly Source[], tsColId: number, cols: readonly ColDef[], range: TimeRange): Rows {
  const parts = sources.map((s) => ({ rank: s.rank, rows: materialize(s, tsColId, cols, range) }));
  let total = 0;
  for (const p of parts) total += p.rows.n;
  const ts = new Float64Array(total),
    rank = new Float64Array(total),
    part = new Uint32Array(total),
    row = new Uint32Array(total);
  let k = 0;
  parts.forEach((p, pi) => {
    for (let i = 0; i < p.rows.n; i++, k++) {
      ts[k] = p.rows.ts[i]!;
      rank[k] = p.rank;
      part[k] = pi;
      row[k] = i;
    }
  });
  const perm = new Uint32Array(total);
  for (let i = 0; i < total; i++) perm[i] = i;
  perm.sort((a, b) => ts[a]! - ts[b]! || rank[a]! - rank[b]! || a - b);
  // Keep the last row of each run of equal timestamps: the newest source's.
  let m = 0;
  for (let i = 0; i < total; i++) {
    if (i + 1 < total && ts[perm[i + 1]!] === ts[perm[i]!]) continue;
    perm[m++] = perm[i]!;
  }
  const outTs = new Float64Array(m);
  for (let i = 0; i < m; i++) outTs[i] = ts[perm[i]!]!;
  const vectors = cols.map((c, ci) => {
    const data = allocData(c.type, m) as NumberArray;
    let nulls: Uint8Array | null = null;
    for (let i = 0; i < m; i++) {
      const q = perm[i]!;
      const v = parts[part[q]!]!.rows.vectors[ci]!;
      const r = row[q]!;
      if (v.nulls && v.nulls[r] === 1) {
        if (!nulls) nulls = new Uint8Array(m);
        nulls[i] = 1;
        continue;
      }
      data[i] = (v.data as NumberArray)[r]!;
    }
    return { type: c.type, data, nulls } as ColumnVector;
  });
  return { n: m, ts: outTs, vectors };
}

/** Splits rows into blocks of at most `max` rows. */
function* chunks(r: Rows, max: number): Generator<ColumnBlock> {
  for (let s = 0; s < r.n; s += max) {
    const e = Math.min(r.n, s + max);
    yield { numRows: e - s, columns: r.vectors.map((v) => (s === 0 && e === r.n ? v : sliceVector(v, s, e))) };
  }
}

export function scanTable(
  ctx: ReadContext,
  table: string,
  range: TimeRange,
  idx: readonly number[],
): Iterable<ColumnBlock> {
  const t = ctx.meta.dataTable(table);
  const { schema, cols } = resolveColumns(ctx.meta, t, idx);
  const sources = gather(ctx, t.uid, range);
  const disjoint = sortDisjoint(sources);
  const tsColId = schema[0]!.colId;
  const max = Math.max(ctx.maxRows, Limits.scanBlockMinRows);
  return (function* (): Generator<ColumnBlock> {
    if (!disjoint) {
      yield* chunks(mergeAll(sources, tsColId, cols, range), max);
      return;
    }
    for (const s of sources) {
      const r = materialize(s, tsColId, cols, range);
      if (r.n > 0) yield* chunks(r, max);
    }
  })();
}

function toAggregate(s: ColStats): ColumnAggregate {
  return {
    count: s.count,
    min: s.min,
    max: s.max,
    sum: s.sum,
    firstTs: s.firstTs,
    first: s.first,
    lastTs: s.lastTs,
    last: s.last,
  };
}

function pick(s: ColStats): ColStats {
  return {
    count: s.count,
    min: s.min,
    max: s.max,
    sum: s.sum,
    firstTs: s.firstTs,
    first: s.first,
    lastTs: s.lastTs,
    last: s.last,
  };
}

/** Memtable rows of a table in range when they all come after `afterTs`, else null. */
function bufferTail(
  buf: TableBuffer | undefined,
  afterTs: number,
  range: TimeRange,
): { buf: TableBuffer; s: number; e: number } | null | 'overlap' {
  if (!buf || buf.rows === 0) return null;
  if (buf.minTs <= afterTs) return 'overlap';
  buf.normalize();
  const s = buf.lowerBound(range.from),
    e = buf.upperBound(range.to);
  return e > s ? { buf, s, e } : null;
}

/** Whole-table fast path: the file part from the table summary, plus the memtable tail. */
function aggregateFromSummary(
  ctx: ReadContext,
  uid: number,
  range: TimeRange,
  cols: readonly ColDef[],
  tsColId: number,
): RangeAggregate | null {
  const sum = ctx.files.summaryOf(uid);
  if (!sum || !sum.disjoint || range.from > sum.minTs || range.to < sum.maxTs) return null;
  const imm = bufferTail(ctx.imm?.get(uid), sum.maxTs, range);
  if (imm === 'overlap') return null;
  const mem = bufferTail(ctx.mem.get(uid), imm ? imm.buf.maxTs : sum.maxTs, range);
  if (mem === 'overlap') return null;
  let rows = sum.rows;
  const acc = cols.map((c) => {
    const s = sum.cols.get(c.colId);
    return s ? pick(s) : emptyStats();
  });
  for (const part of [imm, mem]) {
    if (!part) continue;
    rows += part.e - part.s;
    const ts = part.buf.ts;
    cols.forEach((c, i) => {
      const v = part.buf.vector(c.colId, c.type, 0, part.buf.rows);
      mergeStats(acc[i]!, computeStats(v, ts, part.s, part.e));
    });
  }
  cols.forEach((c, i) => {
    if (c.colId === tsColId) acc[i]!.sum = null;
  });
  return { rows, columns: acc.map(toAggregate) };
}

export function aggregateTable(
  ctx: ReadContext,
  table: string,
  range: TimeRange,
  idx: readonly number[],
): RangeAggregate {
  const t = ctx.meta.dataTable(table);
  const { schema, cols } = resolveColumns(ctx.meta, t, idx);
  const tsColId = schema[0]!.colId;
  const fast = aggregateFromSummary(ctx, t.uid, range, cols, tsColId);
  if (fast) return fast;
  const sources = gather(ctx, t.uid, range);
  const acc = cols.map(() => emptyStats());
  let rows = 0;
  const addRows = (r: Rows): void => {
    rows += r.n;
    cols.forEach((_c, i) => {
      if (r.n > 0) mergeStats(acc[i]!, computeStats(r.vectors[i]!, r.ts, 0, r.n));
    });
  };
  if (!sortDisjoint(sources)) {
    addRows(mergeAll(sources, tsColId, cols, range));
  } else {
    for (const s of sources) {
      const b = s.ref?.b;
      if (b && range.from <= b.minTs && b.maxTs <= range.to) {
        // Wholly inside: statistics only, nothing decoded.
        rows += b.rows;
        for (let i = 0; i < cols.length; i++) {
          const chunk = cols[i]!.colId === tsColId ? b.cols[0]! : b.cols.find((x) => x.colId === cols[i]!.colId);
          if (chunk) mergeStats(acc[i]!, pick(chunk));
        }
      } else addRows(materialize(s, tsColId, cols, range));
    }
  }
  // The timestamp column has no sum.
  cols.forEach((c, i) => {
    if (c.colId === tsColId) acc[i]!.sum = null;
  });
  return { rows, columns: acc.map(toAggregate) };
}

/** The newest row of a table across all sources, or null when it holds none. */
export function lastRowOf(ctx: ReadContext, t: TableEntry): ColumnBlock | null {
  const all = gather(ctx, t.uid, { from: -Infinity, to: Infinity });
  if (all.length === 0) return null;
  let maxTs = -Infinity;
  for (const s of all) if (s.maxTs > maxTs) maxTs = s.maxTs;
  const schema = ctx.meta.columnsOf(t);
  // When the newest row sits at the end of a file block, its values are in the block
  // statistics (a column's last non-null value is at maxTs, or the column is null there).
  let top: Source | null = null;
  for (const s of all) if (s.maxTs === maxTs && (!top || s.rank > top.rank)) top = s;
  if (top?.ref) {
    const b = top.ref.b;
    return {
      numRows: 1,
      columns: schema.map((c, i) => {
        const data = allocData(c.type, 1) as NumberArray;
        if (i === 0) {
          (data as Float64Array)[0] = maxTs;
          return { type: c.type, data, nulls: null };
        }
        const chunk = b.cols.find((x) => x.colId === c.colId);
        if (!chunk || chunk.lastTs !== maxTs) return { type: c.type, data, nulls: Uint8Array.of(1) };
        const v = chunk.last;
        (data as unknown as unknown[])[0] = typeof v === 'boolean' ? (v ? 1 : 0) : v;
        return { type: c.type, data, nulls: null };
      }),
    };
  }
  let last: ColumnBlock | null = null;
  for (const b of scanTable(
    ctx,
    t.name,
    { from: maxTs, to: maxTs },
    schema.map((_, i) => i),
  ))
    last = b;
  if (!last || last.numRows === 0) return null;
  const r = last.numRows - 1;
  return { numRows: 1, columns: last.columns.map((v) => sliceVector(v, r, r + 1)) };
}
