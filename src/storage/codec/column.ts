// One column of one block, encoded for its type. Layout:
//   u8 flags (bit 0: null bitmap follows; bit 1: values are lz4-compressed)
//   | [ceil(n/8) bytes null bitmap, bit i = row i null]
//   | values, or when bit 1: u32 rawBytes | u32 lz4Bytes | lz4(values)
//   values = the non-null values only, encoded per type:
//   TIMESTAMP, (U)TINYINT..(U)INT: integer sequence (intseq.ts)
//   (U)BIGINT: u8 0 + integer sequence when every value fits 2^51, else u8 1 + raw 8-byte values
//   FLOAT/DOUBLE: floats.ts; BOOL: bitmap; VARCHAR/NCHAR: strings.ts
import { allocData, type ColumnData, type ColumnVector, type NumberArray } from '../../common/block.js';
import { DataType, isStringType } from '../../common/types.js';
import { ByteReader, ByteWriter, corrupt } from './bytes.js';
import { decodeFloats, encodeFloats } from './floats.js';
import { decodeIntSeq, encodeIntSeq } from './intseq.js';
import { decodeStrings, encodeStrings } from './strings.js';
import { compressSync, uncompressSync } from 'lz4-napi';

const LZ4_MIN_BYTES = 256;

const SAFE = 2n ** 51n;

/** Encodes rows [start, end) of a column; the values section goes through lz4 when that saves a tenth. */
export function encodeColumn(
  out: ByteWriter,
  type: DataType,
  data: ColumnData,
  nulls: Uint8Array | null,
  start: number,
  end: number,
): void {
  const flagsPos = out.pos;
  const idx = encodeNulls(out, nulls, start, end);
  encodeValues(out, type, data, idx, start, end);
  if (isStringType(type)) return; // strings choose lz4 themselves
  const valuesPos = flagsPos + 1 + (out.buf[flagsPos]! & 1 ? (end - start + 7) >> 3 : 0);
  const rawBytes = out.pos - valuesPos;
  if (rawBytes < LZ4_MIN_BYTES) return;
  const z = compressSync(Buffer.from(out.buf.buffer, out.buf.byteOffset + valuesPos, rawBytes));
  if ((z.length + 8) * 10 > rawBytes * 9) return;
  out.pos = valuesPos;
  out.u32(rawBytes);
  out.u32(z.length);
  out.bytes(z);
  out.buf[flagsPos]! |= 2;
}

/**
 * Writes the flags byte and, when rows [start, end) hold a null, the null bitmap. Returns
 * idx (idx[k] = source row of the k-th non-null value), or null when there are no nulls.
 */
function encodeNulls(out: ByteWriter, nulls: Uint8Array | null, start: number, end: number): Int32Array | null {
  const n = end - start;
  let m = n;
  let hasNull = false;
  if (nulls)
    for (let i = start; i < end; i++)
      if (nulls[i] === 1) {
        hasNull = true;
        m--;
      }
  out.u8(hasNull ? 1 : 0);
  if (!hasNull) return null;
  const bm = new Uint8Array((n + 7) >> 3);
  const idx = new Int32Array(m);
  let k = 0;
  for (let i = 0; i < n; i++) {
    if (nulls![start + i] === 1) bm[i >> 3]! |= 1 << (i & 7);
    else idx[k++] = start + i;
  }
  out.bytes(bm);
  return idx;
}

/** The non-null values of rows [start, end): a view when there are no nulls, else a copy. */
function pick<T extends NumberArray>(
  arr: T,
  make: (k: number) => T,
  idx: Int32Array | null,
  start: number,
  end: number,
): T {
  if (!idx) return arr.subarray(start, end) as T;
  const m = idx.length;
  const r = make(m);
  for (let k = 0; k < m; k++) r[k] = arr[idx[k]!]!;
  return r;
}

/** Writes the non-null values of rows [start, end) (idx from encodeNulls), encoded for their type. */
function encodeValues(
  out: ByteWriter,
  type: DataType,
  data: ColumnData,
  idx: Int32Array | null,
  start: number,
  end: number,
): void {
  const m = idx ? idx.length : end - start;
  switch (type) {
    case DataType.BOOL: {
      const v = pick(data as Uint8Array, (k) => new Uint8Array(k), idx, start, end);
      const bm = new Uint8Array((m + 7) >> 3);
      for (let i = 0; i < m; i++) if (v[i]) bm[i >> 3]! |= 1 << (i & 7);
      out.bytes(bm);
      return;
    }
    case DataType.FLOAT:
      encodeFloats(
        out,
        pick(data as Float32Array, (k) => new Float32Array(k), idx, start, end),
        true,
      );
      return;
    case DataType.DOUBLE:
      encodeFloats(
        out,
        pick(data as Float64Array, (k) => new Float64Array(k), idx, start, end),
        false,
      );
      return;
    case DataType.BIGINT:
    case DataType.UBIGINT:
      encodeBigInts(out, data as BigInt64Array | BigUint64Array, idx, start, m);
      return;
    case DataType.VARCHAR:
    case DataType.NCHAR: {
      const arr = data as string[];
      const vals = new Array<string>(m);
      for (let k = 0; k < m; k++) vals[k] = arr[idx ? idx[k]! : start + k]!;
      encodeStrings(out, vals);
      return;
    }
    default: {
      // TIMESTAMP and the integer types up to 32 bits are exact in a double.
      const arr = data as NumberArray;
      let vals: Float64Array;
      if (type === DataType.TIMESTAMP && !idx) vals = (arr as Float64Array).subarray(start, end);
      else {
        vals = new Float64Array(m);
        for (let k = 0; k < m; k++) vals[k] = arr[idx ? idx[k]! : start + k]!;
      }
      encodeIntSeq(out, vals, m);
    }
  }
}

