// Aggregate accumulators: state per group id in typed arrays, fed three ways — a run of rows
// that all belong to one group (the common case: a table's rows within one window), rows
// with a group id each, or block statistics from store.aggregate (no decoding). Partial
// states from several vgroups merge into one accumulator of the same kind.
import { valueAt, type BigArray, type ColumnVector, type NumberArray } from '../../common/block.js';
import { BasaltError } from '../../common/errors.js';
import { isBigIntType } from '../../common/types.js';
import type { ColumnAggregate } from '../../storage/api.js';
import type { AggFn, AggSpec, ScalarValue } from './ir.js';
import { toF64 } from './vec.js';
import { assert } from '../../common/assert.js';
import { Limits } from '../../common/limits.js';
import { Companion, PickingSelector } from './companion.js';

export interface Accumulator {
  readonly spec: AggSpec;
  /** Rows [from, to) of `v` all belong to group `g`; `ts` is sorted within one table. */
  addRange(g: number, v: ColumnVector | null, ts: Float64Array, from: number, to: number, tableId: number): void;
  /** Row i belongs to group gids[i], for i in [0, n). */
  addRows(gids: Int32Array, v: ColumnVector | null, ts: Float64Array, n: number, tableId: number): void;
  /** Block statistics of one table over a range: `rows` rows, `col` the column summary (null for count(*)). */
  addStats(g: number, rows: number, col: ColumnAggregate | null): void;
  /** The last row of a table (last-row cache). */
  addPoint(g: number, ts: number, value: ScalarValue): void;
  mergeFrom(g: number, other: Accumulator, og: number): void;
  result(g: number): ScalarValue;
}

/** Functions block statistics can answer without decoding. */
export const STATS_FUNCTIONS: ReadonlySet<AggFn> = new Set<AggFn>([
  'count',
  'sum',
  'avg',
  'min',
  'max',
  'first',
  'last',
  'spread',
]);

const GROW_MIN_GROUPS = 16;

function growF64(a: Float64Array, n: number, fill: number): Float64Array {
  if (n <= a.length) return a;
  const b = new Float64Array(Math.max(n, a.length * 2, GROW_MIN_GROUPS));
  b.fill(fill, a.length);
  b.set(a);
  return b;
}

abstract class Base implements Accumulator {
  protected groups = 0;
  constructor(readonly spec: AggSpec) {}
  protected ensure(g: number): void {
    if (g >= this.groups) {
      this.groups = g + 1;
      this.grow(this.groups);
    }
  }
  protected abstract grow(n: number): void;
  abstract addRange(
    g: number,
    v: ColumnVector | null,
    ts: Float64Array,
    from: number,
    to: number,
    tableId: number,
  ): void;
  addRows(gids: Int32Array, v: ColumnVector | null, ts: Float64Array, n: number, tableId: number): void {
    // Runs of equal group ids are handed to addRange; rows of a group stay in ts order.
    let start = 0;
    for (let i = 1; i <= n; i++) {
      if (i === n || gids[i] !== gids[start]) {
        this.addRange(gids[start]!, v, ts, start, i, tableId);
        start = i;
      }
    }
  }
  addStats(_g: number, _rows: number, _col: ColumnAggregate | null): void {
    throw new BasaltError('INTERNAL', `${this.spec.fn} cannot use block statistics`);
  }
  addPoint(_g: number, _ts: number, _value: ScalarValue): void {
    throw new BasaltError('INTERNAL', `${this.spec.fn} cannot use the last-row cache`);
  }
  abstract mergeFrom(g: number, other: Accumulator, og: number): void;
  abstract result(g: number): ScalarValue;
}

