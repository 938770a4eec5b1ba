// SELECT analysis and planning: resolves FROM, pushes time and tag predicates down, plans
// rows or aggregation (plan-rows.ts / plan-aggregate.ts), picks the fast paths, and splits
// the work into one subplan per vgroup plus the merge stage.
import { BasaltError } from '../../common/errors.js';
import { DataType } from '../../common/types.js';
import { msToTicks } from '../../common/time.js';
import type * as A from '../../sql/ast.js';
import type { DbHandle, SelectContext, VgroupHandle } from '../select-api.js';
import type { TimeRange } from '../../storage/api.js';
import { STATS_FUNCTIONS } from './aggregates.js';
import { isPerTable } from './exec-subplan.js';
import type { AggSpec, Expr, SegmentSpec, SubPlan, WindowSpec } from './ir.js';
import type { SelectPlan } from './plan.js';
import { planAggregate } from './plan-aggregate.js';
import { limitOf } from './plan-common.js';
import { planConst } from './plan-const.js';
import { planRows } from './plan-rows.js';
import { andOf, splitWhere } from './pushdown.js';
import { findTable, superTableTargets } from './route.js';
import { TableScope, at, containsAggregate, translate, type TranslateEnv } from './translate.js';

export interface AnalyzedSelect {
  readonly plan: SelectPlan;
  /** The local store of each vgroup a subplan goes to. */
  /** The vgroups the subplans read, by vgId. */
  readonly vgroups: ReadonlyMap<number, VgroupHandle>;
}

export function analyzeSelect(stmt: A.SelectStmt, ctx: SelectContext): AnalyzedSelect {
  if (stmt.from === null) return { plan: planConst(stmt, ctx), vgroups: new Map() };
  if (stmt.from.kind !== 'table')
    throw new BasaltError('NOT_SUPPORTED', `subqueries in FROM ${at(stmt.from.pos)} are not supported yet`);
  checkDistinct(stmt);
  const db = ctx.getDb(stmt.from.table.db ?? ctx.session.db);
  const tname = stmt.from.table.name;
  const { info, vgroup: home } = findTable(db, tname);
  const scope = new TableScope(tname, info.columns, info.tags, stmt.from.alias);
  const env = translateEnv(db, ctx, scope);
  const where = stmt.where === null ? null : translate(stmt.where, env);
  if (where !== null && where.t !== DataType.BOOL)
    throw new BasaltError('WRONG_VALUE_TYPE', `WHERE ${at(stmt.where!.pos)} must be a condition`);
  const { range, tableConds, rowConds, tagLookup, tbnames } = splitWhere(where, scope);

  // select distinct a, b: one group per distinct (a, b).
  const groupExprs = [...stmt.partitionBy, ...stmt.groupBy, ...(stmt.distinct ? stmt.items.map((i) => i.expr) : [])];
  const aggMode = isAggregateQuery(stmt);
  const { limit, offset } = limitOf(stmt.limit);
  const sl = limitOf(stmt.slimit);

  let plan: Omit<SelectPlan, 'subplans'>;
  let project: Expr[] = [],
    keys: Expr[] = [],
    aggs: AggSpec[] = [],
    window: WindowSpec | null = null;
  let segments: SegmentSpec | null = null;
  let rowLimit = Infinity;
  let perTable: SubPlan['perTable'] = null;
  if (aggMode)
    ({ plan, keys, aggs, window, segments } = planAggregate(stmt, info, env, groupExprs, range, limit, offset, sl));
  else ({ plan, project, rowLimit, perTable } = planRows(stmt, info, scope, env, range, limit, offset, sl));

  // Subplans: one per vgroup holding tables to read.
  const filter = andOf(rowConds),
    tableFilter = andOf(tableConds);
  const tr: TimeRange = { from: range.from, to: range.to };
  const emptyRange = tr.from > tr.to;
  const targets =
    info.kind === 'super'
      ? superTableTargets(db, tname, tagLookup, tbnames)
      : [{ vgroup: home, tables: { k: 'names', names: [tname], stable: null } as const }];
  const keysPerTable = keys.every(isPerTable);
  const useBlockStats = aggMode && filter === null && keysPerTable && segments === null && blockStatsAnswer(aggs);
  const useLastRowCache =
    aggMode && filter === null && keysPerTable && window === null && segments === null && lastRowCacheAnswers(aggs);
  const subplans: SubPlan[] = targets
    .filter(() => !emptyRange)
    .map((t) => ({
      vgId: t.vgroup.vgId,
      tables: t.tables,
      range: tr,
      scanColumns: [...scope.scanColumns],
      tableFilter,
      filter,
      mode: aggMode ? 'agg' : 'rows',
      project,
      rowLimit,
      perTable,
      keys,
      window,
      segments,
      aggs,
      useBlockStats,
      useLastRowCache,
    }));
  return { plan: { ...plan, subplans }, vgroups: new Map(targets.map((t) => [t.vgroup.vgId, t.vgroup])) };
}

/** select distinct goes over plain expressions only. */
function checkDistinct(stmt: A.SelectStmt): void {
  if (
    stmt.distinct &&
    (stmt.items.some((i) => i.expr.kind === 'star' || containsAggregate(i.expr)) ||
      stmt.window !== null ||
      stmt.groupBy.length > 0)
  ) {
    throw new BasaltError(
      'NOT_SUPPORTED',
      `select distinct ${at(stmt.pos)} is supported over plain expressions only (no *, aggregates, windows or group by)`,
    );
  }
}

/** Expressions over the table `scope` of database `db`, outside any aggregate. */
function translateEnv(db: DbHandle, ctx: SelectContext, scope: TableScope): TranslateEnv {
  return {
    precision: db.precision,
    nowTicks: msToTicks(ctx.nowMs(), db.precision),
    database: db.name,
    serverVersion: ctx.serverVersion,
    table: scope,
    out: null,
  };
}

/** Whether the query aggregates (distinct, window, group by, aggregates, having). */
function isAggregateQuery(stmt: A.SelectStmt): boolean {
  return (
    stmt.distinct ||
    stmt.window !== null ||
    stmt.groupBy.length > 0 ||
    stmt.items.some((i) => containsAggregate(i.expr)) ||
    stmt.having !== null ||
    stmt.orderBy.some((o) => containsAggregate(o.expr))
  );
}

/** Whether block statistics can answer every aggregate (each over a plain column or count(*)). */
function blockStatsAnswer(aggs: readonly AggSpec[]): boolean {
  return aggs.every((a) => STATS_FUNCTIONS.has(a.fn) && (a.arg === null || a.arg.k === 'slot'));
}

/** Whether the last-row cache can answer every aggregate (at least one, each last_row of a column). */
function lastRowCacheAnswers(aggs: readonly AggSpec[]): boolean {
  return aggs.length > 0 && aggs.every((a) => a.fn === 'last_row' && a.arg !== null && a.arg.k === 'slot');
}
