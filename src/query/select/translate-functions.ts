// Function calls in expressions: scalar functions (argument counts and types checked,
// constant arguments folded) and aggregates (their AggSpec, handed to the output hooks).
import { TDENGINE_COMPAT_VERSION } from '../../common/compat.js';
import { BasaltError } from '../../common/errors.js';
import { msToTicks } from '../../common/time.js';
import { DataType, isIntegerType, isNumericType, isStringType } from '../../common/types.js';
import type * as A from '../../sql/ast.js';
import type { AggFn, AggSpec, Expr, ScalarFn } from './ir.js';
import {
  AGG_FUNCTIONS,
  at,
  coerceForTimestamp,
  containsAggregate,
  durationTicks,
  fold,
  isConst,
  isLiteralish,
  konst,
  translate,
  type TranslateEnv,
} from './translate.js';

const SCALAR_ARGS: Record<ScalarFn, [number, number]> = {
  abs: [1, 1],
  ceil: [1, 1],
  floor: [1, 1],
  round: [1, 1],
  concat: [2, 8],
  length: [1, 1],
  lower: [1, 1],
  upper: [1, 1],
  timetruncate: [2, 3],
  to_iso8601: [1, 2],
};

/** A function call: scalar functions here, aggregates through the output hooks. */
export function translateCall(e: A.FunctionCall, env: TranslateEnv, text: string): Expr {
  const name = e.name;
  if (AGG_FUNCTIONS.has(name)) {
    if (env.out === null) {
      throw new BasaltError(
        'ILLEGAL_USE_AGG',
        `aggregate function ${name}() ${at(e.pos)} is not allowed here (where, group by, partition by, or inside another aggregate)`,
      );
    }
    return env.out.aggregate(aggSpec(e, env), e.pos);
  }
  switch (name) {
    case 'now':
      return konst(env.nowTicks, DataType.TIMESTAMP);
    case 'today': {
      const day = msToTicks(86_400_000, env.precision);
      return konst(env.nowTicks - (env.nowTicks % day), DataType.TIMESTAMP);
    }
    case 'server_version':
    case 'client_version':
      return konst(TDENGINE_COMPAT_VERSION, DataType.VARCHAR, TDENGINE_COMPAT_VERSION.length);
    case 'basalt_version':
      return konst(env.serverVersion, DataType.VARCHAR, env.serverVersion.length);
    case 'database':
      return konst(env.database, DataType.VARCHAR, 64);
    case 'char_length':
      return translateCall({ ...e, name: 'length' }, env, text);
  }
  return scalarCall(e, env);
}

/** A scalar function call: argument count checked, arguments translated, the call folded when constant. */
function scalarCall(e: A.FunctionCall, env: TranslateEnv): Expr {
  const name = e.name;
  if (!(name in SCALAR_ARGS)) throw new BasaltError('INVALID_FUNCTION', `unknown function ${name}() ${at(e.pos)}`);
  const fn = name as ScalarFn;
  const [min, max] = SCALAR_ARGS[fn];
  if (e.args.length < min || e.args.length > max) {
    throw new BasaltError(
      'INVALID_FUNCTION_PARA',
      `${fn}() ${at(e.pos)} takes ${min === max ? min : `${min} to ${max}`} argument(s), got ${e.args.length}`,
    );
  }
  const args = e.args.map((a) => translate(a, env));
  return fold(scalarExpr(fn, e, args, env));
}

/** The call of scalar function `fn` over its translated arguments, argument types checked. */
function scalarExpr(fn: ScalarFn, e: A.FunctionCall, args: Expr[], env: TranslateEnv): Expr {
  const a0 = args[0]!;
  switch (fn) {
    case 'abs':
    case 'ceil':
    case 'floor':
    case 'round':
      if (!isNumericType(a0.t))
        throw new BasaltError('INVALID_FUNCTION_PARA_TYPE', `${fn}() ${at(e.args[0]!.pos)} needs a numeric argument`);
      return { k: 'fn', name: fn, args, t: a0.t === DataType.BOOL ? DataType.BIGINT : a0.t, bytes: a0.bytes };
    case 'length':
      needString(fn, a0, e.args[0]!.pos);
      return { k: 'fn', name: fn, args, t: DataType.BIGINT, bytes: 8 };
    case 'lower':
    case 'upper':
      needString(fn, a0, e.args[0]!.pos);
      return { k: 'fn', name: fn, args, t: a0.t, bytes: a0.bytes };
    case 'concat': {
      args.forEach((a, i) => {
        needString(fn, a, e.args[i]!.pos);
      });
      const nchar = args.some((a) => a.t === DataType.NCHAR);
      return {
        k: 'fn',
        name: fn,
        args,
        t: nchar ? DataType.NCHAR : DataType.VARCHAR,
        bytes: args.reduce((s, a) => s + a.bytes, 0),
      };
    }
    case 'timetruncate':
      return timetruncate(e, a0, env);
    case 'to_iso8601':
      if (a0.t !== DataType.TIMESTAMP && !isIntegerType(a0.t))
        throw new BasaltError('INVALID_FUNCTION_PARA_TYPE', `to_iso8601() ${at(e.args[0]!.pos)} needs a timestamp`);
      return {
        k: 'fn',
        name: fn,
        args: [a0, konst(env.precision, DataType.VARCHAR, 2)],
        t: DataType.VARCHAR,
        bytes: 64,
      };
  }
}

