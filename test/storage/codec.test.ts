// Property tests: every column codec round-trips exactly, on random and edge data.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { ColumnVector } from '../../src/common/block.js';
import { DataType, INT_RANGE } from '../../src/common/types.js';
import { ByteReader, ByteWriter } from '../../src/storage/codec/bytes.js';
import { decodeColumn, encodeColumn } from '../../src/storage/codec/column.js';
import { findDecimalExponent } from '../../src/storage/codec/floats.js';
import { crc32c } from '../../src/storage/crc32c.js';

const RUNS = 300;

function roundTrip(
  type: DataType,
  data: ColumnVector['data'],
  nulls: Uint8Array | null,
): { v: ColumnVector; bytes: number } {
  const w = new ByteWriter(16);
  encodeColumn(w, type, data, nulls, 0, data.length);
  const buf = w.finish().slice();
  const r = new ByteReader(buf);
  const v = decodeColumn(r, type, data.length);
  assert.equal(r.pos, buf.length, 'decoder consumed every byte');
  return { v, bytes: buf.length };
}

/** Same values at non-null rows (Object.is: NaN, -0 exact), same null map. */
function assertSame(type: DataType, data: ArrayLike<unknown>, nulls: Uint8Array | null, v: ColumnVector): void {
  assert.equal(v.data.length, data.length);
  for (let i = 0; i < data.length; i++) {
    const isNull = nulls !== null && nulls[i] === 1;
    assert.equal(v.nulls !== null && v.nulls[i] === 1, isNull, `null flag row ${i}`);
    if (isNull) continue;
    const a = (v.data as ArrayLike<unknown>)[i],
      b = data[i];
    assert.ok(Object.is(a, b), `${DataType[type]} row ${i}: got ${String(a)}, want ${String(b)}`);
  }
}

function withNulls<T>(arb: fc.Arbitrary<T[]>): fc.Arbitrary<{ values: T[]; nulls: Uint8Array | null }> {
  return arb.chain((values) =>
    fc.oneof(
      fc.constant({ values, nulls: null }),
      fc
        .array(fc.boolean(), { minLength: values.length, maxLength: values.length })
        .map((b) => ({ values, nulls: Uint8Array.from(b, (x) => (x ? 1 : 0)) })),
      fc.constant({ values, nulls: new Uint8Array(values.length).fill(1) }),
    ),
  );
}

const INT_TYPES: [
  DataType,
  new (n: number) => Int8Array | Int16Array | Int32Array | Uint8Array | Uint16Array | Uint32Array,
][] = [
  [DataType.TINYINT, Int8Array],
  [DataType.SMALLINT, Int16Array],
  [DataType.INT, Int32Array],
  [DataType.UTINYINT, Uint8Array],
  [DataType.USMALLINT, Uint16Array],
  [DataType.UINT, Uint32Array],
];

for (const [type, Ctor] of INT_TYPES) {
  test(`${DataType[type]} round-trips (random, extremes, runs, nulls)`, () => {
    const [lo, hi] = INT_RANGE[type]!.map(Number) as [number, number];
    const val = fc.oneof(
      fc.integer({ min: lo, max: hi }),
      fc.constantFrom(lo, hi, 0),
      fc.integer({ min: -3, max: 3 }).map((x) => Math.min(hi, Math.max(lo, x))),
    );
    fc.assert(
      fc.property(withNulls(fc.array(val, { maxLength: 300 })), ({ values, nulls }) => {
        const data = new Ctor(values.length);
        values.forEach((x, i) => {
          data[i] = x;
        });
        if (nulls) for (let i = 0; i < data.length; i++) if (nulls[i]) data[i] = 0;
        assertSame(type, data, nulls, roundTrip(type, data, nulls).v);
      }),
      { numRuns: RUNS },
    );
  });
}

for (const type of [DataType.BIGINT, DataType.UBIGINT]) {
  test(`${DataType[type]} round-trips exactly, including ±2^63 and 2^64-1`, () => {
    const [lo, hi] = INT_RANGE[type]!;
    const val = fc.oneof(
      fc.bigInt({ min: lo, max: hi }),
      fc.constantFrom(lo, hi, 0n),
      fc.bigInt({ min: 0n, max: 1000n }),
    );
    fc.assert(
      fc.property(withNulls(fc.array(val, { maxLength: 200 })), ({ values, nulls }) => {
        const data = type === DataType.BIGINT ? BigInt64Array.from(values) : BigUint64Array.from(values);
        if (nulls) for (let i = 0; i < data.length; i++) if (nulls[i]) data[i] = 0n;
        assertSame(type, data, nulls, roundTrip(type, data, nulls).v);
      }),
      { numRuns: RUNS },
    );
  });
}

