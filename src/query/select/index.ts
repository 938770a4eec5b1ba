// The select path's entry point (contract: src/query/select-api.ts): plan, run the
// per-vgroup subplans, merge, and stream the result.
import type { ColumnBlock } from '../../common/block.js';
import type { SelectStmt } from '../../sql/ast.js';
import type { StatementResult } from '../select-api.js';
import type { RunSelect, SelectContext } from '../select-api.js';
import { analyzeSelect } from './analyze.js';
import {
  executeAggregate,
  executeSortedRows,
  lastRowsDescending,
  streamRows,
  streamTimestampAscending,
  timestampOrderOfOneTable,
} from './execute.js';

async function* fromArray(blocks: ColumnBlock[]): AsyncGenerator<ColumnBlock> {
  for (const b of blocks) yield b;
}

export const runSelect: RunSelect<SelectStmt> = async (
  stmt: SelectStmt,
  ctx: SelectContext,
): Promise<StatementResult> => {
  const { plan, vgroups } = analyzeSelect(stmt, ctx);
  let blocks: AsyncIterable<ColumnBlock>;
  if (plan.mode === 'rows') {
    const tsOrder = timestampOrderOfOneTable(plan);
    if (tsOrder === 'asc') blocks = streamTimestampAscending(plan, vgroups, ctx.beforeRead);
    else if (tsOrder === 'desc') blocks = fromArray(await lastRowsDescending(plan, vgroups, ctx.beforeRead));
    else if (plan.order.length > 0 || plan.partitionCols.length > 0)
      blocks = fromArray(await executeSortedRows(plan, vgroups, ctx.beforeRead));
    else blocks = streamRows(plan, vgroups, ctx.beforeRead);
  } else blocks = fromArray(await executeAggregate(plan, vgroups, ctx.beforeRead));
  return { kind: 'query', verb: 'Query', columns: plan.columns, precision: plan.precision, blocks, affectedRows: 0 };
};

export { analyzeSelect } from './analyze.js';
export type { SelectPlan } from './plan.js';
export type { SubPlan } from './ir.js';
// For the cluster: a remote vnode runs a shipped subplan and returns its partial as plain data.
export { runAggSubplan, runRowsSubplan, type AggPartial } from './exec-subplan.js';
export { exportPartial, importPartial, type PartialState } from './partial-state.js';