function needString(fn: ScalarFn, x: Expr, p: A.Pos): void {
  if (!isStringType(x.t))
    throw new BasaltError('INVALID_FUNCTION_PARA_TYPE', `${fn}() ${at(p)} needs a VARCHAR or NCHAR argument`);
}

/** timetruncate(ts, unit): the unit must be a duration literal; a string first argument is read as a timestamp. */
function timetruncate(e: A.FunctionCall, a0: Expr, env: TranslateEnv): Expr {
  const unit = e.args[1]!;
  if (unit.kind !== 'duration')
    throw new BasaltError(
      'INVALID_FUNCTION_PARA_TYPE',
      `timetruncate() ${at(unit.pos)} needs a time unit like 1h as its second argument`,
    );
  const ts =
    a0.t === DataType.TIMESTAMP ? a0 : coerceForTimestamp({ ...a0, t: DataType.TIMESTAMP }, a0, env, e.args[0]!.pos);
  return {
    k: 'fn',
    name: 'timetruncate',
    args: [ts, konst(durationTicks(unit, env.precision), DataType.DOUBLE)],
    t: DataType.TIMESTAMP,
    bytes: 8,
  };
}

/** The AggSpec of an aggregate call; arguments are row-level expressions over scan slots. */
function aggSpec(e: A.FunctionCall, env: TranslateEnv): AggSpec {
  const fn = e.name as AggFn;
  const rowEnv: TranslateEnv = { ...env, out: null };
  const nArgs = fn === 'percentile' || fn === 'apercentile' ? [2, 3] : [1, 1];
  if (e.args.length < nArgs[0]! || e.args.length > nArgs[1]!) {
    throw new BasaltError(
      'INVALID_FUNCTION_PARA',
      `${fn}() ${at(e.pos)} takes ${nArgs[0]} argument(s), got ${e.args.length}`,
    );
  }
  const a = e.args[0]!;
  if (a.kind === 'star' || (fn === 'count' && isLiteralish(a) && a.kind !== 'null')) {
    if (fn !== 'count')
      throw new BasaltError(
        'INVALID_FUNCTION_PARA_TYPE',
        `${fn}(*) ${at(e.pos)} is only allowed as a whole select item`,
      );
    return { fn, arg: null, param: 0, t: DataType.BIGINT, bytes: 8 };
  }
  for (const x of e.args)
    if (containsAggregate(x)) throw new BasaltError('ILLEGAL_USE_AGG', `aggregate inside ${fn}() ${at(x.pos)}`);
  return typedAggSpec(fn, e, translate(a, rowEnv), rowEnv);
}

/** The AggSpec of aggregate `fn` over its translated argument `arg`: argument type checked, result type set. */
function typedAggSpec(fn: AggFn, e: A.FunctionCall, arg: Expr, rowEnv: TranslateEnv): AggSpec {
  const numeric = (): void => {
    if (!isNumericType(arg.t))
      throw new BasaltError(
        'INVALID_FUNCTION_PARA_TYPE',
        `${fn}() ${at(e.args[0]!.pos)} needs a numeric column or expression, not ${DataType[arg.t]}`,
      );
  };
  switch (fn) {
    case 'count':
      return { fn, arg, param: 0, t: DataType.BIGINT, bytes: 8 };
    case 'sum':
      numeric();
      return { fn, arg, param: 0, t: sumType(arg.t), bytes: 8 };
    case 'avg':
    case 'stddev':
    case 'twa':
      numeric();
      return { fn, arg, param: 0, t: DataType.DOUBLE, bytes: 8 };
    case 'spread':
      if (!isNumericType(arg.t) && arg.t !== DataType.TIMESTAMP) numeric();
      return { fn, arg, param: 0, t: DataType.DOUBLE, bytes: 8 };
    case 'min':
    case 'max':
      if (!isNumericType(arg.t) && arg.t !== DataType.TIMESTAMP) numeric();
      return { fn, arg, param: 0, t: arg.t, bytes: arg.bytes };
    case 'percentile':
    case 'apercentile':
      numeric();
      return { fn, arg, param: percent(fn, e.args[1]!, rowEnv), t: DataType.DOUBLE, bytes: 8 };
    case 'first':
    case 'last':
    case 'last_row':
    case 'companion': // not callable from SQL (not in AGG_FUNCTIONS)
      return { fn, arg, param: 0, t: arg.t, bytes: arg.bytes };
  }
}

/** sum(): DOUBLE over floats, BIGINT UNSIGNED over unsigned integers, else BIGINT. */
function sumType(t: DataType): DataType {
  return t === DataType.FLOAT || t === DataType.DOUBLE
    ? DataType.DOUBLE
    : t === DataType.UTINYINT || t === DataType.USMALLINT || t === DataType.UINT || t === DataType.UBIGINT
      ? DataType.UBIGINT
      : DataType.BIGINT;
}

/** The percent argument of percentile() / apercentile(): a constant from 0 to 100. */
function percent(fn: AggFn, p: A.Expr, rowEnv: TranslateEnv): number {
  const v = translate(p, rowEnv);
  if (!isConst(v) || v.value === null || !(Number(v.value) >= 0 && Number(v.value) <= 100)) {
    throw new BasaltError(
      'INVALID_FUNCTION_PARA_TYPE',
      `${fn}() ${at(p.pos)} needs a constant percent between 0 and 100`,
    );
  }
  return Number(v.value);
}