class CountAcc extends Base {
  private cnt: Float64Array = new Float64Array(0);
  protected grow(n: number): void {
    this.cnt = growF64(this.cnt, n, 0);
  }
  addRange(g: number, v: ColumnVector | null, _ts: Float64Array, from: number, to: number): void {
    this.ensure(g);
    let c = to - from;
    if (v !== null && v.nulls !== null) for (let i = from; i < to; i++) c -= v.nulls[i]!;
    this.cnt[g]! += c;
  }
  override addStats(g: number, rows: number, col: ColumnAggregate | null): void {
    this.ensure(g);
    this.cnt[g]! += col === null ? rows : col.count;
  }
  mergeFrom(g: number, o: Accumulator, og: number): void {
    this.ensure(g);
    this.cnt[g]! += (o as CountAcc).cnt[og] ?? 0;
  }
  result(g: number): ScalarValue {
    return BigInt(g < this.groups ? this.cnt[g]! : 0);
  }
}

/** sum, avg, stddev, spread, min, max over doubles (bigint sums exact in a bigint array). */
class NumericAcc extends Base {
  private cnt: Float64Array = new Float64Array(0);
  private sum: Float64Array = new Float64Array(0);
  private sumSq: Float64Array = new Float64Array(0);
  private min: Float64Array = new Float64Array(0);
  private max: Float64Array = new Float64Array(0);
  private bigSum: bigint[] = [];
  private bigMin: Array<bigint | null> = [];
  private bigMax: Array<bigint | null> = [];
  private readonly exact: boolean;
  private readonly needsSum: boolean;
  private readonly needsExtremes: boolean;
  constructor(spec: AggSpec, argIsBig: boolean) {
    super(spec);
    this.exact = argIsBig && (spec.fn === 'sum' || spec.fn === 'min' || spec.fn === 'max');
    this.needsSum = spec.fn === 'sum' || spec.fn === 'avg' || spec.fn === 'stddev';
    this.needsExtremes = spec.fn === 'min' || spec.fn === 'max' || spec.fn === 'spread';
  }
  protected grow(n: number): void {
    this.cnt = growF64(this.cnt, n, 0);
    this.sum = growF64(this.sum, n, 0);
    this.sumSq = growF64(this.sumSq, n, 0);
    this.min = growF64(this.min, n, Infinity);
    this.max = growF64(this.max, n, -Infinity);
    while (this.bigSum.length < n) {
      this.bigSum.push(0n);
      this.bigMin.push(null);
      this.bigMax.push(null);
    }
  }
  addRange(g: number, v: ColumnVector | null, _ts: Float64Array, from: number, to: number): void {
    this.ensure(g);
    const nl = v!.nulls;
    if (this.exact) {
      const d = v!.data as BigArray;
      let s = this.bigSum[g]!,
        mn = this.bigMin[g]!,
        mx = this.bigMax[g]!,
        c = 0;
      for (let i = from; i < to; i++) {
        if (nl !== null && nl[i] === 1) continue;
        const x = BigInt.asIntN(64, d[i]!) === d[i] ? d[i]! : BigInt.asUintN(64, d[i]!);
        s += x;
        c++;
        if (mn === null || x < mn) mn = x;
        if (mx === null || x > mx) mx = x;
      }
      this.bigSum[g] = s;
      this.bigMin[g] = mn;
      this.bigMax[g] = mx;
      this.cnt[g]! += c;
      return;
    }
    const d = toF64Range(v!);
    let s = 0,
      sq = 0,
      mn = this.min[g]!,
      mx = this.max[g]!,
      c = 0;
    const wantSq = this.spec.fn === 'stddev';
    if (nl === null) {
      // No nulls: one tight loop per function (sum/avg need only the sum, min/max only extremes).
      if (this.needsSum) s = sumOf(d, from, to);
      if (this.needsExtremes)
        for (let i = from; i < to; i++) {
          const x = d[i]!;
          if (x < mn) mn = x;
          if (x > mx) mx = x;
        }
      if (wantSq) for (let i = from; i < to; i++) sq += d[i]! * d[i]!;
      c = to - from;
    } else {
      for (let i = from; i < to; i++) {
        if (nl[i] === 1) continue;
        const x = d[i]!;
        s += x;
        sq += wantSq ? x * x : 0;
        c++;
        if (x < mn) mn = x;
        if (x > mx) mx = x;
      }
    }
    this.sum[g]! += s;
    this.sumSq[g]! += sq;
    this.cnt[g]! += c;
    this.min[g] = mn;
    this.max[g] = mx;
  }
  override addStats(g: number, _rows: number, col: ColumnAggregate | null): void {
    this.ensure(g);
    if (col === null || col.count === 0) return;
    this.cnt[g]! += col.count;
    if (this.exact) {
      if (col.sum !== null) this.bigSum[g]! += BigInt(col.sum);
      if (col.min !== null) {
        const x = BigInt(col.min as bigint);
        const m = this.bigMin[g]!;
        if (m === null || x < m) this.bigMin[g] = x;
      }
      if (col.max !== null) {
        const x = BigInt(col.max as bigint);
        const m = this.bigMax[g]!;
        if (m === null || x > m) this.bigMax[g] = x;
      }
      return;
    }
    if (col.sum !== null) this.sum[g]! += Number(col.sum);
    if (col.min !== null) this.min[g] = Math.min(this.min[g]!, Number(col.min));
    if (col.max !== null) this.max[g] = Math.max(this.max[g]!, Number(col.max));
  }
  mergeFrom(g: number, other: Accumulator, og: number): void {
    const o = other as NumericAcc;
    this.ensure(g);
    if (og >= o.groups) return;
    this.cnt[g]! += o.cnt[og]!;
    this.sum[g]! += o.sum[og]!;
    this.sumSq[g]! += o.sumSq[og]!;
    this.min[g] = Math.min(this.min[g]!, o.min[og]!);
    this.max[g] = Math.max(this.max[g]!, o.max[og]!);
    this.bigSum[g]! += o.bigSum[og]!;
    const omn = o.bigMin[og]!,
      omx = o.bigMax[og]!;
    if (omn !== null && (this.bigMin[g] === null || omn < this.bigMin[g]!)) this.bigMin[g] = omn;
    if (omx !== null && (this.bigMax[g] === null || omx > this.bigMax[g]!)) this.bigMax[g] = omx;
  }
  result(g: number): ScalarValue {
    const c = g < this.groups ? this.cnt[g]! : 0;
    if (c === 0) return null;
    switch (this.spec.fn) {
      case 'sum':
        return this.exact ? this.bigSum[g]! : this.sum[g]!;
      case 'avg':
        return this.sum[g]! / c;
      case 'min':
        return this.exact ? this.bigMin[g]! : this.min[g]!;
      case 'max':
        return this.exact ? this.bigMax[g]! : this.max[g]!;
      case 'spread':
        return this.max[g]! - this.min[g]!;
      case 'stddev': {
        const m = this.sum[g]! / c;
        return Math.sqrt(Math.max(0, this.sumSq[g]! / c - m * m));
      }
      default:
        throw new BasaltError('INTERNAL', `numeric accumulator cannot compute ${this.spec.fn}`);
    }
  }
}

