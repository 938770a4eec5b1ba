// The merge stage of an aggregate query: partial aggregates of all vgroups are merged per
// (key, window) into final values, windows are filled, partitions limited (slimit), and the
// result is laid out as the merge batch the output expressions are evaluated over.
import { BasaltError } from '../../common/errors.js';
import { Limits } from '../../common/limits.js';
import { DataType, isNumericType } from '../../common/types.js';
import type { Accumulator } from './aggregates.js';
import { createAccumulators } from './aggregates.js';
import type { Batch } from './eval.js';
import type { AggPartial } from './exec-subplan.js';
import { GroupTable, keyString } from './groups.js';
import type { ScalarValue } from './ir.js';
import type { SelectPlan } from './plan.js';
import { compareValues } from './sort.js';
import { VectorBuilder } from './vec.js';
import { firstWindowContaining, nextWindowStart, windowEnd, windowStartOf, windowsBetween } from './window.js';

export function mergePartials(plan: SelectPlan, partials: readonly AggPartial[]): AggPartial {
  if (partials.length === 1) return partials[0]!;
  const groups = new GroupTable();
  const accs: Accumulator[] = createAccumulators(plan.aggs);
  for (const p of partials) {
    for (let g = 0; g < p.groups.size; g++) {
      const kv = p.groups.keys[g]!;
      const G = groups.id(keyString(kv), kv, p.groups.wstart[g]!);
      for (let i = 0; i < accs.length; i++) accs[i]!.mergeFrom(G, p.accs[i]!, g);
    }
  }
  return { groups, accs };
}

interface Row {
  keys: ScalarValue[];
  ws: number;
  vals: ScalarValue[];
}

function compareRows(a: Row, b: Row): number {
  for (let i = 0; i < a.keys.length; i++) {
    const c = compareValues(a.keys[i]!, b.keys[i]!);
    if (c !== 0) return c;
  }
  return a.ws - b.ws || 0;
}

/** Final rows (one per group, in key then window order, with fill and slimit applied) as the merge batch. */
export function buildMergeBatch(plan: SelectPlan, partials: readonly AggPartial[]): Batch {
  // Grouped by table, every group lives in exactly one vgroup: partials need no merging.
  const disjoint = plan.keys.some((k) => k.k === 'tbname');
  const finals = disjoint ? partials : [mergePartials(plan, partials)];
  let rows: Row[] = [];
  for (const p of finals) {
    for (let g = 0; g < p.groups.size; g++) {
      rows.push({ keys: p.groups.keys[g]!, ws: p.groups.wstart[g]!, vals: p.accs.map((a) => a.result(g)) });
    }
  }
  if (rows.length === 0 && plan.singleRow) {
    rows.push({ keys: [], ws: NaN, vals: finals[0]!.accs.map((a) => a.result(Number.MAX_SAFE_INTEGER)) });
  }
  rows.sort(compareRows);
  if (plan.slimit < Infinity || plan.soffset > 0) rows = limitPartitions(plan, rows);
  if (plan.window !== null && plan.fill !== null && plan.fill.mode !== 'none') rows = fillWindows(plan, rows);
  const w = plan.window;
  const builders = plan.layout.map((it) => {
    switch (it.k) {
      case 'key':
        return new VectorBuilder(plan.keys[it.idx]!.t, rows.length);
      case 'agg':
        return new VectorBuilder(plan.aggs[it.idx]!.t, rows.length);
      case 'wduration':
        return new VectorBuilder(DataType.BIGINT, rows.length);
      default:
        return new VectorBuilder(DataType.TIMESTAMP, rows.length);
    }
  });
  for (const r of rows) {
    for (let c = 0; c < plan.layout.length; c++) {
      const it = plan.layout[c]!,
        b = builders[c]!;
      switch (it.k) {
        case 'key':
          b.push(r.keys[it.idx] ?? null);
          break;
        case 'agg':
          b.push(r.vals[it.idx] ?? null);
          break;
        case 'wstart':
          b.push(Number.isNaN(r.ws) ? null : r.ws);
          break;
        case 'wend':
          b.push(Number.isNaN(r.ws) || w === null ? null : windowEnd(r.ws, w));
          break;
        case 'wduration':
          b.push(Number.isNaN(r.ws) || w === null ? null : BigInt(windowEnd(r.ws, w) - r.ws));
          break;
      }
    }
  }
  return { numRows: rows.length, cols: builders.map((b) => b.finish()), tagValues: [], tbname: '' };
}

function partitionKey(plan: SelectPlan, r: Row): string {
  return keyString(
    r.keys.slice(0, Math.max(plan.partitionKeys, plan.window === null ? r.keys.length : plan.partitionKeys)),
  );
}

