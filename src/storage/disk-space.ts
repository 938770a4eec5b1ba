// Disk full: one error for it (DISK_FULL, naming the volume and the fix) and a guard that
// refuses new writes while a data volume is below its free-space reserve. Why a reserve and
// not only ENOSPC: writes already accepted (Raft entries on their way to commit, memtable
// flushes, snapshots) must still find room, or the node could neither take nor finish work;
// TDengine refuses vnode writes below minimalDataDirGB for the same reason. Nothing here
// keeps the refusal: every check reads the volume again, so writes resume by themselves.
import * as fs from 'node:fs';
import { BasaltError } from '../common/errors.js';
import { Limits } from '../common/limits.js';

export type DiskLogFn = (level: 'info' | 'warn' | 'error', msg: string) => void;

const DISK_FULL_CODES = new Set(['ENOSPC', 'EDQUOT']);

/** True for an out-of-space error from the file system, raw or already wrapped as DISK_FULL. */
export function isDiskFull(e: unknown): boolean {
  if (e instanceof BasaltError) return e.errorName === 'DISK_FULL';
  const code = (e as NodeJS.ErrnoException | null)?.code;
  return typeof code === 'string' && DISK_FULL_CODES.has(code);
}

export function diskFullError(dir: string, detail: string): BasaltError {
  return new BasaltError(
    'DISK_FULL',
    `the volume holding ${dir} is full (${detail}); free space on it or move the data directory (dataDir) to a bigger volume: writes resume by themselves once space is free, no restart needed`,
  );
}

/** Wraps an ENOSPC/EDQUOT from writing `what` (a file under `dir`) as DISK_FULL; other errors pass through. */
export function asDiskFull(e: unknown, dir: string, what: string): unknown {
  if (e instanceof BasaltError || !isDiskFull(e)) return e;
  return diskFullError(dir, `writing ${what}: ${(e as Error).message}`);
}

/** The free bytes a volume of `totalBytes` keeps back from new writes. */
export function reserveBytesFor(totalBytes: number): number {
  return Math.min(Limits.diskReserveBytes, Math.floor(totalBytes * Limits.diskReserveFraction));
}

/**
 * Refuses writes while the volume holding `dir` has less than its reserve free. Logs once when
 * it starts refusing and once when writes may go on again (not per write).
 */
export class DiskSpaceGuard {
  private checkedAtMs = -Infinity;
  private freeBytes = Infinity;
  private reserve = 0;
  private full = false;

  constructor(
    readonly dir: string,
    private readonly log: DiskLogFn = () => undefined,
  ) {}

  /** Throws DISK_FULL when the volume is below its reserve. */
  check(nowMs: number = Date.now()): void {
    const margin = this.reserve + Limits.diskSpaceRecheckMarginBytes;
    if (this.full || this.freeBytes < margin || nowMs - this.checkedAtMs >= Limits.diskSpaceCheckMs) this.read(nowMs);
    if (this.freeBytes >= this.reserve) {
      if (this.full) {
        this.full = false;
        // warn, not info: it closes the error logged when writes were refused, and hosts
        // demote their components' info lines to debug.
        this.log(
          'warn',
          `disk space is back on the volume holding ${this.dir}: ${this.freeBytes} bytes free; writes resume`,
        );
      }
      return;
    }
    const err = diskFullError(
      this.dir,
      `${this.freeBytes} bytes free, below the reserve of ${this.reserve} bytes kept for flushes and the Raft log`,
    );
    if (!this.full) {
      this.full = true;
      this.log('error', `writes refused: ${err.message}`);
    }
    throw err;
  }

  /** Records an ENOSPC met while writing (the next check reads the volume again). */
  noteFull(e: unknown): void {
    if (!this.full) {
      this.full = true;
      this.log('error', `writes refused: ${e instanceof Error ? e.message : String(e)}`);
    }
    this.checkedAtMs = -Infinity;
  }

  private read(nowMs: number): void {
    this.checkedAtMs = nowMs;
    try {
      const s = fs.statfsSync(this.dir);
      this.freeBytes = s.bavail * s.bsize;
      this.reserve = reserveBytesFor(s.blocks * s.bsize);
    } catch {
      // A volume we cannot ask about is not refused for it: its writes will tell.
      this.freeBytes = Infinity;
    }
  }
}
