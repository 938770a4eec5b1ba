// Column vector helpers for the evaluator: conversions between representations, constant
// vectors, selection (compaction by a mask) and a growable builder for result columns.
import { allocData, type BigArray, type ColumnData, type ColumnVector, type NumberArray } from '../../common/block.js';
import { DataType, isBigIntType, isStringType } from '../../common/types.js';
import type { ScalarValue } from './ir.js';

/** Numeric view of any vector as doubles (bigint rounded, bool 0/1, strings parsed, bad strings 0). */
export function toF64(v: ColumnVector): Float64Array {
  if (v.data instanceof Float64Array) return v.data;
  const n = v.data.length;
  const out = new Float64Array(n);
  if (Array.isArray(v.data)) {
    const d = v.data;
    for (let i = 0; i < n; i++) {
      const x = Number(d[i]);
      out[i] = Number.isFinite(x) ? x : 0;
    }
  } else if (isBigIntType(v.type)) {
    const d = v.data as BigArray;
    for (let i = 0; i < n; i++) out[i] = Number(d[i]);
  } else {
    out.set(v.data as NumberArray);
  }
  return out;
}

export function toStrings(v: ColumnVector): string[] {
  if (Array.isArray(v.data)) return v.data;
  const n = v.data.length;
  const out = new Array<string>(n);
  if (v.type === DataType.BOOL) {
    const d = v.data as Uint8Array;
    for (let i = 0; i < n; i++) out[i] = d[i] ? 'true' : 'false';
  } else {
    const d = v.data as ArrayLike<number | bigint>;
    for (let i = 0; i < n; i++) out[i] = String(d[i]);
  }
  return out;
}

/** OR of two null maps (either may be absent). */
export function orNulls(a: Uint8Array | null, b: Uint8Array | null): Uint8Array | null {
  if (a === null) return b;
  if (b === null) return a;
  const out = new Uint8Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! | b[i]!;
  return out;
}

/** A vector of `rows` copies of one value (null gives an all-null vector). */
export function constVector(type: DataType, value: ScalarValue, rows: number): ColumnVector {
  const data = allocData(type, rows);
  if (value === null) return { type, data, nulls: new Uint8Array(rows).fill(1) };
  if (Array.isArray(data)) data.fill(String(value));
  else if (data instanceof BigInt64Array || data instanceof BigUint64Array) data.fill(BigInt(value as number | bigint));
  else (data as NumberArray).fill(typeof value === 'boolean' ? (value ? 1 : 0) : Number(value));
  return { type, data, nulls: null };
}

/** Rows where mask[i] === 1, copied into fresh vectors. */
export function selectVector(v: ColumnVector, idx: Int32Array, count: number): ColumnVector {
  const data = allocData(v.type, count);
  if (Array.isArray(data)) {
    const s = v.data as string[];
    for (let i = 0; i < count; i++) data[i] = s[idx[i]!]!;
  } else {
    const s = v.data as ArrayLike<number | bigint>;
    const d = data as unknown as { [i: number]: number | bigint };
    for (let i = 0; i < count; i++) d[i] = s[idx[i]!]!;
  }
  let nulls: Uint8Array | null = null;
  if (v.nulls !== null) {
    nulls = new Uint8Array(count);
    for (let i = 0; i < count; i++) nulls[i] = v.nulls[idx[i]!]!;
  }
  return { type: v.type, data, nulls };
}

/** Indexes of rows where a BOOL vector is true and not null. */
export function trueRows(v: ColumnVector): { idx: Int32Array; count: number } {
  const d = v.data as Uint8Array,
    nl = v.nulls,
    n = d.length;
  const idx = new Int32Array(n);
  let c = 0;
  for (let i = 0; i < n; i++) if (d[i] === 1 && (nl === null || nl[i] === 0)) idx[c++] = i;
  return { idx, count: c };
}

/** Converts a JS value into a value storable in a vector of `type` (exactness kept for bigints). */
export function coerceValue(type: DataType, value: ScalarValue): ScalarValue {
  if (value === null) return null;
  if (isStringType(type)) return typeof value === 'string' ? value : String(value);
  if (type === DataType.BOOL) return typeof value === 'boolean' ? value : Number(value) !== 0;
  if (isBigIntType(type)) return typeof value === 'bigint' ? value : BigInt(Math.trunc(Number(value)));
  if (typeof value === 'boolean') return value ? 1 : 0;
  return Number(value);
}

/** Growable column for result values produced one at a time (one entry per group, not per scanned row). */
export class VectorBuilder {
  private data: ColumnData;
  private nulls: Uint8Array;
  private n = 0;
  private anyNull = false;
  constructor(
    readonly type: DataType,
    capacity = 16,
  ) {
    this.data = allocData(type, Math.max(1, capacity));
    this.nulls = new Uint8Array(Math.max(1, capacity));
  }
  get length(): number {
    return this.n;
  }
  push(value: ScalarValue): void {
    if (this.n === this.data.length) this.grow();
    if (value === null) {
      this.nulls[this.n] = 1;
      this.anyNull = true;
      this.n++;
      return;
    }
    const v = coerceValue(this.type, value);
    const d = this.data as unknown as { [i: number]: unknown };
    d[this.n++] = typeof v === 'boolean' ? (v ? 1 : 0) : v;
  }
  private grow(): void {
    const cap = this.data.length * 2;
    const next = allocData(this.type, cap);
    if (Array.isArray(next)) {
      const s = this.data as string[];
      for (let i = 0; i < this.n; i++) next[i] = s[i]!;
    } else (next as NumberArray | BigArray).set(this.data as never);
    this.data = next;
    const nn = new Uint8Array(cap);
    nn.set(this.nulls);
    this.nulls = nn;
  }
  finish(): ColumnVector {
    const data = Array.isArray(this.data) ? this.data.slice(0, this.n) : (this.data as NumberArray).slice(0, this.n);
    return { type: this.type, data: data as ColumnData, nulls: this.anyNull ? this.nulls.slice(0, this.n) : null };
  }
}
