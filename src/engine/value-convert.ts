// Constant expressions of insert values and tag values (literals, now, now±1s, -5, null),
// evaluated once and converted to a column's type with the checks TDengine applies: range,
// length, type. Errors name the table and column so the user sees what to fix.
import { BasaltError } from '../common/errors.js';
import { msToTicks, parseDurationMs } from '../common/time.js';
import { DataType, INT_RANGE, TYPE_NAMES, isIntegerType, type ColumnSchema, type Precision } from '../common/types.js';
import type { Expr } from '../sql/ast.js';
import { parseTimestampString } from '../query/timestamp-parse.js';

/** A constant after evaluation. `ts` is already in ticks of the statement's precision. */
export type Val =
  | { readonly t: 'int'; readonly v: bigint }
  | { readonly t: 'float'; readonly v: number }
  | { readonly t: 'str'; readonly v: string }
  | { readonly t: 'bool'; readonly v: boolean }
  | { readonly t: 'ts'; readonly v: number }
  | { readonly t: 'dur'; readonly v: number }
  | { readonly t: 'null' };

export interface EvalContext {
  readonly precision: Precision;
  /** The statement's `now` in ms (one value per statement, so `now` rows are consistent). */
  readonly nowMs: number;
  /** For errors: what is being evaluated, e.g. "column 'n' of table 't1'". */
  readonly what: string;
}

function notConstant(e: Expr, ctx: EvalContext): never {
  throw new BasaltError(
    'WRONG_VALUE_TYPE',
    `${ctx.what}: expected a constant value (number, 'string', true/false, null, now, now+1s) at line ${e.pos.line} column ${e.pos.column}`,
  );
}

export function evalConst(e: Expr, ctx: EvalContext): Val {
  switch (e.kind) {
    case 'integer':
      return { t: 'int', v: e.value };
    case 'float':
      return { t: 'float', v: e.value };
    case 'string':
      return { t: 'str', v: e.value };
    case 'bool':
      return { t: 'bool', v: e.value };
    case 'null':
      return { t: 'null' };
    case 'now':
      return { t: 'ts', v: msToTicks(ctx.nowMs, ctx.precision) };
    case 'duration': {
      if (e.unit === 'n' || e.unit === 'y') {
        throw new BasaltError(
          'WRONG_VALUE_TYPE',
          `${ctx.what}: duration '${e.text}' has no fixed length; use d, h, m, s, a, u or b`,
        );
      }
      const ms = parseDurationMs(e.text);
      return { t: 'dur', v: Math.round(msToTicks(ms, ctx.precision)) };
    }
    case 'unary': {
      const v = evalConst(e.operand, ctx);
      if (e.op === '+') return v;
      if (e.op === '-') {
        if (v.t === 'int') return { t: 'int', v: -v.v };
        if (v.t === 'float') return { t: 'float', v: -v.v };
        if (v.t === 'dur') return { t: 'dur', v: -v.v };
      }
      return notConstant(e, ctx);
    }
    case 'binary': {
      if (e.op !== '+' && e.op !== '-') return notConstant(e, ctx);
      const l = evalConst(e.left, ctx);
      const r = evalConst(e.right, ctx);
      const sign = e.op === '+' ? 1 : -1;
      // now ± duration, timestamp ± duration, integer ± duration (a raw timestamp).
      if (r.t === 'dur') {
        if (l.t === 'ts') return { t: 'ts', v: l.v + sign * r.v };
        if (l.t === 'int') return { t: 'ts', v: Number(l.v) + sign * r.v };
        if (l.t === 'str') {
          const ticks = parseTimestampString(l.v, ctx.precision);
          if (ticks !== null) return { t: 'ts', v: ticks + sign * r.v };
        }
      }
      if (l.t === 'int' && r.t === 'int') return { t: 'int', v: sign === 1 ? l.v + r.v : l.v - r.v };
      if ((l.t === 'int' || l.t === 'float') && (r.t === 'int' || r.t === 'float')) {
        return { t: 'float', v: Number(l.v) + sign * Number(r.v) };
      }
      if (l.t === 'ts' && r.t === 'int') return { t: 'ts', v: l.v + sign * Number(r.v) };
      return notConstant(e, ctx);
    }
    default:
      return notConstant(e, ctx);
  }
}

function describeVal(v: Val): string {
  switch (v.t) {
    case 'str':
      return `'${v.v.length > 40 ? v.v.slice(0, 40) + '...' : v.v}'`;
    case 'null':
      return 'null';
    case 'dur':
      return 'a duration';
    default:
      return String(v.v);
  }
}

