// Vnode snapshots as a stream of chunks (for a replica being added or far behind), and their
// installation into an empty directory. A snapshot is the manifest (meta + file list + the
// last WAL index the files hold) after a flush, then the bytes of every listed data file.
// Chunk layout: u32 crc32c(rest) | u8 kind | body
//   kind 1 (header): msgpack({ manifest, term })
//   kind 2 (file data): u16 nameBytes | name | f64 offset | bytes
//   kind 3 (end): u32 number of chunks before it
import * as fs from 'node:fs';
import { decode as mpDecode, encode as mpEncode } from '@msgpack/msgpack';
import { BasaltError } from '../common/errors.js';
import { Limits } from '../common/limits.js';
import { crc32c } from './crc32c.js';
import { asDiskFull } from './disk-space.js';
import { fsyncDir, fsyncFailed, writeAll } from './fsutil.js';
import { writeManifest, type Manifest } from './manifest.js';
import { Wal } from './wal.js';

const MP = { useBigInt64: true } as const;
const KIND_HEADER = 1,
  KIND_FILE = 2,
  KIND_END = 3;

export interface SnapshotInfo {
  readonly index: number;
  readonly term: number;
}

function chunk(kind: number, body: Uint8Array): Uint8Array {
  const out = Buffer.allocUnsafe(5 + body.length);
  out[4] = kind;
  out.set(body, 5);
  out.writeUInt32LE(crc32c(out, 4), 0);
  return out;
}

/** Streams a manifest and its files from `dataDir`; the caller keeps the files alive meanwhile. */
export async function* snapshotStream(
  manifest: Manifest,
  term: number,
  dataDir: string,
  chunkBytes: number = Limits.vnodeSnapshotChunkBytes,
): AsyncGenerator<Uint8Array> {
  let n = 0;
  yield chunk(KIND_HEADER, mpEncode({ manifest, term }, MP));
  n++;
  for (const f of manifest.files) {
    const name = Buffer.from(f.name, 'utf8');
    const fd = fs.openSync(`${dataDir}/${f.name}`, 'r');
    try {
      for (let off = 0; off < f.bytes; off += chunkBytes) {
        const len = Math.min(chunkBytes, f.bytes - off);
        const body = Buffer.allocUnsafe(2 + name.length + 8 + len);
        body.writeUInt16LE(name.length, 0);
        name.copy(body, 2);
        body.writeDoubleLE(off, 2 + name.length);
        const got = fs.readSync(fd, body, 2 + name.length + 8, len, off);
        if (got !== len)
          throw new BasaltError(
            'SNAPSHOT_INVALID',
            `data file ${f.name} is shorter than the manifest says (${off + got} < ${f.bytes} bytes)`,
          );
        yield chunk(KIND_FILE, body);
        n++;
        await new Promise<void>((r) => setImmediate(r));
      }
    } finally {
      fs.closeSync(fd);
    }
  }
  const end = Buffer.allocUnsafe(4);
  end.writeUInt32LE(n, 0);
  yield chunk(KIND_END, end);
}

/**
 * Writes a snapshot stream into `dir`, which must be empty or missing: data files first, the
 * manifest last (so a half-installed snapshot is never mistaken for a vnode), and a WAL that
 * continues after the snapshot's index.
 */
export async function installSnapshot(
  dir: string,
  chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
): Promise<SnapshotInfo> {
  const bad = (what: string): BasaltError => new BasaltError('SNAPSHOT_INVALID', `snapshot for ${dir}: ${what}`);
  if (fs.existsSync(dir) && fs.readdirSync(dir).length > 0)
    throw bad('the directory is not empty; install a snapshot only into an empty vnode');
  const dataDir = `${dir}/data`;
  fs.mkdirSync(dataDir, { recursive: true });
  let header: { manifest: Manifest; term: number } | null = null;
  const written = new Map<string, number>();
  const fds = new Map<string, number>();
  let count = 0;
  let ended = false;
  try {
    for await (const c of chunks) {
      if (ended) throw bad('data after the end chunk');
      const b = Buffer.from(c.buffer, c.byteOffset, c.length);
      if (b.length < 5 || crc32c(b, 4) !== b.readUInt32LE(0)) throw bad(`chunk ${count} fails its CRC32C`);
      const kind = b[4]!;
      const body = b.subarray(5);
      if (kind === KIND_HEADER) {
        if (count !== 0) throw bad('header chunk is not first');
        header = mpDecode(body, MP) as { manifest: Manifest; term: number };
      } else if (kind === KIND_FILE) {
        if (!header) throw bad('file data before the header');
        const nl = body.readUInt16LE(0);
        const name = body.toString('utf8', 2, 2 + nl);
        if (!header.manifest.files.some((f) => f.name === name) || name.includes('/'))
          throw bad(`file ${name} is not in the snapshot's manifest`);
        const off = body.readDoubleLE(2 + nl);
        const data = body.subarray(2 + nl + 8);
        if (off !== (written.get(name) ?? 0))
          throw bad(`file ${name} chunk at offset ${off}, expected ${written.get(name) ?? 0}`);
        let fd = fds.get(name);
        try {
          if (fd === undefined) {
            fd = fs.openSync(`${dataDir}/${name}`, 'w');
            fds.set(name, fd);
          }
          writeAll(fd, data, off);
        } catch (e) {
          // The caller removes the half-installed directory; a full disk says so by its code.
          throw asDiskFull(e, dir, `${dataDir}/${name}`);
        }
        written.set(name, off + data.length);
      } else if (kind === KIND_END) {
        if (body.readUInt32LE(0) !== count)
          throw bad(`end chunk counts ${body.readUInt32LE(0)} chunks, received ${count}`);
        ended = true;
      } else throw bad(`unknown chunk kind ${kind}`);
      count++;
    }
    if (!header || !ended) throw bad('the stream ended early');
    for (const f of header.manifest.files) {
      if ((written.get(f.name) ?? 0) !== f.bytes)
        throw bad(`file ${f.name} has ${written.get(f.name) ?? 0} of ${f.bytes} bytes`);
    }
    for (const [name, fd] of fds) {
      try {
        fs.fsyncSync(fd);
      } catch (e) {
        throw fsyncFailed(name, e);
      }
    }
  } finally {
    for (const fd of fds.values()) fs.closeSync(fd);
  }
  fsyncDir(dataDir);
  const wal = Wal.open(`${dir}/wal`, { segmentBytes: Limits.walSegmentBytes });
  wal.reset(header.manifest.flushedIndex + 1);
  await wal.close();
  writeManifest(dir, header.manifest);
  return { index: header.manifest.flushedIndex, term: header.term };
}
