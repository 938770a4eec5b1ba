// Column blocks in a frame payload: encoded back to back in the block-codec layout, their
// count carried in the control part. Decoding checks that the count and the byte length
// agree exactly, so a truncated or padded payload is an error, not silently ignored rows.
import type { ColumnBlock } from '../common/block.js';
import { decodeBlock, encodeBlock } from '../common/block-codec.js';
import { assert } from '../common/assert.js';
import { BasaltError } from '../common/errors.js';

export function encodeBlocks(blocks: readonly ColumnBlock[]): Uint8Array[] {
  return blocks.map((b) => encodeBlock(b));
}

/** alias: see block-codec decodeBlock (only for a payload that is never reused). */
export function decodeBlocks(payload: Uint8Array, count: number, opts: { alias?: boolean } = {}): ColumnBlock[] {
  if (!Number.isInteger(count) || count < 0)
    throw new BasaltError('BAD_FRAME', `block count ${String(count)} is not a non-negative integer`);
  const out: ColumnBlock[] = [];
  let p = 0;
  for (let i = 0; i < count; i++) {
    if (p >= payload.length)
      throw new BasaltError('BAD_FRAME', `payload holds ${i} column blocks, the control part announced ${count}`);
    const d = decodeBlock(payload, p, opts);
    // Every block has a header, so the cursor moves forward and stays inside the payload.
    assert(d.end > p && d.end <= payload.length, 'column block decode did not advance within the payload');
    out.push(d.block);
    p = d.end;
  }
  if (p !== payload.length)
    throw new BasaltError('BAD_FRAME', `${payload.length - p} bytes left over after ${count} column blocks`);
  return out;
}
