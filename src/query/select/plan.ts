// The whole select plan: the per-vgroup subplans (shippable) and the merge stage that runs
// where the query was planned (final aggregate, window merge, fill, having, sort, limit).
import type { Precision } from '../../common/types.js';
import type { ResultColumn } from '../select-api.js';
import type { AggSpec, Expr, ScalarValue, SegmentSpec, SubPlan, WindowSpec } from './ir.js';

/** One column of the merge-stage batch (agg mode), in the order of its slot numbers. */
export type MergeItem =
  | { readonly k: 'key'; readonly idx: number }
  | { readonly k: 'wstart' }
  | { readonly k: 'wend' }
  | { readonly k: 'wduration' }
  | { readonly k: 'agg'; readonly idx: number };

export type FillMode = 'none' | 'null' | 'value' | 'prev' | 'next' | 'linear';

export interface OrderSpec {
  /** Column of the output (visible columns first, then hidden sort keys). */
  readonly col: number;
  readonly desc: boolean;
  readonly nullsFirst: boolean;
}

export interface SelectPlan {
  readonly precision: Precision;
  /** Visible result columns. */
  readonly columns: readonly ResultColumn[];
  /** 'const': FROM-less select; 'rows': projection; 'agg': aggregation. */
  readonly mode: 'const' | 'rows' | 'agg';
  readonly subplans: readonly SubPlan[];
  /** agg mode: group keys (same as every subplan's), the first `partitionKeys` from partition by. */
  readonly keys: readonly Expr[];
  readonly partitionKeys: number;
  readonly layout: readonly MergeItem[];
  readonly aggs: readonly AggSpec[];
  readonly window: WindowSpec | null;
  /** Session / state windows (their _wstart is the merge batch's window start column). */
  readonly segments: SegmentSpec | null;
  readonly fill: { readonly mode: FillMode; readonly values: readonly ScalarValue[] } | null;
  /** Query time range in ticks (for fill bounds). */
  readonly rangeFrom: number;
  readonly rangeTo: number;
  /** agg mode without keys and window: exactly one result row even over no data. */
  readonly singleRow: boolean;
  /** agg mode: over the merge batch; rows mode: over the subplan's projected columns. */
  readonly having: Expr | null;
  /** Output expressions (visible, then hidden sort keys); const/agg mode only (rows mode projects in the subplan). */
  readonly output: readonly Expr[];
  readonly order: readonly OrderSpec[];
  /**
   * Output columns (hidden) holding the partition by values: with partition by, rows are
   * grouped per partition and limit/offset apply within each partition (TDengine's rule).
   */
  readonly partitionCols: readonly number[];
  /** How many output columns are visible (the rest are hidden sort / partition columns). */
  readonly visible: number;
  readonly limit: number;
  readonly offset: number;
  readonly slimit: number;
  readonly soffset: number;
}
