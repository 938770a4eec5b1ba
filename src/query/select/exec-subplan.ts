// Runs one vgroup's subplan against its store: per table, the table filter (tags), then
// the scan with the pushed-down time range, the row filter, and either projection (rows
// mode) or partial aggregation per group and window (agg mode). Block statistics and the
// last-row cache answer aggregates without decoding when the plan allows it.
import type { ColumnBlock, ColumnVector } from '../../common/block.js';
import { sliceBlock, valueAt } from '../../common/block.js';
import type { TableInfo, TagValue, TimeRange, VnodeStore } from '../../storage/api.js';
import { createAccumulators, type Accumulator } from './aggregates.js';
import { evalConstant, evalExpr, type Batch } from './eval.js';
import { GroupTable, keyPart, keyString } from './groups.js';
import type { Expr, ScalarValue, SegmentSpec, SubPlan } from './ir.js';
import { selectVector, trueRows } from './vec.js';
import {
  firstWindowContaining,
  lowerBound,
  nextWindowStart,
  windowEnd,
  windowsBetween,
  windowsPerRow,
  windowStartOf,
} from './window.js';

/**
 * Per-window statistics decode every block that straddles a window edge once per window it
 * touches (about two blocks per edge), while a scan decodes every block once. Statistics win
 * only when windows hold several blocks: at least this many blocks' worth of rows.
 */
const STATS_MIN_BLOCKS_PER_WINDOW = 2;

export interface AggPartial {
  readonly groups: GroupTable;
  readonly accs: Accumulator[];
}

/** Whether an expression depends only on the table (tags, tbname, constants), not on rows. */
export function isPerTable(e: Expr): boolean {
  switch (e.k) {
    case 'slot':
      return false;
    case 'const':
    case 'tag':
    case 'tbname':
      return true;
    case 'arith':
    case 'cmp':
      return isPerTable(e.l) && isPerTable(e.r);
    case 'neg':
    case 'not':
    case 'isnull':
    case 'in':
    case 'like':
    case 'regex':
    case 'cast':
      return isPerTable(e.e);
    case 'between':
      return isPerTable(e.e) && isPerTable(e.lo) && isPerTable(e.hi);
    case 'and':
    case 'or':
      return e.args.every(isPerTable);
    case 'fn':
      return e.args.every(isPerTable);
    case 'case':
      return e.whens.every((w) => isPerTable(w.when) && isPerTable(w.then)) && (e.else === null || isPerTable(e.else));
  }
}

interface TableCtx {
  readonly name: string;
  readonly tagValues: readonly ScalarValue[];
  readonly id: number;
}

/** Tables of the subplan that exist (here, now) and pass the table filter. */
function* tablesOf(plan: SubPlan, store: VnodeStore): Generator<TableCtx> {
  let infos: Iterable<TableInfo | undefined>;
  const sel = plan.tables;
  switch (sel.k) {
    case 'names':
      infos = sel.names.map((n) => store.getTable(n));
      break; // undefined: dropped since planning
    case 'children':
      infos = store.listTables({ stable: sel.stable });
      break;
    case 'tagIndex':
      // A vnode that never received the super table holds none of its children.
      infos =
        store.getTable(sel.stable) === undefined
          ? []
          : store.childTablesWithTag(sel.stable, sel.tagName, sel.values as TagValue[]).map((n) => store.getTable(n));
      break;
  }
  let id = 0;
  for (const info of infos) {
    if (info === undefined || (sel.k === 'names' && sel.stable !== null && info.stable !== sel.stable)) continue;
    const tagValues = info.tagValues as readonly ScalarValue[];
    if (plan.tableFilter !== null && evalConstant(plan.tableFilter, tagValues, info.name) !== true) continue;
    yield { name: info.name, tagValues, id: id++ };
  }
}

