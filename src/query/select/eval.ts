// Vectorized expression evaluation: one pass per operator over whole column vectors.
// SQL three-valued logic: comparisons with null are null; a filter keeps only true rows.
import { allocData, type BigArray, type ColumnVector } from '../../common/block.js';
import { BasaltError } from '../../common/errors.js';
import { Limits } from '../../common/limits.js';
import { DataType, isBigIntType, isStringType } from '../../common/types.js';
import { unreachable } from '../../common/assert.js';
import type { CmpOp, Expr, ScalarValue } from './ir.js';
import { constVector, orNulls, toF64, toStrings } from './vec.js';
import { castVector, evalScalarFn } from './scalar-functions.js';
import { likeToRegExp } from '../../common/like.js';

/** What expressions are evaluated over: scan slots plus the current table's constants. */
export interface Batch {
  readonly numRows: number;
  readonly cols: readonly ColumnVector[];
  /** Tag values of the table the rows came from (empty outside a table scan). */
  readonly tagValues: readonly ScalarValue[];
  readonly tbname: string;
}

export function evalExpr(e: Expr, b: Batch): ColumnVector {
  const n = b.numRows;
  switch (e.k) {
    case 'slot': {
      const c = b.cols[e.slot];
      if (c === undefined) throw new BasaltError('INTERNAL', `expression refers to missing slot ${e.slot}`);
      return c;
    }
    case 'const':
      return constVector(e.t, e.value, n);
    case 'tag':
      return constVector(e.t, b.tagValues[e.tag] ?? null, n);
    case 'tbname':
      return constVector(e.t, b.tbname, n);
    case 'arith':
      return arith(e.op, evalExpr(e.l, b), evalExpr(e.r, b));
    case 'neg':
      return negate(evalExpr(e.e, b), n);
    case 'cmp':
      return compare(e.op, evalExpr(e.l, b), evalExpr(e.r, b));
    case 'and':
    case 'or': {
      let acc = evalExpr(e.args[0]!, b);
      for (let i = 1; i < e.args.length; i++) acc = logic(e.k, acc, evalExpr(e.args[i]!, b));
      return acc;
    }
    case 'not':
      return not(evalExpr(e.e, b), n);
    case 'isnull':
      return isNull(evalExpr(e.e, b), e.not, n);
    case 'in':
      return inList(evalExpr(e.e, b), e.list, e.not);
    case 'between': {
      const v = evalExpr(e.e, b);
      const r = logic('and', compare('>=', v, evalExpr(e.lo, b)), compare('<=', v, evalExpr(e.hi, b)));
      return e.not ? not(r, n) : r;
    }
    case 'like':
    case 'regex':
      return matches(evalExpr(e.e, b), e.k === 'like' ? likeToRegExp(e.pattern) : regexOf(e.pattern), e.not, n);
    case 'cast':
      return castVector(evalExpr(e.e, b), e.t);
    case 'fn':
      return evalScalarFn(
        e,
        e.args.map((a) => evalExpr(a, b)),
        n,
      );
    case 'case':
      return evalCase(e, b);
    default:
      return unreachable(e, 'expression kind');
  }
}

/** -v as DOUBLE; null rows stay null. */
function negate(v: ColumnVector, n: number): ColumnVector {
  const f = toF64(v),
    out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = -f[i]!;
  return { type: DataType.DOUBLE, data: out, nulls: v.nulls };
}

/** NOT of a BOOL vector; null rows stay null. */
function not(v: ColumnVector, n: number): ColumnVector {
  const d = v.data as Uint8Array,
    out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = d[i] ? 0 : 1;
  return { type: DataType.BOOL, data: out, nulls: v.nulls };
}

/** IS [NOT] NULL: never null itself. */
function isNull(v: ColumnVector, negated: boolean, n: number): ColumnVector {
  const out = new Uint8Array(n);
  const want = negated ? 0 : 1;
  if (v.nulls === null) out.fill(1 - want);
  else for (let i = 0; i < n; i++) out[i] = v.nulls[i] === want ? 1 : 0;
  return { type: DataType.BOOL, data: out, nulls: null };
}

/** [NOT] LIKE / MATCH: whether each string matches `re`; null rows stay null. */
function matches(v: ColumnVector, re: RegExp, negated: boolean, n: number): ColumnVector {
  const s = toStrings(v),
    out = new Uint8Array(n);
  const hit = negated ? 0 : 1;
  for (let i = 0; i < n; i++) out[i] = re.test(s[i]!) ? hit : 1 - hit;
  return { type: DataType.BOOL, data: out, nulls: v.nulls };
}

