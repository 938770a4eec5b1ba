// Runs a select plan: subplans on their vgroups' stores, then the merge stage, producing the
// result as a stream of column blocks of at most Limits.resultBlockRows rows.
import type { ColumnBlock, ColumnVector } from '../../common/block.js';
import { sliceVector, valueAt } from '../../common/block.js';
import { assert } from '../../common/assert.js';
import { BasaltError } from '../../common/errors.js';
import { Limits } from '../../common/limits.js';
import { DataType } from '../../common/types.js';
import type { VgroupHandle } from '../select-api.js';
import { evalExpr, type Batch } from './eval.js';
import { runAggSubplan, runRowsSubplan, type AggPartial } from './exec-subplan.js';
import { importPartial } from './partial-state.js';
import type { SubPlan } from './ir.js';
import { buildMergeBatch } from './merge.js';
import type { OrderSpec, SelectPlan } from './plan.js';
import { gatherRows, sortPermutation } from './sort.js';
import { GroupTable, keyString } from './groups.js';
import { createAccumulators } from './aggregates.js';
import type { ScalarValue } from './ir.js';
import { selectVector, trueRows } from './vec.js';

const BLOCK_ROWS = Limits.resultBlockRows;

function handleOf(vgroups: ReadonlyMap<number, VgroupHandle>, vgId: number): VgroupHandle {
  const vg = vgroups.get(vgId);
  assert(vg !== undefined, `no handle for vgroup ${vgId}`);
  return vg;
}

/** Before a local read of a vgroup (ReadIndex for a replicated one); see SelectContext.beforeRead. */
export type BeforeRead = ((vgId: number) => Promise<void>) | undefined;

async function aggPartial(plan: SelectPlan, sp: SubPlan, vg: VgroupHandle, before: BeforeRead): Promise<AggPartial> {
  if (vg.remote !== null) return importPartial(await vg.remote.agg(sp), plan.aggs);
  if (before) await before(sp.vgId);
  return runAggSubplan(sp, vg.store);
}

async function rowsOf(sp: SubPlan, vg: VgroupHandle, before: BeforeRead): Promise<Iterable<ColumnBlock>> {
  if (vg.remote !== null) return vg.remote.rows(sp);
  if (before) await before(sp.vgId);
  return runRowsSubplan(sp, vg.store);
}

/** Splits whole result columns into blocks of the visible columns. */
function* chunk(cols: readonly ColumnVector[], numRows: number, visible: number): Generator<ColumnBlock> {
  const vis = cols.slice(0, visible);
  for (let at = 0; at < numRows; at += BLOCK_ROWS) {
    const end = Math.min(numRows, at + BLOCK_ROWS);
    yield { numRows: end - at, columns: vis.map((c) => sliceVector(c, at, end)) };
  }
}

/** Sorts (if ordered) and applies offset/limit to whole columns. */
function orderAndLimit(
  plan: SelectPlan,
  cols: ColumnVector[],
  numRows: number,
): { cols: ColumnVector[]; numRows: number } {
  // Aggregate rows already come in partition order; without a limit there is nothing to do per partition.
  const perPartitionNoop = plan.mode !== 'rows' && plan.limit === Infinity && plan.offset === 0;
  if (plan.partitionCols.length > 0 && !perPartitionNoop) return limitPerPartition(plan, cols, numRows);
  const from = Math.min(plan.offset, numRows),
    to = Math.min(numRows, from + plan.limit);
  if (plan.order.length > 0) {
    const perm = sortPermutation(cols, plan.order, numRows);
    return { cols: gatherRows(cols, perm, from, to), numRows: to - from };
  }
  if (from === 0 && to === numRows) return { cols, numRows };
  return { cols: cols.map((c) => sliceVector(c, from, to)), numRows: to - from };
}

/**
 * With partition by, limit/offset apply within each partition and slimit/soffset to
 * partitions (rows mode; aggregate queries applied slimit when merging). Without order by
 * the rows come grouped by partition (stable, so each keeps its time order); with order by
 * the order is global and each partition keeps its first rows in that order.
 */
