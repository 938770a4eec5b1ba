// FLOAT / DOUBLE values. First choice is decimal detection in the style of ALP (Afroozeh et
// al., SIGMOD 2024): when every value is a short decimal, i.e. some exponent e makes
// round(v·10^e)/10^e give back exactly v (after float32 rounding for FLOAT), the integers are
// stored through the integer-sequence codec. Otherwise Gorilla-style XOR against the previous
// value, or raw when XOR does not pay. Layout: u8 mode (0 ALP, 1 XOR, 2 raw) | mode data.
import { BitReader, BitWriter } from './bits.js';
import { ByteReader, ByteWriter, corrupt } from './bytes.js';
import { decodeIntSeq, encodeIntSeq } from './intseq.js';

const SAFE = 2 ** 51;
const POW10: number[] = [];
for (let e = 0; e <= 18; e++) POW10.push(10 ** e);
const MAX_E_FLOAT = 10;
const MAX_E_DOUBLE = 18;

function decimalWorks(v: number, e: number, isFloat: boolean): boolean {
  const p = POW10[e]!;
  const k = Math.round(v * p);
  if (!(Math.abs(k) <= SAFE)) return false;
  const back = k / p;
  return isFloat ? Math.fround(back) === v : back === v;
}

/** The smallest exponent that turns every value into an exact integer, or -1. */
export function findDecimalExponent(values: Float32Array | Float64Array, isFloat: boolean): number {
  const n = values.length;
  const maxE = isFloat ? MAX_E_FLOAT : MAX_E_DOUBLE;
  for (let i = 0; i < n; i++) {
    const v = values[i]!;
    // -0, NaN and ±Infinity have no integer form.
    if (!Number.isFinite(v) || (v === 0 && 1 / v < 0)) return -1;
  }
  // A sample proposes an exponent; the full pass confirms it or moves up.
  let e = 0;
  const sample = Math.min(n, 32);
  for (let i = 0; i < sample; i++) {
    while (e <= maxE && !decimalWorks(values[i]!, e, isFloat)) e++;
    if (e > maxE) return -1;
  }
  for (; e <= maxE; e++) {
    let ok = true;
    for (let i = 0; i < n; i++)
      if (!decimalWorks(values[i]!, e, isFloat)) {
        ok = false;
        break;
      }
    if (ok) return e;
  }
  return -1;
}

export function encodeFloats(out: ByteWriter, values: Float32Array | Float64Array, isFloat: boolean): void {
  const n = values.length;
  const e = findDecimalExponent(values, isFloat);
  if (e >= 0) {
    const p = POW10[e]!;
    const ints = new Float64Array(n);
    for (let i = 0; i < n; i++) ints[i] = Math.round(values[i]! * p);
    out.u8(0);
    out.u8(e);
    encodeIntSeq(out, ints, n);
    return;
  }
  const start = out.pos;
  out.u8(1);
  encodeXor(out, values, isFloat);
  if (out.pos - start - 1 >= n * (isFloat ? 4 : 8)) {
    out.pos = start;
    out.u8(2);
    const w = isFloat ? 4 : 8;
    out.bytes(new Uint8Array(values.buffer, values.byteOffset, n * w));
  }
}

export function decodeFloats(r: ByteReader, n: number, isFloat: boolean): Float32Array | Float64Array {
  const out = isFloat ? new Float32Array(n) : new Float64Array(n);
  const mode = r.u8();
  if (mode === 0) {
    const e = r.u8();
    if (e > 18) throw corrupt(`decimal exponent ${e} > 18`);
    const p = POW10[e]!;
    const ints = decodeIntSeq(r, n);
    for (let i = 0; i < n; i++) out[i] = ints[i]! / p;
  } else if (mode === 1) {
    decodeXor(r, out, isFloat);
  } else if (mode === 2) {
    const w = isFloat ? 4 : 8;
    new Uint8Array(out.buffer).set(r.bytes(n * w));
  } else throw corrupt(`unknown float mode ${mode}`);
  return out;
}

