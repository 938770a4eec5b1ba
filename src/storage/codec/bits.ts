// Bit packing of unsigned integers up to 53 bits (exact in a JS number), LSB first.
// Widths above 24 are written as a 16-bit low part plus the rest, so every step stays
// within 32-bit integer arithmetic.
import { ByteReader, ByteWriter, corrupt } from './bytes.js';

export class BitWriter {
  private acc = 0;
  private nacc = 0;
  constructor(private readonly out: ByteWriter) {}

  write(v: number, w: number): void {
    if (w > 24) {
      const lo = v % 65536;
      this.write(lo, 16);
      this.write((v - lo) / 65536, w - 16);
      return;
    }
    this.acc = (this.acc | (v << this.nacc)) >>> 0;
    this.nacc += w;
    const out = this.out;
    while (this.nacc >= 8) {
      out.ensure(1);
      out.buf[out.pos++] = this.acc & 0xff;
      this.acc >>>= 8;
      this.nacc -= 8;
    }
  }

  flush(): void {
    if (this.nacc > 0) {
      this.out.u8(this.acc & 0xff);
      this.acc = 0;
      this.nacc = 0;
    }
  }
}

export class BitReader {
  private acc = 0;
  private nacc = 0;
  private pos: number;
  constructor(
    private readonly buf: Uint8Array,
    start: number,
    private readonly end: number,
  ) {
    this.pos = start;
  }

  read(w: number): number {
    if (w > 24) {
      const lo = this.read(16);
      return lo + this.read(w - 16) * 65536;
    }
    while (this.nacc < w) {
      if (this.pos >= this.end) throw corrupt(`bit-packed data ends early at byte ${this.pos}`);
      this.acc = (this.acc | (this.buf[this.pos++]! << this.nacc)) >>> 0;
      this.nacc += 8;
    }
    const v = w === 0 ? 0 : (this.acc & (w === 32 ? 0xffffffff : (1 << w) - 1)) >>> 0;
    this.acc = w === 32 ? 0 : this.acc >>> w;
    this.nacc -= w;
    return v;
  }

  /** Position after the last byte consumed. */
  bytePos(): number {
    return this.pos;
  }
}

/** Bits needed for an unsigned integer v <= 2^53. */
export function bitWidth(v: number): number {
  if (v < 0x1_0000_0000) return 32 - Math.clz32(v);
  return 32 + bitWidth(Math.floor(v / 0x1_0000_0000));
}

export function packInto(out: ByteWriter, values: ArrayLike<number>, n: number, base: number, w: number): void {
  if (w === 0) return;
  out.ensure(Math.ceil((n * w) / 8) + 8);
  const bw = new BitWriter(out);
  for (let i = 0; i < n; i++) bw.write(values[i]! - base, w);
  bw.flush();
}

export function unpackFrom(r: ByteReader, out: Float64Array, n: number, base: number, w: number): void {
  if (w === 0) {
    out.fill(base, 0, n);
    return;
  }
  const bytes = Math.ceil((n * w) / 8);
  r.need(bytes);
  const br = new BitReader(r.buf, r.pos, r.pos + bytes);
  for (let i = 0; i < n; i++) out[i] = br.read(w) + base;
  r.pos += bytes;
}