function limitPerPartition(
  plan: SelectPlan,
  cols: ColumnVector[],
  numRows: number,
): { cols: ColumnVector[]; numRows: number } {
  const byPartition: OrderSpec[] = plan.partitionCols.map((col) => ({ col, desc: false, nullsFirst: true }));
  const perm = sortPermutation(cols, plan.order.length > 0 ? plan.order : byPartition, numRows);
  const keep = new Int32Array(numRows);
  const seen = new Map<ScalarValue, { ordinal: number; rows: number }>();
  // One partition column (the usual case) keys the map by its value; several by a key string.
  const single = plan.partitionCols.length === 1 ? cols[plan.partitionCols[0]!]! : null;
  let kept = 0;
  for (let r = 0; r < numRows; r++) {
    const row = perm[r]!;
    const key =
      single !== null ? valueAt(single, row) : keyString(plan.partitionCols.map((c) => valueAt(cols[c]!, row)));
    let p = seen.get(key);
    if (p === undefined) {
      p = { ordinal: seen.size, rows: 0 };
      seen.set(key, p);
    }
    const partOk = plan.mode !== 'rows' || (p.ordinal >= plan.soffset && p.ordinal < plan.soffset + plan.slimit);
    if (partOk && p.rows >= plan.offset && p.rows < plan.offset + plan.limit) keep[kept++] = row;
    p.rows++;
  }
  return { cols: cols.map((c) => selectVector(c, keep, kept)), numRows: kept };
}

function filterBatch(cond: ColumnVector, cols: ColumnVector[]): { cols: ColumnVector[]; numRows: number } {
  const { idx, count } = trueRows(cond);
  return { cols: cols.map((c) => selectVector(c, idx, count)), numRows: count };
}

/** Aggregate and FROM-less queries: computed whole (their input must be read whole anyway). */
export async function executeAggregate(
  plan: SelectPlan,
  vgroups: ReadonlyMap<number, VgroupHandle>,
  before?: BeforeRead,
): Promise<ColumnBlock[]> {
  let batch: Batch;
  if (plan.mode === 'const') {
    batch = { numRows: 1, cols: [], tagValues: [], tbname: '' };
  } else {
    // Remote vgroups work in parallel; local ones run in turn on this thread.
    const partials = await Promise.all(
      plan.subplans.map((sp) => aggPartial(plan, sp, handleOf(vgroups, sp.vgId), before)),
    );
    // No vgroup to ask (e.g. an empty time range): an empty partial still yields count 0 etc.
    if (partials.length === 0) partials.push({ groups: new GroupTable(), accs: createAccumulators(plan.aggs) });
    batch = buildMergeBatch(plan, partials);
  }
  let cols = plan.output.map((e) => evalExpr(e, batch));
  let numRows = batch.numRows;
  if (plan.having !== null) {
    const r = filterBatch(evalExpr(plan.having, batch), cols);
    cols = r.cols;
    numRows = r.numRows;
  }
  const r = orderAndLimit(plan, cols, numRows);
  return [...chunk(r.cols, r.numRows, plan.visible)];
}

/** 'asc' / 'desc' when a one-table rows query is ordered by the timestamp alone: scan order already. */
export function timestampOrderOfOneTable(plan: SelectPlan): 'asc' | 'desc' | null {
  const sp = plan.subplans[0];
  if (plan.subplans.length !== 1 || sp === undefined || plan.order.length !== 1 || plan.partitionCols.length > 0)
    return null;
  if (sp.tables.k !== 'names' || sp.tables.names.length !== 1) return null;
  const e = sp.project[plan.order[0]!.col];
  if (e === undefined || e.k !== 'slot' || e.slot !== 0) return null;
  return plan.order[0]!.desc ? 'desc' : 'asc';
}

/** One table ordered by ts ascending: streamed in scan order, stopping at offset + limit. */
export function streamTimestampAscending(
  plan: SelectPlan,
  vgroups: ReadonlyMap<number, VgroupHandle>,
  before?: BeforeRead,
): AsyncGenerator<ColumnBlock> {
  const sp = plan.subplans[0]!;
  return streamRows({ ...plan, subplans: [{ ...sp, rowLimit: plan.offset + plan.limit }] }, vgroups, before);
}

/** One table ordered by ts descending: only the last offset + limit rows are kept while scanning. */
export async function lastRowsDescending(
  plan: SelectPlan,
  vgroups: ReadonlyMap<number, VgroupHandle>,
  before?: BeforeRead,
): Promise<ColumnBlock[]> {
  const sp = plan.subplans[0]!;
  const need = plan.offset + plan.limit;
  const kept: ColumnBlock[] = [];
  let held = 0;
  for (const b of await rowsOf(sp, handleOf(vgroups, sp.vgId), before)) {
    kept.push(b);
    held += b.numRows;
    while (kept.length > 1 && held - kept[0]!.numRows >= need) held -= kept.shift()!.numRows;
    if (held > Limits.maxQueryMaterializedRows) {
      throw new BasaltError(
        'NOT_SUPPORTED',
        `order by ts desc over more than ${Limits.maxQueryMaterializedRows} rows; add a limit or narrow the time range`,
      );
    }
  }
  const cols = concatColumns(kept, sp.project.length, plan);
  const count = Math.max(0, Math.min(plan.limit, held - plan.offset));
  const perm = new Int32Array(count);
  for (let i = 0; i < count; i++) perm[i] = held - 1 - plan.offset - i;
  return [...chunk(gatherRows(cols, perm, 0, count), count, plan.visible)];
}