/** Scan blocks of one table after the row filter, as batches. */
function* filteredBatches(
  plan: SubPlan,
  store: VnodeStore,
  t: TableCtx,
  range: TimeRange = plan.range,
): Generator<Batch> {
  for (const block of store.scan(t.name, range, plan.scanColumns)) {
    if (block.numRows === 0) continue;
    let batch: Batch = { numRows: block.numRows, cols: block.columns, tagValues: t.tagValues, tbname: t.name };
    if (plan.filter !== null) {
      const { idx, count } = trueRows(evalExpr(plan.filter, batch));
      if (count === 0) continue;
      if (count < block.numRows) {
        batch = {
          numRows: count,
          cols: block.columns.map((c) => selectVector(c, idx, count)),
          tagValues: t.tagValues,
          tbname: t.name,
        };
      }
    }
    yield batch;
  }
}

/** Rows mode: the projected rows of every table, one output block per scanned block. */
export function* runRowsSubplan(plan: SubPlan, store: VnodeStore): Generator<ColumnBlock> {
  let produced = 0;
  for (const t of tablesOf(plan, store)) {
    for (const b of plan.perTable === null
      ? projectedBlocks(plan, store, t)
      : limitedBlocks(plan, store, t, plan.perTable)) {
      yield b;
      produced += b.numRows;
      if (produced >= plan.rowLimit) return;
    }
  }
}

function* projectedBlocks(
  plan: SubPlan,
  store: VnodeStore,
  t: TableCtx,
  range: TimeRange = plan.range,
): Generator<ColumnBlock> {
  for (const batch of filteredBatches(plan, store, t, range)) {
    yield { numRows: batch.numRows, columns: plan.project.map((e) => evalExpr(e, batch)) };
  }
}

/** Trailing ranges are sized for this many times the rows needed, and grow by TAIL_RANGE_GROWTH when short. */
const TAIL_RANGE_SLACK = 1.5;
const TAIL_RANGE_GROWTH = 4;

/** The table's first `limit` rows, or (fromEnd) its last `limit` rows, in ts order. */
function* limitedBlocks(
  plan: SubPlan,
  store: VnodeStore,
  t: TableCtx,
  per: NonNullable<SubPlan['perTable']>,
): Generator<ColumnBlock> {
  if (!per.fromEnd) {
    let left = per.limit;
    for (const b of projectedBlocks(plan, store, t)) {
      if (left <= 0) return;
      yield b.numRows <= left ? b : sliceBlock(b, 0, left);
      left -= b.numRows;
    }
    return;
  }
  // The newest rows: scan a trailing time range sized from the table's density, widening it
  // until it holds enough rows (after the filter) or covers the whole query range.
  const extent = store.aggregate(t.name, plan.range, [0]).columns[0]!;
  if (extent.count === 0 || extent.firstTs === null || extent.lastTs === null || per.limit <= 0) return;
  const span = extent.lastTs - extent.firstTs + 1;
  let width =
    extent.count <= per.limit
      ? Infinity
      : Math.max(1, Math.ceil(((span * per.limit) / extent.count) * TAIL_RANGE_SLACK));
  let kept: ColumnBlock[] = [];
  let held = 0;
  for (;;) {
    const from = width === Infinity ? plan.range.from : Math.max(plan.range.from, extent.lastTs - width + 1);
    kept = [];
    held = 0;
    for (const b of projectedBlocks(plan, store, t, { from, to: plan.range.to })) {
      kept.push(b);
      held += b.numRows;
      while (kept.length > 0 && held - kept[0]!.numRows >= per.limit) held -= kept.shift()!.numRows;
    }
    if (held >= per.limit || from <= plan.range.from || from <= extent.firstTs) break;
    width *= TAIL_RANGE_GROWTH;
  }
  let skip = held - per.limit;
  for (const b of kept) {
    if (skip >= b.numRows) {
      skip -= b.numRows;
      continue;
    }
    yield skip > 0 ? sliceBlock(b, skip, b.numRows) : b;
    skip = 0;
  }
}

