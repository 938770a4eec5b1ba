// Helpers shared by the planners: expression identity, result columns, limits, ORDER BY.
import { BasaltError } from '../../common/errors.js';
import { DataType, TYPE_BYTES, isStringType } from '../../common/types.js';
import type * as A from '../../sql/ast.js';
import type { ResultColumn } from '../select-api.js';
import type { Expr } from './ir.js';
import type { OrderSpec } from './plan.js';
import { at } from './translate.js';

/** Structural identity of an expression (group keys, dedupe of aggregates and sort columns). */
export function exprKey(e: Expr): string {
  return JSON.stringify(e, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v));
}

export function resultColumn(name: string, e: { t: DataType; bytes: number }): ResultColumn {
  return { name, type: e.t, bytes: isStringType(e.t) ? e.bytes : TYPE_BYTES[e.t] };
}

export function limitOf(l: A.LimitClause | null): { limit: number; offset: number } {
  return l === null ? { limit: Infinity, offset: 0 } : { limit: l.limit, offset: l.offset };
}

/** ORDER BY items → output columns (matching a select item by alias, position or expression) or hidden columns. */
export function orderSpecs(
  stmt: A.SelectStmt,
  outs: Array<{ name: string; e: Expr }>,
  output: Expr[],
  tr: (e: A.Expr) => Expr,
): OrderSpec[] {
  return stmt.orderBy.map((o) => {
    let col = -1;
    if (o.expr.kind === 'integer') {
      const n = Number(o.expr.value);
      if (n < 1 || n > outs.length)
        throw new BasaltError(
          'WRONG_NUMBER_OF_SELECT',
          `order by ${n} ${at(o.pos)}: the select list has ${outs.length} item(s)`,
        );
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
      if (col < 0) {
        col = output.length;
        output.push(e);
      }
    }
    return { col, desc: o.desc, nullsFirst: o.nulls === null ? !o.desc : o.nulls === 'first' };
  });
}
