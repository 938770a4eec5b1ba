// `basalt bench` data: taosBenchmark's `meters` rows generated straight into reusable typed
// arrays (no object per row). Values are random walks kept as small integers (hundredths of an
// ampere, volts, ten-thousandths of phase) so the text paths can print them exactly and short.
import { DataType } from '../common/types.js';
import type { ColumnBlock } from '../common/block.js';

/** TDengine's example locations (taosBenchmark's default tag values). */
export const LOCATIONS: readonly string[] = [
  'California.SanFrancisco',
  'California.LosAngeles',
  'California.SanDiego',
  'California.SanJose',
  'California.PaloAlto',
  'California.Campbell',
  'California.MountainView',
  'California.Sunnyvale',
  'California.SantaClara',
  'California.Cupertino',
];

export const METERS_COLUMNS_SQL = 'ts timestamp, current float, voltage int, phase float';
export const METERS_TAGS_SQL = 'groupid int, location varchar(24)';

export function groupIdOf(table: number): number {
  return (table % 10) + 1;
}
export function locationOf(table: number): string {
  return LOCATIONS[table % LOCATIONS.length]!;
}

/** One request's rows, column by column; `ts` in ticks of the database precision. */
export interface RowBuffers {
  readonly ts: Float64Array;
  /** Hundredths of an ampere (800..1200 → 8.00..12.00). */
  readonly currentCenti: Int32Array;
  readonly voltage: Int32Array;
  /** Ten-thousandths (0..9999 → 0.0000..0.9999). */
  readonly phaseMilli: Int32Array;
  /** Float columns as sent on the columnar path. */
  readonly current: Float32Array;
  readonly phase: Float32Array;
}

export function allocRows(capacity: number): RowBuffers {
  return {
    ts: new Float64Array(capacity),
    currentCenti: new Int32Array(capacity),
    voltage: new Int32Array(capacity),
    phaseMilli: new Int32Array(capacity),
    current: new Float32Array(capacity),
    phase: new Float32Array(capacity),
  };
}

/** Random-walk state of a worker's tables [first, first + count). */
export class MetersWalk {
  private readonly cur: Int32Array;
  private readonly volt: Int32Array;
  private readonly ph: Int32Array;
  private seed: number;

  constructor(
    readonly first: number,
    readonly count: number,
    seed: number,
  ) {
    this.seed = (seed ^ 0x9e3779b9) >>> 0 || 1;
    this.cur = new Int32Array(count);
    this.volt = new Int32Array(count);
    this.ph = new Int32Array(count);
    for (let i = 0; i < count; i++) {
      this.cur[i] = 800 + (this.next() % 401);
      this.volt[i] = 215 + (this.next() % 11);
      this.ph[i] = this.next() % 10000;
    }
  }

  /** xorshift32: a few ns per value, good enough for benchmark data. */
  private next(): number {
    let x = this.seed;
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    this.seed = x;
    return x;
  }

  /**
   * Writes `n` rows of table `table` (global index) starting at its row `row0` into `out` at
   * `offset`: timestamps start + row * step, values one random step from the previous row.
   */
  fill(table: number, row0: number, n: number, startTs: number, stepTs: number, out: RowBuffers, offset: number): void {
    const k = table - this.first;
    let c = this.cur[k]!,
      v = this.volt[k]!,
      p = this.ph[k]!;
    const { ts, currentCenti, voltage, phaseMilli, current, phase } = out;
    for (let i = 0; i < n; i++) {
      const r = this.next();
      c += (r & 7) - 3; // -3..+4 hundredths, clamped to [8, 12]
      if (c < 800) c = 800;
      else if (c > 1200) c = 1200;
      const dv = ((r >>> 3) % 3) - 1; // -1, 0, +1 volt, clamped to [215, 225]
      v += dv;
      if (v < 215) v = 215;
      else if (v > 225) v = 225;
      p = (p + ((r >>> 5) & 127)) % 10000;
      const j = offset + i;
      ts[j] = startTs + (row0 + i) * stepTs;
      currentCenti[j] = c;
      voltage[j] = v;
      phaseMilli[j] = p;
      current[j] = c / 100;
      phase[j] = p / 10000;
    }
    this.cur[k] = c;
    this.volt[k] = v;
    this.ph[k] = p;
  }
}

/** Rows [offset, offset + n) as a columnar block of views (no copy) in meters' schema order. */
export function metersBlock(b: RowBuffers, offset: number, n: number): ColumnBlock {
  const end = offset + n;
  return {
    numRows: n,
    columns: [
      { type: DataType.TIMESTAMP, data: b.ts.subarray(offset, end), nulls: null },
      { type: DataType.FLOAT, data: b.current.subarray(offset, end), nulls: null },
      { type: DataType.INT, data: b.voltage.subarray(offset, end), nulls: null },
      { type: DataType.FLOAT, data: b.phase.subarray(offset, end), nulls: null },
    ],
  };
}

/** Hundredths as decimal text ("10.3", "8", "11.07"); exact, unlike float printing of 0.01 steps. */
export function centiText(c: number): string {
  return String(c / 100);
}
export function tenThousandthsText(p: number): string {
  return String(p / 10000);
}
