// SELECT analysis and planning: resolves FROM, names and types, pushes time and tag
// predicates down, decides rows vs aggregate mode and the fast paths, and splits the work
// into one subplan per vgroup plus the merge stage.
import { BasaltError } from '../../common/errors.js';
import { DataType, TYPE_BYTES, isStringType } from '../../common/types.js';
import { msToTicks } from '../../common/time.js';
import type * as A from '../../sql/ast.js';
import type { ResultColumn } from '../engine-api.js';
import type { SelectContext } from '../select-api.js';
import type { TagValue, TimeRange, VnodeStore } from '../../storage/api.js';
import { STATS_FUNCTIONS } from './aggregates.js';
import { isPerTable } from './exec-subplan.js';
import type { AggSpec, Expr, ScalarValue, SubPlan, WindowSpec } from './ir.js';
import type { FillMode, MergeItem, OrderSpec, SelectPlan } from './plan.js';
import { findTable, superTableTargets, type TagLookup } from './route.js';
import { AGG_FUNCTIONS, TableScope, at, containsAggregate, durationTicks, translate, type OutputHooks, type TranslateEnv } from './translate.js';
import { evalConstant } from './eval.js';

function exprKey(e: Expr): string {
  return JSON.stringify(e, (_k, v: unknown) => typeof v === 'bigint' ? `${v}n` : v);
}

function resultColumn(name: string, e: { t: DataType; bytes: number }): ResultColumn {
  return { name, type: e.t, bytes: isStringType(e.t) ? e.bytes : TYPE_BYTES[e.t] };
}

function conjuncts(e: Expr | null): Expr[] {
  if (e === null) return [];
  return e.k === 'and' ? [...e.args] : [e];
}

function andOf(list: Expr[]): Expr | null {
  if (list.length === 0) return null;
  if (list.length === 1) return list[0]!;
  return { k: 'and', args: list, t: DataType.BOOL, bytes: 1 };
}

const FLIP: Record<string, string> = { '<': '>', '<=': '>=', '>': '<', '>=': '<=', '=': '=' };

/** Narrows `range` by a conjunct on the timestamp; true when the conjunct is fully captured. */
function captureTimeBound(c: Expr, range: { from: number; to: number }): boolean {
  const isTs = (e: Expr): boolean => e.k === 'slot' && e.slot === 0;
  const num = (e: Expr): number | null => e.k === 'const' && e.value !== null && typeof e.value !== 'string' && typeof e.value !== 'boolean' ? Number(e.value) : null;
  if (c.k === 'between' && !c.not && isTs(c.e)) {
    const lo = num(c.lo), hi = num(c.hi);
    if (lo === null || hi === null) return false;
    range.from = Math.max(range.from, Math.ceil(lo)); range.to = Math.min(range.to, Math.floor(hi));
    return true;
  }
  if (c.k !== 'cmp' || c.op === '<>') return false;
  let op: string = c.op, v: number | null;
  if (isTs(c.l)) v = num(c.r);
  else if (isTs(c.r)) { v = num(c.l); op = FLIP[op]!; }
  else return false;
  if (v === null || Number.isNaN(v)) return false;
  switch (op) {
    case '>': range.from = Math.max(range.from, Math.floor(v) + 1); break;
    case '>=': range.from = Math.max(range.from, Math.ceil(v)); break;
    case '<': range.to = Math.min(range.to, Math.ceil(v) - 1); break;
    case '<=': range.to = Math.min(range.to, Math.floor(v)); break;
    case '=': range.from = Math.max(range.from, Math.ceil(v)); range.to = Math.min(range.to, Math.floor(v)); break;
  }
  return true;
}

