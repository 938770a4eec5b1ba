// Integer sequences (exact integers held in a Float64Array, |v| < 2^53): the shared back end of
// the timestamp, integer and decimal-float codecs. Tries order 0 (frame of reference on the
// values), order 1 (zigzag deltas) and order 2 (zigzag delta-of-delta), each followed by
// frame-of-reference bit-packing, and keeps the narrowest. Layout:
//   u8 order (0..2, or 255 = raw f64) | order × f64 leading values | f64 base | u8 width | bits
// Order 3 is order 0 with mixed-radix groups: when the value range R is far from a power of
// two (R = 11 for voltage 215..225 needs 4 bits but carries 3.46), k values are combined
// into one number x0 + R·x1 + R²·x2 … < R^k <= 2^53 and that is bit-packed:
//   u8 3 | f64 base | f64 R | u8 k | u8 width | ceil(n/k) groups of `width` bits
import { BitReader, BitWriter, bitWidth, packInto, unpackFrom } from './bits.js';
import { ByteReader, ByteWriter, corrupt } from './bytes.js';

/** Transformed values beyond this are not exact after zigzag; such sequences go raw. */
const SAFE = 2 ** 51;

function zz(d: number): number {
  return d >= 0 ? 2 * d : -2 * d - 1;
}
function unzz(z: number): number {
  return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
}

/** The group size k (R^k <= 2^53) with the fewest bits per value, if it beats plain packing. */
function bestRadix(r: number): { k: number; w: number } | null {
  const plain = bitWidth(r - 1);
  let best: { k: number; w: number } | null = null;
  let bestPer = plain;
  let p = r;
  for (let k = 2; p * r <= 2 ** 53; k++) {
    p *= r;
    const w = bitWidth(p - 1);
    if (w / k < bestPer - 1e-9) {
      bestPer = w / k;
      best = { k, w };
    }
  }
  return best;
}

/** Writes values[0, n). */
export function encodeIntSeq(out: ByteWriter, values: Float64Array, n: number, forceOrder = -1): void {
  if (n === 0) {
    out.u8(0);
    out.f64(0);
    out.u8(0);
    return;
  }
  // Width per order, computed in one pass.
  let min0 = Infinity,
    max0 = -Infinity,
    min1 = Infinity,
    max1 = -Infinity,
    min2 = Infinity,
    max2 = -Infinity;
  let ok = true;
  let prev = values[0]!,
    prevD = 0;
  for (let i = 0; i < n; i++) {
    const v = values[i]!;
    if (!(Math.abs(v) <= SAFE)) ok = false;
    if (v < min0) min0 = v;
    if (v > max0) max0 = v;
    if (i >= 1) {
      const d = v - prev;
      const z1 = zz(d);
      if (z1 < min1) min1 = z1;
      if (z1 > max1) max1 = z1;
      if (i >= 2) {
        const z2 = zz(d - prevD);
        if (z2 < min2) min2 = z2;
        if (z2 > max2) max2 = z2;
      }
      prevD = d;
    }
    prev = v;
  }
  if (!ok) {
    encodeRaw(out, values, n);
    return;
  }
  const w0 = bitWidth(max0 - min0);
  // An order whose zigzag values pass 2^53 would lose bits: it is not a candidate.
  const w1 = n >= 2 && max1 <= 2 ** 53 ? bitWidth(max1 - min1) : 99;
  const w2 = n >= 3 && max2 <= 2 ** 53 ? bitWidth(max2 - min2) : 99;
  // Estimated bits per order: packed values plus the leading values it stores.
  const cost0 = w0 * n;
  const cost1 = w1 <= 53 ? w1 * (n - 1) + 64 : Infinity;
  const cost2 = w2 <= 53 ? w2 * (n - 2) + 128 : Infinity;
  let order = 0;
  if (cost1 < cost0) order = 1;
  if (cost2 < Math.min(cost0, cost1)) order = 2;
  if (forceOrder >= 0 && forceOrder <= Math.min(2, n - 1) && [w0, w1, w2][forceOrder]! <= 53) order = forceOrder;
  if (order === 0 && w0 >= 2) {
    const radix = bestRadix(max0 - min0 + 1);
    // Worth its header only when it saves at least 3 % of the bits.
    if (radix && radix.w * Math.ceil(n / radix.k) + 80 < w0 * n * 0.97) {
      encodeMixedRadix(out, values, n, min0, max0 - min0 + 1, radix.k, radix.w);
      return;
    }
  }
  out.u8(order);
  if (order === 0) {
    out.f64(min0);
    out.u8(w0);
    packInto(out, values, n, min0, w0);
    return;
  }
  if (order === 1) encodeOrder1(out, values, n, min1, w1);
  else encodeOrder2(out, values, n, min2, w2);
}

