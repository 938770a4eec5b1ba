// The manifest names the live data files and records what they hold: the last WAL index
// flushed into them and the table meta as of that index. Replaced atomically (temp, fsync,
// rename, fsync dir), so a crash leaves either the old or the new one. Layout:
//   "BSLTMAN1" | u32 crc32c(body) | body = msgpack(Manifest)
import * as fs from 'node:fs';
import { decode as mpDecode, encode as mpEncode } from '@msgpack/msgpack';
import { assert } from '../common/assert.js';
import { BasaltError } from '../common/errors.js';
import { crc32c } from './crc32c.js';
import { writeFileAtomic } from './fsutil.js';
import type { MetaSnapshot } from './meta.js';

const MAGIC = Buffer.from('BSLTMAN1', 'latin1');
const MP = { useBigInt64: true } as const;

export interface ManifestFile {
  readonly name: string;
  /** File-set id: floor(ts / duration ticks). */
  readonly fid: number;
  /** Creation order; a higher seq holds newer writes for the same timestamps. */
  readonly seq: number;
  readonly bytes: number;
}

export interface Manifest {
  readonly flushedIndex: number;
  readonly nextFileSeq: number;
  readonly files: readonly ManifestFile[];
  readonly meta: MetaSnapshot;
}

export function manifestPath(dir: string): string {
  return `${dir}/MANIFEST`;
}

function encodeManifest(m: Manifest): Uint8Array {
  const body = mpEncode(m, MP);
  const out = Buffer.allocUnsafe(12 + body.length);
  MAGIC.copy(out, 0);
  out.writeUInt32LE(crc32c(body), 8);
  out.set(body, 12);
  return out;
}

function decodeManifest(buf: Uint8Array, where: string): Manifest {
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.length);
  if (b.length < 12 || !b.subarray(0, 8).equals(MAGIC))
    throw new BasaltError('FILE_CORRUPTED', `${where} at byte offset 0: not a Basalt manifest`);
  if (crc32c(b, 12) !== b.readUInt32LE(8))
    throw new BasaltError(
      'FILE_CORRUPTED',
      `${where} at byte offset 12: manifest fails its CRC32C; restore the vnode from a replica or snapshot`,
    );
  return mpDecode(b.subarray(12), MP) as Manifest;
}

export function readManifest(dir: string): Manifest | null {
  const p = manifestPath(dir);
  if (!fs.existsSync(p)) return null;
  return decodeManifest(fs.readFileSync(p), p);
}

/**
 * What every manifest this vnode installs after `prev` keeps true: the flushed index and the
 * file sequence never go back, every file's seq is below nextFileSeq and names one file, and
 * files new in `next` got sequence numbers `prev` had not handed out yet.
 */
export function assertManifestSuccessor(prev: Manifest, next: Manifest): void {
  assert(
    next.flushedIndex >= prev.flushedIndex,
    `manifest flushedIndex goes back from ${prev.flushedIndex} to ${next.flushedIndex}`,
  );
  assert(
    next.nextFileSeq >= prev.nextFileSeq,
    `manifest nextFileSeq goes back from ${prev.nextFileSeq} to ${next.nextFileSeq}`,
  );
  const old = new Set(prev.files.map((f) => f.name));
  const seqs = new Set<number>();
  const names = new Set<string>();
  for (const f of next.files) {
    assert(
      f.seq < next.nextFileSeq && !seqs.has(f.seq) && !names.has(f.name),
      `manifest file ${f.name} (seq ${f.seq}) is not unique below nextFileSeq ${next.nextFileSeq}`,
    );
    assert(
      old.has(f.name) || f.seq >= prev.nextFileSeq,
      `manifest file ${f.name} is new but reuses seq ${f.seq} (< ${prev.nextFileSeq})`,
    );
    seqs.add(f.seq);
    names.add(f.name);
  }
}

export function writeManifest(dir: string, m: Manifest): void {
  writeFileAtomic(manifestPath(dir), encodeManifest(m));
}
