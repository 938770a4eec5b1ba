// Interval window arithmetic in ticks. Windows are aligned to the epoch plus the offset:
// start = ts − ((ts − offset) mod sliding), and a row belongs to every window
// [start, start + interval) that contains it (several when sliding < interval).
import type { WindowSpec } from './ir.js';

/** The latest window start at or before ts. */
export function windowStartOf(ts: number, w: WindowSpec): number {
  const r = (ts - w.offset) % w.sliding;
  return ts - (r < 0 ? r + w.sliding : r);
}

/** The earliest window start whose window still contains ts. */
export function firstWindowContaining(ts: number, w: WindowSpec): number {
  let s = windowStartOf(ts, w);
  while (s - w.sliding + w.interval > ts) s -= w.sliding;
  return s;
}

/** First index in sorted ts[from, to) with ts[i] >= x. */
export function lowerBound(ts: Float64Array, x: number, from: number, to: number): number {
  let lo = from, hi = to;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ts[mid]! < x) lo = mid + 1; else hi = mid;
  }
  return lo;
}
