// INSERT_COLUMNAR's body, both ways: the control part names the tables (and the super table
// and tags to create each from) and the payload holds one encoded block per table. The client
// library sends it, the RPC handler receives it, and a gateway forwarding rows to the dnode
// that holds the database does both — one encoding, one set of checks.
import type { ColumnBlock } from '../common/block.js';
import { BasaltError } from '../common/errors.js';
import { Limits } from '../common/limits.js';
import { decodeBlocks, encodeBlocks } from './blocks.js';
import { type InsertColumnarRequest, parseInsertColumnar, type WireTagValue } from './messages.js';

/** One table of a columnar bulk write; the block holds every column in schema order. */
export interface ColumnarTable {
  readonly table: string;
  /** Create the child table from this super table and tags if it does not exist. */
  readonly using?: { readonly stable: string; readonly tags: readonly WireTagValue[] };
  readonly block: ColumnBlock;
}

export function encodeInsertColumnar(
  db: string,
  tables: readonly ColumnarTable[],
): { control: InsertColumnarRequest; payload: Uint8Array[] } {
  const control: InsertColumnarRequest = {
    db,
    tables: tables.map((t) => ({
      table: t.table,
      using: t.using ? { stable: t.using.stable, tags: [...t.using.tags] } : null,
    })),
  };
  return { control, payload: encodeBlocks(tables.map((t) => t.block)) };
}

/**
 * The checked request. The blocks alias `payload`: the caller's frame buffer is the request's
 * alone, and the rows are copied on (memtable, WAL entry, forwarded payload) before the reply.
 */
export function decodeInsertColumnar(control: unknown, payload: Uint8Array): { db: string; tables: ColumnarTable[] } {
  const req = parseInsertColumnar(control);
  const blocks = decodeBlocks(payload, req.tables.length, { alias: true });
  const tables = req.tables.map((t, i): ColumnarTable => {
    const b = blocks[i]!;
    if (b.columns.length === 0)
      throw new BasaltError(
        'INVALID_PARA',
        `bulk block for table '${t.table}' has no columns; send the timestamp column and the others in schema order`,
      );
    if (b.numRows > Limits.maxRowsPerSubmit)
      throw new BasaltError(
        'INVALID_PARA',
        `bulk block for table '${t.table}' has ${b.numRows} rows, more than ${Limits.maxRowsPerSubmit}; split it`,
      );
    return { table: t.table, ...(t.using ? { using: { stable: t.using.stable, tags: t.using.tags } } : {}), block: b };
  });
  return { db: req.db, tables };
}
