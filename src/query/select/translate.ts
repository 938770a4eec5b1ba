// AST expressions → typed IR. A Scope says what names mean: the table's columns (scan slots,
// added on first use), its tags, tbname; in the output of an aggregate query, aggregates,
// group keys and window pseudo columns become columns of the merge batch. Errors name the
// column or function and its position in the SQL text.
import { BasaltError } from '../../common/errors.js';
import { Limits } from '../../common/limits.js';
import {
  DataType,
  TYPE_BYTES,
  isIntegerType,
  isNumericType,
  isStringType,
  type ColumnSchema,
  type Precision,
} from '../../common/types.js';
import { parseDurationMs, msToTicks } from '../../common/time.js';
import type * as A from '../../sql/ast.js';
import { parseTimestampString } from '../timestamp-parse.js';
import { evalConstant } from './eval.js';
import type { AggFn, AggSpec, CmpOp, Expr, ScalarValue } from './ir.js';
import { translateCall } from './translate-functions.js';

export const AGG_FUNCTIONS: ReadonlySet<string> = new Set<AggFn>([
  'count',
  'sum',
  'avg',
  'min',
  'max',
  'first',
  'last',
  'last_row',
  'spread',
  'stddev',
  'percentile',
  'apercentile',
  'twa',
]);

export function at(pos: A.Pos): string {
  return `at line ${pos.line}, column ${pos.column}`;
}

/** Per-table context of a scan: column slots are assigned on first reference. */
export class TableScope {
  /** Table column index per scan slot; slot 0 is the timestamp. */
  readonly scanColumns: number[] = [0];
  constructor(
    readonly tableName: string,
    readonly columns: readonly ColumnSchema[],
    readonly tags: readonly ColumnSchema[],
    readonly alias: string | null = null,
  ) {}
  slotOf(colIndex: number): number {
    let s = this.scanColumns.indexOf(colIndex);
    if (s < 0) {
      s = this.scanColumns.length;
      this.scanColumns.push(colIndex);
    }
    return s;
  }
}

/** Output-side hooks of an aggregate query: how aggregates and non-aggregate terms map to merge-batch columns. */
export interface OutputHooks {
  aggregate(spec: AggSpec, pos: A.Pos): Expr;
  /** A row-level expression used outside an aggregate: a group key column, or an error. */
  nonAggregate(rowExpr: Expr, text: string, pos: A.Pos): Expr;
  pseudo(name: A.PseudoName, pos: A.Pos): Expr;
}

export interface TranslateEnv {
  readonly precision: Precision;
  readonly nowTicks: number;
  readonly database: string | null;
  readonly serverVersion: string;
  /** null for FROM-less selects. */
  readonly table: TableScope | null;
  /** Set when translating the output of an aggregate query. */
  readonly out: OutputHooks | null;
}

export function konst(value: ScalarValue, t: DataType, bytes = TYPE_BYTES[t] || Limits.defaultStringExprBytes): Expr {
  return { k: 'const', value, t, bytes };
}

export function durationTicks(d: A.DurationLiteral, precision: Precision): number {
  if (d.unit === 'n' || d.unit === 'y') {
    throw new BasaltError('NOT_SUPPORTED', `calendar duration '${d.text}' ${at(d.pos)}; use d or w units instead`);
  }
  const ms = parseDurationMs(d.text);
  const ticks = msToTicks(ms, precision);
  if (!Number.isInteger(ticks) || ticks < 0) {
    throw new BasaltError(
      'INVALID_INTERVAL',
      `duration '${d.text}' ${at(d.pos)} must be a whole number of ticks of the database precision '${precision}'`,
    );
  }
  return ticks;
}

export function isConst(e: Expr): e is Extract<Expr, { k: 'const' }> {
  return e.k === 'const';
}

/** Folds an expression without slots, tags or tbname into a constant. */
export function fold(e: Expr): Expr {
  if (hasRowOrTableRefs(e)) return e;
  return konst(evalConstant(e), e.t, e.bytes);
}

function hasRowOrTableRefs(e: Expr): boolean {
  switch (e.k) {
    case 'slot':
    case 'tag':
    case 'tbname':
      return true;
    case 'const':
      return false;
    case 'arith':
    case 'cmp':
      return hasRowOrTableRefs(e.l) || hasRowOrTableRefs(e.r);
    case 'neg':
    case 'not':
    case 'isnull':
    case 'in':
    case 'like':
    case 'regex':
    case 'cast':
      return hasRowOrTableRefs(e.e);
    case 'between':
      return hasRowOrTableRefs(e.e) || hasRowOrTableRefs(e.lo) || hasRowOrTableRefs(e.hi);
    case 'and':
    case 'or':
      return e.args.some(hasRowOrTableRefs);
    case 'fn':
      return e.args.some(hasRowOrTableRefs);
    case 'case':
      return (
        e.whens.some((w) => hasRowOrTableRefs(w.when) || hasRowOrTableRefs(w.then)) ||
        (e.else !== null && hasRowOrTableRefs(e.else))
      );
  }
}

