// Planning of aggregate queries: group keys (partition by, group by, distinct), the interval
// window, the aggregates the subplans compute partially, and the merge-stage layout the
// output, having and order by expressions are evaluated over.
import { BasaltError } from '../../common/errors.js';
import { DataType, TICKS_PER_MS } from '../../common/types.js';
import type * as A from '../../sql/ast.js';
import type { TableInfo } from '../../storage/api.js';
import { isPerTable } from './exec-subplan.js';
import type { AggSpec, Expr, SegmentSpec, WindowSpec } from './ir.js';
import type { FillMode, MergeItem, SelectPlan } from './plan.js';
import { exprKey, orderSpecs, resultColumn } from './plan-common.js';
import {
  AGG_FUNCTIONS,
  at,
  containsAggregate,
  durationTicks,
  translate,
  type OutputHooks,
  type TranslateEnv,
} from './translate.js';

const SELECTORS: ReadonlySet<string> = new Set(['max', 'min', 'first', 'last', 'last_row']);

/** The aggregate function calls of an expression (not looking inside them). */
function aggregateCalls(e: A.Expr): A.FunctionCall[] {
  if (e.kind === 'function' && AGG_FUNCTIONS.has(e.name)) return [e];
  switch (e.kind) {
    case 'function':
      return e.args.flatMap(aggregateCalls);
    case 'binary':
      return [...aggregateCalls(e.left), ...aggregateCalls(e.right)];
    case 'unary':
      return aggregateCalls(e.operand);
    case 'in':
      return [...aggregateCalls(e.expr), ...e.list.flatMap(aggregateCalls)];
    case 'between':
      return [...aggregateCalls(e.expr), ...aggregateCalls(e.low), ...aggregateCalls(e.high)];
    case 'like':
    case 'isNull':
    case 'cast':
      return aggregateCalls(e.expr);
    case 'case':
      return [
        ...(e.operand === null ? [] : aggregateCalls(e.operand)),
        ...e.whens.flatMap((w) => [...aggregateCalls(w.when), ...aggregateCalls(w.then)]),
        ...(e.else === null ? [] : aggregateCalls(e.else)),
      ];
    default:
      return [];
  }
}

function fillOf(f: A.FillClause | null, env: TranslateEnv): SelectPlan['fill'] {
  if (f === null) return null;
  const mode = (f.mode === 'null_f' ? 'null' : f.mode === 'value_f' ? 'value' : f.mode) as FillMode;
  const values = f.values.map((v) => {
    const e = translate(v, { ...env, out: null });
    if (e.k !== 'const') throw new BasaltError('INVALID_FILL', `fill values must be constants ${at(v.pos)}`);
    return e.value;
  });
  if (mode === 'value' && values.length === 0)
    throw new BasaltError('INVALID_FILL', `fill(value, ...) ${at(f.pos)} needs at least one value`);
  return { mode, values };
}

/** interval(d [, offset]) [sliding(d)] in ticks; calendar units (n, y) make month windows. */
function windowSpec(w: A.IntervalWindow, env: TranslateEnv): WindowSpec {
  const ticksPerMs = TICKS_PER_MS[env.precision];
  const unit = w.interval.unit;
  if (unit === 'n' || unit === 'y') {
    const months = Number(w.interval.value) * (unit === 'y' ? 12 : 1);
    if (months <= 0)
      throw new BasaltError('INVALID_INTERVAL', `interval ${w.interval.text} ${at(w.pos)} must be longer than zero`);
    if (w.offset !== null || (w.sliding !== null && w.sliding.text !== w.interval.text)) {
      throw new BasaltError(
        'INVALID_INTERVAL',
        `calendar interval ${w.interval.text} ${at(w.pos)} takes no offset or sliding`,
      );
    }
    return { interval: 0, sliding: 0, offset: 0, months, ticksPerMs };
  }
  const interval = durationTicks(w.interval, env.precision);
  const sliding = w.sliding === null ? interval : durationTicks(w.sliding, env.precision);
  if (interval <= 0 || sliding <= 0)
    throw new BasaltError('INVALID_INTERVAL', `interval and sliding ${at(w.pos)} must be longer than zero`);
  if (sliding > interval)
    throw new BasaltError(
      'INVALID_INTERVAL',
      `sliding ${w.sliding!.text} ${at(w.sliding!.pos)} must not exceed interval ${w.interval.text}`,
    );
  const offset = w.offset === null ? 0 : durationTicks(w.offset, env.precision);
  if (offset >= interval)
    throw new BasaltError('INVALID_INTERVAL', `interval offset ${at(w.offset!.pos)} must be smaller than the interval`);
  return { interval, sliding, offset, months: 0, ticksPerMs };
}

