// The memtable's rows of one table: one growable typed array per column (by colId), rows in
// arrival order until `normalize` sorts them by timestamp and keeps the latest write of a
// repeated timestamp. Appends of ascending data (the common case) keep it sorted for free.
import { allocData, allocDataUnfilled, type ColumnData, type ColumnVector, type NumberArray } from '../common/block.js';
import { DataType, TYPE_BYTES, isStringType } from '../common/types.js';

interface Col {
  readonly colId: number;
  readonly type: DataType;
  data: ColumnData;
  /** Allocated lazily at the first null. */
  nulls: Uint8Array | null;
}

const STRING_OVERHEAD_BYTES = 16;

export class TableBuffer {
  ts: Float64Array;
  cols: Col[];
  rows = 0;
  sorted = true;
  /** Approximate memory held, counted by the memtable against its limit. */
  bytes = 0;
  minTs = Infinity;
  maxTs = -Infinity;

  readonly tsColId: number;
  /** Row (in the last append's input) with its greatest timestamp, the last such row on ties. */
  lastAppendMaxAt = 0;

  constructor(
    readonly uid: number,
    schema: ReadonlyArray<{ colId: number; type: DataType }>,
    capacityRows = 64,
  ) {
    this.tsColId = schema[0]!.colId;
    // Rows past `rows` are never read: no zero fill.
    this.ts = allocDataUnfilled(DataType.TIMESTAMP, capacityRows) as Float64Array;
    // schema[0] is the timestamp; its data lives in `ts`.
    this.cols = schema
      .slice(1)
      .map((c) => ({ colId: c.colId, type: c.type, data: allocDataUnfilled(c.type, capacityRows), nulls: null }));
    this.bytes = this.capacityBytes(capacityRows);
  }

  private capacityBytes(cap: number): number {
    let b = cap * 8;
    for (const c of this.cols) b += cap * (isStringType(c.type) ? 8 : TYPE_BYTES[c.type]);
    return b;
  }

  colIds(): number[] {
    return this.cols.map((c) => c.colId);
  }

  /** Appends rows: `vectors[i]` holds the data of colIds[i] (vectors[0] = timestamps). */
  append(ts: Float64Array, vectors: readonly ColumnVector[], n: number): number {
    const before = this.bytes;
    this.reserve(this.rows + n);
    const at = this.rows;
    // One pass over the timestamps: order, range, and where the latest one is.
    let sorted = this.sorted,
      prev = at > 0 ? this.ts[at - 1]! : -Infinity;
    let minTs = this.minTs,
      maxTs = -Infinity,
      maxAt = 0;
    for (let i = 0; i < n; i++) {
      const t = ts[i]!;
      if (!(t > prev)) sorted = false;
      prev = t;
      if (t < minTs) minTs = t;
      if (t >= maxTs) {
        maxTs = t;
        maxAt = i;
      }
    }
    this.sorted = sorted;
    this.minTs = minTs;
    if (maxTs > this.maxTs) this.maxTs = maxTs;
    this.lastAppendMaxAt = maxAt;
    this.ts.set(ts.subarray(0, n), at);
    for (let ci = 0; ci < this.cols.length; ci++) {
      const c = this.cols[ci]!;
      const v = vectors[ci + 1]!;
      if (isStringType(c.type)) {
        const dst = c.data as string[],
          src = v.data as string[];
        for (let i = 0; i < n; i++) {
          dst[at + i] = src[i]!;
          this.bytes += src[i]!.length * 2;
        }
        this.bytes += n * STRING_OVERHEAD_BYTES;
      } else {
        (c.data as NumberArray).set((v.data as NumberArray).subarray(0, n), at);
      }
      if (v.nulls) {
        if (!c.nulls) {
          c.nulls = new Uint8Array((c.data as ArrayLike<unknown>).length);
          this.bytes += c.nulls.length;
        }
        c.nulls.set(v.nulls.subarray(0, n), at);
      } else if (c.nulls) c.nulls.fill(0, at, at + n);
    }
    this.rows += n;
    return this.bytes - before;
  }