/** A string constant compared with a timestamp becomes a timestamp. */
export function coerceForTimestamp(other: Expr, e: Expr, env: TranslateEnv, pos: A.Pos): Expr {
  if (other.t !== DataType.TIMESTAMP || !isConst(e) || typeof e.value !== 'string') return e;
  const ticks = parseTimestampString(e.value, env.precision);
  if (ticks === null) {
    throw new BasaltError(
      'WRONG_VALUE_TYPE',
      `'${e.value}' ${at(pos)} is not a timestamp; write it like '2024-01-01 00:00:00.000'`,
    );
  }
  return konst(ticks, DataType.TIMESTAMP);
}

function asBool(e: Expr): Expr {
  if (e.t === DataType.BOOL) return e;
  return fold({ k: 'cmp', op: '<>', l: e, r: konst(0n, DataType.BIGINT), t: DataType.BOOL, bytes: 1 });
}

export function containsAggregate(e: A.Expr): boolean {
  switch (e.kind) {
    case 'function':
      return AGG_FUNCTIONS.has(e.name) || e.args.some(containsAggregate);
    case 'binary':
      return containsAggregate(e.left) || containsAggregate(e.right);
    case 'unary':
      return containsAggregate(e.operand);
    case 'in':
      return containsAggregate(e.expr) || e.list.some(containsAggregate);
    case 'between':
      return containsAggregate(e.expr) || containsAggregate(e.low) || containsAggregate(e.high);
    case 'like':
      return containsAggregate(e.expr);
    case 'isNull':
      return containsAggregate(e.expr);
    case 'cast':
      return containsAggregate(e.expr);
    case 'case':
      return (
        (e.operand !== null && containsAggregate(e.operand)) ||
        e.whens.some((w) => containsAggregate(w.when) || containsAggregate(w.then)) ||
        (e.else !== null && containsAggregate(e.else))
      );
    default:
      return false;
  }
}

export function translate(e: A.Expr, env: TranslateEnv, text = ''): Expr {
  // In the output of an aggregate query, a term without aggregates is a group key (or an error).
  if (env.out !== null && !containsAggregate(e) && e.kind !== 'pseudo' && !isLiteralish(e)) {
    const rowExpr = translate(e, { ...env, out: null }, text);
    if (!hasRowOrTableRefs(rowExpr)) return rowExpr;
    return env.out.nonAggregate(rowExpr, text, e.pos);
  }
  switch (e.kind) {
    case 'column':
      return column(e, env);
    case 'star':
      throw new BasaltError('SYNTAX_ERROR', `'*' ${at(e.pos)} is only allowed as a whole select item or in count(*)`);
    case 'integer':
      return integer(e);
    case 'float':
      return konst(e.value, DataType.DOUBLE);
    case 'string':
      return konst(e.value, DataType.VARCHAR, Math.max(1, Buffer.byteLength(e.value)));
    case 'bool':
      return konst(e.value, DataType.BOOL);
    case 'null':
      return konst(null, DataType.VARCHAR, 1);
    case 'now':
      return konst(env.nowTicks, DataType.TIMESTAMP);
    case 'duration':
      return konst(BigInt(durationTicks(e, env.precision)), DataType.BIGINT);
    case 'pseudo':
      return pseudo(e, env);
    case 'binary':
      return binary(e, env);
    case 'unary':
      return unary(e, env);
    case 'in':
      return inList(e, env);
    case 'between': {
      const x = translate(e.expr, env);
      const lo = coerceForTimestamp(x, translate(e.low, env), env, e.low.pos);
      const hi = coerceForTimestamp(x, translate(e.high, env), env, e.high.pos);
      return fold({ k: 'between', e: x, lo, hi, not: e.not, t: DataType.BOOL, bytes: 1 });
    }
    case 'like':
      return like(e, env);
    case 'isNull':
      return fold({ k: 'isnull', e: translate(e.expr, env), not: e.not, t: DataType.BOOL, bytes: 1 });
    case 'cast': {
      const x = translate(e.expr, env);
      const t = e.type.type;
      const bytes = e.type.length ?? (TYPE_BYTES[t] || Limits.defaultStringExprBytes);
      return fold({ k: 'cast', e: x, t, bytes });
    }
    case 'function':
      return translateCall(e, env, text);
    case 'case':
      return caseExpr(e, env);
  }
}