/** session(ts, gap) / state_window(expr): per-table windows, so a super table needs partition by tbname. */
function segmentSpec(
  w: A.SessionWindow | A.StateWindow,
  env: TranslateEnv,
  info: TableInfo,
  keys: readonly Expr[],
): SegmentSpec {
  if (info.kind === 'super' && !keys.some((k) => k.k === 'tbname')) {
    throw new BasaltError(
      'NOT_SUPPORTED',
      `${w.kind === 'session' ? 'session' : 'state_window'} ${at(w.pos)} on a super table needs partition by tbname`,
    );
  }
  if (!keys.every(isPerTable)) {
    throw new BasaltError(
      'NOT_SUPPORTED',
      `${w.kind === 'session' ? 'session' : 'state_window'} ${at(w.pos)} can be partitioned by tbname or tags only`,
    );
  }
  if (w.kind === 'session') {
    const col = translate(w.column, env);
    if (col.k !== 'slot' || col.slot !== 0)
      throw new BasaltError('INVALID_COLUMN', `session() ${at(w.column.pos)} takes the timestamp column first`);
    const gap = durationTicks(w.gap, env.precision);
    if (gap <= 0)
      throw new BasaltError('INVALID_INTERVAL', `session gap ${w.gap.text} ${at(w.gap.pos)} must be longer than zero`);
    return { k: 'session', gap };
  }
  if (containsAggregate(w.expr))
    throw new BasaltError('ILLEGAL_USE_AGG', `aggregate in state_window ${at(w.expr.pos)}`);
  const expr = translate(w.expr, env);
  if (expr.t === DataType.FLOAT || expr.t === DataType.DOUBLE || expr.t === DataType.TIMESTAMP) {
    throw new BasaltError(
      'INVALID_FUNCTION_PARA_TYPE',
      `state_window ${at(w.expr.pos)} needs an integer, bool or string state, not ${DataType[expr.t]}`,
    );
  }
  return { k: 'state', expr };
}

export interface AggregatePlan {
  readonly plan: Omit<SelectPlan, 'subplans'>;
  readonly keys: Expr[];
  readonly aggs: AggSpec[];
  readonly window: WindowSpec | null;
  readonly segments: SegmentSpec | null;
}

/**
 * What the output hooks build up while the select list, having and order by are translated:
 * group keys (a tag may join them), the aggregates, and the merge-stage layout.
 */
interface AggBuild {
  readonly keys: Expr[];
  readonly keyIndex: Map<string, number>;
  /** Partitioned by tbname: a tag, constant per table, may be selected as an extra key. */
  readonly groupsByTable: boolean;
  readonly aggs: AggSpec[];
  readonly aggIndex: Map<string, number>;
  readonly layout: MergeItem[];
  readonly window: WindowSpec | null;
  readonly segments: SegmentSpec | null;
  readonly range: { readonly from: number; readonly to: number };
  /** The query's only aggregate call when it is a selector: plain columns then ride along with it. */
  readonly selectorCall: A.FunctionCall | null;
  /** The aggregate translated last: the selector a companion column belongs to. */
  lastAgg: number;
}

