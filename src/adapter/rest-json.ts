// TDengine's REST JSON shape, written incrementally block by block:
//   {"code":0,"column_meta":[["ts","TIMESTAMP",8],...],"data":[[...],...],"rows":N}
//   {"code":0,"column_meta":[["affected_rows","INT",4]],"data":[[n]],"rows":1}
//   {"code":9728,"desc":"..."}            (code = Basalt/TDengine code & 0xffff)
// Value encoding (also documented in src/adapter/README.md):
//   TIMESTAMP  RFC 3339 UTC string, fractional seconds with trailing zeros trimmed; with
//              ?tz=<zone> that zone's local time and offset; /rest/sqlt: the integer
//   BIGINT     exact integer literal (as taosAdapter writes Go int64) - JSON allows any
//              length; JavaScript's JSON.parse rounds beyond 2^53, so such clients should
//              use a big-number-aware parser or cast to VARCHAR in SQL.
//   FLOAT      shortest decimal that reads back to the same 32-bit float (10.3, not 10.300000190734863)
//   DOUBLE     shortest round-trip decimal; NaN and ±Infinity (no JSON form) become null
//   BOOL       true / false; VARCHAR/NCHAR JSON strings; NULL null
import type { ColumnBlock, ColumnVector } from '../common/block.js';
import { float32Decimal } from '../common/float32.js';
import { ticksToRfc3339 } from '../common/time.js';
import { DataType, TYPE_NAMES, type Precision } from '../common/types.js';

export interface MetaColumn {
  readonly name: string;
  readonly type: DataType;
  readonly bytes: number;
}

export function restErrorBody(code: number, desc: string): string {
  return JSON.stringify({ code: (code >>> 0) & 0xffff, desc });
}

export function affectedRowsBody(n: number): string {
  return `{"code":0,"column_meta":[["affected_rows","INT",4]],"data":[[${n}]],"rows":1}`;
}

export function queryHead(columns: readonly MetaColumn[]): string {
  const meta = columns.map((c) => [c.name, TYPE_NAMES[c.type] ?? 'UNKNOWN', c.bytes]);
  return `{"code":0,"column_meta":${JSON.stringify(meta)},"data":[`;
}

export function queryTail(rows: number): string {
  return `],"rows":${rows}}`;
}

function float32Text(v: number): string {
  return Number.isFinite(v) ? String(float32Decimal(v)) : 'null';
}

/**
 * How REST writes timestamps: RFC 3339 in UTC (`Z`) or, with `?tz=<IANA zone>`, in that zone
 * with its offset (`+08:00`) as taosAdapter does; or the integer in the database's precision
 * (`/rest/sqlt`).
 */
export type TimestampStyle = { readonly kind: 'rfc3339'; readonly tz: string | null } | { readonly kind: 'epoch' };

export const UTC_RFC3339: TimestampStyle = { kind: 'rfc3339', tz: null };

/** The offset of IANA zone `tz` at an instant, in minutes; throws RangeError for an unknown zone. */
export function zoneOffsetMinutes(tz: string): (ms: number) => number {
  const f = new Intl.DateTimeFormat('en-US', { timeZone: tz, timeZoneName: 'longOffset' });
  return (ms) => {
    const name = f.formatToParts(ms).find((p) => p.type === 'timeZoneName')?.value ?? 'GMT';
    const m = /^GMT([+-])(\d{2}):?(\d{2})?$/.exec(name);
    if (!m) return 0;
    return (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3] ?? '0'));
  };
}

function offsetText(minutes: number): string {
  const a = Math.abs(minutes);
  return `${minutes < 0 ? '-' : '+'}${String(Math.floor(a / 60)).padStart(2, '0')}:${String(a % 60).padStart(2, '0')}`;
}

/**
 * RFC 3339 text for ticks, equal to ticksToRfc3339 (in UTC) but caching the per-second prefix:
 * rows of one series share their second often, and Date formatting dominates large responses.
 * With `tz`, the local time in that zone and its offset at that instant.
 */
