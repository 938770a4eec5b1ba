// The WAL's preallocated segments (wal.ts): the active segment carries a zero tail that a
// crash leaves behind, and an append interrupted by a crash can leave a partly written entry
// in it. Recovery must stop at the first zero or torn entry of the last segment, keep what
// was synced before it, and still report corruption of synced entries.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { Wal } from '../../src/storage/wal.js';
import { tempDir } from './helpers.js';

const SEG_BYTES = 1 << 20;
const PREALLOC_BYTES = 64 * 1024;
const entry = (index: number, term = 1, bytes = 100) => ({
  index,
  term,
  data: Buffer.alloc(bytes, 0x41 + (index % 26)),
});

/** A WAL with `n` synced entries, left open as a crash would leave it (zero tail present). */
async function crashedWal(dir: string, n: number, bytes = 100): Promise<{ file: string; ends: number[] }> {
  const w = Wal.open(dir, { segmentBytes: SEG_BYTES, preallocateBytes: PREALLOC_BYTES });
  for (let i = 1; i <= n; i++) w.append([entry(i, 1, bytes)]);
  await w.sync();
  // No close(): the file keeps its zero tail, as after SIGKILL.
  const file = `${dir}/${fs.readdirSync(dir).filter((f) => f.endsWith('.wal'))[0]}`;
  const ends: number[] = [];
  const buf = fs.readFileSync(file);
  for (let p = 0, k = 0; k < n; k++) {
    p += 12 + buf.readUInt32LE(p);
    ends.push(p);
  }
  return { file, ends };
}

test('the active segment is extended ahead with zeros; close cuts the tail', async () => {
  const dir = tempDir('walpre');
  const w = Wal.open(dir, { segmentBytes: SEG_BYTES, preallocateBytes: PREALLOC_BYTES });
  w.append([entry(1)]);
  await w.sync();
  const file = `${dir}/${fs.readdirSync(dir)[0]}`;
  assert.equal(fs.statSync(file).size, PREALLOC_BYTES, 'one preallocation step');
  // An append of 64 KiB or more extends the file by its own write (no zero fill ahead).
  w.append([entry(2, 1, 3 * PREALLOC_BYTES)]);
  assert.equal(w.bytesOnDisk(), 2 * (12 + 16) + 100 + 3 * PREALLOC_BYTES);
  assert.equal(fs.statSync(file).size, w.bytesOnDisk());
  // The next small append zero-fills ahead again, a whole step past its end.
  w.append([entry(3)]);
  assert.equal(fs.statSync(file).size, Math.ceil(w.bytesOnDisk() / PREALLOC_BYTES) * PREALLOC_BYTES);
  await w.close();
  assert.equal(fs.statSync(file).size, w.bytesOnDisk(), 'a clean close leaves no zero tail');
  const w2 = Wal.open(dir, { segmentBytes: SEG_BYTES, preallocateBytes: PREALLOC_BYTES });
  assert.equal(w2.lastIndex(), 3);
  assert.equal(w2.truncatedTailBytes, 0);
  await w2.close();
});

test('an all-zero tail after a crash is never parsed as entries; appends continue after it', async () => {
  const dir = tempDir('walpre');
  const { file, ends } = await crashedWal(dir, 50);
  assert.equal(fs.statSync(file).size, PREALLOC_BYTES);
  const w = Wal.open(dir, { segmentBytes: SEG_BYTES, preallocateBytes: PREALLOC_BYTES });
  assert.equal(w.lastIndex(), 50);
  assert.equal(w.truncatedTailBytes, PREALLOC_BYTES - ends[49]!);
  w.append([entry(51)]);
  await w.sync();
  assert.deepEqual(
    w.entries(49, 52).map((e) => e.index),
    [49, 50, 51],
  );
  assert.deepEqual(Buffer.from(w.entries(51, 52)[0]!.data), entry(51).data);
  // Crash again (no close) and recover.
  const w2 = Wal.open(dir, { segmentBytes: SEG_BYTES, preallocateBytes: PREALLOC_BYTES });
  assert.equal(w2.lastIndex(), 51);
  await w2.close();
  await w.close().catch(() => undefined);
});