test('TIMESTAMP round-trips: regular, repeated, non-monotonic, extreme ticks', () => {
  const regular = fc
    .tuple(fc.integer({ min: -1e12, max: 4e12 }), fc.integer({ min: 0, max: 100_000 }), fc.nat(400))
    .map(([t0, step, n]) => Array.from({ length: n }, (_, i) => t0 + i * step));
  const jitter = fc.array(
    fc.oneof(
      fc.integer({ min: 1.7e12, max: 1.7e12 + 1e6 }),
      fc.constantFrom(Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER, 0),
    ),
    { maxLength: 300 },
  );
  fc.assert(
    fc.property(fc.oneof(regular, jitter), (values) => {
      const data = Float64Array.from(values);
      assertSame(DataType.TIMESTAMP, data, null, roundTrip(DataType.TIMESTAMP, data, null).v);
    }),
    { numRuns: RUNS },
  );
});

test('1 s spaced timestamps cost almost nothing (delta-of-delta packs to width 0)', () => {
  const data = Float64Array.from({ length: 4096 }, (_, i) => 1.7e12 + i * 1000);
  assert.ok(roundTrip(DataType.TIMESTAMP, data, null).bytes < 40);
});

for (const type of [DataType.FLOAT, DataType.DOUBLE]) {
  test(`${DataType[type]} round-trips bit-exactly: decimals, random bits, NaN, ±Infinity, -0`, () => {
    const isF = type === DataType.FLOAT;
    const special = fc.constantFrom(
      NaN,
      Infinity,
      -Infinity,
      -0,
      0,
      isF ? 3.4028234663852886e38 : Number.MAX_VALUE,
      isF ? 1.401298464324817e-45 : Number.MIN_VALUE,
    );
    const decimal = fc
      .tuple(fc.integer({ min: -1e6, max: 1e6 }), fc.integer({ min: 0, max: 6 }))
      .map(([k, e]) => k / 10 ** e);
    const anyF = isF ? fc.float() : fc.double();
    const val = fc.oneof(decimal, anyF, special);
    const arr = fc.oneof(fc.array(val, { maxLength: 300 }), fc.array(decimal, { maxLength: 300 }));
    fc.assert(
      fc.property(withNulls(arr), ({ values, nulls }) => {
        const data = isF ? Float32Array.from(values) : Float64Array.from(values);
        if (nulls) for (let i = 0; i < data.length; i++) if (nulls[i]) data[i] = 0;
        assertSame(type, data, nulls, roundTrip(type, data, nulls).v);
      }),
      { numRuns: RUNS },
    );
  });
}

test('FLOAT short decimals are detected despite float32 rounding (10.123 etc.)', () => {
  const data = Float32Array.from({ length: 4096 }, (_, i) => 8 + ((i * 7919) % 4000) / 1000);
  assert.equal(findDecimalExponent(data, true), 3);
  const { v, bytes } = roundTrip(DataType.FLOAT, data, null);
  assertSame(DataType.FLOAT, data, null, v);
  assert.ok(bytes <= 4096 * 1.5 + 64, `3-decimal floats in [8,12) pack into 12 bits each, got ${bytes} bytes`);
});

test('BOOL round-trips', () => {
  fc.assert(
    fc.property(withNulls(fc.array(fc.boolean(), { maxLength: 300 })), ({ values, nulls }) => {
      const data = Uint8Array.from(values, (b) => (b ? 1 : 0));
      if (nulls) for (let i = 0; i < data.length; i++) if (nulls[i]) data[i] = 0;
      assertSame(DataType.BOOL, data, nulls, roundTrip(DataType.BOOL, data, nulls).v);
    }),
    { numRuns: RUNS },
  );
});

