// Table routing: a table lives in the vgroup whose inclusive hash range holds hash32(name).
import { assert } from './assert.js';
import { hash32 } from './hash.js';

export interface HashRange {
  readonly hashBegin: number;
  readonly hashEnd: number;
}

/** The index in `ranges` (sorted, contiguous, covering [0, 2^32)) of the vgroup owning `table`. */
export function vgroupIndexForTable<T extends HashRange>(ranges: readonly T[], table: string): number {
  const h = hash32(table);
  let lo = 0;
  let hi = ranges.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const r = ranges[mid]!;
    if (h < r.hashBegin) hi = mid - 1;
    else if (h > r.hashEnd) lo = mid + 1;
    else return mid;
  }
  assert(false, `no vgroup range holds hash ${h} of table '${table}'`);
}