/** `tag = const` / `tag in (consts)`: a lookup the tag index can answer. */
function tagLookupOf(c: Expr, scope: TableScope): TagLookup | null {
  // Floating-point tags may be stored rounded (FLOAT); equality on them is left to the table filter.
  const exact = (t: DataType): boolean => t !== DataType.FLOAT && t !== DataType.DOUBLE;
  if (c.k === 'cmp' && c.op === '=') {
    const [t, v] = c.l.k === 'tag' ? [c.l, c.r] : [c.r, c.l];
    if (t.k === 'tag' && exact(t.t) && v.k === 'const' && v.value !== null) return { tagName: scope.tags[t.tag]!.name, values: [tagValueFor(t.t, v.value)] };
  }
  if (c.k === 'in' && !c.not && c.e.k === 'tag' && exact(c.e.t) && c.list.every((x) => x !== null)) {
    const tt = c.e.t;
    return { tagName: scope.tags[c.e.tag]!.name, values: c.list.map((x) => tagValueFor(tt, x)) };
  }
  return null;
}

function tagValueFor(t: DataType, v: ScalarValue): TagValue {
  if (isStringType(t)) return String(v);
  if (t === DataType.BOOL) return typeof v === 'boolean' ? v : Number(v) !== 0;
  if (t === DataType.BIGINT || t === DataType.UBIGINT) return typeof v === 'bigint' ? v : BigInt(Math.trunc(Number(v)));
  return Number(v);
}

/** `tbname = 'x'` / `tbname in (...)`: the tables named. */
function tbnamesOf(c: Expr): string[] | null {
  if (c.k === 'cmp' && c.op === '=') {
    const [t, v] = c.l.k === 'tbname' ? [c.l, c.r] : [c.r, c.l];
    if (t.k === 'tbname' && v.k === 'const' && typeof v.value === 'string') return [v.value];
  }
  if (c.k === 'in' && !c.not && c.e.k === 'tbname' && c.list.every((x) => typeof x === 'string')) return c.list as string[];
  return null;
}

const SELECTORS: ReadonlySet<string> = new Set(['max', 'min', 'first', 'last', 'last_row']);

/** The aggregate function calls of an expression (not looking inside them). */
function aggregateCalls(e: A.Expr): A.FunctionCall[] {
  if (e.kind === 'function' && AGG_FUNCTIONS.has(e.name)) return [e];
  switch (e.kind) {
    case 'function': return e.args.flatMap(aggregateCalls);
    case 'binary': return [...aggregateCalls(e.left), ...aggregateCalls(e.right)];
    case 'unary': return aggregateCalls(e.operand);
    case 'in': return [...aggregateCalls(e.expr), ...e.list.flatMap(aggregateCalls)];
    case 'between': return [...aggregateCalls(e.expr), ...aggregateCalls(e.low), ...aggregateCalls(e.high)];
    case 'like': case 'isNull': case 'cast': return aggregateCalls(e.expr);
    case 'case': return [...(e.operand === null ? [] : aggregateCalls(e.operand)),
      ...e.whens.flatMap((w) => [...aggregateCalls(w.when), ...aggregateCalls(w.then)]), ...(e.else === null ? [] : aggregateCalls(e.else))];
    default: return [];
  }
}

function limitOf(l: A.LimitClause | null): { limit: number; offset: number } {
  return l === null ? { limit: Infinity, offset: 0 } : { limit: l.limit, offset: l.offset };
}

function fillOf(f: A.FillClause | null, env: TranslateEnv): SelectPlan['fill'] {
  if (f === null) return null;
  const mode = (f.mode === 'null_f' ? 'null' : f.mode === 'value_f' ? 'value' : f.mode) as FillMode;
  const values = f.values.map((v) => {
    const e = translate(v, { ...env, out: null });
    if (e.k !== 'const') throw new BasaltError('INVALID_FILL', `fill values must be constants ${at(v.pos)}`);
    return e.value;
  });
  if (mode === 'value' && values.length === 0) throw new BasaltError('INVALID_FILL', `fill(value, ...) ${at(f.pos)} needs at least one value`);
  return { mode, values };
}

export interface AnalyzedSelect {
  readonly plan: SelectPlan;
  /** The local store of each vgroup a subplan goes to. */
  readonly stores: ReadonlyMap<number, VnodeStore>;
}