function limitPartitions(plan: SelectPlan, rows: Row[]): Row[] {
  const out: Row[] = [];
  let part = -1,
    prev: string | null = null;
  for (const r of rows) {
    const k = partitionKey(plan, r);
    if (k !== prev) {
      part++;
      prev = k;
    }
    if (part >= plan.soffset && part < plan.soffset + plan.slimit) out.push(r);
  }
  return out;
}

/** Adds the missing windows of each partition between the query range's first and last window. */
function fillWindows(plan: SelectPlan, rows: Row[]): Row[] {
  const w = plan.window!,
    fill = plan.fill!;
  if (rows.length === 0 && !(Number.isFinite(plan.rangeFrom) && Number.isFinite(plan.rangeTo))) return rows;
  let lo = Number.isFinite(plan.rangeFrom) ? firstWindowContaining(plan.rangeFrom, w) : Infinity;
  let hi = Number.isFinite(plan.rangeTo) ? windowStartOf(plan.rangeTo, w) : -Infinity;
  if (!Number.isFinite(lo)) for (const r of rows) lo = Math.min(lo, r.ws);
  if (!Number.isFinite(hi)) for (const r of rows) hi = Math.max(hi, r.ws);
  const perPartition = windowsBetween(lo, hi, w);
  const out: Row[] = [];
  const nAgg = plan.aggs.length;
  const flush = (part: Row[], keys: ScalarValue[]): void => {
    if (out.length + perPartition > Limits.maxFillRows) {
      throw new BasaltError(
        'INVALID_FILL',
        `fill would produce more than ${Limits.maxFillRows} rows; narrow the time range in WHERE or use a longer interval`,
      );
    }
    let j = 0;
    const filled: Row[] = [];
    for (let ws = lo; ws <= hi; ws = nextWindowStart(ws, w)) {
      while (j < part.length && part[j]!.ws < ws) j++;
      if (j < part.length && part[j]!.ws === ws) {
        filled.push(part[j]!);
        continue;
      }
      filled.push({ keys, ws, vals: new Array<ScalarValue>(nAgg).fill(null) });
    }
    applyFill(plan, fill.mode, fill.values, filled, part);
    for (const r of filled) out.push(r);
  };
  if (perPartition > Limits.maxFillRows) {
    throw new BasaltError(
      'INVALID_FILL',
      `fill would produce ${perPartition} windows; narrow the time range in WHERE or use a longer interval`,
    );
  }
  let start = 0;
  for (let i = 1; i <= rows.length; i++) {
    if (i === rows.length || partitionKey(plan, rows[i]!) !== partitionKey(plan, rows[start]!)) {
      flush(rows.slice(start, i), rows[start]!.keys);
      start = i;
    }
  }
  if (rows.length === 0) flush([], []);
  return out;
}

function applyFill(plan: SelectPlan, mode: string, values: readonly ScalarValue[], filled: Row[], real: Row[]): void {
  const isReal = new Set(real);
  const nAgg = plan.aggs.length;
  for (let a = 0; a < nAgg; a++) {
    const numeric = isNumericType(plan.aggs[a]!.t);
    let prevIdx = -1;
    const nextReal = new Int32Array(filled.length).fill(-1);
    for (let i = filled.length - 1, nx = -1; i >= 0; i--) {
      nextReal[i] = nx;
      if (isReal.has(filled[i]!)) nx = i;
    }
    for (let i = 0; i < filled.length; i++) {
      const r = filled[i]!;
      if (isReal.has(r)) {
        prevIdx = i;
        continue;
      }
      switch (mode) {
        case 'null':
          r.vals[a] = null;
          break;
        case 'value':
          r.vals[a] = values[a] ?? values[values.length - 1] ?? null;
          break;
        case 'prev':
          r.vals[a] = prevIdx >= 0 ? filled[prevIdx]!.vals[a]! : null;
          break;
        case 'next':
          r.vals[a] = nextReal[i]! >= 0 ? filled[nextReal[i]!]!.vals[a]! : null;
          break;
        case 'linear': {
          const n = nextReal[i]!;
          const pv = prevIdx >= 0 ? filled[prevIdx]!.vals[a]! : null,
            nv = n >= 0 ? filled[n]!.vals[a]! : null;
          if (!numeric || pv === null || nv === null) {
            r.vals[a] = null;
            break;
          }
          const p = filled[prevIdx]!,
            q = filled[n]!;
          r.vals[a] = Number(pv) + ((Number(nv) - Number(pv)) * (r.ws - p.ws)) / (q.ws - p.ws);
          break;
        }
      }
    }
  }
}