test('a write torn inside the zero tail is cut at the first incomplete entry', async () => {
  // An unsynced append of entries 21..23 reached the disk only in some sectors (a sector is
  // all new or all old): recovery keeps the synced 1..20 and every new entry before the first
  // old sector, and drops the rest, whatever survived after the hole.
  const SECTOR = 512;
  const BYTES = 300;
  const ENTRY_BYTES = 12 + 16 + BYTES;
  for (const holeSector of [0, 1, 2]) {
    const dir = tempDir('walpre');
    const { file, ends } = await crashedWal(dir, 20, BYTES);
    const synced = ends[19]!;
    const w = Wal.open(dir, { segmentBytes: SEG_BYTES, preallocateBytes: PREALLOC_BYTES });
    w.append([entry(21, 1, BYTES), entry(22, 1, BYTES), entry(23, 1, BYTES)]);
    await w.sync();
    await w.close();
    const full = fs.readFileSync(file);
    const torn = Buffer.alloc(PREALLOC_BYTES);
    full.copy(torn, 0, 0, full.length);
    // Sector 0 holds the end of entry 20 (synced earlier): when it is old, only its part from
    // entry 21 on is zero.
    const first = Math.floor(synced / SECTOR) * SECTOR;
    const holeStart = Math.max(synced, first + holeSector * SECTOR);
    torn.fill(0, holeStart, first + (holeSector + 1) * SECTOR);
    fs.writeFileSync(file, torn);
    let kept = 20;
    while (kept < 23 && synced + (kept - 19) * ENTRY_BYTES <= holeStart) kept++;
    const r = Wal.open(dir, { segmentBytes: SEG_BYTES, preallocateBytes: PREALLOC_BYTES });
    assert.equal(r.lastIndex(), kept, `hole in sector ${holeSector}`);
    assert.equal(fs.statSync(file).size, synced + (kept - 20) * ENTRY_BYTES, `file cut after entry ${kept}`);
    r.append([entry(kept + 1, 2)]);
    assert.equal(r.term(kept + 1), 2);
    await r.close();
  }
});

test('corruption of a synced entry is still reported when a zero tail follows', async () => {
  for (const k of [10, 30]) {
    const dir = tempDir('walpre');
    const { file, ends } = await crashedWal(dir, 30);
    const off = ends[k - 2]!;
    const orig = fs.readFileSync(file);
    for (const pos of [off + 40, off + 1]) {
      const bad = Buffer.from(orig);
      bad[pos] = bad[pos]! ^ 0x40;
      fs.writeFileSync(file, bad);
      assert.throws(
        () => Wal.open(dir, { segmentBytes: SEG_BYTES, preallocateBytes: PREALLOC_BYTES }),
        (e: Error) => {
          assert.match(e.message, new RegExp(`byte offset ${off}\\b`), `entry ${k}, byte ${pos - off}: ${e.message}`);
          return true;
        },
      );
    }
  }
});

test('only the last segment has a zero tail: rotation cuts it, a gap is still detected', async () => {
  const dir = tempDir('walpre');
  const w = Wal.open(dir, { segmentBytes: 2048, preallocateBytes: 1024 });
  for (let i = 1; i <= 60; i++) w.append([entry(i)]);
  await w.sync();
  const names = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.wal'))
    .sort();
  assert.ok(names.length > 3, `rotated: ${names.join(', ')}`);
  // Crash without close: every segment but the last ends at its last entry.
  const w2 = Wal.open(dir, { segmentBytes: 2048, preallocateBytes: 1024 });
  assert.equal(w2.lastIndex(), 60);
  assert.deepEqual(
    w2.entries(1, 61).map((e) => e.index),
    Array.from({ length: 60 }, (_, i) => i + 1),
  );
  await w2.close();
  await w.close().catch(() => undefined);
  // A zero tail in a middle segment means lost entries there: never skipped silently.
  const mid = `${dir}/${names[1]}`;
  fs.appendFileSync(mid, Buffer.alloc(300));
  assert.throws(() => Wal.open(dir, { segmentBytes: 2048, preallocateBytes: 1024 }), /WAL_CORRUPT|cut short|missing/);
});

test('preallocateBytes 0: the file grows with each append', async () => {
  const dir = tempDir('walpre');
  const w = Wal.open(dir, { segmentBytes: SEG_BYTES, preallocateBytes: 0 });
  w.append([entry(1)]);
  await w.sync();
  const file = `${dir}/${fs.readdirSync(dir)[0]}`;
  assert.equal(fs.statSync(file).size, 12 + 16 + 100);
  await w.close();
});

test('switching preallocation on and off between opens never zeroes entries', async () => {
  const dir = tempDir('walpre');
  let next = 1;
  for (const pre of [0, PREALLOC_BYTES, 0, 4096, PREALLOC_BYTES]) {
    const w = Wal.open(dir, { segmentBytes: SEG_BYTES, preallocateBytes: pre });
    for (let k = 0; k < 40; k++, next++) w.append([entry(next, 1, 50 + (next % 7) * 300)]);
    await w.sync();
    assert.deepEqual(
      w.entries(1, next).map((e) => Buffer.from(e.data).equals(entry(e.index, 1, 50 + (e.index % 7) * 300).data)),
      Array.from({ length: next - 1 }, () => true),
    );
    // Every other round crashes (no close), leaving the zero tail for the next open.
    if (pre === 0) await w.close();
  }
  const w = Wal.open(dir, { segmentBytes: SEG_BYTES });
  assert.equal(w.lastIndex(), next - 1);
  assert.equal(w.entries(1, next).length, next - 1);
  await w.close();
});
