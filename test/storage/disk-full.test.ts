// A real ENOSPC (a tmpfs of 2 MB filled by a ballast file) in the WAL and in a memtable flush:
// the error is DISK_FULL naming the directory, not WAL_CORRUPT; the failed append or flush
// leaves nothing behind, nothing acknowledged is lost, and the same WAL / store takes writes
// again once the ballast is gone. Needs root (mount); skipped with a message otherwise.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, rmSync, statSync, truncateSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { BasaltError } from '../../src/common/errors.js';
import { Limits } from '../../src/common/limits.js';
import { openVnodeStore } from '../../src/storage/index.js';
import { Wal } from '../../src/storage/wal.js';
import { METERS_COLUMNS, METERS_TAGS, metersBlock, options, rowsOf, tempDir } from './helpers.js';

const ALL = { from: -Infinity, to: Infinity };

/** Mounts a 2 MB tmpfs under a temp dir, runs `body`, unmounts. */
async function withTinyVolume(t: TestContext, body: (vol: string) => Promise<void>): Promise<void> {
  if (process.getuid?.() !== 0) {
    t.skip('disk-full test skipped: not root, cannot mount a tmpfs');
    return;
  }
  const vol = join(tempDir('diskfull'), 'vol');
  mkdirSync(vol);
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', vol], { stdio: 'pipe' });
  } catch (e) {
    t.skip(`disk-full test skipped: mount -t tmpfs failed: ${(e as Error).message}`);
    return;
  }
  try {
    await body(vol);
  } finally {
    // Lazy: a failed body may still hold a file open on the volume.
    execFileSync('umount', ['-l', vol], { stdio: 'pipe' });
  }
}

/** Writes `file` until the volume refuses (ENOSPC); the volume is then full. */
function fillVolume(file: string): void {
  const buf = Buffer.alloc(64 << 10, 0x5a);
  const fd = openSync(file, 'w');
  try {
    for (let i = 0; i < 1_000; i++) writeSync(fd, buf);
    assert.fail('a 2 MB volume took 64 MB');
  } catch (e) {
    assert.equal((e as NodeJS.ErrnoException).code, 'ENOSPC', String(e));
  } finally {
    closeSync(fd);
  }
}

const isDiskFull = (dir: string) => (e: unknown) => {
  assert.ok(e instanceof BasaltError, String(e));
  assert.equal(e.errorName, 'DISK_FULL', e.message);
  assert.ok(e.message.includes(dir), `names ${dir}: ${e.message}`);
  assert.match(e.message, /free space/);
  return true;
};

test('WAL: an append that meets ENOSPC is DISK_FULL and cut back; the log takes appends again when space is back', async (t) => {
  await withTinyVolume(t, async (vol) => {
    const dir = join(vol, 'wal');
    let wal = Wal.open(dir, { segmentBytes: 64 << 20, preallocateBytes: 0 });
    const data = (i: number): Uint8Array => new Uint8Array(20_000).fill(i % 251);
    // Leave ~300 KB: appends of 20 KB run into ENOSPC part-way through one.
    const ballast = join(vol, 'ballast');
    fillVolume(ballast);
    truncateSync(ballast, statSync(ballast).size - (300 << 10) - 1234);
    let acked = 0;
    let refused: unknown;
    for (let i = 1; i <= 200 && refused === undefined; i++) {
      try {
        wal.append([{ index: i, term: 1, data: data(i) }]);
        await wal.sync();
        acked = i;
      } catch (e) {
        refused = e;
      }
    }
    assert.ok(refused !== undefined, 'the volume filled');
    assert.ok(isDiskFull(dir)(refused));
    assert.equal(wal.lastIndex(), acked);
    // Still refused while full, and still not poisoned.
    assert.throws(() => wal.append([{ index: acked + 1, term: 1, data: data(acked + 1) }]), isDiskFull(dir));
    rmSync(join(vol, 'ballast'));
    wal.append([{ index: acked + 1, term: 1, data: data(acked + 1) }]);
    await wal.sync();
    await wal.close();
    wal = Wal.open(dir, { segmentBytes: 64 << 20, preallocateBytes: 0 });
    assert.equal(wal.truncatedTailBytes, 0, 'no torn tail: the failed append was cut back');
    assert.equal(wal.lastIndex(), acked + 1);
    const all = wal.entries(1, acked + 2);
    for (const e of all) assert.deepEqual(e.data, data(e.index));
    await wal.close();
  });
});

test('store: a flush that meets ENOSPC keeps the rows readable, refuses writes with DISK_FULL, and finishes once space is back', async (t) => {
  await withTinyVolume(t, async (vol) => {
    const dir = join(vol, 'vnode2');
    const lines: string[] = [];
    const mode = { log: (level: string, m: string) => lines.push(`${level} ${m}`) };
    let s = await openVnodeStore(dir, options({ walLevel: 2 }), mode);
    await s.createSuperTable({ name: 'meters', columns: METERS_COLUMNS, tags: METERS_TAGS });
    const t0 = 1_700_000_000_000;
    await s.write({
      createTables: [{ name: 'd0', stable: 'meters', tagValues: [1, 'x'] }],
      rows: [{ table: 'd0', block: metersBlock(t0, 5000) }],
    });
    fillVolume(join(vol, 'ballast'));
    await assert.rejects(s.flush(), isDiskFull(dir));
    assert.equal(rowsOf(s.scan('d0', ALL, [0])).length, 5000, 'the frozen rows stay readable');
    await assert.rejects(
      s.write({ rows: [{ table: 'd0', block: metersBlock(t0 + 5000 * 1000, 10) }] }),
      isDiskFull(dir),
    );
    assert.equal(lines.filter((l) => l.startsWith('error')).length, 2, lines.join('\n'));
    rmSync(join(vol, 'ballast'));
    // The store's own retry finishes the flush; a write goes through meanwhile.
    await s.write({ rows: [{ table: 'd0', block: metersBlock(t0 + 5000 * 1000, 10) }] });
    const deadline = Date.now() + 10 * Limits.diskFullRetryMs;
    while (s.flushedIndex() === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.ok(s.flushedIndex() > 0, 'the postponed flush ran once space was back');
    assert.ok(
      lines.some((l) => /writes resume/.test(l)) && lines.some((l) => /flush succeeded again/.test(l)),
      lines.join('\n'),
    );
    await s.flush();
    await s.close();
    s = await openVnodeStore(dir, options({ walLevel: 2 }));
    assert.equal(rowsOf(s.scan('d0', ALL, [0])).length, 5010);
    await s.close();
  });
});
