// What the crash writer writes and the crash test checks: deterministic per batch id.
import type { ColumnBlock } from '../../src/common/block.js';
import { DataType } from '../../src/common/types.js';
import type { VnodeOptions, VnodeStore } from '../../src/storage/api.js';
import { METERS_COLUMNS, METERS_TAGS } from './helpers.js';

export const CRASH_TABLES = 4;
export const CRASH_OPTIONS: VnodeOptions = {
  precision: 'ms',
  bufferBytes: 256 << 10,
  durationMs: 86_400_000,
  keepMs: 3650 * 86_400_000,
  walLevel: 2,
  walFsyncPeriodMs: 1000,
  maxRows: 512,
  minRows: 64,
};

export function batchRows(b: number): number {
  return 1 + ((b * 7919) % 300);
}
export function batchTables(b: number): string[] {
  return [`d${b % CRASH_TABLES}`, `d${(b + 1) % CRASH_TABLES}`];
}

/** Rows of batch b: ts from b·1000 (ms), one per ms; voltage = b; current = row number. */
export function batchBlock(b: number): ColumnBlock {
  const n = batchRows(b);
  const ts = new Float64Array(n),
    cur = new Float32Array(n),
    volt = new Int32Array(n),
    ph = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    ts[i] = 1_700_000_000_000 + b * 1000 + i;
    cur[i] = i;
    volt[i] = b;
    ph[i] = 0.5;
  }
  return {
    numRows: n,
    columns: [
      { type: DataType.TIMESTAMP, data: ts, nulls: null },
      { type: DataType.FLOAT, data: cur, nulls: null },
      { type: DataType.INT, data: volt, nulls: null },
      { type: DataType.FLOAT, data: ph, nulls: null },
    ],
  };
}

export async function crashSchemaReady(store: VnodeStore): Promise<void> {
  if (store.getTable('meters')) return;
  await store.createSuperTable({ name: 'meters', columns: METERS_COLUMNS, tags: METERS_TAGS });
  for (let t = 0; t < CRASH_TABLES; t++)
    await store.createChildTable({ name: `d${t}`, stable: 'meters', tagValues: [t, 'x'] });
}
