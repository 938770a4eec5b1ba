// Planning of FROM-less selects: literals and functions like now(), database(), server_version().
import { BasaltError } from '../../common/errors.js';
import { DataType } from '../../common/types.js';
import type * as A from '../../sql/ast.js';
import type { SelectContext } from '../select-api.js';
import { evalConstant } from './eval.js';
import type { SelectPlan } from './plan.js';
import { limitOf, resultColumn } from './plan-common.js';
import { at, containsAggregate, translate, type TranslateEnv } from './translate.js';

export function planConst(stmt: A.SelectStmt, ctx: SelectContext): SelectPlan {
  const env: TranslateEnv = {
    precision: 'ms',
    nowTicks: ctx.nowMs(),
    database: ctx.session.db,
    serverVersion: ctx.serverVersion,
    table: null,
    out: null,
  };
  const outs = stmt.items.map((item) => {
    if (containsAggregate(item.expr))
      throw new BasaltError('ILLEGAL_USE_AGG', `aggregate ${at(item.pos)} needs a FROM table`);
    return { name: item.alias ?? item.text, e: translate(item.expr, env, item.text) };
  });
  const output = outs.map((o) => o.e);
  const { limit, offset } = limitOf(stmt.limit);
  const where = stmt.where === null ? true : evalConstant(translate(stmt.where, env));
  return {
    precision: 'ms',
    columns: outs.map((o) => resultColumn(o.name, o.e)),
    mode: 'const',
    subplans: [],
    keys: [],
    partitionKeys: 0,
    layout: [],
    aggs: [],
    window: null,
    segments: null,
    fill: null,
    rangeFrom: -Infinity,
    rangeTo: Infinity,
    singleRow: true,
    having: where === true ? null : { k: 'const', value: false, t: DataType.BOOL, bytes: 1 },
    output,
    order: [],
    partitionCols: [],
    visible: outs.length,
    limit,
    offset,
    slimit: Infinity,
    soffset: 0,
  };
}
