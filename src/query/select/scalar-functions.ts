// Scalar functions and CAST, vectorized. The analyzer has checked argument counts and types
// and folded constant arguments (timetruncate's unit in ticks, to_iso8601's precision).
import { allocData, type ColumnVector, type NumberArray } from '../../common/block.js';
import { BasaltError } from '../../common/errors.js';
import { DataType, INT_RANGE, isBigIntType, isIntegerType, isStringType, type Precision } from '../../common/types.js';
import type { Expr } from './ir.js';
import { orNulls, toF64, toStrings } from './vec.js';

type FnExpr = Extract<Expr, { k: 'fn' }>;

/** C's round(): halves away from zero. */
function roundHalfAway(x: number): number {
  return x < 0 ? -Math.round(-x) : Math.round(x);
}

function mapNumeric(v: ColumnVector, outType: DataType, f: (x: number) => number): ColumnVector {
  if (isBigIntType(outType)) {
    const n = v.data.length,
      out = allocData(outType, n) as BigInt64Array | BigUint64Array;
    if (isBigIntType(v.type)) {
      // Integer results of abs/ceil/floor/round on bigints stay exact.
      const src = v.data as BigInt64Array | BigUint64Array;
      for (let i = 0; i < n; i++) {
        const x = src[i]!;
        out[i] = f === Math.abs && x < 0n ? -x : x;
      }
    } else {
      const src = toF64(v);
      for (let i = 0; i < n; i++) {
        const y = Math.trunc(f(src[i]!));
        out[i] = Number.isFinite(y) ? BigInt(y) : 0n;
      }
    }
    return { type: outType, data: out, nulls: v.nulls };
  }
  const src = toF64(v),
    out = allocData(outType, src.length) as NumberArray;
  for (let i = 0; i < src.length; i++) out[i] = f(src[i]!);
  return { type: outType, data: out, nulls: v.nulls };
}

export function evalScalarFn(e: FnExpr, args: ColumnVector[], n: number): ColumnVector {
  const a0 = args[0]!;
  switch (e.name) {
    case 'abs':
      return mapNumeric(a0, e.t, Math.abs);
    case 'ceil':
      return isIntegerType(a0.type) ? a0 : mapNumeric(a0, e.t, Math.ceil);
    case 'floor':
      return isIntegerType(a0.type) ? a0 : mapNumeric(a0, e.t, Math.floor);
    case 'round':
      return isIntegerType(a0.type) ? a0 : mapNumeric(a0, e.t, roundHalfAway);
    case 'length': {
      const s = toStrings(a0),
        out = new BigInt64Array(n);
      const perChar = a0.type === DataType.NCHAR;
      for (let i = 0; i < n; i++) out[i] = BigInt(perChar ? [...s[i]!].length * 4 : Buffer.byteLength(s[i]!, 'utf8'));
      return { type: DataType.BIGINT, data: out, nulls: a0.nulls };
    }
    case 'lower':
    case 'upper': {
      const s = toStrings(a0),
        out = new Array<string>(n);
      for (let i = 0; i < n; i++) out[i] = e.name === 'lower' ? s[i]!.toLowerCase() : s[i]!.toUpperCase();
      return { type: e.t, data: out, nulls: a0.nulls };
    }
    case 'concat': {
      const parts = args.map(toStrings),
        out = new Array<string>(n);
      let nulls: Uint8Array | null = null;
      for (const a of args) nulls = orNulls(nulls, a.nulls);
      for (let i = 0; i < n; i++) {
        let s = '';
        for (const p of parts) s += p[i]!;
        out[i] = s;
      }
      return { type: e.t, data: out, nulls };
    }
    case 'timetruncate': {
      const ts = toF64(a0),
        unit = toF64(args[1]!)[0]!,
        out = new Float64Array(n);
      for (let i = 0; i < n; i++) out[i] = ts[i]! - (((ts[i]! % unit) + unit) % unit);
      return { type: DataType.TIMESTAMP, data: out, nulls: a0.nulls };
    }
    case 'to_iso8601': {
      const ts = toF64(a0),
        precision = (args[1]!.data as string[])[0] as Precision,
        out = new Array<string>(n);
      for (let i = 0; i < n; i++) out[i] = toIso8601(ts[i]!, precision);
      return { type: DataType.VARCHAR, data: out, nulls: a0.nulls };
    }
  }
}

