// One immutable data file of a file set: blocks of per-table rows, then the block index, then
// a footer. Layout (little endian; docs/storage-format.md):
//   "BASALTD1" | blocks | index (msgpack of positional arrays) | u32 indexBytes | u32 crc32c(index) | f64 indexOffset | "BASALTD1"
// A block is one chunk per column: u32 crc32c(encoded) | encoded column (codec/column.ts).
// The index lists, per block: table uid, rows, min/max ts, and per column its chunk position,
// colId, type and statistics.
import * as fs from 'node:fs';
import { decode as mpDecode, encode as mpEncode } from '@msgpack/msgpack';
import type { ColumnVector } from '../common/block.js';
import { BasaltError } from '../common/errors.js';
import { Limits } from '../common/limits.js';
import type { DataType } from '../common/types.js';
import { ByteReader, ByteWriter } from './codec/bytes.js';
import { decodeColumn, encodeColumn } from './codec/column.js';
import type { ChunkCache } from './chunk-cache.js';
import { crc32c } from './crc32c.js';
import { asDiskFull } from './disk-space.js';
import { dirOf, fsyncFailed, writeAll } from './fsutil.js';
import { computeStats, type ColStats } from './stats.js';

const MAGIC = Buffer.from('BASALTD1', 'latin1');
const FOOTER_BYTES = 24;
const MP = { useBigInt64: true } as const;

export interface ChunkMeta extends ColStats {
  readonly colId: number;
  readonly type: DataType;
  /** Byte offset in the file (at the CRC) and length including the CRC. */
  readonly off: number;
  readonly len: number;
}

export interface BlockMeta {
  readonly uid: number;
  readonly rows: number;
  readonly minTs: number;
  readonly maxTs: number;
  /** cols[0] is the timestamp column. */
  readonly cols: ChunkMeta[];
}

export class DataFileWriter {
  private readonly fd: number;
  private readonly buf = new ByteWriter(1 << 20);
  private fileOffset = 0;
  private readonly blocks: BlockMeta[] = [];
  private readonly scratch = new ByteWriter(1 << 16);

  constructor(readonly path: string) {
    try {
      this.fd = fs.openSync(path, 'w');
    } catch (e) {
      throw asDiskFull(e, dirOf(path), path);
    }
    this.buf.bytes(MAGIC);
  }

  private get pos(): number {
    return this.fileOffset + this.buf.pos;
  }

  /**
   * Writes rows [s, e) as one block. `ts` ascending and unique; vectors[i] holds column
   * colIds[i] (vectors[0] are the timestamps).
   */
  addBlock(uid: number, colIds: readonly number[], vectors: readonly ColumnVector[], s: number, e: number): void {
    const ts = vectors[0]!.data as Float64Array;
    const cols: ChunkMeta[] = [];
    for (let i = 0; i < vectors.length; i++) {
      const v = vectors[i]!;
      this.scratch.pos = 0;
      encodeColumn(this.scratch, v.type, v.data, v.nulls, s, e);
      const enc = this.scratch.finish();
      const off = this.pos;
      this.buf.u32(crc32c(enc));
      this.buf.bytes(enc);
      const st = i === 0 ? tsStats(ts, s, e) : computeStats(v, ts, s, e);
      cols.push({ ...st, colId: colIds[i]!, type: v.type, off, len: enc.length + 4 });
    }
    this.blocks.push({ uid, rows: e - s, minTs: ts[s]!, maxTs: ts[e - 1]!, cols });
    if (this.buf.pos >= Limits.dataFileWriteChunkBytes) this.drain();
  }

  /** Copies an already encoded block from another file (compaction), re-verifying its CRCs. */
  copyBlock(src: DataFileReader, b: BlockMeta): void {
    const cols: ChunkMeta[] = [];
    for (const c of b.cols) {
      const raw = src.readRawChunk(c);
      const off = this.pos;
      this.buf.bytes(raw);
      cols.push({ ...c, off });
    }
    this.blocks.push({ ...b, cols });
    if (this.buf.pos >= Limits.dataFileWriteChunkBytes) this.drain();
  }

  blockCount(): number {
    return this.blocks.length;
  }

  private drain(): void {
    const b = this.buf.finish();
    try {
      writeAll(this.fd, b, this.fileOffset);
    } catch (e) {
      // The caller aborts the file (abort() removes it), so the space comes back for a retry.
      throw asDiskFull(e, dirOf(this.path), this.path);
    }
    this.fileOffset += b.length;
    this.buf.pos = 0;
  }

  /** Writes index and footer, fsyncs and closes. Returns the file size. */
  finish(): number {
    const index = mpEncode(this.blocks.map(packBlock), MP);
    const indexOffset = this.pos;
    this.buf.bytes(index);
    this.buf.u32(index.length);
    this.buf.u32(crc32c(index));
    this.buf.f64(indexOffset);
    this.buf.bytes(MAGIC);
    this.drain();
    try {
      fs.fsyncSync(this.fd);
    } catch (e) {
      throw fsyncFailed(this.path, e);
    }
    fs.closeSync(this.fd);
    return this.fileOffset;
  }

  abort(): void {
    try {
      fs.closeSync(this.fd);
    } catch {
      /* already closed */
    }
    try {
      fs.unlinkSync(this.path);
    } catch {
      /* never created */
    }
  }
}

// The index stores blocks as positional arrays (no repeated key names): about half the bytes.
type PackedChunk = [
  number,
  number,
  number,
  number,
  number,
  ColStats['min'],
  ColStats['max'],
  ColStats['sum'],
  number | null,
  ColStats['first'],
  number | null,
  ColStats['last'],
];
type PackedBlock = [number, number, number, number, PackedChunk[]];

