// Binary layout of a ColumnBlock on the wire and in WAL entries (documented in
// docs/block-format.md). Little endian throughout:
//   u32 numRows | u16 numColumns | per column:
//     u8 type | u8 flags (bit 0: has null map) | [u8 × numRows null map]
//     fixed-width types: numRows × width bytes
//     VARCHAR/NCHAR:     u32 × (numRows + 1) byte offsets, then the UTF-8 bytes
// Decoding copies into fresh typed arrays, so the result never aliases the input buffer,
// unless the caller passes `alias`: then a fixed-width column whose bytes sit at an offset
// aligned for its type becomes a view of the input (no copy, no garbage). Use it only where
// the input is never reused and the block does not outlive a short hand-off (the insert
// request's frame into the memtable; a committed Raft entry into the memtable).
import { assert } from './assert.js';
import { BasaltError } from './errors.js';
import {
  allocDataUnfilled,
  viewData,
  type ColumnBlock,
  type ColumnData,
  type ColumnVector,
  type NumberArray,
} from './block.js';
import { DataType, TYPE_BYTES, isStringType } from './types.js';

const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder('utf-8', { fatal: true });

export function encodedBlockBytes(block: ColumnBlock): number {
  let n = 6;
  for (const c of block.columns) {
    n += 2 + (c.nulls ? block.numRows : 0);
    if (isStringType(c.type)) {
      n += 4 * (block.numRows + 1);
      for (const s of c.data as string[]) n += Buffer.byteLength(s, 'utf8');
    } else n += TYPE_BYTES[c.type] * block.numRows;
  }
  return n;
}

export function encodeBlock(block: ColumnBlock): Uint8Array {
  const out = new Uint8Array(encodedBlockBytes(block));
  const end = encodeBlockInto(block, out, 0);
  assert(end === out.length, `block encoded ${end} bytes, expected ${out.length}`);
  return out;
}

/** Writes the block at `offset`; returns the offset after it. `out` must have room (encodedBlockBytes). */
export function encodeBlockInto(block: ColumnBlock, out: Uint8Array, offset: number): number {
  const dv = new DataView(out.buffer, out.byteOffset, out.byteLength);
  const n = block.numRows;
  let p = offset;
  dv.setUint32(p, n, true);
  p += 4;
  dv.setUint16(p, block.columns.length, true);
  p += 2;
  for (const c of block.columns) {
    out[p++] = c.type;
    out[p++] = c.nulls ? 1 : 0;
    if (c.nulls) {
      out.set(c.nulls.subarray(0, n), p);
      p += n;
    }
    if (isStringType(c.type)) {
      const strs = c.data as string[];
      const offPos = p;
      p += 4 * (n + 1);
      let rel = 0;
      dv.setUint32(offPos, 0, true);
      for (let i = 0; i < n; i++) {
        const w = textEncoder.encodeInto(strs[i] ?? '', out.subarray(p + rel)).written;
        rel += w;
        dv.setUint32(offPos + 4 * (i + 1), rel, true);
      }
      p += rel;
    } else {
      const arr = c.data as NumberArray | BigInt64Array | BigUint64Array;
      const bytes = new Uint8Array(arr.buffer, arr.byteOffset, n * TYPE_BYTES[c.type]);
      out.set(bytes, p);
      p += bytes.length;
    }
  }
  return p;
}

export interface DecodedBlock {
  block: ColumnBlock;
  end: number;
}

export interface DecodeOptions {
  /** Fixed-width columns may be views of `buf` (see the file comment). */
  readonly alias?: boolean;
  /**
   * Columns that cannot be views are copied into this arena instead of fresh arrays: for a
   * block used and dropped before the arena's next reset() (an apply into the memtable).
   */
  readonly scratch?: ScratchArena;
}

/**
 * Reusable memory for transient decoded columns: take() hands out 8-byte-aligned slices of
 * one buffer until reset(). Saves an allocation (and the garbage collection it feeds) per
 * column of every replicated entry a replica applies. Bounded: past maxBytes, take() returns
 * null and the caller allocates as usual.
 */
export class ScratchArena {
  private buf: ArrayBuffer;
  private usedBytes = 0;

  constructor(private readonly maxBytes: number) {
    this.buf = new ArrayBuffer(0); // sized by reset(expectBytes)
  }