/** CASE: rows take the THEN of their first true WHEN, else ELSE, else null. */
function evalCase(e: Extract<Expr, { k: 'case' }>, b: Batch): ColumnVector {
  const n = b.numRows;
  const data = allocData(e.t, n) as unknown as { [i: number]: unknown };
  const nulls = new Uint8Array(n).fill(1);
  const done = new Uint8Array(n);
  const take = (v: ColumnVector, pick: (i: number) => boolean): void => {
    const c = castVector(v, e.t),
      d = c.data as unknown as ArrayLike<unknown>;
    for (let i = 0; i < n; i++) {
      if (done[i] === 1 || !pick(i)) continue;
      done[i] = 1;
      if (c.nulls === null || c.nulls[i] === 0) {
        data[i] = d[i];
        nulls[i] = 0;
      }
    }
  };
  for (const w of e.whens) {
    const cond = evalExpr(w.when, b),
      cd = cond.data as Uint8Array,
      cn = cond.nulls;
    take(evalExpr(w.then, b), (i) => cd[i] === 1 && (cn === null || cn[i] === 0));
  }
  if (e.else !== null) take(evalExpr(e.else, b), () => true);
  return { type: e.t, data: data as unknown as ColumnVector['data'], nulls };
}

const regexCache = new Map<string, RegExp>();

/** `match` patterns search anywhere in the string (unanchored), as POSIX regexec does. */
function regexOf(pattern: string): RegExp {
  let re = regexCache.get(pattern);
  if (re === undefined) {
    re = new RegExp(pattern, 'u');
    if (regexCache.size >= Limits.maxRegexCacheEntries) regexCache.clear();
    regexCache.set(pattern, re);
  }
  return re;
}

/** Arithmetic is done in doubles (TDengine's rule); x / 0 and x % 0 are null. */
function arith(op: string, l: ColumnVector, r: ColumnVector): ColumnVector {
  const a = toF64(l),
    c = toF64(r),
    n = a.length,
    out = new Float64Array(n);
  let nulls = orNulls(l.nulls, r.nulls);
  switch (op) {
    case '+':
      for (let i = 0; i < n; i++) out[i] = a[i]! + c[i]!;
      break;
    case '-':
      for (let i = 0; i < n; i++) out[i] = a[i]! - c[i]!;
      break;
    case '*':
      for (let i = 0; i < n; i++) out[i] = a[i]! * c[i]!;
      break;
    case '/':
    case '%': {
      let zero: Uint8Array | null = null;
      for (let i = 0; i < n; i++) {
        const d = c[i]!;
        if (d === 0) {
          zero ??= nulls === null ? new Uint8Array(n) : nulls.slice();
          zero[i] = 1;
          continue;
        }
        out[i] = op === '/' ? a[i]! / d : a[i]! % d;
      }
      if (zero !== null) nulls = zero;
      break;
    }
    default:
      throw new BasaltError('INTERNAL', `unknown arithmetic operator ${op}`);
  }
  return { type: DataType.DOUBLE, data: out, nulls };
}

function cmpResult(op: CmpOp, c: number): number {
  switch (op) {
    case '=':
      return c === 0 ? 1 : 0;
    case '<>':
      return c !== 0 ? 1 : 0;
    case '<':
      return c < 0 ? 1 : 0;
    case '<=':
      return c <= 0 ? 1 : 0;
    case '>':
      return c > 0 ? 1 : 0;
    case '>=':
      return c >= 0 ? 1 : 0;
  }
}

function compare(op: CmpOp, l: ColumnVector, r: ColumnVector): ColumnVector {
  const n = l.data.length,
    out = new Uint8Array(n);
  const nulls = orNulls(l.nulls, r.nulls);
  if (isStringType(l.type) && isStringType(r.type)) {
    const a = l.data as string[],
      c = r.data as string[];
    for (let i = 0; i < n; i++) out[i] = cmpResult(op, a[i]! < c[i]! ? -1 : a[i]! > c[i]! ? 1 : 0);
  } else if (isBigIntType(l.type) && isBigIntType(r.type)) {
    // Signed and unsigned 64-bit arrays compare by value as bigints: exact over both ranges.
    const a = l.data as BigArray,
      c = r.data as BigArray;
    for (let i = 0; i < n; i++) out[i] = cmpResult(op, a[i]! < c[i]! ? -1 : a[i]! > c[i]! ? 1 : 0);
  } else {
    const a = toF64(l),
      c = toF64(r);
    switch (op) {
      case '=':
        for (let i = 0; i < n; i++) out[i] = a[i] === c[i] ? 1 : 0;
        break;
      case '<>':
        for (let i = 0; i < n; i++) out[i] = a[i] !== c[i] ? 1 : 0;
        break;
      case '<':
        for (let i = 0; i < n; i++) out[i] = a[i]! < c[i]! ? 1 : 0;
        break;
      case '<=':
        for (let i = 0; i < n; i++) out[i] = a[i]! <= c[i]! ? 1 : 0;
        break;
      case '>':
        for (let i = 0; i < n; i++) out[i] = a[i]! > c[i]! ? 1 : 0;
        break;
      case '>=':
        for (let i = 0; i < n; i++) out[i] = a[i]! >= c[i]! ? 1 : 0;
        break;
    }
  }
  return { type: DataType.BOOL, data: out, nulls };
}

