// Partial aggregates as plain data, for shipping a vgroup's partial result back to the node
// that merges (the cluster's RPC). Accumulators keep their state in typed arrays and arrays
// of primitives, so their own fields are the state; scan-time scratch fields are left out.
import { assert } from '../../common/assert.js';
import type { AggPartial } from './exec-subplan.js';
import { createAccumulators } from './aggregates.js';
import { GroupTable, keyString } from './groups.js';
import type { AggSpec, ScalarValue } from './ir.js';

export interface PartialState {
  readonly keys: ScalarValue[][];
  readonly wstart: number[];
  /** One record per aggregate, in plan order: the accumulator's fields. */
  readonly accs: Array<Record<string, unknown>>;
}

/** Fields that are configuration or scan-time scratch (references into scanned blocks), not state. */
const NOT_STATE: ReadonlySet<string> = new Set(['spec', 'selector', 'pickBatch', 'pickRow', 'tookOther']);

export function exportPartial(p: AggPartial): PartialState {
  return {
    keys: p.groups.keys,
    wstart: p.groups.wstart,
    accs: p.accs.map((a) => Object.fromEntries(Object.entries(a).filter(([k]) => !NOT_STATE.has(k)))),
  };
}

/** Rebuilds a partial from its state; `aggs` must be the plan's aggregates the state was made for. */
export function importPartial(state: PartialState, aggs: readonly AggSpec[]): AggPartial {
  const groups = new GroupTable();
  state.keys.forEach((k, g) => {
    const id = groups.id(keyString(k), k, state.wstart[g]!);
    assert(id === g, `partial state repeats group ${g}`);
  });
  const accs = createAccumulators(aggs);
  assert(
    accs.length === state.accs.length,
    `partial state has ${state.accs.length} aggregates, the plan ${accs.length}`,
  );
  accs.forEach((a, i) => {
    Object.assign(a, state.accs[i]);
  });
  return { groups, accs };
}
