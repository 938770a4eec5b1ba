// Renders results the way TDengine's `taos` shell does, so operators read Basalt output
// with the habits they have: centered header names, a line of '=', cells ` value |`
// (numbers right-aligned, text left-aligned), `\G` vertical records, and the footers
// `Query OK, N row(s) in set (0.001234s)` / `Insert OK, N row(s) affected (...)`.
import type { ColumnVector } from '../common/block.js';
import { Limits } from '../common/limits.js';
import { DataType, type Precision } from '../common/types.js';
import type { ResultColumn } from '../client/index.js';

function pad2(n: number): string {
  return n < 10 ? '0' + n : String(n);
}

/** `YYYY-MM-DD HH:MM:SS.mmm` (ms), `.uuuuuu` (us), `.nnnnnnnnn` (ns), in local time or UTC. */
export function formatTimestamp(ticks: number, precision: Precision, utc = false): string {
  const perMs = precision === 'ms' ? 1 : precision === 'us' ? 1e3 : 1e6;
  const digits = precision === 'ms' ? 3 : precision === 'us' ? 6 : 9;
  const perSec = perMs * 1000;
  const sec = Math.floor(ticks / perSec);
  const frac = ticks - sec * perSec;
  const d = new Date(sec * 1000);
  const y = utc ? d.getUTCFullYear() : d.getFullYear();
  const mo = (utc ? d.getUTCMonth() : d.getMonth()) + 1;
  const da = utc ? d.getUTCDate() : d.getDate();
  const h = utc ? d.getUTCHours() : d.getHours();
  const mi = utc ? d.getUTCMinutes() : d.getMinutes();
  const s = utc ? d.getUTCSeconds() : d.getSeconds();
  return `${String(y).padStart(4, '0')}-${pad2(mo)}-${pad2(da)} ${pad2(h)}:${pad2(mi)}:${pad2(s)}.${String(frac).padStart(digits, '0')}`;
}

export function columnWidth(c: ResultColumn, precision: Precision): number {
  const n = c.name.length;
  switch (c.type) {
    case DataType.BOOL:
      return Math.max(5, n);
    case DataType.TINYINT:
    case DataType.UTINYINT:
      return Math.max(4, n);
    case DataType.SMALLINT:
    case DataType.USMALLINT:
      return Math.max(6, n);
    case DataType.INT:
    case DataType.UINT:
      return Math.max(11, n);
    case DataType.BIGINT:
    case DataType.UBIGINT:
      return Math.max(21, n);
    case DataType.FLOAT:
      return Math.max(20, n);
    case DataType.DOUBLE:
      return Math.max(25, n);
    case DataType.TIMESTAMP:
      return Math.max(precision === 'ms' ? 23 : precision === 'us' ? 26 : 29, n);
    case DataType.VARCHAR:
    case DataType.NCHAR:
      return c.bytes > Limits.shellDisplayWidthChars
        ? Math.max(Limits.shellDisplayWidthChars, n)
        : Math.max(c.bytes + 2, n);
  }
}

function isRightAligned(t: DataType): boolean {
  return t !== DataType.VARCHAR && t !== DataType.NCHAR && t !== DataType.BOOL && t !== DataType.TIMESTAMP;
}

/** The cell text without padding. */
export function cellText(v: ColumnVector, row: number, precision: Precision, utc: boolean): string {
  if (v.nulls !== null && v.nulls[row] === 1) return 'NULL';
  const d = v.data;
  switch (v.type) {
    case DataType.TIMESTAMP:
      return formatTimestamp((d as Float64Array)[row]!, precision, utc);
    case DataType.BOOL:
      return (d as Uint8Array)[row] === 1 ? 'true' : 'false';
    case DataType.FLOAT:
      return (d as Float32Array)[row]!.toFixed(5);
    case DataType.DOUBLE:
      return (d as Float64Array)[row]!.toFixed(9);
    case DataType.VARCHAR:
    case DataType.NCHAR:
      return (d as string[])[row]!;
    default:
      return String((d as ArrayLike<number | bigint>)[row]);
  }
}