/** Order 255: the n values as raw f64 (some value is beyond ±2^51, or not a number). */
function encodeRaw(out: ByteWriter, values: Float64Array, n: number): void {
  out.u8(255);
  out.ensure(8 * n);
  for (let i = 0; i < n; i++) out.f64(values[i]!);
}

/** Order 3: groups of k values, each x0 + r·x1 + r²·x2 … over base `min`, packed in w bits. */
function encodeMixedRadix(
  out: ByteWriter,
  values: Float64Array,
  n: number,
  min: number,
  r: number,
  k: number,
  w: number,
): void {
  out.u8(3);
  out.f64(min);
  out.f64(r);
  out.u8(k);
  out.u8(w);
  out.ensure(Math.ceil((Math.ceil(n / k) * w) / 8) + 8);
  const bw = new BitWriter(out);
  for (let i = 0; i < n; i += k) {
    let v = 0,
      mul = 1;
    const e = Math.min(n, i + k);
    for (let j = i; j < e; j++) {
      v += (values[j]! - min) * mul;
      mul *= r;
    }
    bw.write(v, w);
  }
  bw.flush();
}

/** Order 1 (after its order byte): the first value, then the zigzag deltas packed over `min` in w bits. */
function encodeOrder1(out: ByteWriter, values: Float64Array, n: number, min: number, w: number): void {
  const m = n - 1;
  const t = new Float64Array(m);
  for (let i = 1; i < n; i++) t[i - 1] = zz(values[i]! - values[i - 1]!);
  out.f64(values[0]!);
  out.f64(min);
  out.u8(w);
  packInto(out, t, m, min, w);
}

/** Order 2 (after its order byte): the first two values, then the zigzag delta-of-deltas packed over `min` in w bits. */
function encodeOrder2(out: ByteWriter, values: Float64Array, n: number, min: number, w: number): void {
  const m = n - 2;
  const t = new Float64Array(m);
  for (let i = 2; i < n; i++) t[i - 2] = zz(values[i]! - 2 * values[i - 1]! + values[i - 2]!);
  out.f64(values[0]!);
  out.f64(values[1]!);
  out.f64(min);
  out.u8(w);
  packInto(out, t, m, min, w);
}

export function decodeIntSeq(r: ByteReader, n: number): Float64Array {
  const out = new Float64Array(n);
  const order = r.u8();
  if (order === 255) {
    r.need(8 * n);
    for (let i = 0; i < n; i++) out[i] = r.f64();
    return out;
  }
  if (n === 0) {
    r.f64();
    r.u8();
    return out;
  }
  if (order === 3) {
    const base = r.f64(),
      radix = r.f64(),
      k = r.u8(),
      w = r.u8();
    if (!(radix >= 2 && k >= 2 && w <= 53 && radix ** k <= 2 ** 53))
      throw corrupt(`mixed-radix group R=${radix} k=${k} w=${w} is impossible`);
    const bytes = Math.ceil((Math.ceil(n / k) * w) / 8);
    r.need(bytes);
    const br = new BitReader(r.buf, r.pos, r.pos + bytes);
    for (let i = 0; i < n; i += k) {
      let v = br.read(w);
      const e = Math.min(n, i + k);
      for (let j = i; j < e; j++) {
        const x = v % radix;
        out[j] = x + base;
        v = (v - x) / radix;
      }
    }
    r.pos += bytes;
    return out;
  }
  if (order > 2 || (order > 0 && order > n - 1)) throw corrupt(`integer sequence has unknown order ${order}`);
  if (order === 0) {
    const base = r.f64();
    const w = r.u8();
    if (w > 53) throw corrupt(`bit width ${w} > 53`);
    unpackFrom(r, out, n, base, w);
    return out;
  }
  const first = r.f64();
  const second = order === 2 ? r.f64() : 0;
  const base = r.f64();
  const w = r.u8();
  if (w > 53) throw corrupt(`bit width ${w} > 53`);
  const m = n - order;
  const t = new Float64Array(m);
  unpackFrom(r, t, m, base, w);
  out[0] = first;
  if (order === 1) {
    for (let i = 1; i < n; i++) out[i] = out[i - 1]! + unzz(t[i - 1]!);
  } else {
    out[1] = second;
    for (let i = 2; i < n; i++) out[i] = 2 * out[i - 1]! - out[i - 2]! + unzz(t[i - 2]!);
  }
  return out;
}
