// Durable Raft hard state (term, vote, commit) in a small file of two fixed slots. Each write
// goes to the slot the previous write did not use, with a sequence number and a CRC, so a
// torn write can only damage the newer slot and recovery falls back to the older, complete
// one. Why not an atomically replaced file: that costs a file fsync plus a directory fsync
// per change; a slot write costs one pwrite, and an fsync only when term or vote changed
// (the commit index may lag on disk: Raft relearns it from the leader).
import * as fs from 'node:fs';
import { assert } from '../common/assert.js';
import { BasaltError } from '../common/errors.js';
import type { HardState } from '../raft/index.js';
import { crc32c } from '../storage/crc32c.js';
import { fsyncDir, fsyncFailed, fsyncFile } from '../storage/fsutil.js';

const MAGIC = 0x48535431; // 'HST1'
const SLOT_STRIDE_BYTES = 64;
const SLOT_BYTES = 44; // magic u32, seq f64, term f64, vote f64, commit f64, crc u32

export class HardStateFile {
  private seq = 0;
  private current: HardState = { term: 0, vote: 0, commit: 0 };
  /** Term/vote of the last fsynced write; a sync is needed while they differ from `current`. */
  private synced: { term: number; vote: number } = { term: 0, vote: 0 };
  private dirty = false;

  private constructor(
    private readonly file: string,
    private readonly fd: number,
  ) {}

  static open(file: string): HardStateFile {
    const exists = fs.existsSync(file);
    const fd = fs.openSync(file, exists ? 'r+' : 'w+');
    const hs = new HardStateFile(file, fd);
    if (!exists) {
      fsyncDir(file.slice(0, file.lastIndexOf('/')) || '.');
      return hs;
    }
    const buf = Buffer.alloc(SLOT_STRIDE_BYTES * 2);
    fs.readSync(fd, buf, 0, buf.length, 0);
    let best: { seq: number; hs: HardState } | undefined;
    for (let s = 0; s < 2; s++) {
      const r = parseSlot(buf, s * SLOT_STRIDE_BYTES);
      if (r && (!best || r.seq > best.seq)) best = r;
    }
    if (!best && fs.fstatSync(fd).size >= SLOT_BYTES && !isZero(buf)) {
      throw new BasaltError(
        'WAL_CORRUPT',
        `Raft hard state file ${file}: neither slot passes its CRC32C; restore this replica from its peers`,
      );
    }
    if (best) {
      hs.seq = best.seq;
      hs.current = best.hs;
      hs.synced = { term: best.hs.term, vote: best.hs.vote };
    }
    return hs;
  }

  get(): HardState {
    return this.current;
  }

  /** Writes (not yet durable) the new hard state into the older slot. */
  set(hs: HardState): void {
    assert(hs.term >= this.current.term, `hard state term going back from ${this.current.term} to ${hs.term}`);
    this.seq++;
    const buf = Buffer.alloc(SLOT_BYTES);
    buf.writeUInt32LE(MAGIC, 0);
    buf.writeDoubleLE(this.seq, 4);
    buf.writeDoubleLE(hs.term, 12);
    buf.writeDoubleLE(hs.vote, 20);
    buf.writeDoubleLE(hs.commit, 28);
    buf.writeUInt32LE(crc32c(buf, 0, 36), 36);
    buf.writeUInt32LE(0, 40);
    fs.writeSync(this.fd, buf, 0, SLOT_BYTES, (this.seq % 2) * SLOT_STRIDE_BYTES);
    this.current = hs;
    this.dirty = true;
  }

  /** True when term or vote changed since the last fsync: the Raft persistence contract needs one. */
  needsSync(): boolean {
    return this.current.term !== this.synced.term || this.current.vote !== this.synced.vote;
  }

  async sync(): Promise<void> {
    if (!this.dirty) return;
    const upTo = this.current;
    this.dirty = false;
    await fsyncFile(this.fd, this.file);
    this.synced = { term: upTo.term, vote: upTo.vote };
  }

  /** Synchronous fsync for close paths. */
  syncNow(): void {
    if (!this.dirty) return;
    try {
      fs.fsyncSync(this.fd);
    } catch (e) {
      throw fsyncFailed(this.file, e);
    }
    this.dirty = false;
    this.synced = { term: this.current.term, vote: this.current.vote };
  }

  close(): void {
    this.syncNow();
    fs.closeSync(this.fd);
  }
}

function parseSlot(buf: Buffer, p: number): { seq: number; hs: HardState } | undefined {
  if (buf.readUInt32LE(p) !== MAGIC) return undefined;
  if (crc32c(buf, p, p + 36) !== buf.readUInt32LE(p + 36)) return undefined;
  const seq = buf.readDoubleLE(p + 4);
  const term = buf.readDoubleLE(p + 12);
  const vote = buf.readDoubleLE(p + 20);
  const commit = buf.readDoubleLE(p + 28);
  if (![seq, term, vote, commit].every((v) => Number.isSafeInteger(v) && v >= 0)) return undefined;
  return { seq, hs: { term, vote, commit } };
}

function isZero(buf: Buffer): boolean {
  for (const b of buf) if (b !== 0) return false;
  return true;
}