/** Agg mode: partial aggregates per (group key, window) over the vgroup's tables. */
export function runAggSubplan(plan: SubPlan, store: VnodeStore): AggPartial {
  const groups = new GroupTable();
  const accs = createAccumulators(plan.aggs);
  const keysPerTable = plan.keys.every(isPerTable);
  const sc = statsColumns(plan);
  for (const t of tablesOf(plan, store)) {
    let keyVals: ScalarValue[] = [],
      keyStr = '';
    if (keysPerTable) {
      keyVals = plan.keys.map((k) => evalConstant(k, t.tagValues, t.name));
      keyStr = keyString(keyVals);
    }
    if (plan.segments !== null) {
      const seg: SegmentState = { ws: NaN, prevTs: NaN, state: undefined };
      for (const batch of filteredBatches(plan, store, t))
        addSegmentBatch(plan, plan.segments, seg, t, batch, groups, accs, keyStr, keyVals);
      continue;
    }
    if (plan.useLastRowCache && lastRowFromCache(plan, store, t, groups, accs, keyStr, keyVals)) continue;
    if (plan.useBlockStats && keysPerTable && statsForTable(plan, store, t, groups, accs, keyStr, keyVals, sc))
      continue;
    for (const batch of filteredBatches(plan, store, t)) {
      const ts = batch.cols[0]!.data as Float64Array;
      const args = argVectors(plan, batch);
      if (keysPerTable) addConstKeyBatch(plan, t, batch, ts, args, groups, accs, keyStr, keyVals);
      else addRowKeyBatch(plan, t, batch, ts, args, groups, accs);
    }
  }
  return { groups, accs };
}

function argVectors(plan: SubPlan, batch: Batch): Array<ColumnVector | null> {
  const cache = new Map<string, ColumnVector>();
  return plan.aggs.map((a) => {
    if (a.arg === null) return null;
    if (a.arg.k === 'slot') return batch.cols[a.arg.slot]!;
    const k = JSON.stringify(a.arg, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() + 'n' : v));
    let v = cache.get(k);
    if (v === undefined) {
      v = evalExpr(a.arg, batch);
      cache.set(k, v);
    }
    return v;
  });
}

function addConstKeyBatch(
  plan: SubPlan,
  t: TableCtx,
  batch: Batch,
  ts: Float64Array,
  args: Array<ColumnVector | null>,
  groups: GroupTable,
  accs: Accumulator[],
  keyStr: string,
  keyVals: ScalarValue[],
): void {
  const n = batch.numRows,
    w = plan.window;
  if (w === null) {
    const g = groups.id(keyStr, keyVals, NaN);
    for (let i = 0; i < accs.length; i++) accs[i]!.addRange(g, args[i]!, ts, 0, n, t.id);
    return;
  }
  // Rows are sorted by ts: each window is a contiguous run found by binary search; empty
  // stretches are skipped by jumping to the next row's first window.
  let ws = firstWindowContaining(ts[0]!, w);
  const lastStart = windowStartOf(ts[n - 1]!, w);
  while (ws <= lastStart) {
    const from = lowerBound(ts, ws, 0, n),
      to = lowerBound(ts, windowEnd(ws, w), from, n);
    if (from < to) {
      const g = groups.id(keyStr, keyVals, ws);
      for (let i = 0; i < accs.length; i++) accs[i]!.addRange(g, args[i]!, ts, from, to, t.id);
      ws = nextWindowStart(ws, w);
    } else {
      const next = from < n ? firstWindowContaining(ts[from]!, w) : Infinity;
      ws = Math.max(nextWindowStart(ws, w), next);
    }
  }
}

