// Small file-system helpers with the crash-consistency rules in one place: a file that must
// survive a crash is fsynced, and so is the directory that names it.
import * as fs from 'node:fs';
import { BasaltError } from '../common/errors.js';

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

/** Replaces `file` atomically: write temp, fsync, rename, fsync dir. */
export function writeFileAtomic(file: string, data: Uint8Array): void {
  const tmp = file + '.tmp';
  const fd = fs.openSync(tmp, 'w');
  try {
    fs.writeSync(fd, data);
    try {
      fs.fsyncSync(fd);
    } catch (e) {
      throw fsyncFailed(tmp, e);
    }
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
  fsyncDir(dirOf(file));
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
