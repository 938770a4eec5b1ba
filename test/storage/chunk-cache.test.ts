// The decoded-chunk cache: bounded, hits on re-reads, and scan resistant (a repeated scan a
// little larger than the cache still hits most chunks, where plain LRU would hit none).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ColumnVector } from '../../src/common/block.js';
import { DataType } from '../../src/common/types.js';
import { ChunkCache } from '../../src/storage/chunk-cache.js';

const vec = (bytes: number): ColumnVector => ({
  type: DataType.DOUBLE,
  data: new Float64Array(bytes / 8),
  nulls: null,
});

test('a repeated scan of 110% of the budget keeps hitting most chunks, within the budget', () => {
  const c = new ChunkCache(100 * 1024);
  const keys = Array.from({ length: 110 }, (_, i) => `f:${i}`);
  for (let pass = 0; pass < 4; pass++) {
    const before = c.hits;
    for (const k of keys) {
      if (c.get(k) === undefined) c.put(k, vec(1024));
      assert.ok(c.sizeBytes() <= c.maxBytes, `size ${c.sizeBytes()} over ${c.maxBytes}`);
    }
    if (pass > 0) assert.ok(c.hits - before >= 80, `pass ${pass}: ${c.hits - before} hits of 110`);
  }
});

test('a chunk read again soon is a hit even when the cache is full of older ones', () => {
  const c = new ChunkCache(64 * 1024);
  for (let i = 0; i < 200; i++) c.put(`old:${i}`, vec(1024));
  for (let i = 0; i < 50; i++) {
    c.put(`new:${i}`, vec(1024));
    assert.ok(c.get(`new:${i}`) !== undefined, `new:${i} right after put`);
  }
  // The new set was read twice, so it is in main now and survives another wave of one-off reads.
  for (let i = 0; i < 200; i++) c.put(`scan:${i}`, vec(1024));
  let kept = 0;
  for (let i = 0; i < 50; i++) if (c.get(`new:${i}`) !== undefined) kept++;
  assert.ok(kept >= 45, `${kept} of 50 re-read chunks kept`);
  assert.ok(c.sizeBytes() <= c.maxBytes);
});

test('oversized chunks are not cached and a replaced key is counted once', () => {
  const c = new ChunkCache(16 * 1024);
  c.put('big', vec(8 * 1024));
  assert.equal(c.get('big'), undefined);
  c.put('a', vec(1024));
  c.put('a', vec(2048));
  assert.equal(c.sizeBytes(), 2048);
  assert.equal((c.get('a')!.data as Float64Array).length, 256);
});
