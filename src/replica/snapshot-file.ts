// The latest Raft snapshot of one group (metadata + the state machine's image) in one file,
// replaced atomically (temp, fsync, rename, fsync dir) so a crash leaves either the old or
// the new snapshot, never a mix. Layout (little endian):
//   u32 magic 'SNP1' | u32 metaBytes | u32 crc32c(meta ‖ data) | f64 dataBytes | meta (JSON) | data
import * as fs from 'node:fs';
import { BasaltError } from '../common/errors.js';
import type { Snapshot } from '../raft/index.js';
import { crc32c } from '../storage/crc32c.js';
import * as path from 'node:path';
import { asDiskFull } from '../storage/disk-space.js';
import { fsyncDir, fsyncFailed, writeFileAtomic } from '../storage/fsutil.js';

const MAGIC = 0x31504e53;
const HEADER_BYTES = 20;

const EMPTY_SNAPSHOT: Snapshot = {
  meta: { index: 0, term: 0, conf: { voters: [], learners: [] } },
  data: new Uint8Array(0),
};

function encodeSnapshot(snap: Snapshot): Buffer {
  const meta = Buffer.from(JSON.stringify(snap.meta));
  const buf = Buffer.allocUnsafe(HEADER_BYTES + meta.length + snap.data.length);
  buf.writeUInt32LE(MAGIC, 0);
  buf.writeUInt32LE(meta.length, 4);
  buf.writeDoubleLE(snap.data.length, 12);
  meta.copy(buf, HEADER_BYTES);
  buf.set(snap.data, HEADER_BYTES + meta.length);
  buf.writeUInt32LE(crc32c(buf, HEADER_BYTES, buf.length), 8);
  return buf;
}

export function writeSnapshotFile(file: string, snap: Snapshot): void {
  writeFileAtomic(file, encodeSnapshot(snap));
}

/**
 * Writes `snap` to `temp` and fsyncs it without blocking the event loop (a vnode image can be
 * tens of MB); adoptSnapshotFile() then makes it the snapshot with a rename.
 */
export async function prepareSnapshotFile(temp: string, snap: Snapshot): Promise<void> {
  const buf = encodeSnapshot(snap);
  // The same error shapes as writeFileAtomic: ENOSPC becomes DISK_FULL (the runtime postpones
  // the snapshot), a failed fsync names the file.
  let fh: fs.promises.FileHandle;
  try {
    fh = await fs.promises.open(temp, 'w');
  } catch (e) {
    throw asDiskFull(e, path.dirname(temp), temp);
  }
  try {
    for (let off = 0; off < buf.length; ) {
      const { bytesWritten } = await fh.write(buf, off, Math.min(buf.length - off, 8 << 20), off);
      off += bytesWritten;
    }
    try {
      await fh.sync();
    } catch (e) {
      throw fsyncFailed(temp, e);
    }
  } catch (e) {
    await fh.close().catch(() => undefined);
    await fs.promises.rm(temp, { force: true });
    throw asDiskFull(e, path.dirname(temp), temp);
  }
  await fh.close();
}

/** Replaces `file` by a prepared `temp` atomically (rename, then fsync of the directory). */
export function adoptSnapshotFile(temp: string, file: string): void {
  fs.renameSync(temp, file);
  fsyncDir(path.dirname(file));
}

/** The snapshot in `file`, or EMPTY_SNAPSHOT when there is none yet. */
export function readSnapshotFile(file: string): Snapshot {
  if (!fs.existsSync(file)) return EMPTY_SNAPSHOT;
  const buf = fs.readFileSync(file);
  const bad = (why: string): never => {
    throw new BasaltError('SNAPSHOT_INVALID', `Raft snapshot ${file}: ${why}; restore this replica from its peers`);
  };
  if (buf.length < HEADER_BYTES || buf.readUInt32LE(0) !== MAGIC) bad('bad header');
  const metaBytes = buf.readUInt32LE(4);
  const dataBytes = buf.readDoubleLE(12);
  if (HEADER_BYTES + metaBytes + dataBytes !== buf.length) bad(`length ${buf.length} does not match its header`);
  if (crc32c(buf, HEADER_BYTES, buf.length) !== buf.readUInt32LE(8)) bad('fails its CRC32C');
  let meta: Snapshot['meta'];
  try {
    meta = JSON.parse(buf.subarray(HEADER_BYTES, HEADER_BYTES + metaBytes).toString('utf8')) as Snapshot['meta'];
  } catch {
    return bad('metadata is not JSON');
  }
  if (
    !Number.isSafeInteger(meta.index) ||
    !Number.isSafeInteger(meta.term) ||
    !Array.isArray(meta.conf?.voters) ||
    !Array.isArray(meta.conf?.learners)
  ) {
    bad('metadata lacks index, term or membership');
  }
  return { meta, data: new Uint8Array(buf.buffer, buf.byteOffset + HEADER_BYTES + metaBytes, dataBytes) };
}
