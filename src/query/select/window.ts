// Interval window arithmetic in ticks. Fixed windows are aligned to the epoch plus the
// offset: start = ts − ((ts − offset) mod sliding), and a row belongs to every window
// [start, start + interval) that contains it (several when sliding < interval). Calendar
// windows (interval(1n) months, interval(1y) years) start on UTC month boundaries, aligned
// to whole multiples of their length in months since 1970, and do not slide.
import type { WindowSpec } from './ir.js';

function monthIndexOf(ticks: number, w: WindowSpec): number {
  const d = new Date(Math.floor(ticks / w.ticksPerMs));
  return d.getUTCFullYear() * 12 + d.getUTCMonth();
}

function ticksOfMonthIndex(idx: number, w: WindowSpec): number {
  return Date.UTC(Math.floor(idx / 12), ((idx % 12) + 12) % 12, 1) * w.ticksPerMs;
}

/** The latest window start at or before ts. */
export function windowStartOf(ts: number, w: WindowSpec): number {
  if (w.months > 0) {
    const idx = monthIndexOf(ts, w);
    return ticksOfMonthIndex(Math.floor(idx / w.months) * w.months, w);
  }
  const r = (ts - w.offset) % w.sliding;
  return ts - (r < 0 ? r + w.sliding : r);
}

/** Exclusive end of the window starting at ws. */
export function windowEnd(ws: number, w: WindowSpec): number {
  return w.months > 0 ? ticksOfMonthIndex(monthIndexOf(ws, w) + w.months, w) : ws + w.interval;
}

/** The start of the window after the one starting at ws. */
export function nextWindowStart(ws: number, w: WindowSpec): number {
  return w.months > 0 ? windowEnd(ws, w) : ws + w.sliding;
}

/** How many window starts lie in [first, last] (both window starts). */
export function windowsBetween(first: number, last: number, w: WindowSpec): number {
  if (w.months > 0) return Math.floor((monthIndexOf(last, w) - monthIndexOf(first, w)) / w.months) + 1;
  return Math.floor((last - first) / w.sliding) + 1;
}

/** How many windows may contain one row (1 unless sliding < interval). */
export function windowsPerRow(w: WindowSpec): number {
  return w.months > 0 ? 1 : Math.ceil(w.interval / w.sliding);
}

/** The earliest window start whose window still contains ts. */
export function firstWindowContaining(ts: number, w: WindowSpec): number {
  let s = windowStartOf(ts, w);
  if (w.months > 0) return s;
  while (s - w.sliding + w.interval > ts) s -= w.sliding;
  return s;
}

/** First index in sorted ts[from, to) with ts[i] >= x. */
export function lowerBound(ts: Float64Array, x: number, from: number, to: number): number {
  let lo = from,
    hi = to;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ts[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
