import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { Wal } from '../../src/storage/wal.js';
import { tempDir } from './helpers.js';

const enc = (s: string): Uint8Array => Buffer.from(s);
const entry = (index: number, term = 1) => ({ index, term, data: enc(`entry-${index}-${'x'.repeat(index % 50)}`) });
const texts = (w: Wal, lo: number, hi: number) => w.entries(lo, hi).map((e) => Buffer.from(e.data).toString());

test('append, read by range, terms, reopen', async () => {
  const dir = tempDir('wal');
  let w = Wal.open(dir, { segmentBytes: 1000 });
  assert.equal(w.firstIndex(), 1);
  assert.equal(w.lastIndex(), 0);
  for (let i = 1; i <= 100; i += 10)
    w.append(Array.from({ length: 10 }, (_, k) => entry(i + k, Math.ceil((i + k) / 30))));
  await w.sync();
  assert.ok(fs.readdirSync(dir).length > 3, 'rotated into several segments');
  assert.equal(w.lastIndex(), 100);
  assert.equal(w.term(61), 3);
  assert.deepEqual(texts(w, 5, 8), ['entry-5-xxxxx', 'entry-6-xxxxxx', 'entry-7-xxxxxxx']);
  await w.close();
  w = Wal.open(dir, { segmentBytes: 1000 });
  assert.equal(w.lastIndex(), 100);
  assert.equal(w.entries(1, 101).length, 100);
  assert.throws(() => w.append([entry(102)]), /BUG/);
  await w.close();
});

test('truncateAfter and compactBefore (Raft conflict, snapshot)', async () => {
  const dir = tempDir('wal');
  let w = Wal.open(dir, { segmentBytes: 500 });
  for (let i = 1; i <= 60; i++) w.append([entry(i)]);
  w.truncateAfter(42);
  assert.equal(w.lastIndex(), 42);
  w.append([entry(43, 7)]);
  assert.equal(w.term(43), 7);
  w.compactBefore(30);
  assert.ok(w.firstIndex() <= 30 && w.firstIndex() > 1, `first index ${w.firstIndex()}`);
  assert.throws(() => w.entries(1, 3), /compacted/);
  await w.close();
  w = Wal.open(dir, { segmentBytes: 500 });
  assert.equal(w.lastIndex(), 43);
  assert.equal(w.term(43), 7);
  assert.deepEqual(texts(w, 30, 31), ['entry-30-' + 'x'.repeat(30)]);
  // Everything compacted: the log stays empty at the right position.
  w.compactBefore(44);
  assert.equal(w.firstIndex(), 44);
  assert.equal(w.lastIndex(), 43);
  await w.close();
  w = Wal.open(dir, { segmentBytes: 500 });
  assert.equal(w.lastIndex(), 43);
  w.append([entry(44)]);
  await w.close();
});

test('a torn tail is cut; the entries before it survive', async () => {
  const dir = tempDir('wal');
  const w = Wal.open(dir, { segmentBytes: 1 << 20 });
  for (let i = 1; i <= 10; i++) w.append([entry(i)]);
  await w.close();
  const file = `${dir}/${fs.readdirSync(dir)[0]}`;
  const size = fs.statSync(file).size;
  for (const cut of [1, 5, 20]) {
    fs.truncateSync(file, size - cut);
    const w2 = Wal.open(dir, { segmentBytes: 1 << 20 });
    assert.equal(w2.lastIndex(), 9, `cut ${cut} bytes`);
    assert.ok(w2.truncatedTailBytes > 0);
    w2.append([entry(10)]);
    await w2.close();
  }
  // Zero fill after the last entry (a file extended but never written) is a torn tail too.
  fs.appendFileSync(file, Buffer.alloc(100));
  const w3 = Wal.open(dir, { segmentBytes: 1 << 20 });
  assert.equal(w3.lastIndex(), 10);
  await w3.close();
});

test('a flipped byte inside the log is reported with file and byte offset, never returned', async () => {
  const dir = tempDir('wal');
  const w = Wal.open(dir, { segmentBytes: 1 << 20 });
  for (let i = 1; i <= 20; i++) w.append([entry(i)]);
  await w.close();
  const file = `${dir}/${fs.readdirSync(dir)[0]}`;
  const orig = fs.readFileSync(file);
  // Offsets of entry 5: header of entry k starts after the previous entries.
  let off = 0;
  for (let k = 1; k < 5; k++) off += 12 + orig.readUInt32LE(off);
  for (const [pos, what] of [
    [off + 30, 'payload'],
    [off + 1, 'length'],
    [off + 13, 'index'],
  ] as const) {
    const bad = Buffer.from(orig);
    bad[pos] = bad[pos]! ^ 0x40;
    fs.writeFileSync(file, bad);
    assert.throws(
      () => Wal.open(dir, { segmentBytes: 1 << 20 }),
      (e: Error) => {
        assert.match(e.message, new RegExp(`${file}.*byte offset ${off}\\b`), `${what}: ${e.message}`);
        return true;
      },
    );
  }
});

test('group commit: concurrent syncs share fsyncs and all resolve', async () => {
  const dir = tempDir('wal');
  const w = Wal.open(dir, { segmentBytes: 1 << 20 });
  const waits: Promise<void>[] = [];
  for (let i = 1; i <= 200; i++) {
    w.append([entry(i)]);
    waits.push(w.sync());
  }
  await Promise.all(waits);
  assert.equal(w.hasUnsynced(), false);
  await w.close();
});

test('entries(lo, hi, maxBytes) reads at most about maxBytes (at least one entry), across segments', async () => {
  const dir = tempDir('walmax');
  // Small segments, so a read spans several of them.
  const w = Wal.open(dir, { segmentBytes: 64 * 1024 });
  const big = (i: number): { index: number; term: number; data: Uint8Array } => ({
    index: i,
    term: 1,
    data: Buffer.alloc(10_000, i % 251),
  });
  for (let i = 1; i <= 40; i++) w.append([big(i)]);
  await w.sync();
  const two = w.entries(1, 41, 25_000);
  assert.deepEqual(
    two.map((e) => e.index),
    [1, 2],
    'two 10 kB entries fit in 25 kB, three do not',
  );
  // The entries are views of the read buffer: it must not be bigger than what was asked for.
  for (const e of two)
    assert.ok(e.data.buffer.byteLength <= 25_000, `read buffer ${e.data.buffer.byteLength} bytes for a 25 kB budget`);
  assert.deepEqual(
    w.entries(7, 41, 1).map((e) => e.index),
    [7],
    'a budget below one entry still returns one',
  );
  const all = w.entries(1, 41);
  assert.equal(all.length, 40, 'no budget: everything, across segments');
  assert.deepEqual(
    w.entries(5, 41, 65_000).map((e) => e.index),
    [5, 6, 7, 8, 9, 10],
    'about 65 kB, even where entries cross a segment boundary',
  );
  for (const e of all) assert.equal(e.data[0], e.index % 251);
  await w.close();
});