for (const type of [DataType.VARCHAR, DataType.NCHAR]) {
  test(`${DataType[type]} round-trips: empty, unicode, long, few distinct (dictionary), compressible (lz4)`, () => {
    const str = fc.oneof(
      fc.string({ maxLength: 20 }),
      fc.string({ unit: 'grapheme', maxLength: 10 }),
      fc.constantFrom('', 'California.SanFrancisco', '日本語テキスト', '🙂👍🏽'),
      fc.string({ minLength: 1000, maxLength: 5000 }),
    );
    const few = fc.array(fc.constantFrom('a', 'bb', 'ccc', '日本'), { maxLength: 300 });
    const repetitive = fc
      .nat(50)
      .map((n) => Array.from({ length: n }, (_, i) => `sensor-${i % 7}-reading-${'x'.repeat(i % 13)}`));
    fc.assert(
      fc.property(withNulls(fc.oneof(fc.array(str, { maxLength: 40 }), few, repetitive)), ({ values, nulls }) => {
        const data = values.slice();
        if (nulls) for (let i = 0; i < data.length; i++) if (nulls[i]) data[i] = '';
        assertSame(type, data, nulls, roundTrip(type, data, nulls).v);
      }),
      { numRuns: 150 },
    );
  });
}

test('CRC32C matches the published check value', () => {
  assert.equal(crc32c(Buffer.from('123456789')), 0xe3069283);
  const b = Buffer.alloc(32);
  assert.equal(crc32c(b), 0x8a9136aa);
  const big = Buffer.from('The quick brown fox jumps over the lazy dog, twice: the quick brown fox.');
  assert.equal(crc32c(big, 10), crc32c(big.subarray(10)));
  assert.equal(
    crc32c(big, 0, big.length, crc32c(big, 0, 10)) === crc32c(big),
    false,
    'seeded CRC is not a prefix concat',
  );
});

test('a second lz4 stage is used where it pays (repetitive non-decimal doubles, wide bigints)', () => {
  const d = Float64Array.from({ length: 4096 }, (_, i) => Math.PI * (1 + (i % 3)) + Math.E * (i % 5));
  const w = new ByteWriter(16);
  encodeColumn(w, DataType.DOUBLE, d, null, 0, d.length);
  const buf = w.finish().slice();
  assert.equal(buf[0]! & 2, 2, 'lz4 flag set');
  assert.ok(buf.length < 4096 * 8 * 0.5, `compressed to ${buf.length} bytes`);
  const v = decodeColumn(new ByteReader(buf), DataType.DOUBLE, d.length);
  assertSame(DataType.DOUBLE, d, null, v);
  const big = BigInt64Array.from({ length: 2000 }, (_, i) => (i % 4 === 0 ? 2n ** 62n : -(2n ** 61n)) + BigInt(i % 2));
  const { v: bv, bytes } = roundTrip(DataType.BIGINT, big, null);
  assertSame(DataType.BIGINT, big, null, bv);
  assert.ok(bytes < 2000 * 8 * 0.5, `bigints compressed to ${bytes} bytes`);
  // Random bits do not compress: stored without the lz4 stage.
  const rnd = Float64Array.from({ length: 1000 }, () => Math.random());
  const w2 = new ByteWriter(16);
  encodeColumn(w2, DataType.DOUBLE, rnd, null, 0, rnd.length);
  assert.equal(w2.finish()[0]! & 2, 0);
});

test('value ranges far from a power of two pack in mixed radix (voltage 215..225: < 3.5 bits)', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 2, max: 70_000 }),
      fc.integer({ min: -1e6, max: 1e6 }),
      fc.nat(700),
      (range, base, n) => {
        let x = 12345;
        const data = Int32Array.from({ length: n }, () => {
          x = (Math.imul(x, 1103515245) + 12345) >>> 0;
          return base + (x % range);
        });
        assertSame(DataType.INT, data, null, roundTrip(DataType.INT, data, null).v);
      },
    ),
    { numRuns: RUNS },
  );
  let x = 7;
  const volt = Int32Array.from({ length: 4096 }, () => {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    return 215 + (x % 11);
  });
  const { v, bytes } = roundTrip(DataType.INT, volt, null);
  assertSame(DataType.INT, volt, null, v);
  assert.ok(bytes * 8 < 4096 * 3.5 + 200, `${((bytes * 8) / 4096).toFixed(2)} bits per value`);
});