/** Three-valued AND / OR: false AND null = false, true OR null = true, otherwise null wins. */
function logic(k: 'and' | 'or', l: ColumnVector, r: ColumnVector): ColumnVector {
  const a = l.data as Uint8Array,
    c = r.data as Uint8Array,
    n = a.length,
    out = new Uint8Array(n);
  const ln = l.nulls,
    rn = r.nulls;
  if (ln === null && rn === null) {
    if (k === 'and') for (let i = 0; i < n; i++) out[i] = a[i]! & c[i]!;
    else for (let i = 0; i < n; i++) out[i] = a[i]! | c[i]!;
    return { type: DataType.BOOL, data: out, nulls: null };
  }
  const nulls = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const an = ln !== null && ln[i] === 1,
      cn = rn !== null && rn[i] === 1;
    const av = a[i]!,
      cv = c[i]!;
    if (k === 'and') {
      if ((!an && av === 0) || (!cn && cv === 0)) out[i] = 0;
      else if (an || cn) nulls[i] = 1;
      else out[i] = 1;
    } else {
      if ((!an && av === 1) || (!cn && cv === 1)) out[i] = 1;
      else if (an || cn) nulls[i] = 1;
      else out[i] = 0;
    }
  }
  return { type: DataType.BOOL, data: out, nulls };
}

/** An IN list's values as hash sets, built on first use and kept for the list's lifetime. */
interface InLookup {
  strings: Set<string> | null;
  numbers: Set<number> | null;
  readonly hasNull: boolean;
}

// Keyed by the IR's list array: an expression is evaluated once per block (per table, per
// 4096 rows), and rebuilding a 2-million-item set per block made one big IN statement cost
// blocks × items and stall the event loop for everyone (issue #13 finding 5).
const inLookups = new WeakMap<readonly ScalarValue[], InLookup>();

function inLookupOf(list: readonly ScalarValue[]): InLookup {
  let l = inLookups.get(list);
  if (l === undefined) {
    let hasNull = false;
    for (const x of list) if (x === null) hasNull = true;
    l = { strings: null, numbers: null, hasNull };
    inLookups.set(list, l);
  }
  return l;
}

function inStrings(list: readonly ScalarValue[], l: InLookup): Set<string> {
  if (l.strings === null) {
    const set = new Set<string>();
    for (const x of list) if (x !== null) set.add(String(x));
    l.strings = set;
  }
  return l.strings;
}

function inNumbers(list: readonly ScalarValue[], l: InLookup): Set<number> {
  if (l.numbers === null) {
    const set = new Set<number>();
    for (const x of list) if (x !== null) set.add(typeof x === 'boolean' ? (x ? 1 : 0) : Number(x));
    l.numbers = set;
  }
  return l.numbers;
}

function inList(v: ColumnVector, list: readonly ScalarValue[], not: boolean): ColumnVector {
  const n = v.data.length,
    out = new Uint8Array(n),
    hit = not ? 0 : 1;
  const lookup = inLookupOf(list);
  if (isStringType(v.type)) {
    const set = inStrings(list, lookup),
      s = v.data as string[];
    for (let i = 0; i < n; i++) out[i] = set.has(s[i]!) ? hit : 1 - hit;
  } else {
    const set = inNumbers(list, lookup),
      f = toF64(v);
    for (let i = 0; i < n; i++) out[i] = set.has(f[i]!) ? hit : 1 - hit;
  }
  // x NOT IN (.., null) is never true (SQL); x IN (.., null) is true or null.
  let nulls = v.nulls;
  if (lookup.hasNull) {
    nulls = nulls === null ? new Uint8Array(n) : nulls.slice();
    for (let i = 0; i < n; i++) if (out[i] === (not ? 1 : 0)) nulls[i] = 1;
  }
  return { type: DataType.BOOL, data: out, nulls };
}

/** Evaluates an expression that uses no slots (constants, tags, tbname) to one value. */
export function evalConstant(e: Expr, tagValues: readonly ScalarValue[] = [], tbname = ''): ScalarValue {
  const v = evalExpr(e, { numRows: 1, cols: [], tagValues, tbname });
  if (v.nulls !== null && v.nulls[0] === 1) return null;
  if (v.type === DataType.BOOL) return (v.data as Uint8Array)[0] === 1;
  return (v.data as ArrayLike<number | bigint | string>)[0]!;
}
