// Builds one table's ColumnBlock for a write from converted values, then orders it by
// timestamp with a repeated timestamp keeping the later row (TDengine's rule within one
// statement as well as across writes).
import { allocData, type BigArray, type ColumnBlock, type ColumnVector, type NumberArray } from '../common/block.js';
import { assert } from '../common/assert.js';
import { DataType, isStringType, type ColumnSchema } from '../common/types.js';

export class BlockBuilder {
  private readonly vectors: { type: DataType; data: ReturnType<typeof allocData>; nulls: Uint8Array }[];
  private readonly rows: number;

  constructor(schema: readonly ColumnSchema[], rows: number) {
    this.rows = rows;
    // Every column starts null: columns missing from an explicit column list stay null.
    this.vectors = schema.map((c) => ({
      type: c.type,
      data: allocData(c.type, rows),
      nulls: new Uint8Array(rows).fill(1),
    }));
  }

  set(row: number, col: number, value: number | bigint | string | null): void {
    const v = this.vectors[col]!;
    if (value === null) return;
    v.nulls[row] = 0;
    if (isStringType(v.type)) (v.data as string[])[row] = value as string;
    else if (v.type === DataType.BIGINT || v.type === DataType.UBIGINT) (v.data as BigArray)[row] = value as bigint;
    else (v.data as NumberArray)[row] = value as number;
  }

  /** The block sorted by column 0 (timestamp), duplicates resolved to the last written. */
  finish(): ColumnBlock {
    const n = this.rows;
    const ts = this.vectors[0]!.data as Float64Array;
    let sorted = true;
    for (let i = 1; i < n; i++)
      if (ts[i]! <= ts[i - 1]!) {
        sorted = false;
        break;
      }
    const columns: ColumnVector[] = this.vectors.map((v) => ({
      type: v.type,
      data: v.data,
      nulls: v.nulls.includes(1) ? v.nulls : null,
    }));
    if (sorted) return { numRows: n, columns };
    const order = Array.from({ length: n }, (_, i) => i);
    order.sort((a, b) => ts[a]! - ts[b]! || a - b); // stable by position: later rows last
    const keep: number[] = [];
    for (let k = 0; k < n; k++) {
      const i = order[k]!;
      if (keep.length > 0 && ts[keep[keep.length - 1]!] === ts[i]) keep[keep.length - 1] = i;
      else keep.push(i);
    }
    const m = keep.length;
    return {
      numRows: m,
      columns: columns.map((c) => {
        const data = allocData(c.type, m);
        const src = c.data as ArrayLike<unknown>;
        const dst = data as unknown as { [k: number]: unknown };
        const nulls = c.nulls ? new Uint8Array(m) : null;
        for (let k = 0; k < m; k++) {
          dst[k] = src[keep[k]!];
          if (nulls && c.nulls) nulls[k] = c.nulls[keep[k]!]!;
        }
        assert(data.length === m, 'reordered column length');
        return { type: c.type, data, nulls };
      }),
    };
  }
}
