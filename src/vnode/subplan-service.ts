// The replica side of a shipped select subplan (VNODE_SUBPLAN, sent by a dnode's RemoteVnode
// through src/dnode/vgroup-link.ts): decode the plan, run it on this replica's store, encode
// the partial state or the row blocks. The caller passes the ReadIndex barrier first.
// Subplans and partial results are plain data with typed arrays and bigints: they travel as
// v8 structured-clone bytes (node:v8 serialize), which keeps them exact.
import { deserialize, serialize } from 'node:v8';
import type { ColumnBlock } from '../common/block.js';
import { encodedBlockBytes } from '../common/block-codec.js';
import { BasaltError } from '../common/errors.js';
import { Limits } from '../common/limits.js';
import { exportPartial, runAggSubplan, runRowsSubplan, type SubPlan } from '../query/select/index.js';
import type { VnodeStore } from '../storage/api.js';

export function decodeSubplan(payload: Uint8Array): SubPlan {
  try {
    return deserialize(payload) as SubPlan;
  } catch (e) {
    throw new BasaltError('BAD_FRAME', `VNODE_SUBPLAN payload is not a subplan (${(e as Error).message})`);
  }
}

/** Runs `plan` ('agg' → exported partial state, 'rows' → blocks) and returns the encoded answer. */
export function runShippedSubplan(store: VnodeStore, vgId: number, kind: string, plan: SubPlan): Uint8Array {
  if (kind === 'agg') return serialize(exportPartial(runAggSubplan(plan, store)));
  if (kind !== 'rows') throw new BasaltError('BAD_FRAME', `VNODE_SUBPLAN kind '${kind}' is not agg or rows`);
  const blocks: ColumnBlock[] = [];
  let bytes = 0;
  for (const b of runRowsSubplan(plan, store)) {
    bytes += encodedBlockBytes(b);
    if (bytes > Limits.maxForwardedResultBytes) {
      throw new BasaltError(
        'FRAME_TOO_LARGE',
        `vgroup ${vgId} would return more than ${Limits.maxForwardedResultBytes} bytes for one query; add a limit, narrow the time range, or aggregate`,
      );
    }
    blocks.push(compact(b));
  }
  return serialize(blocks);
}

/**
 * A block whose vectors view larger buffers (memtable, decoded-chunk cache) copied to its
 * own: structured clone would otherwise carry each whole underlying buffer.
 */
function compact(b: ColumnBlock): ColumnBlock {
  const own = <T>(x: T): T => {
    if (!ArrayBuffer.isView(x)) return x;
    const v = x as unknown as Uint8Array;
    return (v.byteOffset === 0 && v.byteLength === v.buffer.byteLength ? v : v.slice()) as unknown as T;
  };
  return { numRows: b.numRows, columns: b.columns.map((c) => ({ ...c, data: own(c.data), nulls: own(c.nulls) })) };
}