  private reserve(rows: number): void {
    const cap = this.ts.length;
    if (rows <= cap) return;
    let nc = cap * 2;
    while (nc < rows) nc *= 2;
    const nts = allocDataUnfilled(DataType.TIMESTAMP, nc) as Float64Array;
    nts.set(this.ts.subarray(0, this.rows));
    this.ts = nts;
    for (const c of this.cols) {
      c.data = grow(c.type, c.data, this.rows, nc);
      if (c.nulls) {
        const nn = new Uint8Array(nc);
        nn.set(c.nulls.subarray(0, this.rows));
        this.bytes += nc - c.nulls.length;
        c.nulls = nn;
      }
    }
    this.bytes += this.capacityBytes(nc) - this.capacityBytes(cap);
  }

  /** A new column (add column): existing rows read null. */
  addColumn(colId: number, type: DataType): void {
    const cap = this.ts.length;
    const nulls = new Uint8Array(cap);
    nulls.fill(1, 0, this.rows);
    this.cols.push({ colId, type, data: allocData(type, cap), nulls });
    this.bytes += cap * ((isStringType(type) ? 8 : TYPE_BYTES[type]) + 1);
  }

  dropColumn(colId: number): void {
    this.cols = this.cols.filter((c) => c.colId !== colId);
  }

  /** Sorts by timestamp, a repeated timestamp keeping the last appended row. */
  normalize(): void {
    if (this.sorted) return;
    const n = this.rows;
    const perm = new Uint32Array(n);
    for (let i = 0; i < n; i++) perm[i] = i;
    const ts = this.ts;
    // Ties broken by arrival, so the last write of a timestamp comes last in its run.
    perm.sort((a, b) => ts[a]! - ts[b]! || a - b);
    let m = 0;
    for (let k = 0; k < n; k++) {
      if (k + 1 < n && ts[perm[k + 1]!] === ts[perm[k]!]) continue;
      perm[m++] = perm[k]!;
    }
    const nts = new Float64Array(this.ts.length);
    for (let k = 0; k < m; k++) nts[k] = ts[perm[k]!]!;
    this.ts = nts;
    for (const c of this.cols) {
      const d = allocData(c.type, c.data.length);
      const src = c.data as NumberArray,
        dst = d as NumberArray;
      for (let k = 0; k < m; k++) dst[k] = src[perm[k]!]!;
      c.data = d;
      if (c.nulls) {
        const nn = new Uint8Array(c.nulls.length);
        for (let k = 0; k < m; k++) nn[k] = c.nulls[perm[k]!]!;
        c.nulls = nn;
      }
    }
    this.rows = m;
    this.sorted = true;
  }

  /** Index of the first row with ts >= t (after normalize). */
  lowerBound(t: number): number {
    let lo = 0,
      hi = this.rows;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.ts[mid]! < t) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Index of the first row with ts > t (after normalize). */
  upperBound(t: number): number {
    let lo = 0,
      hi = this.rows;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.ts[mid]! <= t) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Rows [s, e) of column colId as a vector (views, not copies); null vector if the buffer lacks it. */
  vector(colId: number, type: DataType, s: number, e: number): ColumnVector {
    if (colId === this.tsColId) return { type, data: this.ts.subarray(s, e), nulls: null };
    const c = this.cols.find((x) => x.colId === colId);
    if (!c) return nullVector(type, e - s);
    const data = isStringType(c.type) ? (c.data as string[]).slice(s, e) : (c.data as NumberArray).subarray(s, e);
    return { type: c.type, data, nulls: c.nulls ? c.nulls.subarray(s, e) : null };
  }
}

export function nullVector(type: DataType, n: number): ColumnVector {
  return { type, data: allocData(type, n), nulls: new Uint8Array(n).fill(1) };
}

function grow(type: DataType, d: ColumnData, rows: number, cap: number): ColumnData {
  if (Array.isArray(d)) {
    const a = d.slice(0, rows);
    a.length = cap;
    a.fill('', rows);
    return a;
  }
  const nd = allocDataUnfilled(type, cap) as NumberArray;
  nd.set((d as NumberArray).subarray(0, rows));
  return nd;
}