export function makeTimestampFormatter(precision: Precision, tz: string | null = null): (ticks: number) => string {
  const perSec = precision === 'ms' ? 1e3 : precision === 'us' ? 1e6 : 1e9;
  const digits = precision === 'ms' ? 3 : precision === 'us' ? 6 : 9;
  const offsetAt = tz === null ? null : zoneOffsetMinutes(tz);
  let lastSec = NaN;
  let lastBase = '';
  let suffix = 'Z';
  return (ticks) => {
    if (!Number.isFinite(ticks)) return ticksToRfc3339(ticks, precision);
    const sec = Math.floor(ticks / perSec);
    if (sec !== lastSec) {
      lastSec = sec;
      const off = offsetAt === null ? 0 : offsetAt(sec * 1000);
      const d = new Date(sec * 1000 + off * 60_000);
      if (Number.isNaN(d.getTime())) return ticksToRfc3339(ticks, precision);
      lastBase = d.toISOString().slice(0, 19);
      suffix = offsetAt === null ? 'Z' : offsetText(off);
    }
    const frac = ticks - sec * perSec;
    if (frac === 0) return lastBase + suffix;
    return `${lastBase}.${String(frac).padStart(digits, '0').replace(/0+$/, '')}${suffix}`;
  };
}

type CellFn = (row: number) => string;

/** One formatter per column, chosen once per block rather than per cell. */
function columnFormatter(c: ColumnVector, precision: Precision, style: TimestampStyle): CellFn {
  const d = c.data;
  const nulls = c.nulls;
  let f: CellFn;
  switch (c.type) {
    case DataType.TIMESTAMP: {
      const a = d as Float64Array;
      if (style.kind === 'epoch') {
        f = (r) => String(a[r]!);
        break;
      }
      const ts = makeTimestampFormatter(precision, style.tz);
      f = (r) => `"${ts(a[r]!)}"`;
      break;
    }
    case DataType.BOOL: {
      const a = d as Uint8Array;
      f = (r) => (a[r] === 1 ? 'true' : 'false');
      break;
    }
    case DataType.FLOAT: {
      const a = d as Float32Array;
      f = (r) => float32Text(a[r]!);
      break;
    }
    case DataType.DOUBLE: {
      const a = d as Float64Array;
      f = (r) => {
        const v = a[r]!;
        return Number.isFinite(v) ? String(v) : 'null';
      };
      break;
    }
    case DataType.BIGINT:
    case DataType.UBIGINT: {
      const a = d as BigInt64Array;
      f = (r) => a[r]!.toString();
      break;
    }
    case DataType.VARCHAR:
    case DataType.NCHAR: {
      const a = d as string[];
      f = (r) => JSON.stringify(a[r]);
      break;
    }
    default: {
      const a = d as Int32Array;
      f = (r) => String(a[r]);
      break;
    }
  }
  return nulls === null ? f : (r) => (nulls[r] === 1 ? 'null' : f(r));
}

/**
 * Rows of one block joined by commas; `first` says whether no row preceded them. Rows are
 * JSON arrays, or objects keyed by column name when `names` is given (`row_with_meta=true`).
 */
export function blockRowsJson(
  block: ColumnBlock,
  precision: Precision,
  first: boolean,
  names: readonly string[] | null = null,
  style: TimestampStyle = UTC_RFC3339,
): string {
  const parts: string[] = [];
  const fmts = block.columns.map((c) => columnFormatter(c, precision, style));
  const keys = names ? names.map((n) => JSON.stringify(n) + ':') : null;
  for (let r = 0; r < block.numRows; r++) {
    let row = keys ? '{' : '[';
    for (let i = 0; i < fmts.length; i++) {
      if (i > 0) row += ',';
      if (keys) row += keys[i];
      row += fmts[i]!(r);
    }
    parts.push(row + (keys ? '}' : ']'));
  }
  if (parts.length === 0) return '';
  return (first ? '' : ',') + parts.join(',');
}
