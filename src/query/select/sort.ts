// ORDER BY over result columns: a permutation computed by comparing typed arrays directly,
// then rows gathered in that order. Nulls sort first ascending and last descending unless
// NULLS FIRST/LAST says otherwise.
import type { ColumnVector } from '../../common/block.js';
import { isStringType } from '../../common/types.js';
import type { ScalarValue } from './ir.js';
import type { OrderSpec } from './plan.js';
import { selectVector } from './vec.js';

/** Total order over JS values of one column type (null smallest). */
export function compareValues(a: ScalarValue, b: ScalarValue): number {
  if (a === b) return 0;
  if (a === null) return -1;
  if (b === null) return 1;
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'bigint' && typeof b === 'bigint') return a < b ? -1 : a > b ? 1 : 0;
  const x = Number(a),
    y = Number(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

type Cmp = (i: number, j: number) => number;

function columnComparator(v: ColumnVector, o: OrderSpec): Cmp {
  const d = v.data as ArrayLike<number | bigint | string>,
    nl = v.nulls;
  const dir = o.desc ? -1 : 1;
  const nullSide = o.nullsFirst ? -1 : 1;
  const str = isStringType(v.type);
  return (i, j) => {
    if (nl !== null) {
      const ni = nl[i] === 1,
        nj = nl[j] === 1;
      if (ni || nj) return ni && nj ? 0 : ni ? nullSide : -nullSide;
    }
    const a = d[i]!,
      b = d[j]!;
    if (str) return a < b ? -dir : a > b ? dir : 0;
    return a < b ? -dir : a > b ? dir : 0;
  };
}

/** Row permutation that orders `cols` by `order` (stable). */
export function sortPermutation(
  cols: readonly ColumnVector[],
  order: readonly OrderSpec[],
  numRows: number,
): Int32Array {
  const cmps = order.map((o) => columnComparator(cols[o.col]!, o));
  const idx = new Int32Array(numRows);
  for (let i = 0; i < numRows; i++) idx[i] = i;
  return idx.sort((i, j) => {
    for (const c of cmps) {
      const r = c(i, j);
      if (r !== 0) return r;
    }
    return i - j;
  });
}

/** Rows perm[from..to) of every column. */
export function gatherRows(cols: readonly ColumnVector[], perm: Int32Array, from: number, to: number): ColumnVector[] {
  const sub = perm.subarray(from, to);
  return cols.map((c) => selectVector(c, sub, sub.length));
}
