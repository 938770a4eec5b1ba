// The columnar block that storage, query, RPC and the client all pass around: one typed
// array per column, never one object per row.
//
// Representation per type (`data`):
//   TIMESTAMP            Float64Array of integer ticks in the database precision. Exact while
//                        |ticks| <= 2^53 (ms and us precision: any real date); ns precision
//                        refuses timestamps beyond 2^53 ns rather than rounding them.
//   BOOL                 Uint8Array (0/1)
//   TINYINT..INT         Int8Array / Int16Array / Int32Array
//   UTINYINT..UINT       Uint8Array / Uint16Array / Uint32Array
//   BIGINT / UBIGINT     BigInt64Array / BigUint64Array (exact 64-bit)
//   FLOAT / DOUBLE       Float32Array / Float64Array
//   VARCHAR / NCHAR      string[]
// `nulls` is null when the column has no nulls, else a Uint8Array with 1 at null rows
// (the value at a null row is 0 / '' and must be ignored).
import { assert } from './assert.js';
import { Limits } from './limits.js';
import { DataType, TYPE_BYTES } from './types.js';

export type NumberArray =
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | Float32Array
  | Float64Array;
export type BigArray = BigInt64Array | BigUint64Array;
export type ColumnData = NumberArray | BigArray | string[];

export interface ColumnVector {
  readonly type: DataType;
  readonly data: ColumnData;
  readonly nulls: Uint8Array | null;
}

export interface ColumnBlock {
  readonly numRows: number;
  readonly columns: ColumnVector[];
}

export function allocData(type: DataType, rows: number): ColumnData {
  switch (type) {
    case DataType.TIMESTAMP:
      return new Float64Array(rows);
    case DataType.BOOL:
      return new Uint8Array(rows);
    case DataType.TINYINT:
      return new Int8Array(rows);
    case DataType.SMALLINT:
      return new Int16Array(rows);
    case DataType.INT:
      return new Int32Array(rows);
    case DataType.BIGINT:
      return new BigInt64Array(rows);
    case DataType.UTINYINT:
      return new Uint8Array(rows);
    case DataType.USMALLINT:
      return new Uint16Array(rows);
    case DataType.UINT:
      return new Uint32Array(rows);
    case DataType.UBIGINT:
      return new BigUint64Array(rows);
    case DataType.FLOAT:
      return new Float32Array(rows);
    case DataType.DOUBLE:
      return new Float64Array(rows);
    case DataType.VARCHAR:
    case DataType.NCHAR:
      return new Array<string>(rows).fill('');
  }
}

/**
 * Fixed-width column data of `rows` values over buffer[byteOffset, …) (byteOffset aligned for
 * the type). Throws for string types.
 */
export function viewData(
  type: DataType,
  buffer: ArrayBufferLike,
  byteOffset: number,
  rows: number,
): NumberArray | BigArray {
  switch (type) {
    case DataType.TIMESTAMP:
    case DataType.DOUBLE:
      return new Float64Array(buffer, byteOffset, rows);
    case DataType.FLOAT:
      return new Float32Array(buffer, byteOffset, rows);
    case DataType.BOOL:
    case DataType.UTINYINT:
      return new Uint8Array(buffer, byteOffset, rows);
    case DataType.TINYINT:
      return new Int8Array(buffer, byteOffset, rows);
    case DataType.SMALLINT:
      return new Int16Array(buffer, byteOffset, rows);
    case DataType.USMALLINT:
      return new Uint16Array(buffer, byteOffset, rows);
    case DataType.INT:
      return new Int32Array(buffer, byteOffset, rows);
    case DataType.UINT:
      return new Uint32Array(buffer, byteOffset, rows);
    case DataType.BIGINT:
      return new BigInt64Array(buffer, byteOffset, rows);
    case DataType.UBIGINT:
      return new BigUint64Array(buffer, byteOffset, rows);
    default:
      assert(false, `column type ${type} has no fixed-width view`);
  }
}

/**
 * Like allocData, but fixed-width values start as whatever the memory held (no zero fill):
 * for a buffer whose values are all written before they are read (memtable growth, copies).
 */
export function allocDataUnfilled(type: DataType, rows: number): ColumnData {
  if (type === DataType.VARCHAR || type === DataType.NCHAR) return allocData(type, rows);
  const bytes = rows * TYPE_BYTES[type];
  if (bytes < Limits.unfilledAllocMinBytes) return allocData(type, rows);
  const raw = Buffer.allocUnsafeSlow(bytes);
  return viewData(type, raw.buffer, raw.byteOffset, rows);
}

export function allocVector(type: DataType, rows: number, withNulls = false): ColumnVector {
  return { type, data: allocData(type, rows), nulls: withNulls ? new Uint8Array(rows) : null };
}

export function checkBlock(block: ColumnBlock): void {
  for (const c of block.columns) {
    assert(c.data.length === block.numRows, `column length ${c.data.length} != numRows ${block.numRows}`);
    assert(c.nulls === null || c.nulls.length === block.numRows, 'null map length != numRows');
  }
}

export function isNull(v: ColumnVector, row: number): boolean {
  return v.nulls !== null && v.nulls[row] === 1;
}

/** Value at a row as a JS value (number, bigint, string, boolean) or null. Not for hot loops. */
export function valueAt(v: ColumnVector, row: number): number | bigint | string | boolean | null {
  if (v.nulls !== null && v.nulls[row] === 1) return null;
  if (v.type === DataType.BOOL) return (v.data as Uint8Array)[row] === 1;
  return (v.data as ArrayLike<number | bigint | string>)[row] as number | bigint | string;
}

/** Rows [start, end) of a vector; typed arrays are views, not copies. */
export function sliceVector(v: ColumnVector, start: number, end: number): ColumnVector {
  const data = Array.isArray(v.data) ? v.data.slice(start, end) : (v.data as NumberArray).subarray(start, end);
  return { type: v.type, data: data as ColumnData, nulls: v.nulls ? v.nulls.subarray(start, end) : null };
}

export function sliceBlock(b: ColumnBlock, start: number, end: number): ColumnBlock {
  return { numRows: end - start, columns: b.columns.map((c) => sliceVector(c, start, end)) };
}
