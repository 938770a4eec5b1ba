// Integer sequences (exact integers held in a Float64Array, |v| < 2^53): the shared back end of
// the timestamp, integer and decimal-float codecs. Tries order 0 (frame of reference on the
// values), order 1 (zigzag deltas) and order 2 (zigzag delta-of-delta), each followed by
// frame-of-reference bit-packing, and keeps the narrowest. Layout:
//   u8 order (0..2, or 255 = raw f64) | order × f64 leading values | f64 base | u8 width | bits
import { bitWidth, packInto, unpackFrom } from './bits.js';
import { ByteReader, ByteWriter, corrupt } from './bytes.js';

/** Transformed values beyond this are not exact after zigzag; such sequences go raw. */
const SAFE = 2 ** 51;

function zz(d: number): number { return d >= 0 ? 2 * d : -2 * d - 1; }
function unzz(z: number): number { return z % 2 === 0 ? z / 2 : -(z + 1) / 2; }

/** Writes values[0, n). */
export function encodeIntSeq(out: ByteWriter, values: Float64Array, n: number, forceOrder = -1): void {
  if (n === 0) { out.u8(0); out.f64(0); out.u8(0); return; }
  // Width per order, computed in one pass.
  let min0 = Infinity, max0 = -Infinity, min1 = Infinity, max1 = -Infinity, min2 = Infinity, max2 = -Infinity;
  let ok = true;
  let prev = values[0]!, prevD = 0;
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
    out.u8(255);
    out.ensure(8 * n);
    for (let i = 0; i < n; i++) out.f64(values[i]!);
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
  out.u8(order);
  if (order === 0) {
    out.f64(min0); out.u8(w0);
    packInto(out, values, n, min0, w0);
    return;
  }
  const m = n - order;
  const t = new Float64Array(m);
  if (order === 1) {
    for (let i = 1; i < n; i++) t[i - 1] = zz(values[i]! - values[i - 1]!);
    out.f64(values[0]!); out.f64(min1); out.u8(w1);
    packInto(out, t, m, min1, w1);
  } else {
    for (let i = 2; i < n; i++) t[i - 2] = zz(values[i]! - 2 * values[i - 1]! + values[i - 2]!);
    out.f64(values[0]!); out.f64(values[1]!); out.f64(min2); out.u8(w2);
    packInto(out, t, m, min2, w2);
  }
}

export function decodeIntSeq(r: ByteReader, n: number): Float64Array {
  const out = new Float64Array(n);
  const order = r.u8();
  if (order === 255) {
    r.need(8 * n);
    for (let i = 0; i < n; i++) out[i] = r.f64();
    return out;
  }
  if (n === 0) { r.f64(); r.u8(); return out; }
  if (order > 2 || (order > 0 && order > n - 1)) throw corrupt(`integer sequence has unknown order ${order}`);
  if (order === 0) {
    const base = r.f64(); const w = r.u8();
    if (w > 53) throw corrupt(`bit width ${w} > 53`);
    unpackFrom(r, out, n, base, w);
    return out;
  }
  const first = r.f64();
  const second = order === 2 ? r.f64() : 0;
  const base = r.f64(); const w = r.u8();
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
