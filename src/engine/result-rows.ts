// Small metadata results (show, describe, select server_version()) built from row arrays.
// These are a handful of rows about the catalog, not the data path, so rows as arrays are
// fine here; the output is still a ColumnBlock per Limits.resultBlockRows rows.
import { allocData, type ColumnBlock, type ColumnVector, type NumberArray, type BigArray } from '../common/block.js';
import { Limits } from '../common/limits.js';
import { DataType, TYPE_BYTES, isStringType, type Precision } from '../common/types.js';
import type { ResultColumn, StatementResult } from './engine-api.js';

export type Cell = number | bigint | string | boolean | null;

export function col(name: string, type: DataType, bytes?: number): ResultColumn {
  return { name, type, bytes: bytes ?? TYPE_BYTES[type] };
}

export function varcharCol(name: string, bytes: number): ResultColumn {
  return { name, type: DataType.VARCHAR, bytes };
}

function vectorOf(
  c: ResultColumn,
  rows: readonly (readonly Cell[])[],
  ci: number,
  start: number,
  end: number,
): ColumnVector {
  const n = end - start;
  const data = allocData(c.type, n);
  let nulls: Uint8Array | null = null;
  for (let i = 0; i < n; i++) {
    const v = rows[start + i]![ci];
    if (v === null || v === undefined) {
      nulls ??= new Uint8Array(n);
      nulls[i] = 1;
      continue;
    }
    if (isStringType(c.type)) (data as string[])[i] = String(v);
    else if (c.type === DataType.BIGINT || c.type === DataType.UBIGINT)
      (data as BigArray)[i] = BigInt(v as number | bigint);
    else (data as NumberArray)[i] = typeof v === 'boolean' ? (v ? 1 : 0) : Number(v);
  }
  return { type: c.type, data, nulls };
}

export function rowsToBlocks(columns: readonly ResultColumn[], rows: readonly (readonly Cell[])[]): ColumnBlock[] {
  const out: ColumnBlock[] = [];
  for (let start = 0; start < rows.length; start += Limits.resultBlockRows) {
    const end = Math.min(rows.length, start + Limits.resultBlockRows);
    out.push({ numRows: end - start, columns: columns.map((c, ci) => vectorOf(c, rows, ci, start, end)) });
  }
  return out;
}

async function* iterate(blocks: readonly ColumnBlock[]): AsyncIterable<ColumnBlock> {
  for (const b of blocks) yield b;
}

export function queryResult(
  columns: readonly ResultColumn[],
  rows: readonly (readonly Cell[])[],
  precision: Precision = 'ms',
): StatementResult {
  return {
    kind: 'query',
    verb: 'Query',
    columns,
    precision,
    blocks: iterate(rowsToBlocks(columns, rows)),
    affectedRows: 0,
  };
}

export function execResult(verb: string, affectedRows = 0, useDb?: string): StatementResult {
  const r: StatementResult = { kind: 'exec', verb, columns: [], precision: 'ms', blocks: iterate([]), affectedRows };
  return useDb === undefined ? r : { ...r, useDb };
}