export function planAggregate(
  stmt: A.SelectStmt,
  info: TableInfo,
  env: TranslateEnv,
  groupExprs: readonly A.Expr[],
  range: { from: number; to: number },
  limit: number,
  offset: number,
  sl: { limit: number; offset: number },
): AggregatePlan {
  const keys: Expr[] = groupExprs.map((g) => {
    if (containsAggregate(g)) throw new BasaltError('ILLEGAL_USE_AGG', `aggregate in group/partition by ${at(g.pos)}`);
    return translate(g, env);
  });
  const window = stmt.window !== null && stmt.window.kind === 'interval' ? windowSpec(stmt.window, env) : null;
  const segments =
    stmt.window !== null && stmt.window.kind !== 'interval' ? segmentSpec(stmt.window, env, info, keys) : null;
  const b: AggBuild = {
    keys,
    keyIndex: new Map(keys.map((k, i) => [exprKey(k), i])),
    groupsByTable: keys.some((k) => k.k === 'tbname'),
    aggs: [],
    aggIndex: new Map(),
    layout: keys.map((_k, idx) => ({ k: 'key', idx })),
    window,
    segments,
    range,
    selectorCall: soleSelector(stmt),
    lastAgg: -1,
  };
  const outEnv = outputEnv(b, env);
  const outs = outputItems(stmt, info, outEnv);
  const having = stmt.having === null ? null : translate(stmt.having, outEnv);
  const output = outs.map((o) => o.e);
  const order = orderSpecs(stmt, outs, output, (x) => translate(x, outEnv));
  const partitionCols = stmt.partitionBy.map((_p, idx) => {
    output.push({ k: 'slot', slot: layoutSlot(b, { k: 'key', idx }), t: keys[idx]!.t, bytes: keys[idx]!.bytes });
    return output.length - 1;
  });
  const singleRow = keys.length === 0 && window === null && segments === null;
  const plan: Omit<SelectPlan, 'subplans'> = {
    precision: env.precision,
    columns: outs.map((o) => resultColumn(o.name, o.e)),
    mode: 'agg',
    keys,
    partitionKeys: stmt.partitionBy.length,
    layout: b.layout,
    aggs: b.aggs,
    window,
    segments,
    fill: stmt.window?.kind === 'interval' ? fillOf(stmt.window.fill, env) : null,
    rangeFrom: range.from,
    rangeTo: range.to,
    singleRow,
    having,
    output,
    order,
    partitionCols,
    visible: outs.length,
    limit,
    offset,
    slimit: sl.limit,
    soffset: sl.offset,
  };
  if (plan.fill !== null && plan.fill.mode !== 'none' && window === null)
    throw new BasaltError('INVALID_FILL', 'fill needs an interval window');
  return { plan, keys, aggs: b.aggs, window, segments };
}

/** A single selector function lets plain columns ride along (`select max(v), ts`). */
function soleSelector(stmt: A.SelectStmt): A.FunctionCall | null {
  const aggCalls = stmt.items.flatMap((i) => aggregateCalls(i.expr));
  return aggCalls.length === 1 &&
    SELECTORS.has(aggCalls[0]!.name) &&
    aggCalls[0]!.args.length === 1 &&
    aggCalls[0]!.args[0]!.kind !== 'star'
    ? aggCalls[0]!
    : null;
}

/** The merge-stage slot of an item, added to the layout on first use. */
function layoutSlot(b: AggBuild, it: MergeItem): number {
  let s = b.layout.findIndex(
    (x) =>
      x.k === it.k && ((x.k !== 'key' && x.k !== 'agg') || (x as { idx: number }).idx === (it as { idx: number }).idx),
  );
  if (s < 0) {
    s = b.layout.length;
    b.layout.push(it);
  }
  return s;
}

/** The translation environment of output expressions: aggregates, keys and pseudo columns become merge slots. */
function outputEnv(b: AggBuild, env: TranslateEnv): TranslateEnv {
  const hooks: OutputHooks = {
    aggregate: (spec) => aggregateSlot(b, spec),
    nonAggregate: (rowExpr, text, pos) => nonAggregateSlot(b, outEnv, rowExpr, text, pos),
    pseudo: (name, pos) => pseudoSlot(b, name, pos),
  };
  const outEnv: TranslateEnv = { ...env, out: hooks };
  return outEnv;
}

function aggregateSlot(b: AggBuild, spec: AggSpec): Expr {
  const k = exprKey(spec as unknown as Expr);
  let idx = b.aggIndex.get(k);
  if (idx === undefined) {
    idx = b.aggs.length;
    b.aggs.push(spec);
    b.aggIndex.set(k, idx);
  }
  b.lastAgg = idx;
  return { k: 'slot', slot: layoutSlot(b, { k: 'agg', idx }), t: spec.t, bytes: spec.bytes };
}