/** An integer literal: BIGINT, or BIGINT UNSIGNED from 2^63 on. */
function integer(e: A.IntegerLiteral): Expr {
  if (e.value < MIN_BIGINT || e.value >= UBIGINT_END)
    throw new BasaltError('WRONG_VALUE_TYPE', `integer ${e.text} ${at(e.pos)} is out of the 64-bit range`);
  return e.value >= BIGINT_END ? konst(e.value, DataType.UBIGINT) : konst(e.value, DataType.BIGINT);
}

const MIN_BIGINT = -(2n ** 63n);
const BIGINT_END = 2n ** 63n;
const UBIGINT_END = 2n ** 64n;

/** Unary +, - (a BIGINT constant stays BIGINT; anything else becomes DOUBLE) and NOT. */
function unary(e: A.UnaryExpr, env: TranslateEnv): Expr {
  const x = translate(e.operand, env);
  if (e.op === '+') return x;
  if (e.op === '-') {
    if (isConst(x) && typeof x.value === 'bigint') return konst(-x.value, DataType.BIGINT);
    return fold({ k: 'neg', e: x, t: DataType.DOUBLE, bytes: 8 });
  }
  return fold({ k: 'not', e: asBool(x), t: DataType.BOOL, bytes: 1 });
}

/** [NOT] IN (list): the list items must be constants. */
function inList(e: A.InExpr, env: TranslateEnv): Expr {
  const x = translate(e.expr, env);
  // One environment for all items: a list can hold millions of them.
  const itemEnv = env.out === null ? env : { ...env, out: null };
  const list = e.list.map((it) => {
    const v = coerceForTimestamp(x, translate(it, itemEnv), env, it.pos);
    if (!isConst(v)) throw new BasaltError('WRONG_VALUE_TYPE', `IN list items must be constants ${at(it.pos)}`);
    return v.value;
  });
  return fold({ k: 'in', e: x, list, not: e.not, t: DataType.BOOL, bytes: 1 });
}

/** [NOT] LIKE, MATCH, NMATCH: the pattern must be a string constant (a valid regular expression for MATCH). */
function like(e: A.LikeExpr, env: TranslateEnv): Expr {
  const x = translate(e.expr, env),
    p = translate(e.pattern, env);
  if (!isConst(p) || typeof p.value !== 'string')
    throw new BasaltError('WRONG_VALUE_TYPE', `the pattern of ${e.op} ${at(e.pattern.pos)} must be a string constant`);
  if (e.op === 'like') return fold({ k: 'like', e: x, pattern: p.value, not: e.not, t: DataType.BOOL, bytes: 1 });
  try {
    new RegExp(p.value, 'u');
  } catch {
    throw new BasaltError('WRONG_VALUE_TYPE', `'${p.value}' ${at(e.pattern.pos)} is not a valid regular expression`);
  }
  return fold({
    k: 'regex',
    e: x,
    pattern: p.value,
    not: (e.op === 'nmatch') !== e.not,
    t: DataType.BOOL,
    bytes: 1,
  });
}

/** CASE: the result type is the common type of the THEN/ELSE branches (numbers widen to DOUBLE). */
function caseExpr(e: A.CaseExpr, env: TranslateEnv): Expr {
  const operand = e.operand === null ? null : translate(e.operand, env);
  const whens = e.whens.map((w) => {
    let cond = translate(w.when, env);
    if (operand !== null) {
      const v = coerceForTimestamp(operand, cond, env, w.when.pos);
      cond = fold({ k: 'cmp', op: '=', l: operand, r: v, t: DataType.BOOL, bytes: 1 });
    }
    return { when: asBool(cond), then: translate(w.then, env) };
  });
  const els = e.else === null ? null : translate(e.else, env);
  const branches = [...whens.map((w) => w.then), ...(els === null ? [] : [els])].filter(
    (b) => !(isConst(b) && b.value === null),
  );
  let t: DataType = branches[0]?.t ?? DataType.VARCHAR;
  if (branches.some((b) => b.t !== t)) {
    if (branches.every((b) => isNumericType(b.t))) t = DataType.DOUBLE;
    else if (branches.every((b) => isStringType(b.t))) t = DataType.VARCHAR;
    else
      throw new BasaltError(
        'WRONG_VALUE_TYPE',
        `the branches of case ${at(e.pos)} mix strings and numbers; cast them to one type`,
      );
  }
  const bytes = branches.reduce((m, b) => Math.max(m, b.bytes), TYPE_BYTES[t] || 1);
  return fold({ k: 'case', whens, else: els, t, bytes });
}