/** Sum of d[from, to): one loop per array kind so each stays monomorphic in the JIT. */
function sumOf(d: ArrayLike<number>, from: number, to: number): number {
  let s = 0;
  if (d instanceof Float32Array) {
    for (let i = from; i < to; i++) s += d[i]!;
    return s;
  }
  if (d instanceof Float64Array) {
    for (let i = from; i < to; i++) s += d[i]!;
    return s;
  }
  if (d instanceof Int32Array) {
    for (let i = from; i < to; i++) s += d[i]!;
    return s;
  }
  for (let i = from; i < to; i++) s += d[i]!;
  return s;
}

/**
 * Numeric view of a vector: number typed arrays are read in place (no copy); bigint and
 * string vectors are converted once per vector (several aggregates may share one column).
 */
const f64Cache = new WeakMap<ColumnVector, Float64Array>();
function toF64Range(v: ColumnVector): ArrayLike<number> {
  if (!Array.isArray(v.data) && !isBigIntType(v.type)) return v.data as NumberArray;
  let f = f64Cache.get(v);
  if (f === undefined) {
    f = toF64(v);
    f64Cache.set(v, f);
  }
  return f;
}

/** first / last / last_row: the value at the smallest / largest timestamp (last_row keeps nulls). */
class SelectorAcc extends Base {
  private ts: Float64Array = new Float64Array(0);
  private val: ScalarValue[] = [];
  private readonly isFirst: boolean;
  private readonly keepNull: boolean;
  constructor(spec: AggSpec) {
    super(spec);
    this.isFirst = spec.fn === 'first';
    this.keepNull = spec.fn === 'last_row';
  }
  protected grow(n: number): void {
    this.ts = growF64(this.ts, n, this.isFirst ? Infinity : -Infinity);
    while (this.val.length < n) this.val.push(null);
  }
  private offer(g: number, t: number, value: ScalarValue): void {
    if (this.isFirst ? t < this.ts[g]! : t > this.ts[g]!) {
      this.ts[g] = t;
      this.val[g] = value;
    }
  }
  addRange(g: number, v: ColumnVector | null, ts: Float64Array, from: number, to: number): void {
    this.ensure(g);
    const nl = v!.nulls;
    if (this.isFirst) {
      for (let i = from; i < to; i++)
        if (nl === null || nl[i] === 0) {
          this.offer(g, ts[i]!, valueAt(v!, i));
          return;
        }
    } else {
      for (let i = to - 1; i >= from; i--)
        if (this.keepNull || nl === null || nl[i] === 0) {
          this.offer(g, ts[i]!, valueAt(v!, i));
          return;
        }
    }
  }
  override addStats(g: number, _rows: number, col: ColumnAggregate | null): void {
    this.ensure(g);
    if (col === null) return;
    if (this.isFirst) {
      if (col.firstTs !== null) this.offer(g, col.firstTs, col.first);
    } else if (col.lastTs !== null) this.offer(g, col.lastTs, col.last);
  }
  override addPoint(g: number, ts: number, value: ScalarValue): void {
    this.ensure(g);
    this.offer(g, ts, value);
  }
  mergeFrom(g: number, other: Accumulator, og: number): void {
    const o = other as SelectorAcc;
    this.ensure(g);
    if (og < o.groups && Number.isFinite(o.ts[og]!)) this.offer(g, o.ts[og]!, o.val[og]!);
  }
  result(g: number): ScalarValue {
    return g < this.groups ? this.val[g]! : null;
  }
}

