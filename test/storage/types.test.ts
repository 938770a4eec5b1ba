// Every column type through the whole store (memtable, file, reopen), nulls included.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { allocData, type ColumnBlock, type NumberArray } from '../../src/common/block.js';
import { DataType, type ColumnSchema } from '../../src/common/types.js';
import { installSnapshot, openVnodeStore } from '../../src/storage/index.js';
import { options, rowsOf, tempDir } from './helpers.js';

const TYPES: [DataType, number][] = [
  [DataType.BOOL, 1],
  [DataType.TINYINT, 1],
  [DataType.SMALLINT, 2],
  [DataType.INT, 4],
  [DataType.BIGINT, 8],
  [DataType.UTINYINT, 1],
  [DataType.USMALLINT, 2],
  [DataType.UINT, 4],
  [DataType.UBIGINT, 8],
  [DataType.FLOAT, 4],
  [DataType.DOUBLE, 8],
  [DataType.VARCHAR, 20],
  [DataType.NCHAR, 10],
];
const COLUMNS: ColumnSchema[] = [
  { name: 'ts', type: DataType.TIMESTAMP, bytes: 8 },
  ...TYPES.map(([type, bytes], i) => ({ name: `c${i}`, type, bytes })),
];

function value(type: DataType, i: number): number | bigint | string {
  switch (type) {
    case DataType.BOOL:
      return i % 3 === 0 ? 1 : 0;
    case DataType.TINYINT:
      return (i % 256) - 128;
    case DataType.SMALLINT:
      return i * 7 - 30000;
    case DataType.INT:
      return i % 2 ? 2147483647 : -2147483648 + i;
    case DataType.BIGINT:
      return BigInt(i) * 9007199254740993n * (i % 2 ? 1n : -1n);
    case DataType.UTINYINT:
      return i % 256;
    case DataType.USMALLINT:
      return (i * 13) % 65536;
    case DataType.UINT:
      return 4294967295 - i;
    case DataType.UBIGINT:
      return 18446744073709551615n - BigInt(i);
    case DataType.FLOAT:
      return Math.fround(i / 8 - 3.3);
    case DataType.DOUBLE:
      return i % 5 === 0 ? -0 : i / 3;
    case DataType.VARCHAR:
      return `v${i % 4}-é`;
    case DataType.NCHAR:
      return ['日本', '🙂', '', 'ab'][i % 4]!;
    default:
      throw new Error('type');
  }
}

function block(from: number, n: number): ColumnBlock {
  return {
    numRows: n,
    columns: [
      { type: DataType.TIMESTAMP, data: Float64Array.from({ length: n }, (_, i) => (from + i) * 1000), nulls: null },
      ...TYPES.map(([type], ci) => {
        const data = allocData(type, n);
        const nulls = new Uint8Array(n);
        for (let i = 0; i < n; i++) {
          if ((from + i + ci) % 7 === 0) {
            nulls[i] = 1;
            continue;
          }
          (data as unknown as unknown[])[i] = value(type, from + i) as never;
        }
        return { type, data: data as NumberArray, nulls };
      }),
    ],
  };
}

test('all types round-trip through memtable, files, reopen and snapshot, with nulls', async () => {
  const dir = tempDir('types');
  let s = await openVnodeStore(dir, options({ precision: 'us', maxRows: 100, minRows: 10 }));
  await s.createNormalTable({ name: 't', columns: COLUMNS });
  await s.write({ rows: [{ table: 't', block: block(0, 300) }] });
  const idx = COLUMNS.map((_, i) => i);
  const expected = rowsOf([block(0, 300)]);
  const ALL = { from: -Infinity, to: Infinity };
  assert.deepEqual(rowsOf(s.scan('t', ALL, idx)), expected);
  await s.flush();
  assert.deepEqual(rowsOf(s.scan('t', ALL, idx)), expected);
  await s.close();
  s = await openVnodeStore(dir, options({ precision: 'us', maxRows: 100, minRows: 10 }));
  assert.deepEqual(rowsOf(s.scan('t', ALL, idx)), expected);
  const bigCol = 1 + TYPES.findIndex(([t]) => t === DataType.UBIGINT);
  const agg = s.aggregate('t', ALL, [bigCol]).columns[0]!;
  let sum = 0n,
    count = 0;
  for (const r of expected)
    if (r[bigCol] !== null) {
      sum += r[bigCol] as bigint;
      count++;
    }
  assert.equal(agg.count, count);
  assert.equal(agg.sum, sum, 'UBIGINT sum is exact');
  assert.deepEqual(rowsOf([s.lastRow('t')!]), [expected[299]]);
  const chunks: Uint8Array[] = [];
  for await (const c of s.snapshot()) chunks.push(c);
  await assert.rejects(installSnapshot(dir, chunks), /not empty/);
  await s.close();
});
