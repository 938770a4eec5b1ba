// A vnode snapshot as one byte array for Raft (StateMachine.snapshot() returns bytes): the
// storage engine's snapshot chunks, each length-prefixed. Layout (little endian):
//   u32 magic 'VSI1' | u32 chunkCount | per chunk: u32 bytes | chunk
// The chunks carry their own CRCs (storage/snapshot.ts), so this framing checks only lengths.
import { BasaltError } from '../common/errors.js';

const MAGIC = 0x31495356;

/** Concatenates a storage snapshot stream into one image. */
export async function packSnapshotImage(chunks: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let total = 8;
  for await (const c of chunks) {
    parts.push(c);
    total += 4 + c.length;
  }
  const out = Buffer.allocUnsafe(total);
  out.writeUInt32LE(MAGIC, 0);
  out.writeUInt32LE(parts.length, 4);
  let p = 8;
  for (const c of parts) {
    out.writeUInt32LE(c.length, p);
    p += 4;
    out.set(c, p);
    p += c.length;
  }
  return out;
}

/** The chunks of an image, as views into it (no copies). */
export function unpackSnapshotImage(image: Uint8Array): Uint8Array[] {
  const bad = (why: string): BasaltError => new BasaltError('SNAPSHOT_INVALID', `vnode snapshot image: ${why}`);
  const b = Buffer.from(image.buffer, image.byteOffset, image.length);
  if (b.length < 8 || b.readUInt32LE(0) !== MAGIC) throw bad('bad header');
  const n = b.readUInt32LE(4);
  const out: Uint8Array[] = [];
  let p = 8;
  for (let i = 0; i < n; i++) {
    if (p + 4 > b.length) throw bad(`chunk ${i} of ${n} is cut off`);
    const len = b.readUInt32LE(p);
    p += 4;
    if (p + len > b.length) throw bad(`chunk ${i} of ${n} is cut off`);
    out.push(b.subarray(p, p + len));
    p += len;
  }
  if (p !== b.length) throw bad(`${b.length - p} trailing bytes`);
  return out;
}
