// The select path's intermediate representation: typed expressions over the slots of a batch
// and the per-vgroup subplan. Everything here is plain data (no closures, no class
// instances), so a subplan can be shipped to a remote vnode as it is.
import type { DataType } from '../../common/types.js';
import type { TimeRange } from '../../storage/api.js';

export type ScalarValue = number | bigint | string | boolean | null;

export type ArithOp = '+' | '-' | '*' | '/' | '%';
export type CmpOp = '=' | '<>' | '<' | '<=' | '>' | '>=';

/** Every node carries its result type and, for strings, a byte length for column_meta. */
interface Typed {
  readonly t: DataType;
  readonly bytes: number;
}

export type Expr =
  /** A column of the batch being evaluated (scan slot, or a merge-stage column). */
  | (Typed & { readonly k: 'slot'; readonly slot: number })
  | (Typed & { readonly k: 'const'; readonly value: ScalarValue })
  /** A tag of the current table (index in the super table's tag list): constant per table. */
  | (Typed & { readonly k: 'tag'; readonly tag: number })
  | (Typed & { readonly k: 'tbname' })
  | (Typed & { readonly k: 'arith'; readonly op: ArithOp; readonly l: Expr; readonly r: Expr })
  | (Typed & { readonly k: 'neg'; readonly e: Expr })
  | (Typed & { readonly k: 'cmp'; readonly op: CmpOp; readonly l: Expr; readonly r: Expr })
  | (Typed & { readonly k: 'and' | 'or'; readonly args: readonly Expr[] })
  | (Typed & { readonly k: 'not'; readonly e: Expr })
  | (Typed & { readonly k: 'in'; readonly e: Expr; readonly list: readonly ScalarValue[]; readonly not: boolean })
  | (Typed & { readonly k: 'between'; readonly e: Expr; readonly lo: Expr; readonly hi: Expr; readonly not: boolean })
  /** like: SQL pattern; regex: `match` / `nmatch` (not = nmatch), a regular expression source. */
  | (Typed & { readonly k: 'like' | 'regex'; readonly e: Expr; readonly pattern: string; readonly not: boolean })
  | (Typed & { readonly k: 'isnull'; readonly e: Expr; readonly not: boolean })
  | (Typed & { readonly k: 'cast'; readonly e: Expr })
  | (Typed & { readonly k: 'fn'; readonly name: ScalarFn; readonly args: readonly Expr[] })
  /** Searched CASE (the simple form is rewritten to `operand = value` conditions). */
  | (Typed & {
      readonly k: 'case';
      readonly whens: ReadonlyArray<{ readonly when: Expr; readonly then: Expr }>;
      readonly else: Expr | null;
    });

export type ScalarFn =
  | 'abs'
  | 'ceil'
  | 'floor'
  | 'round'
  | 'concat'
  | 'length'
  | 'lower'
  | 'upper'
  | 'timetruncate'
  | 'to_iso8601';

export type AggFn =
  | 'count'
  | 'sum'
  | 'avg'
  | 'min'
  | 'max'
  | 'first'
  | 'last'
  | 'last_row'
  | 'spread'
  | 'stddev'
  | 'percentile'
  | 'apercentile'
  | 'twa'
  /** A plain column next to a single selector (`select max(v), ts`): its value at the selected row. */
  | 'companion';

export interface AggSpec {
  readonly fn: AggFn;
  /** The argument, evaluated over scan slots; null for count(*). */
  readonly arg: Expr | null;
  /** percentile / apercentile: the percent in [0, 100]. */
  readonly param: number;
  /** Result type. */
  readonly t: DataType;
  readonly bytes: number;
  /** companion: index (in the aggs list) of the selector whose row it follows. */
  readonly selector?: number;
}

export interface WindowSpec {
  /** Window length, slide and offset in ticks of the database precision (fixed windows). */
  readonly interval: number;
  readonly sliding: number;
  readonly offset: number;
  /** Calendar windows: length in months (interval(2n), interval(1y) = 12); 0 for fixed windows. */
  readonly months: number;
  /** Ticks per millisecond of the database precision (calendar arithmetic). */
  readonly ticksPerMs: number;
}

/**
 * Session and state windows: per table, consecutive rows form a window while the gap between
 * timestamps stays within `gap` (session) or the state expression keeps its value (state;
 * rows whose state is null belong to no window). A window is identified by its first row's ts.
 */
export type SegmentSpec =
  | { readonly k: 'session'; readonly gap: number }
  | { readonly k: 'state'; readonly expr: Expr };

/** What one vgroup does: scan its tables, filter, then either project rows or aggregate partially. */
/**
 * Which tables a subplan reads, resolved at the vnode (the planner need not know every child
 * table): named tables, all child tables of a super table, or those the tag index finds.
 */
export type TableSelector =
  /** `stable` set: only those of the names that are child tables of it (tbname = ... on a super table). */
  | { readonly k: 'names'; readonly names: readonly string[]; readonly stable: string | null }
  | { readonly k: 'children'; readonly stable: string }
  | {
      readonly k: 'tagIndex';
      readonly stable: string;
      readonly tagName: string;
      readonly values: readonly ScalarValue[];
    };

export interface SubPlan {
  readonly vgId: number;
  readonly tables: TableSelector;
  readonly range: TimeRange;
  /** Table column indexes read by the scan, in slot order; slot 0 is always column 0 (ts). */
  readonly scanColumns: readonly number[];
  /** Conjuncts over tags/tbname only: evaluated once per table to skip it. */
  readonly tableFilter: Expr | null;
  /** Row filter over scan slots (tags/tbname allowed too). */
  readonly filter: Expr | null;
  readonly mode: 'rows' | 'agg';
  /** rows mode: output expressions (select list, then hidden sort keys). */
  readonly project: readonly Expr[];
  /** rows mode without order by: stop after this many rows (offset + limit); Infinity when unbounded. */
  readonly rowLimit: number;
  /**
   * rows mode ordered by ts first with a limit: each table can contribute at most its first
   * (or, descending, its last) `limit` rows, so only those leave the vnode.
   */
  readonly perTable: { readonly limit: number; readonly fromEnd: boolean } | null;
  /** agg mode: group keys (partition by / group by), evaluated over scan slots. */
  readonly keys: readonly Expr[];
  readonly window: WindowSpec | null;
  readonly segments: SegmentSpec | null;
  readonly aggs: readonly AggSpec[];
  /** agg mode: true when block statistics (store.aggregate) can answer every aggregate. */
  readonly useBlockStats: boolean;
  /** agg mode: true when every aggregate is last_row and the last-row cache can answer it. */
  readonly useLastRowCache: boolean;
}