export function analyzeSelect(stmt: A.SelectStmt, ctx: SelectContext): AnalyzedSelect {
  if (stmt.from === null) return { plan: analyzeConst(stmt, ctx), stores: new Map() };
  if (stmt.from.kind !== 'table') throw new BasaltError('NOT_SUPPORTED', `subqueries in FROM ${at(stmt.from.pos)} are not supported yet`);
  if (stmt.distinct && (stmt.items.some((i) => i.expr.kind === 'star' || containsAggregate(i.expr)) || stmt.window !== null || stmt.groupBy.length > 0)) {
    throw new BasaltError('NOT_SUPPORTED', `select distinct ${at(stmt.pos)} is supported over plain expressions only (no *, aggregates, windows or group by)`);
  }
  const db = ctx.getDb(stmt.from.table.db ?? ctx.session.db);
  const tname = stmt.from.table.name;
  const { info, vgroup: home } = findTable(db, tname);
  const scope = new TableScope(tname, info.columns, info.tags, stmt.from.alias);
  const env: TranslateEnv = {
    precision: db.precision, nowTicks: msToTicks(ctx.nowMs(), db.precision), database: db.name,
    serverVersion: ctx.serverVersion, table: scope, out: null,
  };

  // WHERE: time bounds → range; tag/tbname-only conjuncts → per-table filter; the rest → row filter.
  const where = stmt.where === null ? null : translate(stmt.where, env);
  if (where !== null && where.t !== DataType.BOOL) throw new BasaltError('WRONG_VALUE_TYPE', `WHERE ${at(stmt.where!.pos)} must be a condition`);
  const range = { from: -Infinity, to: Infinity };
  const tableConds: Expr[] = [], rowConds: Expr[] = [];
  let tagLookup: TagLookup | null = null, tbnames: string[] | null = null;
  for (const c of conjuncts(where)) {
    if (c.k === 'const') { if (c.value !== true) range.from = Infinity; continue; }
    if (captureTimeBound(c, range)) continue;
    if (isPerTable(c)) {
      tableConds.push(c);
      tbnames ??= tbnamesOf(c);
      tagLookup ??= tagLookupOf(c, scope);
    } else rowConds.push(c);
  }

  // select distinct a, b: one group per distinct (a, b).
  const groupExprs = [...stmt.partitionBy, ...stmt.groupBy, ...(stmt.distinct ? stmt.items.map((i) => i.expr) : [])];
  const aggMode = stmt.distinct || stmt.window !== null || stmt.groupBy.length > 0 || stmt.items.some((i) => containsAggregate(i.expr)) ||
    (stmt.having !== null) || stmt.orderBy.some((o) => containsAggregate(o.expr));
  if (stmt.window !== null && stmt.window.kind !== 'interval') {
    throw new BasaltError('NOT_SUPPORTED', `${stmt.window.kind} windows ${at(stmt.window.pos)} are not supported yet; use interval`);
  }
  const { limit, offset } = limitOf(stmt.limit);
  const sl = limitOf(stmt.slimit);

  let plan: Omit<SelectPlan, 'subplans'>;
  let project: Expr[] = [], keys: Expr[] = [], aggs: AggSpec[] = [], window: WindowSpec | null = null;
  let rowLimit = Infinity;
  let perTable: SubPlan['perTable'] = null;
  if (!aggMode) {
    const outs: Array<{ name: string; e: Expr }> = [];
    for (const item of stmt.items) {
      if (item.expr.kind === 'star') {
        info.columns.forEach((c, i) => outs.push({ name: c.name, e: { k: 'slot', slot: scope.slotOf(i), t: c.type, bytes: c.bytes } }));
        if (info.kind === 'super') info.tags.forEach((c, i) => outs.push({ name: c.name, e: { k: 'tag', tag: i, t: c.type, bytes: c.bytes } }));
        continue;
      }
      outs.push({ name: item.alias ?? item.text, e: translate(item.expr, env, item.text) });
    }
    project = outs.map((o) => o.e);
    const order = orderSpecs(stmt, outs, project, (x) => translate(x, env));
    const partitionCols = stmt.partitionBy.map((p) => { project.push(translate(p, env)); return project.length - 1; });
    rowLimit = order.length === 0 && partitionCols.length === 0 ? limit + offset : Infinity;
    const first = order[0], firstExpr = first === undefined ? undefined : project[first.col];
    if (first !== undefined && firstExpr !== undefined && firstExpr.k === 'slot' && firstExpr.slot === 0 &&
        partitionCols.length === 0 && Number.isFinite(limit)) {
      perTable = { limit: limit + offset, fromEnd: first.desc };
    }
    plan = {
      precision: db.precision, columns: outs.map((o) => resultColumn(o.name, o.e)), mode: 'rows', keys: [], partitionKeys: 0,
      layout: [], aggs: [], window: null, fill: null, rangeFrom: range.from, rangeTo: range.to, singleRow: false, having: null,
      output: [], order, partitionCols, visible: outs.length, limit, offset, slimit: sl.limit, soffset: sl.offset,
    };
  } else {
    keys = groupExprs.map((g) => {
      if (containsAggregate(g)) throw new BasaltError('ILLEGAL_USE_AGG', `aggregate in group/partition by ${at(g.pos)}`);
      return translate(g, env);
    });
    const keyIndex = new Map(keys.map((k, i) => [exprKey(k), i]));
    const groupsByTable = keys.some((k) => k.k === 'tbname');
    if (stmt.window !== null) {
      const w = stmt.window;
      const interval = durationTicks(w.interval, db.precision);
      const sliding = w.sliding === null ? interval : durationTicks(w.sliding, db.precision);
      if (interval <= 0 || sliding <= 0) throw new BasaltError('INVALID_INTERVAL', `interval and sliding ${at(w.pos)} must be longer than zero`);
      if (sliding > interval) throw new BasaltError('INVALID_INTERVAL', `sliding ${w.sliding!.text} ${at(w.sliding!.pos)} must not exceed interval ${w.interval.text}`);
      const off = w.offset === null ? 0 : durationTicks(w.offset, db.precision);
      if (off >= interval) throw new BasaltError('INVALID_INTERVAL', `interval offset ${at(w.offset!.pos)} must be smaller than the interval`);
      window = { interval, sliding, offset: off };
    }
    const layout: MergeItem[] = keys.map((_k, idx) => ({ k: 'key', idx }));
    const aggIndex = new Map<string, number>();
    // A single selector function lets plain columns ride along (`select max(v), ts`).
    const aggCalls = stmt.items.flatMap((i) => aggregateCalls(i.expr));
    const selectorCall = aggCalls.length === 1 && SELECTORS.has(aggCalls[0]!.name) && aggCalls[0]!.args.length === 1 &&
      aggCalls[0]!.args[0]!.kind !== 'star' ? aggCalls[0]! : null;
    let lastAgg = -1;
    const layoutSlot = (it: MergeItem): number => {
      let s = layout.findIndex((x) => x.k === it.k && (x.k !== 'key' && x.k !== 'agg' || (x as { idx: number }).idx === (it as { idx: number }).idx));
      if (s < 0) { s = layout.length; layout.push(it); }
      return s;
    };
    const hooks: OutputHooks = {
      aggregate(spec) {
        const k = exprKey(spec as unknown as Expr);
        let idx = aggIndex.get(k);
        if (idx === undefined) { idx = aggs.length; aggs.push(spec); aggIndex.set(k, idx); }
        lastAgg = idx;
        return { k: 'slot', slot: layoutSlot({ k: 'agg', idx }), t: spec.t, bytes: spec.bytes };
      },
      nonAggregate(rowExpr, text, pos) {
        let idx = keyIndex.get(exprKey(rowExpr));
        if (idx === undefined && isPerTable(rowExpr) && groupsByTable) {
          // A tag is constant per table: with partition by tbname it may be selected as an extra key.
          idx = keys.length; keys.push(rowExpr); keyIndex.set(exprKey(rowExpr), idx);
        }
        if (idx === undefined && selectorCall !== null) {
          translate(selectorCall, outEnv);
          return hooks.aggregate({ fn: 'companion', arg: rowExpr, param: 0, t: rowExpr.t, bytes: rowExpr.bytes, selector: lastAgg }, pos);
        }
        if (idx === undefined) {
          throw new BasaltError('GROUPBY_LACK_EXPRESSION', `'${text || 'expression'}' ${at(pos)} must be in group by / partition by or inside an aggregate function`);
        }
        return { k: 'slot', slot: layoutSlot({ k: 'key', idx }), t: rowExpr.t, bytes: rowExpr.bytes };
      },
      pseudo(name, pos) {
        if (name === '_qstart' || name === '_qend') {
          const v = name === '_qstart' ? range.from : range.to;
          return { k: 'const', value: Number.isFinite(v) ? v : null, t: DataType.TIMESTAMP, bytes: 8 };
        }
        if (window === null) throw new BasaltError('INVALID_COLUMN', `${name} ${at(pos)} needs an interval window`);
        const it: MergeItem = name === '_wstart' ? { k: 'wstart' } : name === '_wend' ? { k: 'wend' } : { k: 'wduration' };
        return { k: 'slot', slot: layoutSlot(it), t: name === '_wduration' ? DataType.BIGINT : DataType.TIMESTAMP, bytes: 8 };
      },
    };
    const outEnv: TranslateEnv = { ...env, out: hooks };
    const outs: Array<{ name: string; e: Expr }> = [];
    for (const item of stmt.items) {
      const ex = item.expr;
      if (ex.kind === 'star') throw new BasaltError('NOT_SINGLE_GROUP', `select * ${at(ex.pos)} cannot be mixed with aggregates or group by`);
      if (ex.kind === 'function' && (ex.name === 'last' || ex.name === 'first' || ex.name === 'last_row') && ex.args.length === 1 && ex.args[0]!.kind === 'star') {
        // first(*) / last(*) / last_row(*): one selector per column.
        info.columns.forEach((c) => {
          const col: A.Expr = { kind: 'column', table: null, name: c.name, pos: ex.pos };
          outs.push({ name: `${ex.name}(${c.name})`, e: translate({ ...ex, args: [col] }, outEnv) });
        });
        continue;
      }
      outs.push({ name: item.alias ?? item.text, e: translate(ex, outEnv, item.text) });
    }
    let having: Expr | null = null;
    if (stmt.having !== null) having = translate(stmt.having, outEnv);
    const output = outs.map((o) => o.e);
    const order = orderSpecs(stmt, outs, output, (x) => translate(x, outEnv));
    const partitionCols = stmt.partitionBy.map((_p, idx) => {
      output.push({ k: 'slot', slot: layoutSlot({ k: 'key', idx }), t: keys[idx]!.t, bytes: keys[idx]!.bytes });
      return output.length - 1;
    });
    const singleRow = keys.length === 0 && window === null;
    plan = {
      precision: db.precision, columns: outs.map((o) => resultColumn(o.name, o.e)), mode: 'agg', keys,
      partitionKeys: stmt.partitionBy.length, layout, aggs, window, fill: stmt.window?.kind === 'interval' ? fillOf(stmt.window.fill, env) : null,
      rangeFrom: range.from, rangeTo: range.to, singleRow, having, output, order, partitionCols, visible: outs.length,
      limit, offset, slimit: sl.limit, soffset: sl.offset,
    };
    if (plan.fill !== null && plan.fill.mode !== 'none' && window === null) throw new BasaltError('INVALID_FILL', 'fill needs an interval window');
  }

  // Subplans: one per vgroup holding tables to read.
  const filter = andOf(rowConds), tableFilter = andOf(tableConds);
  const tr: TimeRange = { from: range.from, to: range.to };
  const emptyRange = tr.from > tr.to;
  const targets = info.kind === 'super'
    ? superTableTargets(db, tname, tagLookup, tbnames)
    : [{ vgroup: home, tables: { k: 'names', names: [tname], stable: null } as const }];
  const keysPerTable = keys.every(isPerTable);
  const useBlockStats = aggMode && filter === null && keysPerTable &&
    aggs.every((a) => STATS_FUNCTIONS.has(a.fn) && (a.arg === null || a.arg.k === 'slot'));
  const useLastRowCache = aggMode && filter === null && keysPerTable && window === null && aggs.length > 0 &&
    aggs.every((a) => a.fn === 'last_row' && a.arg !== null && a.arg.k === 'slot');
  const subplans: SubPlan[] = targets.filter(() => !emptyRange).map((t) => ({
    vgId: t.vgroup.vgId, tables: t.tables, range: tr, scanColumns: [...scope.scanColumns], tableFilter, filter,
    mode: aggMode ? 'agg' : 'rows', project, rowLimit, perTable, keys, window, aggs, useBlockStats, useLastRowCache,
  }));
  return { plan: { ...plan, subplans }, stores: new Map(targets.map((t) => [t.vgroup.vgId, t.vgroup.store])) };
}