// msgpack holds 64-bit integers only, and a sum of (U)BIGINT values can pass 2^64: such sums
// are kept as decimal text (no other column has a string sum).
function packBlock(b: BlockMeta): PackedBlock {
  return [
    b.uid,
    b.rows,
    b.minTs,
    b.maxTs,
    b.cols.map(
      (c): PackedChunk => [
        c.colId,
        c.type,
        c.off,
        c.len,
        c.count,
        c.min,
        c.max,
        (typeof c.sum === 'bigint' ? c.sum.toString() : c.sum) as ColStats['sum'],
        c.firstTs,
        c.first,
        c.lastTs,
        c.last,
      ],
    ),
  ];
}

function unpackBlock(p: PackedBlock): BlockMeta {
  return {
    uid: p[0],
    rows: p[1],
    minTs: p[2],
    maxTs: p[3],
    cols: p[4].map((c) => ({
      colId: c[0],
      type: c[1] as DataType,
      off: c[2],
      len: c[3],
      count: c[4],
      min: c[5],
      max: c[6],
      sum: typeof c[7] === 'string' ? BigInt(c[7]) : c[7],
      firstTs: c[8],
      first: c[9],
      lastTs: c[10],
      last: c[11],
    })),
  };
}

function tsStats(ts: Float64Array, s: number, e: number): ColStats {
  return {
    count: e - s,
    min: ts[s]!,
    max: ts[e - 1]!,
    sum: null,
    firstTs: ts[s]!,
    first: ts[s]!,
    lastTs: ts[e - 1]!,
    last: ts[e - 1]!,
  };
}

export class DataFileReader {
  readonly blocks: BlockMeta[];
  readonly sizeBytes: number;
  private fd: number;

  constructor(
    readonly path: string,
    private readonly cache: ChunkCache | null = null,
  ) {
    this.fd = fs.openSync(path, 'r');
    try {
      this.sizeBytes = fs.fstatSync(this.fd).size;
      if (this.sizeBytes < MAGIC.length + FOOTER_BYTES)
        throw this.corrupt(0, `file is ${this.sizeBytes} bytes, too short for a data file`);
      const foot = this.read(this.sizeBytes - FOOTER_BYTES, FOOTER_BYTES);
      if (!Buffer.from(foot.buffer, foot.byteOffset + 16, 8).equals(MAGIC))
        throw this.corrupt(this.sizeBytes - 8, 'footer magic missing');
      const dv = new DataView(foot.buffer, foot.byteOffset, FOOTER_BYTES);
      const indexBytes = dv.getUint32(0, true),
        indexCrc = dv.getUint32(4, true),
        indexOffset = dv.getFloat64(8, true);
      if (!(indexOffset >= MAGIC.length && indexOffset + indexBytes + FOOTER_BYTES === this.sizeBytes))
        throw this.corrupt(this.sizeBytes - FOOTER_BYTES, 'footer points outside the file');
      const index = this.read(indexOffset, indexBytes);
      if (crc32c(index) !== indexCrc) throw this.corrupt(indexOffset, 'block index fails its CRC32C');
      const raw = mpDecode(index, MP);
      if (!Array.isArray(raw)) throw this.corrupt(indexOffset, 'block index is not a list');
      this.blocks = raw.map((b) => unpackBlock(b as PackedBlock));
    } catch (e) {
      fs.closeSync(this.fd);
      throw e;
    }
  }

  private corrupt(offset: number, what: string): BasaltError {
    return new BasaltError(
      'FILE_CORRUPTED',
      `data file ${this.path} at byte offset ${offset}: ${what}; restore the vnode from a replica or snapshot`,
    );
  }

  private read(offset: number, len: number): Buffer {
    const b = Buffer.allocUnsafe(len);
    let got = 0;
    while (got < len) {
      const r = fs.readSync(this.fd, b, got, len - got, offset + got);
      if (r === 0) throw this.corrupt(offset + got, 'unexpected end of file');
      got += r;
    }
    return b;
  }

  readRawChunk(c: ChunkMeta): Buffer {
    const b = this.read(c.off, c.len);
    if (crc32c(b, 4) !== b.readUInt32LE(0))
      throw this.corrupt(c.off, `column chunk (colId ${c.colId}, ${c.len} bytes) fails its CRC32C`);
    return b;
  }

  /** Decodes one column chunk of a block, verifying its CRC. */
  readColumn(b: BlockMeta, c: ChunkMeta): ColumnVector {
    const key = this.cache ? `${this.path}:${c.off}` : '';
    const hit = this.cache?.get(key);
    if (hit) return hit;
    const v = this.decodeColumn(b, c);
    this.cache?.put(key, v);
    return v;
  }

  private decodeColumn(b: BlockMeta, c: ChunkMeta): ColumnVector {
    const raw = this.readRawChunk(c);
    try {
      const r = new ByteReader(raw, 4);
      const v = decodeColumn(r, c.type, b.rows);
      if (r.pos !== raw.length)
        throw new BasaltError('FILE_CORRUPTED', `decoded ${r.pos - 4} of ${raw.length - 4} bytes`);
      return v;
    } catch (e) {
      if (e instanceof BasaltError && e.errorName === 'FILE_CORRUPTED') throw this.corrupt(c.off, e.message);
      throw e;
    }
  }

  close(): void {
    if (this.fd >= 0) {
      fs.closeSync(this.fd);
      this.fd = -1;
    }
  }
}