export function isLiteralish(e: A.Expr): boolean {
  return (
    e.kind === 'integer' ||
    e.kind === 'float' ||
    e.kind === 'string' ||
    e.kind === 'bool' ||
    e.kind === 'null' ||
    e.kind === 'now' ||
    e.kind === 'duration'
  );
}

function column(e: A.ColumnRef, env: TranslateEnv): Expr {
  const t = env.table;
  if (t === null)
    throw new BasaltError('INVALID_COLUMN', `column '${e.name}' ${at(e.pos)}: a select without FROM has no columns`);
  if (e.table !== null && e.table !== t.tableName && e.table !== t.alias) {
    throw new BasaltError(
      'INVALID_COLUMN',
      `'${e.table}.${e.name}' ${at(e.pos)}: the query reads table '${t.tableName}'`,
    );
  }
  const ci = t.columns.findIndex((c) => c.name === e.name);
  if (ci >= 0) {
    const c = t.columns[ci]!;
    return { k: 'slot', slot: t.slotOf(ci), t: c.type, bytes: c.bytes };
  }
  const ti = t.tags.findIndex((c) => c.name === e.name);
  if (ti >= 0) return { k: 'tag', tag: ti, t: t.tags[ti]!.type, bytes: t.tags[ti]!.bytes };
  throw new BasaltError('INVALID_COLUMN', `'${e.name}' ${at(e.pos)} is neither a column nor a tag of '${t.tableName}'`);
}

function pseudo(e: A.PseudoColumn, env: TranslateEnv): Expr {
  switch (e.name) {
    case 'tbname':
      if (env.table === null) throw new BasaltError('INVALID_COLUMN', `tbname ${at(e.pos)} needs a FROM table`);
      if (env.out !== null)
        return env.out.nonAggregate(
          { k: 'tbname', t: DataType.VARCHAR, bytes: Limits.maxTableNameBytes },
          'tbname',
          e.pos,
        );
      return { k: 'tbname', t: DataType.VARCHAR, bytes: Limits.maxTableNameBytes };
    case '_rowts':
    case '_c0':
    case '_irowts': {
      if (env.table === null) throw new BasaltError('INVALID_COLUMN', `${e.name} ${at(e.pos)} needs a FROM table`);
      const ts: Expr = { k: 'slot', slot: 0, t: DataType.TIMESTAMP, bytes: 8 };
      return env.out !== null ? env.out.nonAggregate(ts, e.name, e.pos) : ts;
    }
    case '_wstart':
    case '_wend':
    case '_wduration':
    case '_qstart':
    case '_qend':
      if (env.out === null)
        throw new BasaltError(
          'INVALID_COLUMN',
          `${e.name} ${at(e.pos)} is only valid in the select list of a window query`,
        );
      return env.out.pseudo(e.name, e.pos);
  }
}

const ARITH: ReadonlySet<string> = new Set(['+', '-', '*', '/', '%']);

function binary(e: A.BinaryExpr, env: TranslateEnv): Expr {
  if (e.op === 'and' || e.op === 'or') {
    const l = asBool(translate(e.left, env)),
      r = asBool(translate(e.right, env));
    const args: Expr[] = [];
    for (const x of [l, r])
      if (x.k === e.op) args.push(...x.args);
      else args.push(x);
    return fold({ k: e.op, args, t: DataType.BOOL, bytes: 1 });
  }
  if (e.op === '&' || e.op === '|')
    throw new BasaltError('NOT_SUPPORTED', `bit operator ${e.op} ${at(e.opPos)} is not supported`);
  let l = translate(e.left, env),
    r = translate(e.right, env);
  if (ARITH.has(e.op)) {
    for (const [x, p] of [
      [l, e.left.pos],
      [r, e.right.pos],
    ] as const) {
      if (isStringType(x.t) && !isConst(x))
        throw new BasaltError(
          'INVALID_FUNCTION_PARA_TYPE',
          `operator ${e.op} ${at(p)} needs numbers, got a string column`,
        );
    }
    const tsResult =
      (e.op === '+' || e.op === '-') &&
      ((l.t === DataType.TIMESTAMP && isIntegerType(r.t)) ||
        (r.t === DataType.TIMESTAMP && isIntegerType(l.t) && e.op === '+'));
    return fold({ k: 'arith', op: e.op as '+', l, r, t: tsResult ? DataType.TIMESTAMP : DataType.DOUBLE, bytes: 8 });
  }
  r = coerceForTimestamp(l, r, env, e.right.pos);
  l = coerceForTimestamp(r, l, env, e.left.pos);
  return fold({ k: 'cmp', op: e.op as CmpOp, l, r, t: DataType.BOOL, bytes: 1 });
}