function nonAggregateSlot(b: AggBuild, outEnv: TranslateEnv, rowExpr: Expr, text: string, pos: A.Pos): Expr {
  let idx = b.keyIndex.get(exprKey(rowExpr));
  if (idx === undefined && isPerTable(rowExpr) && b.groupsByTable) {
    // A tag is constant per table: with partition by tbname it may be selected as an extra key.
    idx = b.keys.length;
    b.keys.push(rowExpr);
    b.keyIndex.set(exprKey(rowExpr), idx);
  }
  if (idx === undefined && b.selectorCall !== null) {
    // Translating the selector (again) makes it the last aggregate, the one the column rides with.
    translate(b.selectorCall, outEnv);
    return aggregateSlot(b, {
      fn: 'companion',
      arg: rowExpr,
      param: 0,
      t: rowExpr.t,
      bytes: rowExpr.bytes,
      selector: b.lastAgg,
    });
  }
  if (idx === undefined) {
    throw new BasaltError(
      'GROUPBY_LACK_EXPRESSION',
      `'${text || 'expression'}' ${at(pos)} must be in group by / partition by or inside an aggregate function`,
    );
  }
  return { k: 'slot', slot: layoutSlot(b, { k: 'key', idx }), t: rowExpr.t, bytes: rowExpr.bytes };
}

function pseudoSlot(b: AggBuild, name: A.PseudoName, pos: A.Pos): Expr {
  if (name === '_qstart' || name === '_qend') {
    const v = name === '_qstart' ? b.range.from : b.range.to;
    return { k: 'const', value: Number.isFinite(v) ? v : null, t: DataType.TIMESTAMP, bytes: 8 };
  }
  if (b.segments !== null) return segmentPseudoSlot(b, name);
  if (b.window === null)
    throw new BasaltError('INVALID_COLUMN', `${name} ${at(pos)} needs a window (interval, session or state_window)`);
  const it: MergeItem = name === '_wstart' ? { k: 'wstart' } : name === '_wend' ? { k: 'wend' } : { k: 'wduration' };
  return {
    k: 'slot',
    slot: layoutSlot(b, it),
    t: name === '_wduration' ? DataType.BIGINT : DataType.TIMESTAMP,
    bytes: 8,
  };
}

/** A session/state window starts at its first row and ends at its last one. */
function segmentPseudoSlot(b: AggBuild, name: A.PseudoName): Expr {
  const wstart: Expr = { k: 'slot', slot: layoutSlot(b, { k: 'wstart' }), t: DataType.TIMESTAMP, bytes: 8 };
  if (name === '_wstart') return wstart;
  const ts: Expr = { k: 'slot', slot: 0, t: DataType.TIMESTAMP, bytes: 8 };
  const wend = aggregateSlot(b, { fn: 'last', arg: ts, param: 0, t: DataType.TIMESTAMP, bytes: 8 });
  if (name === '_wend') return wend;
  const span: Expr = { k: 'arith', op: '-', l: wend, r: wstart, t: DataType.DOUBLE, bytes: 8 };
  return { k: 'cast', e: span, t: DataType.BIGINT, bytes: 8 };
}

/** The select list translated; first(*) / last(*) / last_row(*) become one selector per column. */
function outputItems(stmt: A.SelectStmt, info: TableInfo, outEnv: TranslateEnv): Array<{ name: string; e: Expr }> {
  const outs: Array<{ name: string; e: Expr }> = [];
  for (const item of stmt.items) {
    const ex = item.expr;
    if (ex.kind === 'star')
      throw new BasaltError('NOT_SINGLE_GROUP', `select * ${at(ex.pos)} cannot be mixed with aggregates or group by`);
    if (
      ex.kind === 'function' &&
      (ex.name === 'last' || ex.name === 'first' || ex.name === 'last_row') &&
      ex.args.length === 1 &&
      ex.args[0]!.kind === 'star'
    ) {
      info.columns.forEach((c) => {
        const col: A.Expr = { kind: 'column', table: null, name: c.name, pos: ex.pos };
        outs.push({ name: `${ex.name}(${c.name})`, e: translate({ ...ex, args: [col] }, outEnv) });
      });
      continue;
    }
    outs.push({ name: item.alias ?? item.text, e: translate(ex, outEnv, item.text) });
  }
  return outs;
}
