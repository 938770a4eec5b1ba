// Group identity for aggregation: a group is (key values, window start). Each distinct group
// gets a dense id that indexes the accumulators' state arrays.
import { BasaltError } from '../../common/errors.js';
import { Limits } from '../../common/limits.js';
import type { ScalarValue } from './ir.js';

/** A string that is equal for equal key tuples and distinct otherwise (type-tagged). */
export function keyString(vals: readonly ScalarValue[]): string {
  let s = '';
  for (const v of vals) s += keyPart(v);
  return s;
}

export function keyPart(v: ScalarValue): string {
  if (v === null) return '\u0000n';
  switch (typeof v) {
    case 'string':
      return '\u0000s' + v.length + ':' + v;
    case 'bigint':
      return '\u0000i' + v.toString();
    case 'boolean':
      return v ? '\u0000t' : '\u0000f';
    default:
      return Number.isInteger(v) ? '\u0000i' + v : '\u0000d' + v;
  }
}

export class GroupTable {
  readonly keys: ScalarValue[][] = [];
  /** Window start per group (NaN without a window). */
  readonly wstart: number[] = [];
  private readonly map = new Map<string, number>();

  get size(): number {
    return this.keys.length;
  }

  /** The group's id; `keyVals` may be a function so per-row callers build the array only for a new group. */
  id(keyStr: string, keyVals: readonly ScalarValue[] | (() => ScalarValue[]), wstart: number): number {
    const k = Number.isNaN(wstart) ? keyStr : keyStr + '\u0001' + wstart;
    let g = this.map.get(k);
    if (g === undefined) {
      g = this.keys.length;
      if (g >= Limits.maxQueryMaterializedRows) {
        throw new BasaltError(
          'NOT_SUPPORTED',
          `the query produces more than ${Limits.maxQueryMaterializedRows} groups/windows; use a longer interval, fewer group by keys or a narrower time range`,
        );
      }
      this.map.set(k, g);
      this.keys.push(typeof keyVals === 'function' ? keyVals() : keyVals.slice());
      this.wstart.push(wstart);
    }
    return g;
  }
}
