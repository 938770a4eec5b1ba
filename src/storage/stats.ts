// Per-column statistics of a run of rows: what the block index keeps so that count, min, max,
// sum, first and last over whole blocks need no decoding. The same code summarises memtable
// slices and partly covered blocks, so every path agrees.
import type { ColumnVector, NumberArray } from '../common/block.js';
import { DataType, isBigIntType, isStringType } from '../common/types.js';

export type StatValue = number | bigint | string | null;
export type FirstLast = number | bigint | string | boolean | null;

export interface ColStats {
  count: number;
  min: StatValue;
  max: StatValue;
  sum: number | bigint | null;
  firstTs: number | null;
  first: FirstLast;
  lastTs: number | null;
  last: FirstLast;
}

export function emptyStats(): ColStats {
  return { count: 0, min: null, max: null, sum: null, firstTs: null, first: null, lastTs: null, last: null };
}

/** Stats of rows [s, e) of `v`, whose timestamps are ts[s, e) (ascending). */
export function computeStats(v: ColumnVector, ts: Float64Array, s: number, e: number): ColStats {
  const st = emptyStats();
  const nulls = v.nulls;
  let first = -1,
    last = -1,
    count = 0;
  if (isStringType(v.type)) {
    const d = v.data as string[];
    let min: string | null = null,
      max: string | null = null;
    for (let i = s; i < e; i++) {
      if (nulls && nulls[i] === 1) continue;
      const x = d[i]!;
      if (first < 0) first = i;
      last = i;
      count++;
      if (min === null || x < min) min = x;
      if (max === null || x > max) max = x;
    }
    st.min = min;
    st.max = max;
  } else if (isBigIntType(v.type)) {
    const d = v.data as BigInt64Array | BigUint64Array;
    let min: bigint | null = null,
      max: bigint | null = null,
      sum = 0n;
    for (let i = s; i < e; i++) {
      if (nulls && nulls[i] === 1) continue;
      const x = d[i]!;
      if (first < 0) first = i;
      last = i;
      count++;
      if (min === null || x < min) min = x;
      if (max === null || x > max) max = x;
      sum += x;
    }
    st.min = min;
    st.max = max;
    st.sum = count > 0 ? sum : null;
  } else {
    const d = v.data as NumberArray;
    let min = Infinity,
      max = -Infinity,
      sum = 0,
      nan = false;
    for (let i = s; i < e; i++) {
      if (nulls && nulls[i] === 1) continue;
      const x = d[i]!;
      if (first < 0) first = i;
      last = i;
      count++;
      if (x < min) min = x;
      if (x > max) max = x;
      if (Number.isNaN(x)) nan = true;
      sum += x;
    }
    if (count > 0) {
      // NaN poisons sum; min/max skip it unless every value is NaN.
      st.min = min === Infinity && max === -Infinity && nan ? NaN : min;
      st.max = min === Infinity && max === -Infinity && nan ? NaN : max;
      st.sum = sum;
    }
  }
  st.count = count;
  if (first >= 0) {
    st.firstTs = ts[first]!;
    st.first = valueAt(v, first);
    st.lastTs = ts[last]!;
    st.last = valueAt(v, last);
  }
  return st;
}

function valueAt(v: ColumnVector, i: number): FirstLast {
  if (v.type === DataType.BOOL) return (v.data as Uint8Array)[i] === 1;
  return (v.data as ArrayLike<number | bigint | string>)[i]!;
}

function less(a: StatValue, b: StatValue): boolean {
  return (a as number) < (b as number);
}

/** Folds `b` into `a` (b's rows may lie anywhere in time relative to a's). */
export function mergeStats(a: ColStats, b: ColStats): void {
  if (b.count === 0) return;
  if (a.count === 0) {
    Object.assign(a, b);
    return;
  }
  a.count += b.count;
  if (b.min !== null && (a.min === null || less(b.min, a.min) || Number.isNaN(a.min))) a.min = b.min;
  if (b.max !== null && (a.max === null || less(a.max, b.max) || Number.isNaN(a.max))) a.max = b.max;
  if (a.sum !== null && b.sum !== null)
    a.sum = (typeof a.sum === 'bigint' ? a.sum + (b.sum as bigint) : (a.sum as number) + (b.sum as number)) as
      | number
      | bigint;
  if (b.firstTs! < a.firstTs!) {
    a.firstTs = b.firstTs;
    a.first = b.first;
  }
  if (b.lastTs! >= a.lastTs!) {
    a.lastTs = b.lastTs;
    a.last = b.last;
  }
}
