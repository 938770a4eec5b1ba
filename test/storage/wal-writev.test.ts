// The WAL's zero-copy append (wal.ts): headers staged, big payloads written by reference with
// writev, the body CRC continued over the parts. The file must be byte-identical to the
// documented format (docs/storage-format.md) built by concatenation, whatever the mix of
// sizes, prefixes and short writes; a failed write or fdatasync marks the WAL failed; and
// sync runs fdatasync on the thread pool with group commit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { createRequire, syncBuiltinESMExports } from 'node:module';
import fc from 'fast-check';
import { crc32cJs } from '../../src/storage/crc32c.js';
import { Wal, type WalEntry } from '../../src/storage/wal.js';
import { tempDir } from './helpers.js';

// The CommonJS fs object: patching it and calling syncBuiltinESMExports() is what the WAL's
// `import * as fs` sees.
const fsCjs = createRequire(import.meta.url)('node:fs') as typeof fs;
const TWO32 = 0x1_0000_0000;

/** One entry as docs/storage-format.md describes it, built by concatenation with the JS CRC. */
function referenceEntry(index: number, term: number, payload: Uint8Array): Buffer {
  const body = Buffer.alloc(16 + payload.length);
  body.writeUInt32LE(index % TWO32, 0);
  body.writeUInt32LE(Math.floor(index / TWO32), 4);
  body.writeUInt32LE(term % TWO32, 8);
  body.writeUInt32LE(Math.floor(term / TWO32), 12);
  body.set(payload, 16);
  const head = Buffer.alloc(12);
  head.writeUInt32LE(body.length, 0);
  head.writeUInt32LE(crc32cJs(body), 4);
  head.writeUInt32LE(crc32cJs(head, 0, 8), 8);
  return Buffer.concat([head, body]);
}

const payloadOf = (e: WalEntry): Buffer =>
  Buffer.concat(e.prefix === undefined ? [e.data] : [Buffer.of(e.prefix), e.data]);

function segmentFiles(dir: string): string[] {
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.wal'))
    .sort()
    .map((f) => `${dir}/${f}`);
}

/** Replaces fs functions for the duration of `body` (the WAL module sees them too). */
async function withPatchedFs<T>(patch: Partial<typeof fs>, body: () => Promise<T> | T): Promise<T> {
  const saved: Record<string, unknown> = {};
  const target = fsCjs as unknown as Record<string, unknown>;
  for (const k of Object.keys(patch)) {
    saved[k] = target[k];
    target[k] = (patch as Record<string, unknown>)[k];
  }
  syncBuiltinESMExports();
  try {
    return await body();
  } finally {
    for (const k of Object.keys(saved)) target[k] = saved[k];
    syncBuiltinESMExports();
  }
}

interface Spec {
  bytes: number;
  prefix: number | undefined;
  offset: number;
}

const specArb: fc.Arbitrary<Spec> = fc.record({
  // Mostly around the inline threshold (4096), with empty and big ones.
  bytes: fc.oneof(fc.nat(300), fc.integer({ min: 4000, max: 4200 }), fc.integer({ min: 0, max: 70_000 })),
  prefix: fc.option(fc.nat(255), { nil: undefined }),
  offset: fc.nat(31),
});

function makeEntry(index: number, term: number, s: Spec): WalEntry {
  // A view into a bigger buffer, as a decoded frame's payload is.
  const backing = Buffer.allocUnsafe(s.bytes + s.offset + 5);
  for (let i = 0; i < backing.length; i++) backing[i] = (i * 29 + index) & 0xff;
  const data = backing.subarray(s.offset, s.offset + s.bytes);
  return s.prefix === undefined ? { index, term, data } : { index, term, data, prefix: s.prefix };
}

test('append writes exactly the documented bytes for any mix of sizes, prefixes and batches', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.array(specArb, { minLength: 1, maxLength: 12 }), { minLength: 1, maxLength: 8 }),
      fc.boolean(),
      async (batches, bigTerms) => {
        const dir = tempDir('walv');
        const w = Wal.open(dir, { segmentBytes: 1 << 30, preallocateBytes: 64 * 1024 });
        const expected: Buffer[] = [];
        const payloads: Buffer[] = [];
        let index = 1;
        const term = bigTerms ? 3 * TWO32 + 7 : 2;
        for (const batch of batches) {
          const ents = batch.map((s) => makeEntry(index++, term, s));
          w.append(ents);
          for (const e of ents) {
            expected.push(referenceEntry(e.index, e.term, payloadOf(e)));
            payloads.push(payloadOf(e));
          }
        }
        await w.sync();
        // Read back before and after reopening: `data` holds the prefix byte, `prefix` is unset.
        const back = w.entries(1, index);
        assert.deepEqual(
          back.map((e) => Buffer.from(e.data)),
          payloads,
        );
        assert.ok(back.every((e) => e.prefix === undefined && e.term === term));
        await w.close();
        const files = segmentFiles(dir);
        assert.equal(files.length, 1);
        assert.ok(
          fs.readFileSync(files[0]!).equals(Buffer.concat(expected)),
          'segment bytes match the reference encoding',
        );
        const r = Wal.open(dir, { segmentBytes: 1 << 30 });
        assert.deepEqual(
          r.entries(1, index).map((e) => Buffer.from(e.data)),
          payloads,
        );
        await r.close();
      },
    ),
    { numRuns: 40 },
  );
});