function addRowKeyBatch(
  plan: SubPlan,
  t: TableCtx,
  batch: Batch,
  ts: Float64Array,
  args: Array<ColumnVector | null>,
  groups: GroupTable,
  accs: Accumulator[],
): void {
  const n = batch.numRows,
    w = plan.window;
  const keyVecs = plan.keys.map((k) => evalExpr(k, batch));
  const gids = new Int32Array(n);
  if (w === null && keyVecs.length === 1) {
    // One key: group ids cached by the key's primitive value (SameValueZero), no string per row.
    const kv = keyVecs[0]!,
      seen = new Map<ScalarValue, number>();
    for (let r = 0; r < n; r++) {
      const v = valueAt(kv, r);
      let g = seen.get(v);
      if (g === undefined) {
        g = groups.id(keyPart(v), [v], NaN);
        seen.set(v, g);
      }
      gids[r] = g;
    }
    for (let i = 0; i < accs.length; i++) accs[i]!.addRows(gids, args[i]!, ts, n, t.id);
    return;
  }
  const keyStrs = new Array<string>(n);
  for (let r = 0; r < n; r++) {
    let s = '';
    for (const kv of keyVecs) s += keyPart(valueAt(kv, r));
    keyStrs[r] = s;
  }
  let row = 0;
  const rowKeys = (): ScalarValue[] => keyVecs.map((kv) => valueAt(kv, row));
  if (w === null) {
    for (row = 0; row < n; row++) gids[row] = groups.id(keyStrs[row]!, rowKeys, NaN);
    for (let i = 0; i < accs.length; i++) accs[i]!.addRows(gids, args[i]!, ts, n, t.id);
    return;
  }
  const perRow = windowsPerRow(w);
  for (let k = 0; k < perRow; k++) {
    let any = false;
    for (row = 0; row < n; row++) {
      const ws = windowStartOf(ts[row]!, w) - k * w.sliding;
      if (windowEnd(ws, w) > ts[row]!) {
        gids[row] = groups.id(keyStrs[row]!, rowKeys, ws);
        any = true;
      } else gids[row] = -1;
    }
    if (!any) continue;
    for (let i = 0; i < accs.length; i++) addRowsSkipping(accs[i]!, gids, args[i]!, ts, n, t.id);
  }
}

/** Where the current session/state window of a table stands between its batches. */
interface SegmentState {
  ws: number;
  prevTs: number;
  state: ScalarValue | undefined;
}

/** Session / state windows of one table's batch (rows in ts order, windows continuing across batches). */
function addSegmentBatch(
  plan: SubPlan,
  spec: SegmentSpec,
  seg: SegmentState,
  t: TableCtx,
  batch: Batch,
  groups: GroupTable,
  accs: Accumulator[],
  keyStr: string,
  keyVals: ScalarValue[],
): void {
  const n = batch.numRows,
    ts = batch.cols[0]!.data as Float64Array,
    gids = new Int32Array(n);
  const stateVec = spec.k === 'state' ? evalExpr(spec.expr, batch) : null;
  let g = Number.isNaN(seg.ws) ? -1 : groups.id(keyStr, keyVals, seg.ws);
  for (let r = 0; r < n; r++) {
    if (spec.k === 'session') {
      if (Number.isNaN(seg.prevTs) || ts[r]! - seg.prevTs > spec.gap) {
        seg.ws = ts[r]!;
        g = groups.id(keyStr, keyVals, seg.ws);
      }
      seg.prevTs = ts[r]!;
    } else {
      const v = valueAt(stateVec!, r);
      if (v === null) {
        gids[r] = -1;
        continue;
      } // null states belong to no window
      if (seg.state === undefined || v !== seg.state) {
        seg.state = v;
        seg.ws = ts[r]!;
        g = groups.id(keyStr, keyVals, seg.ws);
      }
    }
    gids[r] = g;
  }
  const args = argVectors(plan, batch);
  for (let i = 0; i < accs.length; i++) addRowsSkipping(accs[i]!, gids, args[i]!, ts, n, t.id);
}