/** Display width of a string (CJK/wide characters count 2), for alignment. */
export function displayWidth(s: string): number {
  let w = 0;
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    w +=
      cp >= 0x1100 &&
      (cp <= 0x115f ||
        (cp >= 0x2e80 && cp <= 0xa4cf) ||
        (cp >= 0xac00 && cp <= 0xd7a3) ||
        (cp >= 0xf900 && cp <= 0xfaff) ||
        (cp >= 0xfe30 && cp <= 0xfe4f) ||
        (cp >= 0xff00 && cp <= 0xff60) ||
        (cp >= 0xffe0 && cp <= 0xffe6) ||
        (cp >= 0x20000 && cp <= 0x3fffd))
        ? 2
        : 1;
  }
  return w;
}

function fit(text: string, width: number, right: boolean): string {
  let t = text;
  if (displayWidth(t) > width) {
    // Cut long text like taos does, marking the cut.
    let out = '';
    for (const ch of t) {
      if (displayWidth(out + ch) > width - 3) break;
      out += ch;
    }
    t = out + '...';
  }
  const padN = Math.max(0, width - displayWidth(t));
  return right ? ' '.repeat(padN) + t : t + ' '.repeat(padN);
}

export function headerLines(columns: readonly ResultColumn[], widths: readonly number[]): string {
  let line = '';
  let total = 0;
  columns.forEach((c, i) => {
    const w = widths[i]!;
    const padding = Math.max(0, w - displayWidth(c.name));
    const left = Math.floor(padding / 2);
    line += ' ' + ' '.repeat(left) + c.name + ' '.repeat(padding - left) + ' |';
    total += w + 3;
  });
  return line + '\n' + '='.repeat(total) + '\n';
}

export function rowLine(
  cols: readonly ColumnVector[],
  row: number,
  widths: readonly number[],
  precision: Precision,
  utc: boolean,
): string {
  let line = '';
  for (let i = 0; i < cols.length; i++) {
    const v = cols[i]!;
    // NULL is left-aligned in every column, as taos prints it.
    const isNullCell = v.nulls !== null && v.nulls[row] === 1;
    line += ' ' + fit(cellText(v, row, precision, utc), widths[i]!, !isNullCell && isRightAligned(v.type)) + ' |';
  }
  return line + '\n';
}

/** One `\G` record. */
export function verticalRecord(
  columns: readonly ResultColumn[],
  cols: readonly ColumnVector[],
  row: number,
  index: number,
  precision: Precision,
  utc: boolean,
): string {
  const nameW = Math.max(...columns.map((c) => displayWidth(c.name)));
  let out = `*************************** ${index}.row ***************************\n`;
  columns.forEach((c, i) => {
    out += ' '.repeat(nameW - displayWidth(c.name)) + c.name + ': ' + cellText(cols[i]!, row, precision, utc) + '\n';
  });
  return out;
}

export function seconds(ms: number): string {
  return `(${(ms / 1000).toFixed(6)}s)`;
}

export function queryFooter(rows: number, ms: number): string {
  return `Query OK, ${rows} row(s) in set ${seconds(ms)}\n`;
}

export function execFooter(verb: string, affected: number, ms: number): string {
  if (verb.toLowerCase() === 'use') return 'Database changed.\n';
  const v = verb.length > 0 ? verb[0]!.toUpperCase() + verb.slice(1).toLowerCase() : 'Query';
  return `${v} OK, ${affected} row(s) affected ${seconds(ms)}\n`;
}

export function errorLine(message: string, code: number, ms: number): string {
  return `DB error: ${message} [0x${(code >>> 0).toString(16).padStart(8, '0')}] ${seconds(ms)}\n`;
}
