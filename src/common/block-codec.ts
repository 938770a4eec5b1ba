// Binary layout of a ColumnBlock on the wire and in WAL entries (documented in
// docs/block-format.md). Little endian throughout:
//   u32 numRows | u16 numColumns | per column:
//     u8 type | u8 flags (bit 0: has null map) | [u8 × numRows null map]
//     fixed-width types: numRows × width bytes
//     VARCHAR/NCHAR:     u32 × (numRows + 1) byte offsets, then the UTF-8 bytes
// Decoding copies into fresh typed arrays, so the result never aliases the input buffer.
import { BasaltError } from './errors.js';
import { allocData, type ColumnBlock, type ColumnData, type ColumnVector, type NumberArray } from './block.js';
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
  if (end !== out.length) throw new Error(`BUG: block encoded ${end} bytes, expected ${out.length}`);
  return out;
}

/** Writes the block at `offset`; returns the offset after it. `out` must have room (encodedBlockBytes). */
export function encodeBlockInto(block: ColumnBlock, out: Uint8Array, offset: number): number {
  const dv = new DataView(out.buffer, out.byteOffset, out.byteLength);
  const n = block.numRows;
  let p = offset;
  dv.setUint32(p, n, true); p += 4;
  dv.setUint16(p, block.columns.length, true); p += 2;
  for (const c of block.columns) {
    out[p++] = c.type;
    out[p++] = c.nulls ? 1 : 0;
    if (c.nulls) { out.set(c.nulls.subarray(0, n), p); p += n; }
    if (isStringType(c.type)) {
      const strs = c.data as string[];
      const offPos = p; p += 4 * (n + 1);
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
      out.set(bytes, p); p += bytes.length;
    }
  }
  return p;
}

export interface DecodedBlock { block: ColumnBlock; end: number }

export function decodeBlock(buf: Uint8Array, offset = 0): DecodedBlock {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const need = (p: number, k: number): void => {
    if (p + k > buf.length) throw new BasaltError('BAD_FRAME', `column block truncated at byte ${p} (needs ${k} more bytes)`);
  };
  let p = offset;
  need(p, 6);
  const n = dv.getUint32(p, true); p += 4;
  const ncol = dv.getUint16(p, true); p += 2;
  const columns: ColumnVector[] = [];
  for (let ci = 0; ci < ncol; ci++) {
    need(p, 2);
    const type = buf[p++] as DataType;
    const flags = buf[p++]!;
    if (!(type in TYPE_BYTES) || DataType[type] === undefined) throw new BasaltError('BAD_FRAME', `unknown column type ${type} in column ${ci}`);
    let nulls: Uint8Array | null = null;
    if (flags & 1) { need(p, n); nulls = buf.slice(p, p + n); p += n; }
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
        try { strs[i] = textDecoder.decode(buf.subarray(base + prev, base + e)); }
        catch { throw new BasaltError('BAD_FRAME', `invalid UTF-8 in column ${ci} row ${i}`); }
        prev = e;
      }
      data = strs; p = base + total;
    } else {
      const w = TYPE_BYTES[type];
      need(p, n * w);
      data = allocData(type, n);
      const arr = data as NumberArray;
      new Uint8Array(arr.buffer, arr.byteOffset, n * w).set(buf.subarray(p, p + n * w));
      p += n * w;
    }
    columns.push({ type, data, nulls });
  }
  return { block: { numRows: n, columns }, end: p };
}
