// TDengine's REST JSON shape, written incrementally block by block:
//   {"code":0,"column_meta":[["ts","TIMESTAMP",8],...],"data":[[...],...],"rows":N}
//   {"code":0,"column_meta":[["affected_rows","INT",4]],"data":[[n]],"rows":1}
//   {"code":9728,"desc":"..."}            (code = Basalt/TDengine code & 0xffff)
// Value encoding (also documented in src/adapter/README.md):
//   TIMESTAMP  RFC 3339 UTC string, fractional seconds with trailing zeros trimmed
//   BIGINT     exact integer literal (as taosAdapter writes Go int64) - JSON allows any
//              length; JavaScript's JSON.parse rounds beyond 2^53, so such clients should
//              use a big-number-aware parser or cast to VARCHAR in SQL.
//   FLOAT      shortest decimal that reads back to the same 32-bit float (10.3, not 10.300000190734863)
//   DOUBLE     shortest round-trip decimal; NaN and ±Infinity (no JSON form) become null
//   BOOL       true / false; VARCHAR/NCHAR JSON strings; NULL null
import type { ColumnBlock, ColumnVector } from '../common/block.js';
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
  if (!Number.isFinite(v)) return 'null';
  for (let p = 1; p <= 9; p++) {
    const s = v.toPrecision(p);
    if (Math.fround(Number(s)) === v) return String(Number(s));
  }
  return String(v);
}

function cellText(c: ColumnVector, r: number, precision: Precision): string {
  if (c.nulls !== null && c.nulls[r] === 1) return 'null';
  const d = c.data;
  switch (c.type) {
    case DataType.TIMESTAMP: return `"${ticksToRfc3339((d as Float64Array)[r]!, precision)}"`;
    case DataType.BOOL: return (d as Uint8Array)[r] === 1 ? 'true' : 'false';
    case DataType.FLOAT: return float32Text((d as Float32Array)[r]!);
    case DataType.DOUBLE: {
      const v = (d as Float64Array)[r]!;
      return Number.isFinite(v) ? String(v) : 'null';
    }
    case DataType.BIGINT:
    case DataType.UBIGINT: return ((d as BigInt64Array)[r]!).toString();
    case DataType.VARCHAR:
    case DataType.NCHAR: return JSON.stringify((d as string[])[r]);
    default: return String((d as Int32Array)[r]);
  }
}

/**
 * Rows of one block joined by commas; `first` says whether no row preceded them. Rows are
 * JSON arrays, or objects keyed by column name when `names` is given (`row_with_meta=true`).
 */
export function blockRowsJson(block: ColumnBlock, precision: Precision, first: boolean, names: readonly string[] | null = null): string {
  const parts: string[] = [];
  const cols = block.columns;
  const keys = names ? names.map((n) => JSON.stringify(n) + ':') : null;
  for (let r = 0; r < block.numRows; r++) {
    let row = keys ? '{' : '[';
    for (let i = 0; i < cols.length; i++) {
      if (i > 0) row += ',';
      if (keys) row += keys[i];
      row += cellText(cols[i]!, r, precision);
    }
    parts.push(row + (keys ? '}' : ']'));
  }
  if (parts.length === 0) return '';
  return (first ? '' : ',') + parts.join(',');
}
