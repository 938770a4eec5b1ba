// Timestamp strings in inserts and tags: 'YYYY-MM-DD[ |T]HH:MM:SS[.fraction][Z|±HH:MM]' or
// 'YYYY-MM-DD'. Without a zone the local time zone applies (as TDengine's client does).
// Fractions keep up to 9 digits so us/ns databases lose nothing.
import type { Precision } from '../common/types.js';

const RE =
  /^\s*(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T](\d{1,2}):(\d{1,2})(?::(\d{1,2})(?:\.(\d{1,9}))?)?)?\s*(Z|[+-]\d{2}:?\d{2})?\s*$/i;

/** Ticks of `precision` for a timestamp string, or null when it is not one. */
export function parseTimestampString(text: string, precision: Precision): number | null {
  const m = RE.exec(text);
  if (!m) return null;
  const [y, mo, d, h, mi, s] = [1, 2, 3, 4, 5, 6].map((i) => Number(m[i] ?? 0)) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 59) return null;
  let ms: number;
  const zone = m[8];
  if (zone === undefined) {
    const dt = new Date(y, mo - 1, d, h, mi, s, 0);
    if (dt.getDate() !== d) return null; // 2023-02-30 rolls over: not a date
    ms = dt.getTime();
  } else {
    ms = Date.UTC(y, mo - 1, d, h, mi, s, 0);
    if (new Date(ms).getUTCDate() !== d) return null;
    if (zone.toUpperCase() !== 'Z') {
      const sign = zone[0] === '-' ? -1 : 1;
      const digits = zone.slice(1).replace(':', '');
      ms -= sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4))) * 60_000;
    }
  }
  const frac = (m[7] ?? '').padEnd(9, '0'); // nanoseconds as 9 digits
  const perTickDigits = precision === 'ms' ? 3 : precision === 'us' ? 6 : 9;
  const fracTicks = Number(frac.slice(0, perTickDigits) || '0');
  const secTicks = precision === 'ms' ? ms : precision === 'us' ? ms * 1e3 : ms * 1e6;
  return secTicks + fracTicks;
}