function wrongType(v: Val, col: ColumnSchema, what: string): never {
  throw new BasaltError(
    'WRONG_VALUE_TYPE',
    `${what}: ${describeVal(v)} is not a valid ${TYPE_NAMES[col.type]} for column '${col.name}'`,
  );
}

const NUMERIC_RE = /^\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*$/;
const INT_RE = /^\s*[+-]?\d+\s*$/;

/**
 * Converts to the storage representation of `col.type`: number (ints up to 32 bits, floats,
 * timestamps in ticks, bool as 0/1), bigint (BIGINT/UBIGINT), string, or null.
 */
export function convertVal(
  v: Val,
  col: ColumnSchema,
  precision: Precision,
  what: string,
): number | bigint | string | null {
  if (v.t === 'null') return null;
  const t = col.type;
  if (t === DataType.TIMESTAMP) {
    if (v.t === 'ts') return checkTicks(v.v, col, what);
    if (v.t === 'int') return checkTicks(Number(v.v), col, what);
    if (v.t === 'str') {
      const ticks = parseTimestampString(v.v, precision);
      if (ticks === null) {
        if (INT_RE.test(v.v)) return checkTicks(Number(v.v), col, what);
        throw new BasaltError(
          'INVALID_TIMESTAMP',
          `${what}: '${v.v}' is not a timestamp for column '${col.name}'; write 'YYYY-MM-DD HH:MM:SS.mmm', an integer in ${precision}, or now`,
        );
      }
      return checkTicks(ticks, col, what);
    }
    return wrongType(v, col, what);
  }
  if (isIntegerType(t)) {
    let n: bigint;
    if (v.t === 'int') n = v.v;
    else if (v.t === 'float') {
      if (!Number.isFinite(v.v)) return wrongType(v, col, what);
      n = BigInt(Math.trunc(v.v));
    } else if (v.t === 'bool') n = v.v ? 1n : 0n;
    else if (v.t === 'str' && INT_RE.test(v.v)) n = BigInt(v.v.trim());
    else if (v.t === 'str' && NUMERIC_RE.test(v.v)) n = BigInt(Math.trunc(Number(v.v)));
    else return wrongType(v, col, what);
    const range = INT_RANGE[t]!;
    if (n < range[0] || n > range[1]) {
      throw new BasaltError(
        'WRONG_VALUE_TYPE',
        `${what}: ${n} is out of range for ${TYPE_NAMES[t]} column '${col.name}' (${range[0]} to ${range[1]})`,
      );
    }
    return t === DataType.BIGINT || t === DataType.UBIGINT ? n : Number(n);
  }
  if (t === DataType.FLOAT || t === DataType.DOUBLE) {
    let x: number;
    if (v.t === 'int' || v.t === 'float') x = Number(v.v);
    else if (v.t === 'bool') x = v.v ? 1 : 0;
    else if (v.t === 'str' && NUMERIC_RE.test(v.v)) x = Number(v.v);
    else return wrongType(v, col, what);
    if (t === DataType.FLOAT && Number.isFinite(x) && Math.abs(x) > 3.4028234663852886e38) {
      throw new BasaltError('WRONG_VALUE_TYPE', `${what}: ${x} is out of range for FLOAT column '${col.name}'`);
    }
    return x;
  }
  if (t === DataType.BOOL) {
    if (v.t === 'bool') return v.v ? 1 : 0;
    if (v.t === 'int') return v.v !== 0n ? 1 : 0;
    if (v.t === 'float') return v.v !== 0 ? 1 : 0;
    if (v.t === 'str') {
      const s = v.v.trim().toLowerCase();
      if (s === 'true') return 1;
      if (s === 'false') return 0;
    }
    return wrongType(v, col, what);
  }
  // VARCHAR / NCHAR
  let s: string;
  if (v.t === 'str') s = v.v;
  else if (v.t === 'int') s = v.v.toString();
  else if (v.t === 'float') s = String(v.v);
  else if (v.t === 'bool') s = v.v ? 'true' : 'false';
  else return wrongType(v, col, what);
  const len = t === DataType.NCHAR ? [...s].length : Buffer.byteLength(s, 'utf8');
  if (len > col.bytes) {
    throw new BasaltError(
      'VALUE_TOO_LONG',
      `${what}: value of ${len} ${t === DataType.NCHAR ? 'characters' : 'bytes'} is too long for column '${col.name}' ${TYPE_NAMES[t]}(${col.bytes}); shorten it or widen the column with 'alter table ... modify column'`,
    );
  }
  return s;
}

function checkTicks(ticks: number, col: ColumnSchema, what: string): number {
  if (!Number.isSafeInteger(ticks)) {
    throw new BasaltError('INVALID_TIMESTAMP', `${what}: timestamp ${ticks} for column '${col.name}' is out of range`);
  }
  return ticks;
}