test('a prefix byte is the same on disk as a payload that starts with it', async () => {
  const a = tempDir('walv');
  const b = tempDir('walv');
  const wa = Wal.open(a, { segmentBytes: 1 << 24 });
  const wb = Wal.open(b, { segmentBytes: 1 << 24 });
  for (const [i, bytes] of [
    [1, 0],
    [2, 10],
    [3, 5000],
    [4, 700_000],
  ] as const) {
    const data = Buffer.alloc(bytes, i);
    wa.append([{ index: i, term: 1, prefix: 1, data }]);
    wb.append([{ index: i, term: 1, data: Buffer.concat([Buffer.of(1), data]) }]);
  }
  await wa.close();
  await wb.close();
  assert.ok(fs.readFileSync(segmentFiles(a)[0]!).equals(fs.readFileSync(segmentFiles(b)[0]!)));
});

test('more iovecs than one writev takes, and short writes, still write every byte in order', async () => {
  const dir = tempDir('walv');
  const real = { writevSync: fsCjs.writevSync, writeSync: fsCjs.writeSync };
  let calls = 0;
  // At most 3000 bytes per call, cut at an arbitrary point inside an iovec.
  const shortWritev = (fd: number, bufs: readonly NodeJS.ArrayBufferView[], pos?: number): number => {
    calls++;
    const cut: Uint8Array[] = [];
    let room = 3000;
    for (const v of bufs) {
      if (room === 0) break;
      const u = new Uint8Array(v.buffer, v.byteOffset, Math.min(v.byteLength, room));
      cut.push(u);
      room -= u.length;
    }
    return real.writevSync(fd, cut, pos);
  };
  const shortWrite = (fd: number, buf: NodeJS.ArrayBufferView, off?: number, len?: number, pos?: number): number => {
    calls++;
    // Zero-fill writes (preallocation) go through untouched.
    if (len !== undefined && len > 7000) return (real.writeSync as (...a: unknown[]) => number)(fd, buf, off, len, pos);
    return (real.writeSync as (...a: unknown[]) => number)(fd, buf, off, Math.min(len ?? buf.byteLength, 777), pos);
  };
  const ents: WalEntry[] = [];
  const expected: Buffer[] = [];
  // 1500 entries of 5000 B: 3000 iovecs, beyond IOV_MAX (1024).
  for (let i = 1; i <= 1500; i++)
    ents.push(makeEntry(i, 1, { bytes: 5000, prefix: i % 2 === 0 ? 0 : undefined, offset: 3 }));
  for (const e of ents) expected.push(referenceEntry(e.index, e.term, payloadOf(e)));
  const w = Wal.open(dir, { segmentBytes: 1 << 30, preallocateBytes: 0 });
  await withPatchedFs(
    { writevSync: shortWritev as typeof fs.writevSync, writeSync: shortWrite as typeof fs.writeSync },
    () => {
      w.append(ents);
      w.append([makeEntry(1501, 1, { bytes: 9000, prefix: 1, offset: 0 })]);
    },
  );
  expected.push(referenceEntry(1501, 1, payloadOf(makeEntry(1501, 1, { bytes: 9000, prefix: 1, offset: 0 }))));
  assert.ok(calls > 2500, `short writes were resumed (${calls} calls)`);
  await w.close();
  assert.ok(fs.readFileSync(segmentFiles(dir)[0]!).equals(Buffer.concat(expected)));
  // Without short writes: the same bytes, and more iovecs than IOV_MAX in one append.
  const dir2 = tempDir('walv');
  const w2 = Wal.open(dir2, { segmentBytes: 1 << 30 });
  w2.append(ents);
  await w2.close();
  assert.ok(fs.readFileSync(segmentFiles(dir2)[0]!).equals(Buffer.concat(expected.slice(0, 1500))));
});

test('a failed write marks the WAL failed: the append and everything after it throw WAL_CORRUPT', async () => {
  const dir = tempDir('walv');
  const w = Wal.open(dir, { segmentBytes: 1 << 24 });
  w.append([makeEntry(1, 1, { bytes: 100, prefix: 0, offset: 0 })]);
  const eio = (): number => {
    throw Object.assign(new Error('EIO: i/o error, write'), { code: 'EIO' });
  };
  await withPatchedFs({ writevSync: eio as typeof fs.writevSync, writeSync: eio as typeof fs.writeSync }, () => {
    assert.throws(
      () => w.append([makeEntry(2, 1, { bytes: 10_000, prefix: 0, offset: 0 })]),
      (e: Error & { errorName?: string }) => e.errorName === 'WAL_CORRUPT',
    );
  });
  assert.equal(w.lastIndex(), 1, 'the failed entry was not indexed');
  assert.throws(
    () => w.append([makeEntry(2, 1, { bytes: 10, prefix: 0, offset: 0 })]),
    (e: Error & { errorName?: string }) => e.errorName === 'WAL_CORRUPT',
  );
  await assert.rejects(w.sync(), (e: Error & { errorName?: string }) => e.errorName === 'WAL_CORRUPT');
  await w.close();
});