/** percentile / apercentile: keeps the group's values (apercentile is answered exactly). */
class PercentileAcc extends Base {
  private vals: number[][] = [];
  private held = 0;
  protected grow(n: number): void {
    while (this.vals.length < n) this.vals.push([]);
  }
  private checkHeld(): void {
    if (this.held > Limits.maxQueryMaterializedRows) {
      throw new BasaltError(
        'NOT_SUPPORTED',
        `${this.spec.fn}() over more than ${Limits.maxQueryMaterializedRows} values; narrow the time range in WHERE or add partition by / interval`,
      );
    }
  }
  addRange(g: number, v: ColumnVector | null, _ts: Float64Array, from: number, to: number): void {
    this.ensure(g);
    const d = toF64Range(v!),
      nl = v!.nulls,
      out = this.vals[g]!;
    const before = out.length;
    for (let i = from; i < to; i++) if (nl === null || nl[i] === 0) out.push(d[i]!);
    this.held += out.length - before;
    this.checkHeld();
  }
  mergeFrom(g: number, other: Accumulator, og: number): void {
    const o = other as PercentileAcc;
    this.ensure(g);
    if (og < o.groups) for (const x of o.vals[og]!) this.vals[g]!.push(x);
    this.held += og < o.groups ? o.vals[og]!.length : 0;
    this.checkHeld();
  }
  result(g: number): ScalarValue {
    const a = g < this.groups ? this.vals[g]! : [];
    if (a.length === 0) return null;
    const s = Float64Array.from(a).sort();
    const pos = ((s.length - 1) * this.spec.param) / 100;
    const lo = Math.floor(pos),
      hi = Math.ceil(pos);
    return s[lo]! + (s[hi]! - s[lo]!) * (pos - lo);
  }
}

