// Small file-system helpers with the crash-consistency rules in one place: a file that must
// survive a crash is fsynced, and so is the directory that names it.
import * as fs from 'node:fs';
import { assert } from '../common/assert.js';
import { BasaltError } from '../common/errors.js';
import { asDiskFull } from './disk-space.js';

export function fsyncDir(dir: string): void {
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
  } catch (e) {
    throw fsyncFailed(dir, e);
  } finally {
    fs.closeSync(fd);
  }
}

/** fsync errors are fatal (after EIO the kernel marks pages clean, so a retry would lie). */
export function fsyncFailed(what: string, e: unknown): BasaltError {
  return new BasaltError(
    'FSYNC_FAILED',
    `fsync of ${what} failed (${e instanceof Error ? e.message : String(e)}); the vnode must restart and recover from its WAL`,
  );
}

/**
 * Replaces `file` atomically: write temp, fsync, rename, fsync dir. A failed write (a full
 * disk: DISK_FULL) leaves `file` as it was and removes the temp file, so a retry has the room.
 */
export function writeFileAtomic(file: string, data: Uint8Array): void {
  const tmp = file + '.tmp';
  let fd: number;
  try {
    fd = fs.openSync(tmp, 'w');
  } catch (e) {
    throw asDiskFull(e, dirOf(file), tmp);
  }
  try {
    writeAll(fd, data, 0);
    try {
      fs.fsyncSync(fd);
    } catch (e) {
      throw fsyncFailed(tmp, e);
    }
  } catch (e) {
    fs.closeSync(fd);
    fs.rmSync(tmp, { force: true });
    throw asDiskFull(e, dirOf(file), tmp);
  }
  fs.closeSync(fd);
  fs.renameSync(tmp, file);
  fsyncDir(dirOf(file));
}

/** Writes all of `data` at `position`: a short write near a full disk is continued (and then fails with ENOSPC). */
export function writeAll(fd: number, data: Uint8Array, position: number): void {
  let done = 0;
  while (done < data.length) {
    const n = fs.writeSync(fd, data, done, data.length - done, position + done);
    assert(n > 0, `write of ${data.length - done} bytes wrote ${n}`);
    done += n;
  }
}

export function dirOf(file: string): string {
  const i = file.lastIndexOf('/');
  return i <= 0 ? '.' : file.slice(0, i);
}

export function fsyncFile(fd: number, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    fs.fsync(fd, (err) => (err ? reject(fsyncFailed(what, err)) : resolve()));
  });
}

/** Total size of the regular files under `dir`, recursively. */
export function dirBytes(dir: string): number {
  let n = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = `${dir}/${e.name}`;
    if (e.isDirectory()) n += dirBytes(p);
    else if (e.isFile()) n += fs.statSync(p).size;
  }
  return n;
}
