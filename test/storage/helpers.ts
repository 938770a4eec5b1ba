// Shared fixtures for the storage tests: the meters schema, options, and block builders.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ColumnBlock } from '../../src/common/block.js';
import { DataType, type ColumnSchema } from '../../src/common/types.js';
import type { VnodeOptions } from '../../src/storage/api.js';

const made: string[] = [];
process.on('exit', () => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

/** A fresh directory, removed when the test process exits. */
export function tempDir(tag: string): string {
  const d = mkdtempSync(join(tmpdir(), `basalt-${tag}-`));
  made.push(d);
  return d;
}

export const METERS_COLUMNS: ColumnSchema[] = [
  { name: 'ts', type: DataType.TIMESTAMP, bytes: 8 },
  { name: 'current', type: DataType.FLOAT, bytes: 4 },
  { name: 'voltage', type: DataType.INT, bytes: 4 },
  { name: 'phase', type: DataType.FLOAT, bytes: 4 },
];
export const METERS_TAGS: ColumnSchema[] = [
  { name: 'groupid', type: DataType.INT, bytes: 4 },
  { name: 'location', type: DataType.VARCHAR, bytes: 24 },
];

export function options(over: Partial<VnodeOptions> = {}): VnodeOptions {
  return {
    precision: 'ms',
    bufferBytes: 16 << 20,
    durationMs: 10 * 86_400_000,
    keepMs: 3650 * 86_400_000,
    walLevel: 1,
    walFsyncPeriodMs: 1000,
    maxRows: 4096,
    minRows: 100,
    ...over,
  };
}

/** A meters block: rows at ts0 + i*step, values derived from the timestamp (so checks can recompute them). */
export function metersBlock(ts0: number, n: number, step = 1000, salt = 0): ColumnBlock {
  const ts = new Float64Array(n),
    cur = new Float32Array(n),
    volt = new Int32Array(n),
    ph = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const t = ts0 + i * step;
    ts[i] = t;
    cur[i] = 8 + ((t / 1000 + salt) % 4000) / 1000;
    volt[i] = 215 + ((t / 1000 + salt) % 11);
    ph[i] = ((t / 1000 + salt) % 10000) / 10000;
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

/** All rows of a scan as [ts, ...values] arrays (tests only). */
export function rowsOf(blocks: Iterable<ColumnBlock>): unknown[][] {
  const out: unknown[][] = [];
  for (const b of blocks) {
    for (let r = 0; r < b.numRows; r++) {
      out.push(b.columns.map((c) => (c.nulls && c.nulls[r] === 1 ? null : (c.data as ArrayLike<unknown>)[r])));
    }
  }
  return out;
}