/** addRows for runs of rows with a group id (-1 = row in no window for this pass). */
function addRowsSkipping(
  acc: Accumulator,
  gids: Int32Array,
  v: ColumnVector | null,
  ts: Float64Array,
  n: number,
  tableId: number,
): void {
  let start = 0;
  for (let i = 1; i <= n; i++) {
    if (i === n || gids[i] !== gids[start]) {
      if (gids[start]! >= 0) acc.addRange(gids[start]!, v, ts, start, i, tableId);
      start = i;
    }
  }
}

/** The columns block statistics are asked for, and for each aggregate its index there (-1: count(*)). */
interface StatsColumns {
  readonly cols: number[];
  readonly colOf: number[];
}

function statsColumns(plan: SubPlan): StatsColumns {
  const cols: number[] = [];
  const colOf = plan.aggs.map((a) => {
    if (a.arg === null) return -1;
    const c = plan.scanColumns[(a.arg as Extract<Expr, { k: 'slot' }>).slot]!;
    let i = cols.indexOf(c);
    if (i < 0) {
      i = cols.length;
      cols.push(c);
    }
    return i;
  });
  return { cols, colOf };
}

/** Answers every aggregate of the table from block statistics; false when it should scan instead. */
function statsForTable(
  plan: SubPlan,
  store: VnodeStore,
  t: TableCtx,
  groups: GroupTable,
  accs: Accumulator[],
  keyStr: string,
  keyVals: ScalarValue[],
  sc: StatsColumns,
): boolean {
  const { cols, colOf } = sc;
  const w = plan.window;
  if (w === null) {
    const ra = store.aggregate(t.name, plan.range, cols);
    if (ra.rows === 0) return true;
    const g = groups.id(keyStr, keyVals, NaN);
    for (let i = 0; i < accs.length; i++) accs[i]!.addStats(g, ra.rows, colOf[i]! < 0 ? null : ra.columns[colOf[i]!]!);
    return true;
  }
  const extent = store.aggregate(t.name, plan.range, [0]).columns[0]!;
  if (extent.count === 0 || extent.firstTs === null || extent.lastTs === null) return true;
  const first = firstWindowContaining(extent.firstTs, w),
    last = windowStartOf(extent.lastTs, w);
  const windows = windowsBetween(first, last, w);
  if (extent.count / windows < STATS_MIN_BLOCKS_PER_WINDOW * store.options.maxRows) return false;
  for (let ws = first; ws <= last; ws = nextWindowStart(ws, w)) {
    const from = Math.max(ws, plan.range.from),
      to = Math.min(windowEnd(ws, w) - 1, plan.range.to);
    const ra = store.aggregate(t.name, { from, to }, cols);
    if (ra.rows === 0) continue;
    const g = groups.id(keyStr, keyVals, ws);
    for (let i = 0; i < accs.length; i++) accs[i]!.addStats(g, ra.rows, colOf[i]! < 0 ? null : ra.columns[colOf[i]!]!);
  }
  return true;
}

/** last_row from the last-row cache; false when the cached row is past the range end (scan instead). */
function lastRowFromCache(
  plan: SubPlan,
  store: VnodeStore,
  t: TableCtx,
  groups: GroupTable,
  accs: Accumulator[],
  keyStr: string,
  keyVals: ScalarValue[],
): boolean {
  const row = store.lastRow(t.name);
  if (row === undefined || row.numRows === 0) return true;
  const ts = (row.columns[0]!.data as Float64Array)[row.numRows - 1]!;
  if (ts > plan.range.to) return false;
  if (ts < plan.range.from) return true;
  const g = groups.id(keyStr, keyVals, NaN);
  for (const acc of accs) {
    const slot = (acc.spec.arg as Extract<Expr, { k: 'slot' }>).slot;
    acc.addPoint(g, ts, valueAt(row.columns[plan.scanColumns[slot]!]!, row.numRows - 1));
  }
  return true;
}