/** Rows queries with order by: collected, sorted, limited. */
export async function executeSortedRows(
  plan: SelectPlan,
  vgroups: ReadonlyMap<number, VgroupHandle>,
  before?: BeforeRead,
): Promise<ColumnBlock[]> {
  const blocks: ColumnBlock[] = [];
  let held = 0;
  for (const sp of plan.subplans) {
    for (const b of await rowsOf(sp, handleOf(vgroups, sp.vgId), before)) {
      held += b.numRows;
      if (held > Limits.maxQueryMaterializedRows) {
        throw new BasaltError(
          'NOT_SUPPORTED',
          `order by / partition by over more than ${Limits.maxQueryMaterializedRows} rows; narrow the time range or filter more in WHERE, or drop order by to stream the rows`,
        );
      }
      blocks.push(b);
    }
  }
  const width =
    plan.subplans[0]?.project.length ??
    Math.max(plan.columns.length, ...plan.order.map((o) => o.col + 1), ...plan.partitionCols.map((c) => c + 1));
  const cols = concatColumns(blocks, width, plan);
  const numRows = blocks.reduce((s, b) => s + b.numRows, 0);
  const r = orderAndLimit(plan, cols, numRows);
  return [...chunk(r.cols, r.numRows, plan.visible)];
}

function concatColumns(blocks: ColumnBlock[], width: number, plan: SelectPlan): ColumnVector[] {
  const out: ColumnVector[] = [];
  const total = blocks.reduce((s, b) => s + b.numRows, 0);
  for (let c = 0; c < width; c++) {
    // Without any block the hidden sort columns have no type; any type serves for zero rows.
    const type = blocks[0]?.columns[c]?.type ?? plan.columns[c]?.type ?? DataType.DOUBLE;
    const parts = blocks.map((b) => b.columns[c]!);
    out.push(concatVectors(type, parts, total));
  }
  return out;
}

function concatVectors(type: ColumnVector['type'], parts: ColumnVector[], total: number): ColumnVector {
  if (parts.length === 1) return parts[0]!;
  const anyNull = parts.some((p) => p.nulls !== null);
  const nulls = anyNull ? new Uint8Array(total) : null;
  if (parts.length > 0 && Array.isArray(parts[0]!.data)) {
    const data: string[] = [];
    let at = 0;
    for (const p of parts) {
      for (const s of p.data as string[]) data.push(s);
      if (nulls && p.nulls) nulls.set(p.nulls, at);
      at += p.data.length;
    }
    return { type, data, nulls };
  }
  const ctor = parts.length > 0 ? (parts[0]!.data.constructor as new (n: number) => Float64Array) : Float64Array;
  const data = new ctor(total);
  let at = 0;
  for (const p of parts) {
    data.set(p.data as Float64Array, at);
    if (nulls && p.nulls) nulls.set(p.nulls, at);
    at += p.data.length;
  }
  return { type, data, nulls };
}

/** Rows queries without order by: streamed block by block with offset/limit, stopping early. */
export async function* streamRows(
  plan: SelectPlan,
  vgroups: ReadonlyMap<number, VgroupHandle>,
  before?: BeforeRead,
): AsyncGenerator<ColumnBlock> {
  let skip = plan.offset,
    left = plan.limit;
  if (left <= 0) return;
  for (const sp of plan.subplans) {
    for (const b of await rowsOf(sp, handleOf(vgroups, sp.vgId), before)) {
      let from = 0,
        to = b.numRows;
      if (skip > 0) {
        const s = Math.min(skip, to);
        skip -= s;
        from = s;
      }
      if (from >= to) continue;
      to = Math.min(to, from + left);
      left -= to - from;
      const cols = b.columns.slice(0, plan.visible).map((c) => sliceVector(c, from, to));
      yield* chunk(cols, to - from, plan.visible);
      if (left <= 0) return;
    }
  }
}