/** twa: trapezoid area between consecutive points of one table divided by the time span. */
class TwaAcc extends Base {
  private firstTs: Float64Array = new Float64Array(0);
  private firstV: Float64Array = new Float64Array(0);
  private lastTs: Float64Array = new Float64Array(0);
  private lastV: Float64Array = new Float64Array(0);
  private area: Float64Array = new Float64Array(0);
  private table: Float64Array = new Float64Array(0);
  protected grow(n: number): void {
    this.firstTs = growF64(this.firstTs, n, NaN);
    this.firstV = growF64(this.firstV, n, 0);
    this.lastTs = growF64(this.lastTs, n, NaN);
    this.lastV = growF64(this.lastV, n, 0);
    this.area = growF64(this.area, n, 0);
    this.table = growF64(this.table, n, -1);
  }
  addRange(g: number, v: ColumnVector | null, ts: Float64Array, from: number, to: number, tableId: number): void {
    this.ensure(g);
    if (this.table[g] !== -1 && this.table[g] !== tableId) this.table[g] = -2;
    else this.table[g] = tableId;
    const d = toF64Range(v!),
      nl = v!.nulls;
    for (let i = from; i < to; i++) {
      if (nl !== null && nl[i] === 1) continue;
      const t = ts[i]!,
        x = d[i]!;
      if (Number.isNaN(this.firstTs[g]!)) {
        this.firstTs[g] = t;
        this.firstV[g] = x;
      } else this.area[g]! += ((t - this.lastTs[g]!) * (x + this.lastV[g]!)) / 2;
      this.lastTs[g] = t;
      this.lastV[g] = x;
    }
  }
  mergeFrom(g: number, other: Accumulator, og: number): void {
    const o = other as TwaAcc;
    this.ensure(g);
    if (og >= o.groups || Number.isNaN(o.firstTs[og]!)) return;
    if (Number.isNaN(this.firstTs[g]!)) {
      this.firstTs[g] = o.firstTs[og]!;
      this.firstV[g] = o.firstV[og]!;
      this.lastTs[g] = o.lastTs[og]!;
      this.lastV[g] = o.lastV[og]!;
      this.area[g] = o.area[og]!;
      this.table[g] = o.table[og]!;
    } else this.table[g] = -2; // one group's table lives in one vgroup; two partials mean several tables
  }
  result(g: number): ScalarValue {
    if (g >= this.groups || Number.isNaN(this.firstTs[g]!)) return null;
    if (this.table[g] === -2) {
      throw new BasaltError(
        'NOT_SUPPORTED',
        'twa() needs the rows of one table per group: add `partition by tbname` to the query',
      );
    }
    const span = this.lastTs[g]! - this.firstTs[g]!;
    return span === 0 ? this.firstV[g]! : this.area[g]! / span;
  }
}

/** Accumulators for a list of aggregates; a selector with companions tracks the row it picks. */
export function createAccumulators(specs: readonly AggSpec[]): Accumulator[] {
  const picked = new Set(specs.filter((s) => s.fn === 'companion').map((s) => s.selector!));
  const out: Accumulator[] = [];
  specs.forEach((spec, i) => {
    if (spec.fn === 'companion') {
      const sel = out[spec.selector!];
      assert(sel instanceof PickingSelector && spec.selector! < i, 'a companion follows its selector');
      out.push(new Companion(spec, sel));
    } else out.push(picked.has(i) ? new PickingSelector(spec) : createAccumulator(spec));
  });
  return out;
}

export function createAccumulator(spec: AggSpec): Accumulator {
  switch (spec.fn) {
    case 'companion':
      throw new BasaltError('INTERNAL', 'companions are created with createAccumulators');
    case 'count':
      return new CountAcc(spec);
    case 'sum':
    case 'avg':
    case 'min':
    case 'max':
    case 'spread':
    case 'stddev':
      return new NumericAcc(spec, spec.arg !== null && isBigIntType(spec.arg.t));
    case 'first':
    case 'last':
    case 'last_row':
      return new SelectorAcc(spec);
    case 'percentile':
    case 'apercentile':
      return new PercentileAcc(spec);
    case 'twa':
      return new TwaAcc(spec);
  }
}
