// The chaos test's availability measure: for each fault, the longest stretch within the fault
// and its recovery during which no client got an acknowledgement (writes and reads apart), and
// the distribution of those stretches per fault kind.

export interface Gap {
  /** Length of the longest stretch without an acknowledgement, in ms. */
  readonly ms: number;
  /** Where it started, in ms after the window's start. */
  readonly fromMs: number;
}

/** Index of the first element of ascending `xs` that is >= x. */
function lowerBound(xs: readonly number[], x: number): number {
  let lo = 0;
  let hi = xs.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (xs[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * The longest stretch of [fromMs, toMs] holding no time of ascending `at`: the window's ends
 * count as boundaries, so a window without any acknowledgement is one stretch as long as it.
 */
export function longestGap(at: readonly number[], fromMs: number, toMs: number): Gap {
  let prev = fromMs;
  let best: Gap = { ms: 0, fromMs: 0 };
  for (let i = lowerBound(at, fromMs); i < at.length && at[i]! <= toMs; i++) {
    if (at[i]! - prev > best.ms) best = { ms: at[i]! - prev, fromMs: prev - fromMs };
    prev = at[i]!;
  }
  if (toMs - prev > best.ms) best = { ms: toMs - prev, fromMs: prev - fromMs };
  return best;
}

/** The q-quantile (0..1) of xs by the nearest-rank method; NaN when empty. */
export function quantile(xs: readonly number[], q: number): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]!;
}

export interface FaultRecord {
  readonly n: number;
  readonly kind: string;
  readonly dnodeId: number;
  readonly holdMs: number;
  /** Rows acknowledged during the fault and its recovery. */
  readonly rows: number;
  readonly write: Gap;
  readonly read: Gap;
  /** Per writer: the dnode it talked to when the fault began, and rows acknowledged in the window. */
  readonly writers: string;
}

export interface KindSummary {
  readonly kind: string;
  readonly faults: number;
  readonly medianRows: number;
  readonly write: { readonly median: number; readonly p90: number; readonly max: number };
  readonly read: { readonly median: number; readonly p90: number; readonly max: number };
}

function dist(xs: readonly number[]): { median: number; p90: number; max: number } {
  return { median: quantile(xs, 0.5), p90: quantile(xs, 0.9), max: xs.length ? Math.max(...xs) : Number.NaN };
}

export function summarize(records: readonly FaultRecord[], kinds: readonly string[]): KindSummary[] {
  return kinds.map((kind) => {
    const rs = records.filter((r) => r.kind === kind);
    return {
      kind,
      faults: rs.length,
      medianRows: quantile(
        rs.map((r) => r.rows),
        0.5,
      ),
      write: dist(rs.map((r) => r.write.ms)),
      read: dist(rs.map((r) => r.read.ms)),
    };
  });
}

const s = (ms: number): string => (Number.isNaN(ms) ? '-' : (ms / 1000).toFixed(2));

/** The per-kind table (markdown), longest gaps in seconds. */
export function gapTable(sum: readonly KindSummary[]): string[] {
  return [
    '| fault (one dnode at a time) | faults | median rows acked in the window | longest write gap, s: median / p90 / max | longest read gap, s: median / p90 / max |',
    '|---|---|---|---|---|',
    ...sum.map(
      (k) =>
        `| ${k.kind} | ${k.faults} | ${Number.isNaN(k.medianRows) ? '-' : k.medianRows} | ${s(k.write.median)} / ${s(k.write.p90)} / ${s(k.write.max)} | ${s(k.read.median)} / ${s(k.read.p90)} / ${s(k.read.max)} |`,
    ),
  ];
}

/** What breaks the bounds (median, p90 and max of the longest gaps, per kind, writes and reads); empty when none. */
export function overBound(sum: readonly KindSummary[], medianMs: number, p90Ms: number, maxMs: number): string[] {
  const bad: string[] = [];
  for (const k of sum) {
    if (k.faults === 0) continue;
    for (const [what, d] of [
      ['write', k.write],
      ['read', k.read],
    ] as const) {
      if (d.median > medianMs) bad.push(`${k.kind}: ${what} gap median ${s(d.median)} s > ${s(medianMs)} s`);
      if (d.p90 > p90Ms) bad.push(`${k.kind}: ${what} gap p90 ${s(d.p90)} s > ${s(p90Ms)} s`);
      if (d.max > maxMs) bad.push(`${k.kind}: ${what} gap max ${s(d.max)} s > ${s(maxMs)} s`);
    }
  }
  return bad;
}