/** `2024-01-01T00:00:00.000+00:00` (UTC; 3, 6 or 9 fraction digits per precision). */
export function toIso8601(ticks: number, precision: Precision): string {
  const perSec = precision === 'ms' ? 1e3 : precision === 'us' ? 1e6 : 1e9;
  const digits = precision === 'ms' ? 3 : precision === 'us' ? 6 : 9;
  const sec = Math.floor(ticks / perSec),
    frac = ticks - sec * perSec;
  const base = new Date(sec * 1000).toISOString().slice(0, 19);
  return `${base}.${String(frac).padStart(digits, '0')}+00:00`;
}

/** CAST(v AS type). Numbers out of an integer type's range wrap like C casts do in TDengine. */
export function castVector(v: ColumnVector, to: DataType): ColumnVector {
  if (v.type === to) return v;
  const n = v.data.length;
  if (isStringType(to)) return { type: to, data: toStrings(v), nulls: v.nulls };
  if (to === DataType.BOOL) {
    const out = new Uint8Array(n);
    if (isStringType(v.type)) {
      const s = v.data as string[];
      for (let i = 0; i < n; i++)
        out[i] = s[i]!.toLowerCase() === 'true' || (Number(s[i]) !== 0 && !Number.isNaN(Number(s[i]))) ? 1 : 0;
    } else {
      const f = toF64(v);
      for (let i = 0; i < n; i++) out[i] = f[i] !== 0 ? 1 : 0;
    }
    return { type: to, data: out, nulls: v.nulls };
  }
  if (isBigIntType(to)) {
    const out = allocData(to, n) as BigInt64Array | BigUint64Array;
    if (isBigIntType(v.type)) {
      const src = v.data as BigInt64Array | BigUint64Array;
      for (let i = 0; i < n; i++)
        out[i] = to === DataType.BIGINT ? BigInt.asIntN(64, src[i]!) : BigInt.asUintN(64, src[i]!);
    } else if (isStringType(v.type)) {
      const s = v.data as string[];
      for (let i = 0; i < n; i++) out[i] = parseBigIntLoose(s[i]!, to);
    } else {
      const f = toF64(v);
      for (let i = 0; i < n; i++) {
        const t = Math.trunc(f[i]!);
        const b = Number.isFinite(t) ? BigInt(t) : 0n;
        out[i] = to === DataType.BIGINT ? BigInt.asIntN(64, b) : BigInt.asUintN(64, b);
      }
    }
    return { type: to, data: out, nulls: v.nulls };
  }
  const f = toF64(v);
  const out = allocData(to, n) as NumberArray;
  if (isIntegerType(to) || to === DataType.TIMESTAMP) {
    if (!INT_RANGE[to] && to !== DataType.TIMESTAMP) throw new BasaltError('INTERNAL', `no range for type ${to}`);
    for (let i = 0; i < n; i++) out[i] = Math.trunc(f[i]!); // typed array assignment wraps
  } else out.set(f);
  return { type: to, data: out, nulls: v.nulls };
}

function parseBigIntLoose(s: string, to: DataType): bigint {
  const t = s.trim();
  let b: bigint;
  try {
    b = BigInt(/^[+-]?\d+$/.test(t) ? t : Math.trunc(Number(t) || 0));
  } catch {
    b = 0n;
  }
  return to === DataType.BIGINT ? BigInt.asIntN(64, b) : BigInt.asUintN(64, b);
}