/** ORDER BY items → output columns (matching a select item by alias, position or expression) or hidden columns. */
function orderSpecs(stmt: A.SelectStmt, outs: Array<{ name: string; e: Expr }>, output: Expr[], tr: (e: A.Expr) => Expr): OrderSpec[] {
  return stmt.orderBy.map((o) => {
    let col = -1;
    if (o.expr.kind === 'integer') {
      const n = Number(o.expr.value);
      if (n < 1 || n > outs.length) throw new BasaltError('WRONG_NUMBER_OF_SELECT', `order by ${n} ${at(o.pos)}: the select list has ${outs.length} item(s)`);
      col = n - 1;
    } else if (o.expr.kind === 'column' && o.expr.table === null) {
      const name = o.expr.name;
      col = stmt.items.findIndex((it) => it.alias === name);
      if (col >= 0) col = outs.findIndex((x) => x.name === name);
    }
    if (col < 0) {
      const e = tr(o.expr);
      const k = exprKey(e);
      col = output.findIndex((x) => exprKey(x) === k);
      if (col < 0) { col = output.length; output.push(e); }
    }
    return { col, desc: o.desc, nullsFirst: o.nulls === null ? !o.desc : o.nulls === 'first' };
  });
}

/** FROM-less select: literals and functions like now(), database(), server_version(). */
function analyzeConst(stmt: A.SelectStmt, ctx: SelectContext): SelectPlan {
  const env: TranslateEnv = {
    precision: 'ms', nowTicks: ctx.nowMs(), database: ctx.session.db, serverVersion: ctx.serverVersion, table: null, out: null,
  };
  const outs = stmt.items.map((item) => {
    if (containsAggregate(item.expr)) throw new BasaltError('ILLEGAL_USE_AGG', `aggregate ${at(item.pos)} needs a FROM table`);
    return { name: item.alias ?? item.text, e: translate(item.expr, env, item.text) };
  });
  const output = outs.map((o) => o.e);
  const { limit, offset } = limitOf(stmt.limit);
  const where = stmt.where === null ? true : evalConstant(translate(stmt.where, env));
  return {
    precision: 'ms', columns: outs.map((o) => resultColumn(o.name, o.e)), mode: 'const', subplans: [], keys: [], partitionKeys: 0,
    layout: [], aggs: [], window: null, fill: null, rangeFrom: -Infinity, rangeTo: Infinity, singleRow: true,
    having: where === true ? null : { k: 'const', value: false, t: DataType.BOOL, bytes: 1 },
    output, order: [], partitionCols: [], visible: outs.length, limit, offset, slimit: Infinity, soffset: 0,
  };
}