// XOR with the previous value's bits: 0 = same value; 1, leading zeros, length-1, bits.
// Doubles are handled as two 32-bit halves (hi, lo).
function encodeXor(out: ByteWriter, values: Float32Array | Float64Array, isFloat: boolean): void {
  const n = values.length;
  const bw = new BitWriter(out);
  if (isFloat) {
    const u = new Uint32Array(values.buffer, values.byteOffset, n);
    let prev = 0;
    for (let i = 0; i < n; i++) {
      const x = (u[i]! ^ prev) >>> 0;
      prev = u[i]!;
      if (x === 0) {
        bw.write(0, 1);
        continue;
      }
      const lz = Math.clz32(x),
        tz = 31 - Math.clz32(x & -x);
      const len = 32 - lz - tz;
      bw.write(1, 1);
      bw.write(lz, 5);
      bw.write(len - 1, 5);
      bw.write(x >>> tz, len);
    }
  } else {
    const u = new Uint32Array(values.buffer, values.byteOffset, n * 2);
    let plo = 0,
      phi = 0;
    for (let i = 0; i < n; i++) {
      const lo = (u[2 * i]! ^ plo) >>> 0,
        hi = (u[2 * i + 1]! ^ phi) >>> 0;
      plo = u[2 * i]!;
      phi = u[2 * i + 1]!;
      if (lo === 0 && hi === 0) {
        bw.write(0, 1);
        continue;
      }
      const lz = hi !== 0 ? Math.clz32(hi) : 32 + Math.clz32(lo);
      const tz = lo !== 0 ? 31 - Math.clz32(lo & -lo) : 32 + 31 - Math.clz32(hi & -hi);
      const len = 64 - lz - tz;
      bw.write(1, 1);
      bw.write(lz, 6);
      bw.write(len - 1, 6);
      // Shift the 64-bit value right by tz, then write low 32 bits and the rest.
      let slo: number, shi: number;
      if (tz >= 32) {
        slo = hi >>> (tz - 32);
        shi = 0;
      } else if (tz === 0) {
        slo = lo;
        shi = hi;
      } else {
        slo = ((lo >>> tz) | (hi << (32 - tz))) >>> 0;
        shi = hi >>> tz;
      }
      if (len <= 32) bw.write(slo, len);
      else {
        bw.write(slo, 32);
        bw.write(shi, len - 32);
      }
    }
  }
  bw.flush();
}

function decodeXor(r: ByteReader, out: Float32Array | Float64Array, isFloat: boolean): void {
  const n = out.length;
  const br = new BitReader(r.buf, r.pos, r.end);
  if (isFloat) {
    const u = new Uint32Array(out.buffer);
    let prev = 0;
    for (let i = 0; i < n; i++) {
      if (br.read(1) === 1) {
        const lz = br.read(5),
          len = br.read(5) + 1;
        const tz = 32 - lz - len;
        if (tz < 0) throw corrupt('XOR float window out of range');
        prev = (prev ^ ((br.read(len) << tz) >>> 0)) >>> 0;
      }
      u[i] = prev;
    }
  } else {
    const u = new Uint32Array(out.buffer);
    let plo = 0,
      phi = 0;
    for (let i = 0; i < n; i++) {
      if (br.read(1) === 1) {
        const lz = br.read(6),
          len = br.read(6) + 1;
        const tz = 64 - lz - len;
        if (tz < 0) throw corrupt('XOR double window out of range');
        const slo = br.read(Math.min(len, 32));
        const shi = len > 32 ? br.read(len - 32) : 0;
        let xlo: number, xhi: number;
        if (tz >= 32) {
          xlo = 0;
          xhi = (slo << (tz - 32)) >>> 0;
        } else if (tz === 0) {
          xlo = slo;
          xhi = shi;
        } else {
          xlo = (slo << tz) >>> 0;
          xhi = ((shi << tz) | (slo >>> (32 - tz))) >>> 0;
        }
        plo = (plo ^ xlo) >>> 0;
        phi = (phi ^ xhi) >>> 0;
      }
      u[2 * i] = plo;
      u[2 * i + 1] = phi;
    }
  }
  r.pos = br.bytePos();
}
