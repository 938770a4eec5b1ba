// Durations and timestamps: `10d`, `1h`, `30m`, `5s`, `100a` (ms), `10u`, `10b` (ns), and
// conversions between precisions. Durations are returned in milliseconds unless named.
import { BasaltError } from './errors.js';
import type { Precision } from './types.js';

const UNIT_MS: Record<string, number> = {
  b: 1e-6,
  u: 1e-3,
  a: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/** Parses `10d`, `2h`, `30m`, `15s`, `100a`; plain integers are in `defaultUnit`. */
export function parseDurationMs(text: string, defaultUnit = 'd'): number {
  const m = /^\s*(\d+)\s*([bguasmhdwny]?)\s*$/i.exec(text);
  if (!m) throw new BasaltError('INVALID_OPTION', `'${text}' is not a duration; write it like 10d, 12h, 30m or 15s`);
  const unit = (m[2] || defaultUnit).toLowerCase();
  const per = UNIT_MS[unit];
  if (per === undefined)
    throw new BasaltError(
      'INVALID_OPTION',
      `unknown duration unit '${unit}' in '${text}'; use b, u, a, s, m, h, d or w`,
    );
  return Number(m[1]) * per;
}

export function msToTicks(ms: number, precision: Precision): number {
  return precision === 'ms' ? ms : precision === 'us' ? ms * 1e3 : ms * 1e6;
}

/** The current time in ticks of a precision (exact for ms/us; ns loses sub-µs digits of the clock only). */
export function nowTicks(precision: Precision, nowMs = Date.now()): number {
  return msToTicks(nowMs, precision);
}

/** RFC 3339 UTC with fractional seconds, trailing zeros trimmed (TDengine REST format). */
export function ticksToRfc3339(ticks: number, precision: Precision): string {
  const perSec = precision === 'ms' ? 1e3 : precision === 'us' ? 1e6 : 1e9;
  const digits = precision === 'ms' ? 3 : precision === 'us' ? 6 : 9;
  const sec = Math.floor(ticks / perSec);
  const frac = ticks - sec * perSec;
  const base = new Date(sec * 1000).toISOString().slice(0, 19);
  if (frac === 0) return base + 'Z';
  const f = String(frac).padStart(digits, '0').replace(/0+$/, '');
  return `${base}.${f}Z`;
}