  /**
   * Forgets every slice handed out so far (their contents may be overwritten from now on);
   * grows to hold `expectBytes` (e.g. the size of what will be decoded) within maxBytes.
   */
  reset(expectBytes = 0): void {
    this.usedBytes = 0;
    const want = Math.min(expectBytes + 4096, this.maxBytes);
    if (want <= this.buf.byteLength) return;
    let size = Math.max(this.buf.byteLength, 64 << 10);
    while (size < want) size *= 2;
    this.buf = new ArrayBuffer(Math.min(size, this.maxBytes));
  }

  /** `bytes` bytes at an 8-aligned offset, or null when the arena cannot hold them. */
  take(bytes: number): { buffer: ArrayBuffer; byteOffset: number } | null {
    const at = (this.usedBytes + 7) & ~7;
    if (at + bytes > this.buf.byteLength) return null;
    this.usedBytes = at + bytes;
    return { buffer: this.buf, byteOffset: at };
  }
}

/** A typed array of `rows` values holding a copy of bytes[start, start + rows * width). */
function copyColumn(
  type: DataType,
  rows: number,
  bytes: Uint8Array,
  start: number,
  scratch?: ScratchArena,
): ColumnData {
  const w = TYPE_BYTES[type];
  const len = rows * w;
  const slot = scratch?.take(len);
  if (slot) {
    const dst = new Uint8Array(slot.buffer, slot.byteOffset, len);
    dst.set(bytes.subarray(start, start + len));
    return viewColumn(type, dst, 0, rows);
  }
  const data = allocDataUnfilled(type, rows) as NumberArray;
  new Uint8Array(data.buffer, data.byteOffset, len).set(bytes.subarray(start, start + len));
  return data;
}

/** A typed array of `rows` values over bytes at byteOffset (which must be aligned for the type). */
function viewColumn(type: DataType, bytes: Uint8Array, start: number, rows: number): ColumnData {
  return viewData(type, bytes.buffer, bytes.byteOffset + start, rows);
}

export function decodeBlock(buf: Uint8Array, offset = 0, opts: DecodeOptions = {}): DecodedBlock {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const need = (p: number, k: number): void => {
    if (p + k > buf.length)
      throw new BasaltError('BAD_FRAME', `column block truncated at byte ${p} (needs ${k} more bytes)`);
  };
  let p = offset;
  need(p, 6);
  const n = dv.getUint32(p, true);
  p += 4;
  const ncol = dv.getUint16(p, true);
  p += 2;
  const columns: ColumnVector[] = [];
  for (let ci = 0; ci < ncol; ci++) {
    need(p, 2);
    const type = buf[p++] as DataType;
    const flags = buf[p++]!;
    if (!(type in TYPE_BYTES) || DataType[type] === undefined)
      throw new BasaltError('BAD_FRAME', `unknown column type ${type} in column ${ci}`);
    let nulls: Uint8Array | null = null;
    if (flags & 1) {
      need(p, n);
      nulls = buf.slice(p, p + n);
      p += n;
    }
    let data: ColumnData;
    if (isStringType(type)) {
      need(p, 4 * (n + 1));
      const base = p + 4 * (n + 1);
      const total = dv.getUint32(p + 4 * n, true);
      need(base, total);
      const strs = new Array<string>(n);
      let prev = 0;
      for (let i = 0; i < n; i++) {
        const e = dv.getUint32(p + 4 * (i + 1), true);
        if (e < prev || e > total) throw new BasaltError('BAD_FRAME', `bad string offset in column ${ci} row ${i}`);
        try {
          strs[i] = textDecoder.decode(buf.subarray(base + prev, base + e));
        } catch {
          throw new BasaltError('BAD_FRAME', `invalid UTF-8 in column ${ci} row ${i}`);
        }
        prev = e;
      }
      data = strs;
      p = base + total;
    } else {
      const w = TYPE_BYTES[type];
      need(p, n * w);
      data =
        opts.alias && (buf.byteOffset + p) % w === 0
          ? viewColumn(type, buf, p, n)
          : copyColumn(type, n, buf, p, opts.scratch);
      p += n * w;
    }
    columns.push({ type, data, nulls });
  }
  return { block: { numRows: n, columns }, end: p };
}