/** (U)BIGINT: u8 0 + integer sequence when every value fits 2^51, else u8 1 + raw 8-byte values. */
function encodeBigInts(
  out: ByteWriter,
  arr: BigInt64Array | BigUint64Array,
  idx: Int32Array | null,
  start: number,
  m: number,
): void {
  const vals = new Float64Array(m);
  let fits = true;
  for (let k = 0; k < m; k++) {
    const b = arr[idx ? idx[k]! : start + k]!;
    if (b > SAFE || b < -SAFE) {
      fits = false;
      break;
    }
    vals[k] = Number(b);
  }
  if (fits) {
    out.u8(0);
    encodeIntSeq(out, vals, m);
    return;
  }
  out.u8(1);
  const raw = new BigInt64Array(m);
  for (let k = 0; k < m; k++) raw[k] = BigInt.asIntN(64, arr[idx ? idx[k]! : start + k]!);
  out.bytes(new Uint8Array(raw.buffer));
}

export function decodeColumn(reader: ByteReader, type: DataType, n: number): ColumnVector {
  const flags = reader.u8();
  if (flags > 3) throw corrupt(`column flags ${flags} unknown`);
  let nulls: Uint8Array | null = null;
  let m = n;
  if (flags & 1) {
    const bm = reader.bytes((n + 7) >> 3);
    nulls = new Uint8Array(n);
    for (let i = 0; i < n; i++)
      if ((bm[i >> 3]! >> (i & 7)) & 1) {
        nulls[i] = 1;
        m--;
      }
  }
  const r = flags & 2 ? uncompressValues(reader) : reader;
  const vals = decodeValues(r, type, m);
  if (flags & 2 && r.pos !== r.end) throw corrupt(`${r.end - r.pos} bytes left over in lz4 column values`);
  if (!nulls) return { type, data: vals, nulls: null };
  return { type, data: spreadOverRows(type, vals, nulls, n), nulls };
}

/** Reads `u32 rawBytes | u32 lz4Bytes | lz4(values)`; a reader over the decompressed values. */
function uncompressValues(outer: ByteReader): ByteReader {
  const rawBytes = outer.u32(),
    zBytes = outer.u32();
  let raw: Uint8Array;
  try {
    raw = uncompressSync(outer.bytes(zBytes));
  } catch {
    throw corrupt('lz4 column values do not decompress');
  }
  if (raw.length !== rawBytes)
    throw corrupt(`lz4 column values decompressed to ${raw.length} bytes, expected ${rawBytes}`);
  return new ByteReader(raw);
}

/** Reads m non-null values of `type`. */
function decodeValues(r: ByteReader, type: DataType, m: number): ColumnData {
  switch (type) {
    case DataType.BOOL: {
      const bm = r.bytes((m + 7) >> 3);
      const v = new Uint8Array(m);
      for (let i = 0; i < m; i++) v[i] = (bm[i >> 3]! >> (i & 7)) & 1;
      return v;
    }
    case DataType.FLOAT:
      return decodeFloats(r, m, true);
    case DataType.DOUBLE:
      return decodeFloats(r, m, false);
    case DataType.BIGINT:
    case DataType.UBIGINT: {
      const mode = r.u8();
      const out = type === DataType.BIGINT ? new BigInt64Array(m) : new BigUint64Array(m);
      if (mode === 0) {
        const f = decodeIntSeq(r, m);
        for (let k = 0; k < m; k++) out[k] = BigInt(f[k]!);
      } else if (mode === 1) {
        new Uint8Array(out.buffer).set(r.bytes(8 * m));
      } else throw corrupt(`bigint mode ${mode} unknown`);
      return out;
    }
    case DataType.VARCHAR:
    case DataType.NCHAR:
      return decodeStrings(r, m);
    default: {
      const f = decodeIntSeq(r, m);
      if (type === DataType.TIMESTAMP) return f;
      const a = allocData(type, m) as NumberArray;
      a.set(f);
      return a;
    }
  }
}

/** Spreads the non-null values back over their n rows; null rows get 0 / ''. */
function spreadOverRows(type: DataType, vals: ColumnData, nulls: Uint8Array, n: number): ColumnData {
  const full = allocData(type, n);
  let k = 0;
  if (isStringType(type)) {
    const src = vals as string[],
      dst = full as string[];
    for (let i = 0; i < n; i++) if (nulls[i] !== 1) dst[i] = src[k++]!;
  } else {
    const src = vals as NumberArray,
      dst = full as NumberArray;
    for (let i = 0; i < n; i++) if (nulls[i] !== 1) dst[i] = src[k++]!;
  }
  return full;
}
