// VARCHAR / NCHAR values: a dictionary when at most half the values are distinct (indices
// through the integer-sequence codec), else lengths + UTF-8 bytes; then lz4 over the result
// when it saves at least a tenth. Layout:
//   u8 mode (bit 0 dictionary, bit 1 lz4) | [u32 rawBytes if lz4] | payload (lz4'd if bit 1)
//   payload = [u32 dictCount, dict lengths (intseq), dict bytes] indices (intseq)   (dictionary)
//           | lengths (intseq), UTF-8 bytes                                          (plain)
import { compressSync, uncompressSync } from 'lz4-napi';
import { ByteReader, ByteWriter, corrupt } from './bytes.js';
import { decodeIntSeq, encodeIntSeq } from './intseq.js';

const LZ4_MIN_BYTES = 64;
const utf8 = new TextDecoder('utf-8', { fatal: true });

function writeList(out: ByteWriter, strs: readonly string[]): void {
  const bufs = strs.map((s) => Buffer.from(s, 'utf8'));
  const lens = new Float64Array(bufs.length);
  let total = 0;
  for (let i = 0; i < bufs.length; i++) {
    lens[i] = bufs[i]!.length;
    total += bufs[i]!.length;
  }
  encodeIntSeq(out, lens, lens.length);
  out.ensure(total);
  for (const b of bufs) out.bytes(b);
}

function readList(r: ByteReader, n: number): string[] {
  const lens = decodeIntSeq(r, n);
  const out = new Array<string>(n);
  for (let i = 0; i < n; i++) {
    const len = lens[i]!;
    if (!(len >= 0)) throw corrupt(`negative string length ${len}`);
    try {
      out[i] = utf8.decode(r.bytes(len));
    } catch (e) {
      if (e instanceof TypeError) throw corrupt(`invalid UTF-8 in string ${i}`);
      throw e;
    }
  }
  return out;
}

export function encodeStrings(out: ByteWriter, vals: readonly string[]): void {
  const n = vals.length;
  const dict = new Map<string, number>();
  for (const s of vals)
    if (!dict.has(s)) {
      dict.set(s, dict.size);
      if (dict.size * 2 > n) break;
    }
  const useDict = n > 0 && dict.size * 2 <= n;
  const body = new ByteWriter(256);
  if (useDict) {
    body.u32(dict.size);
    writeList(body, [...dict.keys()]);
    const idx = new Float64Array(n);
    for (let i = 0; i < n; i++) idx[i] = dict.get(vals[i]!)!;
    encodeIntSeq(body, idx, n);
  } else writeList(body, vals);
  const raw = body.finish();
  if (raw.length >= LZ4_MIN_BYTES) {
    const z = compressSync(Buffer.from(raw.buffer, raw.byteOffset, raw.length));
    if (z.length * 10 <= raw.length * 9) {
      out.u8((useDict ? 1 : 0) | 2);
      out.u32(raw.length);
      out.u32(z.length);
      out.bytes(z);
      return;
    }
  }
  out.u8(useDict ? 1 : 0);
  out.bytes(raw);
}

export function decodeStrings(r: ByteReader, n: number): string[] {
  const mode = r.u8();
  if (mode > 3) throw corrupt(`string mode ${mode} unknown`);
  let body = r;
  if (mode & 2) {
    const rawLen = r.u32();
    const zLen = r.u32();
    let raw: Uint8Array;
    try {
      raw = uncompressSync(r.bytes(zLen));
    } catch {
      throw corrupt('lz4 data does not decompress');
    }
    if (raw.length !== rawLen) throw corrupt(`lz4 data decompressed to ${raw.length} bytes, expected ${rawLen}`);
    body = new ByteReader(raw);
  }
  if (mode & 1) {
    const count = body.u32();
    if (count > n) throw corrupt(`string dictionary of ${count} entries for ${n} values`);
    const dict = readList(body, count);
    const idx = decodeIntSeq(body, n);
    const out = new Array<string>(n);
    for (let i = 0; i < n; i++) {
      const s = dict[idx[i]!];
      if (s === undefined) throw corrupt(`string dictionary index ${idx[i]} out of range`);
      out[i] = s;
    }
    return out;
  }
  return readList(body, n);
}
