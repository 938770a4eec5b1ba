import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Errors, BasaltError, formatCode } from '../../src/common/errors.js';
import { hash32, hashRanges } from '../../src/common/hash.js';
import { decodeBlock, encodeBlock, ScratchArena } from '../../src/common/block-codec.js';
import { allocVector } from '../../src/common/block.js';
import { DataType } from '../../src/common/types.js';
import type { ColumnBlock } from '../../src/common/block.js';
import { parseDurationMs, ticksToRfc3339 } from '../../src/common/time.js';

test('error codes are unique and carry their message', () => {
  const seen = new Map<number, string>();
  for (const [name, d] of Object.entries(Errors)) {
    assert.ok(!seen.has(d.code), `${name} reuses code ${formatCode(d.code)} of ${seen.get(d.code)}`);
    seen.set(d.code, name);
  }
  const e = new BasaltError('SYNTAX_ERROR', "near 'selec' at position 0");
  assert.equal(e.code, 0x80002600);
  assert.equal(e.message, "Syntax error in SQL: near 'selec' at position 0");
});

test('murmur3 x86 32 matches the reference vectors', () => {
  assert.equal(hash32(''), 0);
  assert.equal(hash32('hello'), 0x248bfa47);
  assert.equal(hash32('The quick brown fox jumps over the lazy dog'), 0x2e4ff723);
});

test('hash ranges cover [0, 2^32) without gaps', () => {
  for (const n of [1, 2, 3, 8, 1024]) {
    const r = hashRanges(n);
    assert.equal(r[0]!.begin, 0);
    assert.equal(r[n - 1]!.end, 0xffffffff);
    for (let i = 1; i < n; i++) assert.equal(r[i]!.begin, r[i - 1]!.end + 1);
  }
});

test('column block codec round-trips every type with nulls', () => {
  fc.assert(
    fc.property(
      fc.array(
        fc.tuple(
          fc.integer({ min: -1e12, max: 1e12 }),
          fc.string(),
          fc.option(fc.integer({ min: -2147483648, max: 2147483647 })),
          fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
          fc.double(),
        ),
      ),
      (rows) => {
        const n = rows.length;
        const block: ColumnBlock = {
          numRows: n,
          columns: [
            { type: DataType.TIMESTAMP, data: Float64Array.from(rows.map((r) => r[0])), nulls: null },
            { type: DataType.NCHAR, data: rows.map((r) => r[1]), nulls: null },
            {
              type: DataType.INT,
              data: Int32Array.from(rows.map((r) => r[2] ?? 0)),
              nulls: Uint8Array.from(rows.map((r) => (r[2] === null ? 1 : 0))),
            },
            { type: DataType.BIGINT, data: BigInt64Array.from(rows.map((r) => r[3])), nulls: null },
            { type: DataType.DOUBLE, data: Float64Array.from(rows.map((r) => r[4])), nulls: null },
          ],
        };
        const { block: out, end } = decodeBlock(encodeBlock(block));
        assert.equal(end, encodeBlock(block).length);
        assert.deepEqual(out, block);
      },
    ),
  );
});

test('truncated blocks are refused with BAD_FRAME, never decoded', () => {
  const block: ColumnBlock = { numRows: 2, columns: [{ type: DataType.VARCHAR, data: ['ab', 'cd'], nulls: null }] };
  const bytes = encodeBlock(block);
  for (let cut = 0; cut < bytes.length; cut++) {
    assert.throws(
      () => decodeBlock(bytes.subarray(0, cut)),
      (e: unknown) => e instanceof BasaltError && e.errorName === 'BAD_FRAME',
    );
  }
});

test('durations and RFC 3339 timestamps', () => {
  assert.equal(parseDurationMs('10d'), 864_000_000);
  assert.equal(parseDurationMs('1h'), 3_600_000);
  assert.throws(() => parseDurationMs('ten days'), /not a duration/);
  assert.equal(ticksToRfc3339(1659163480320, 'ms'), '2022-07-30T06:44:40.32Z');
  assert.equal(ticksToRfc3339(1659163480000, 'ms'), '2022-07-30T06:44:40Z');
});

test('decodeBlock: alias views aligned columns; scratch takes the rest; a reset arena is reused', () => {
  const n = 300;
  const ts = allocVector(DataType.TIMESTAMP, n),
    f = allocVector(DataType.FLOAT, n),
    i = allocVector(DataType.INT, n);
  for (let r = 0; r < n; r++) {
    (ts.data as Float64Array)[r] = 1_700_000_000_000 + r;
    (f.data as Float32Array)[r] = r / 4;
    (i.data as Int32Array)[r] = -r;
  }
  const block = { numRows: n, columns: [ts, f, i] };
  const bytes = encodeBlock(block);
  // At an offset of 8 in a fresh buffer the timestamps (at block byte 8) are 8-aligned.
  const buf = new Uint8Array(bytes.length + 8);
  buf.set(bytes, 8);
  const arena = new ScratchArena(1 << 20);
  arena.reset(bytes.length);
  const d = decodeBlock(buf, 8, { alias: true, scratch: arena }).block;
  assert.equal((d.columns[0]!.data as Float64Array).buffer, buf.buffer, 'aligned timestamps are a view of the input');
  const fl = d.columns[1]!.data as Float32Array;
  assert.notEqual(fl.buffer, buf.buffer, 'an unaligned column is a copy');
  assert.equal(fl.byteOffset % 4, 0);
  for (let r = 0; r < n; r++) {
    assert.equal((d.columns[0]!.data as Float64Array)[r], 1_700_000_000_000 + r);
    assert.equal(fl[r], r / 4);
    assert.equal((d.columns[2]!.data as Int32Array)[r], -r | 0);
  }
  // Without alias or scratch: fresh arrays, equal values.
  const plain = decodeBlock(buf, 8).block;
  assert.notEqual((plain.columns[0]!.data as Float64Array).buffer, buf.buffer);
  assert.deepEqual([...(plain.columns[1]!.data as Float32Array)], [...fl]);
  // After reset the arena hands out the same memory again; past its bound it declines.
  const a1 = arena.take(64)!;
  arena.reset();
  const a2 = arena.take(64)!;
  assert.equal(a1.buffer, a2.buffer);
  assert.equal(a2.byteOffset, 0);
  assert.equal(new ScratchArena(1024).take(4096), null, 'a slice bigger than the arena bound is refused');
});
