// Growing columnar storage for one measurement while a request is parsed: timestamps, line
// numbers, series ids and one column per field, all typed arrays doubled on demand. Integer
// fields are written as two 32-bit words into the BigInt64Array's buffer so the hot loop
// never allocates a BigInt for values within 2^53.
import { assert } from '../../common/assert.js';
import type { FieldColumn, FieldKind, MeasurementData, Series } from './batch.js';

export const K_FLOAT = 0;
export const K_INT = 1;
export const K_UINT = 2;
export const K_BOOL = 3;
export const K_STRING = 4;
export const KIND_OF: readonly FieldKind[] = ['float', 'int', 'uint', 'bool', 'string'];

// The word-pair trick below assumes little-endian memory (x86, ARM as Node runs them).
assert(new Uint8Array(new Uint16Array([1]).buffer)[0] === 1, 'line protocol parser needs a little-endian host');

const EMPTY_F64 = new Float64Array(0);
const EMPTY_U32 = new Uint32Array(0);
const EMPTY_U8 = new Uint8Array(0);

export class ColumnBuilder {
  f64: Float64Array = EMPTY_F64;
  /** int/uint: 32-bit words over `big`'s buffer, low word first. */
  u32: Uint32Array = EMPTY_U32;
  big: BigInt64Array | BigUint64Array | null = null;
  u8: Uint8Array = EMPTY_U8;
  strs: string[] = [];
  nulls: Uint8Array | null = null;
  /** Row this column was last written at; a row that ends with lastRow behind it is null here. */
  lastRow = -1;
  maxBytes = 0;

  constructor(
    readonly name: string,
    /** The key's bytes as written (escapes included), for the fast same-layout comparison. */
    readonly rawKey: Uint8Array,
    readonly kind: number,
    readonly firstLine: number,
    cap: number,
    rowsBefore: number,
  ) {
    this.alloc(cap);
    if (rowsBefore > 0) {
      this.nulls = new Uint8Array(cap);
      this.nulls.fill(1, 0, rowsBefore);
    }
  }

  private alloc(cap: number): void {
    switch (this.kind) {
      case K_FLOAT:
        this.f64 = new Float64Array(cap);
        break;
      case K_INT:
        this.big = new BigInt64Array(cap);
        this.u32 = new Uint32Array(this.big.buffer);
        break;
      case K_UINT:
        this.big = new BigUint64Array(cap);
        this.u32 = new Uint32Array(this.big.buffer);
        break;
      case K_BOOL:
        this.u8 = new Uint8Array(cap);
        break;
      default:
        this.strs = new Array<string>(cap).fill('');
        break;
    }
  }

  grow(cap: number): void {
    const { f64, big, u8, strs } = this;
    this.alloc(cap);
    switch (this.kind) {
      case K_FLOAT:
        this.f64.set(f64);
        break;
      case K_INT:
      case K_UINT:
        (this.big as BigInt64Array).set(big as BigInt64Array);
        break;
      case K_BOOL:
        this.u8.set(u8);
        break;
      default:
        for (let r = 0; r < strs.length; r++) this.strs[r] = strs[r]!;
        break;
    }
    if (this.nulls) {
      const n = new Uint8Array(cap);
      n.set(this.nulls);
      this.nulls = n;
    }
  }

  markNull(row: number, cap: number): void {
    if (this.nulls === null) this.nulls = new Uint8Array(cap);
    this.nulls[row] = 1;
  }

  /** Writes an integer within ±2^53 without a BigInt. */
  setSafeInt(row: number, v: number): void {
    let hi = Math.floor(v / 4294967296);
    const lo = v - hi * 4294967296;
    if (hi < 0) hi = hi >>> 0;
    this.u32[2 * row] = lo;
    this.u32[2 * row + 1] = hi;
  }

  finish(rows: number, cap: number): FieldColumn {
    let data: FieldColumn['data'];
    switch (this.kind) {
      case K_FLOAT:
        data = this.f64.subarray(0, rows);
        break;
      case K_INT:
      case K_UINT:
        data = this.big!.subarray(0, rows);
        break;
      case K_BOOL:
        data = this.u8.subarray(0, rows);
        break;
      default:
        data = this.strs;
        data.length = rows;
        break;
    }
    assert(cap >= rows, 'column capacity below row count');
    return {
      name: this.name,
      kind: KIND_OF[this.kind]!,
      data,
      nulls: this.nulls ? this.nulls.subarray(0, rows) : null,
      firstLine: this.firstLine,
      maxBytes: this.maxBytes,
    };
  }
}

const INITIAL_ROWS = 256;

export class MeasurementBuilder {
  rows = 0;
  cap = INITIAL_ROWS;
  ts = new Float64Array(INITIAL_ROWS);
  lines = new Int32Array(INITIAL_ROWS);
  seriesOf = new Int32Array(INITIAL_ROWS);
  readonly cols: ColumnBuilder[] = [];
  /** Raw (escaped) field key, decoded as latin1 → index in cols. */
  readonly colByRaw = new Map<string, number>();
  /** Column index of each field position of the last line: the guess for the next line. */
  layout = new Int32Array(16);
  readonly series: Series[] = [];

  constructor(
    readonly name: string,
    readonly firstLine: number,
  ) {}

  /** Makes room for at least `wanted` rows (at least double, at most 64 times the present room). */
  grow(wanted: number): void {
    const cap = Math.min(Math.max(wanted, this.cap * 2), this.cap * 64);
    const ts = new Float64Array(cap);
    ts.set(this.ts);
    this.ts = ts;
    const lines = new Int32Array(cap);
    lines.set(this.lines);
    this.lines = lines;
    const so = new Int32Array(cap);
    so.set(this.seriesOf);
    this.seriesOf = so;
    for (const c of this.cols) c.grow(cap);
    this.cap = cap;
  }

  addColumn(name: string, rawKey: Uint8Array, rawLatin1: string, kind: number, line: number): number {
    const idx = this.cols.length;
    this.cols.push(new ColumnBuilder(name, rawKey, kind, line, this.cap, this.rows));
    this.colByRaw.set(rawLatin1, idx);
    return idx;
  }

  setLayout(pos: number, colIdx: number): void {
    if (pos >= this.layout.length) {
      const l = new Int32Array(this.layout.length * 2);
      l.set(this.layout);
      this.layout = l;
    }
    this.layout[pos] = colIdx;
  }

  /** Called once per row after its fields: columns the row did not set become null there. */
  fillMissing(row: number): void {
    for (const c of this.cols) if (c.lastRow !== row) c.markNull(row, this.cap);
  }

  finish(): MeasurementData {
    const n = this.rows;
    return {
      name: this.name,
      firstLine: this.firstLine,
      rows: n,
      ts: this.ts.subarray(0, n),
      lineOfRow: this.lines.subarray(0, n),
      seriesOfRow: this.seriesOf.subarray(0, n),
      series: this.series,
      fields: this.cols.map((c) => c.finish(n, this.cap)),
    };
  }
}
