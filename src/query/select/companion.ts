// Selector functions with companion columns, as TDengine allows: `select max(v), ts, name`
// returns ts and name of the row where v is largest. The selector remembers which row it
// picked per group (by batch and row index); each companion, run right after it over the
// same batch, copies its own value at that row. Merging partials follows the selector too.
import { valueAt, type ColumnVector } from '../../common/block.js';
import { BasaltError } from '../../common/errors.js';
import { isBigIntType } from '../../common/types.js';
import type { Accumulator } from './aggregates.js';
import type { AggSpec, ScalarValue } from './ir.js';
import { toF64 } from './vec.js';

const GROW_MIN = 16;

/** Doubles of a vector, converted once per vector (addRows calls addRange once per row). */
const numbersCache = new WeakMap<ColumnVector, Float64Array>();
function numbersOf(v: ColumnVector): Float64Array {
  let f = numbersCache.get(v);
  if (f === undefined) {
    f = toF64(v);
    numbersCache.set(v, f);
  }
  return f;
}

function grow<T>(a: T[], n: number, fill: T): void {
  while (a.length < Math.max(n, GROW_MIN)) a.push(fill);
}

/** max / min / first / last / last_row that also records the row it selected. */
export class PickingSelector implements Accumulator {
  /** Best key per group: the value (max/min) or the timestamp (first/last/last_row). */
  private best: Array<number | bigint | null> = [];
  private value: ScalarValue[] = [];
  /** The batch (its ts array) and row of the latest pick, for the companions. */
  pickBatch: Array<Float64Array | null> = [];
  pickRow: number[] = [];
  /** Whether the last mergeFrom took the other partial's row. */
  tookOther = false;
  private groups = 0;
  constructor(readonly spec: AggSpec) {}

  private ensure(g: number): void {
    if (g < this.groups) return;
    this.groups = g + 1;
    grow(this.best, this.groups, null);
    grow(this.value, this.groups, null);
    grow(this.pickBatch, this.groups, null);
    grow(this.pickRow, this.groups, -1);
  }

  /** True when candidate key k beats the group's best (ties keep the earlier row). */
  private better(g: number, k: number | bigint): boolean {
    const b = this.best[g]!;
    if (b === null) return true;
    switch (this.spec.fn) {
      case 'max':
      case 'last':
      case 'last_row':
        return k > b;
      case 'min':
      case 'first':
        return k < b;
      default:
        throw new BasaltError('INTERNAL', `${this.spec.fn} is not a selector`);
    }
  }

  addRange(g: number, v: ColumnVector | null, ts: Float64Array, from: number, to: number): void {
    this.ensure(g);
    const vec = v!,
      nl = vec.nulls,
      fn = this.spec.fn;
    const keys: ArrayLike<number | bigint> | null =
      fn === 'max' || fn === 'min' ? (isBigIntType(vec.type) ? (vec.data as BigInt64Array) : numbersOf(vec)) : null;
    for (let i = from; i < to; i++) {
      if (fn !== 'last_row' && nl !== null && nl[i] === 1) continue;
      const k = keys === null ? ts[i]! : keys[i]!;
      if (this.better(g, k)) {
        this.best[g] = k;
        this.value[g] = valueAt(vec, i);
        this.pickBatch[g] = ts;
        this.pickRow[g] = i;
      }
    }
  }

  addRows(gids: Int32Array, v: ColumnVector | null, ts: Float64Array, n: number): void {
    for (let i = 0; i < n; i++) this.addRange(gids[i]!, v, ts, i, i + 1);
  }

  addStats(): void {
    throw new BasaltError('INTERNAL', 'a selector with companions cannot use block statistics');
  }
  addPoint(): void {
    throw new BasaltError('INTERNAL', 'a selector with companions cannot use the last-row cache');
  }

  mergeFrom(g: number, other: Accumulator, og: number): void {
    const o = other as PickingSelector;
    this.ensure(g);
    this.tookOther = false;
    const k = og < o.groups ? o.best[og]! : null;
    if (k !== null && this.better(g, k)) {
      this.best[g] = k;
      this.value[g] = o.value[og]!;
      this.tookOther = true;
    }
  }

  result(g: number): ScalarValue {
    return g < this.groups ? this.value[g]! : null;
  }
}

/** The value of another expression at the row its selector picked. */
export class Companion implements Accumulator {
  private value: ScalarValue[] = [];
  private groups = 0;
  constructor(
    readonly spec: AggSpec,
    private readonly selector: PickingSelector,
  ) {}

  private ensure(g: number): void {
    if (g >= this.groups) {
      this.groups = g + 1;
      grow(this.value, this.groups, null);
    }
  }

  addRange(g: number, v: ColumnVector | null, ts: Float64Array, from: number, to: number): void {
    this.ensure(g);
    const row = this.selector.pickRow[g] ?? -1;
    if (this.selector.pickBatch[g] === ts && row >= from && row < to) this.value[g] = valueAt(v!, row);
  }

  addRows(gids: Int32Array, v: ColumnVector | null, ts: Float64Array, n: number): void {
    for (let i = 0; i < n; i++) this.addRange(gids[i]!, v, ts, i, i + 1);
  }

  addStats(): void {
    throw new BasaltError('INTERNAL', 'companion columns cannot use block statistics');
  }
  addPoint(): void {
    throw new BasaltError('INTERNAL', 'companion columns cannot use the last-row cache');
  }

  mergeFrom(g: number, other: Accumulator, og: number): void {
    this.ensure(g);
    // Runs right after the selector's mergeFrom for the same group pair.
    if (this.selector.tookOther) this.value[g] = (other as Companion).result(og);
  }

  result(g: number): ScalarValue {
    return g < this.groups ? this.value[g]! : null;
  }
}