test('sync: fdatasync runs off the JS thread, callers during a sync share the next one, a failure is sticky', async () => {
  const dir = tempDir('walv');
  const w = Wal.open(dir, { segmentBytes: 1 << 24 });
  const realAsync = fsCjs.fdatasync;
  let started = 0;
  let failNext = false;
  const pending: (() => void)[] = [];
  // Holds each fdatasync until the test releases it, so overlapping callers can be observed.
  const held = ((fd: number, cb: (err: NodeJS.ErrnoException | null) => void): void => {
    started++;
    const fail = failNext;
    pending.push(() => {
      if (fail) cb(Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' }));
      else realAsync(fd, cb);
    });
  }) as typeof fs.fdatasync;
  const forbidden = ((): void => {
    throw new Error('fdatasyncSync on the JS thread');
  }) as typeof fs.fdatasyncSync;
  await withPatchedFs({ fdatasync: held, fdatasyncSync: forbidden }, async () => {
    const release = async (): Promise<void> => {
      while (pending.length === 0) await new Promise((r) => setImmediate(r));
      pending.shift()!();
    };
    w.append([makeEntry(1, 1, { bytes: 10, offset: 0, prefix: 0 })]);
    const first = w.sync();
    // Entries 2..11 arrive while the first fdatasync runs: all of them share the second one.
    const later: Promise<void>[] = [];
    for (let i = 2; i <= 11; i++) {
      w.append([makeEntry(i, 1, { bytes: 10, offset: 0, prefix: 0 })]);
      later.push(w.sync());
    }
    let firstDone = false;
    void first.then(() => {
      firstDone = true;
    });
    await new Promise((r) => setTimeout(r, 5));
    assert.equal(firstDone, false, 'sync waits for fdatasync, and the event loop keeps running meanwhile');
    await release();
    await first;
    assert.equal(w.hasUnsynced(), true);
    await release();
    await Promise.all(later);
    assert.equal(started, 2, 'one fdatasync for the first caller, one shared by the ten that came during it');
    assert.equal(w.hasUnsynced(), false);
    failNext = true;
    w.append([makeEntry(12, 1, { bytes: 10, offset: 0, prefix: 0 })]);
    const failing = w.sync();
    await release();
    await assert.rejects(failing, (e: Error & { errorName?: string }) => e.errorName === 'FSYNC_FAILED');
    assert.throws(
      () => w.append([makeEntry(13, 1, { bytes: 10, offset: 0, prefix: 0 })]),
      (e: Error & { errorName?: string }) => e.errorName === 'FSYNC_FAILED',
    );
  });
  await w.close();
});

test('an append of 64 KiB or more is written with no zero fill ahead; a small one after it fills past its end', async () => {
  const dir = tempDir('walv');
  const stepBytes = 64 * 1024;
  const w = Wal.open(dir, { segmentBytes: 1 << 24, preallocateBytes: stepBytes });
  const real = fsCjs.writeSync;
  let zeroBytes = 0;
  const counting = ((fd: number, buf: NodeJS.ArrayBufferView, ...rest: unknown[]): number => {
    const n = (real as (...a: unknown[]) => number)(fd, buf, ...rest);
    if (buf.byteLength === stepBytes) zeroBytes += n;
    return n;
  }) as typeof fs.writeSync;
  const ents = [1, 2, 3].map((i) => makeEntry(i, 1, { bytes: 200_000, prefix: 0, offset: 1 }));
  const small = makeEntry(4, 1, { bytes: 100, prefix: 0, offset: 1 });
  const file = (): string => segmentFiles(dir)[0]!;
  const entryBytes = 12 + 16 + 1 + 200_000;
  await withPatchedFs({ writeSync: counting }, async () => {
    w.append([ents[0]!]);
    w.append([ents[1]!, ents[2]!]);
    await w.sync();
    assert.equal(zeroBytes, 0, 'big appends write no zeros');
    assert.equal(fs.statSync(file()).size, 3 * entryBytes, 'the file ends at the last entry');
    w.append([small]);
    await w.sync();
  });
  const smallBytes = 12 + 16 + 1 + 100;
  assert.equal(
    fs.statSync(file()).size,
    Math.ceil((3 * entryBytes + smallBytes) / stepBytes) * stepBytes,
    'a small append fills ahead to a step boundary',
  );
  assert.ok(
    zeroBytes > 0 && zeroBytes < stepBytes,
    `only the tail past the small append was zeroed (${zeroBytes} bytes)`,
  );
  // No close: reopen as after a crash; the zero tail is cut and every entry is there.
  const r = Wal.open(dir, { segmentBytes: 1 << 24, preallocateBytes: stepBytes });
  assert.equal(r.lastIndex(), 4);
  assert.deepEqual(
    r.entries(1, 5).map((e) => Buffer.from(e.data)),
    [...ents, small].map(payloadOf),
  );
  await r.close();
  await w.close();
});
