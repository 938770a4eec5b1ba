// Planning of row queries (no aggregation): projection, hidden sort and partition columns,
// and how much each vgroup / table needs to send (limits pushed down where order allows).
import type * as A from '../../sql/ast.js';
import type { TableInfo } from '../../storage/api.js';
import type { Expr, SubPlan } from './ir.js';
import type { SelectPlan } from './plan.js';
import { orderSpecs, resultColumn } from './plan-common.js';
import { translate, type TableScope, type TranslateEnv } from './translate.js';

export interface RowsPlan {
  readonly plan: Omit<SelectPlan, 'subplans'>;
  readonly project: Expr[];
  readonly rowLimit: number;
  readonly perTable: SubPlan['perTable'];
}

export function planRows(
  stmt: A.SelectStmt,
  info: TableInfo,
  scope: TableScope,
  env: TranslateEnv,
  range: { from: number; to: number },
  limit: number,
  offset: number,
  sl: { limit: number; offset: number },
): RowsPlan {
  let perTable: SubPlan['perTable'] = null;
  const outs: Array<{ name: string; e: Expr }> = [];
  for (const item of stmt.items) {
    if (item.expr.kind === 'star') {
      info.columns.forEach((c, i) => {
        outs.push({ name: c.name, e: { k: 'slot', slot: scope.slotOf(i), t: c.type, bytes: c.bytes } });
      });
      if (info.kind === 'super')
        info.tags.forEach((c, i) => {
          outs.push({ name: c.name, e: { k: 'tag', tag: i, t: c.type, bytes: c.bytes } });
        });
      continue;
    }
    outs.push({ name: item.alias ?? item.text, e: translate(item.expr, env, item.text) });
  }
  const project = outs.map((o) => o.e);
  const order = orderSpecs(stmt, outs, project, (x) => translate(x, env));
  const partitionCols = stmt.partitionBy.map((p) => {
    project.push(translate(p, env));
    return project.length - 1;
  });
  const rowLimit = order.length === 0 && partitionCols.length === 0 ? limit + offset : Infinity;
  const first = order[0],
    firstExpr = first === undefined ? undefined : project[first.col];
  if (
    first !== undefined &&
    firstExpr !== undefined &&
    firstExpr.k === 'slot' &&
    firstExpr.slot === 0 &&
    partitionCols.length === 0 &&
    Number.isFinite(limit)
  ) {
    perTable = { limit: limit + offset, fromEnd: first.desc };
  }
  const plan: Omit<SelectPlan, 'subplans'> = {
    precision: env.precision,
    columns: outs.map((o) => resultColumn(o.name, o.e)),
    mode: 'rows',
    keys: [],
    partitionKeys: 0,
    layout: [],
    aggs: [],
    window: null,
    segments: null,
    fill: null,
    rangeFrom: range.from,
    rangeTo: range.to,
    singleRow: false,
    having: null,
    output: [],
    order,
    partitionCols,
    visible: outs.length,
    limit,
    offset,
    slimit: sl.limit,
    soffset: sl.offset,
  };
  return { plan, project, rowLimit, perTable };
}
