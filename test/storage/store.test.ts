import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DataType } from '../../src/common/types.js';
import { openVnodeStore } from '../../src/storage/index.js';
import { METERS_COLUMNS, METERS_TAGS, metersBlock, options, rowsOf, tempDir } from './helpers.js';

const ALL = { from: -Infinity, to: Infinity };

test('write, scan, aggregate and last row survive flush and reopen', async () => {
  const dir = tempDir('store');
  let s = await openVnodeStore(dir, options());
  await s.createSuperTable({ name: 'meters', columns: METERS_COLUMNS, tags: METERS_TAGS });
  await s.write({ createTables: [{ name: 'd0', stable: 'meters', tagValues: [1, 'California.SanJose'] }], rows: [{ table: 'd0', block: metersBlock(1_700_000_000_000, 5000) }] });
  await s.createChildTable({ name: 'd1', stable: 'meters', tagValues: [2, 'California.PaloAlto'] });
  await s.write({ rows: [{ table: 'd1', block: metersBlock(1_700_000_000_000, 100) }] });
  const before = rowsOf(s.scan('d0', ALL, [0, 1, 2, 3]));
  assert.equal(before.length, 5000);
  await s.flush();
  await s.write({ rows: [{ table: 'd0', block: metersBlock(1_700_000_000_000 + 5000 * 1000, 10) }] });
  assert.equal(rowsOf(s.scan('d0', ALL, [0])).length, 5010);
  await s.close();

  s = await openVnodeStore(dir, options());
  const after = rowsOf(s.scan('d0', ALL, [0, 1, 2, 3]));
  assert.equal(after.length, 5010);
  assert.deepEqual(after.slice(0, 5000), before);
  const agg = s.aggregate('d0', ALL, [2, 0]);
  assert.equal(agg.rows, 5010);
  assert.equal(agg.columns[0]!.min, 215);
  assert.equal(agg.columns[0]!.max, 225);
  assert.equal(agg.columns[1]!.lastTs, 1_700_000_000_000 + 5009 * 1000);
  const last = s.lastRow('d0')!;
  assert.equal((last.columns[0]!.data as Float64Array)[0], 1_700_000_000_000 + 5009 * 1000);
  assert.deepEqual(s.childTablesWithTag('meters', 'groupid', [2]), ['d1']);
  assert.equal(s.getTable('d1')!.kind, 'child');
  await s.close();
});

test('duplicate timestamps keep the latest write, across memtable and files', async () => {
  const dir = tempDir('dup');
  const s = await openVnodeStore(dir, options());
  await s.createNormalTable({ name: 't', columns: [{ name: 'ts', type: DataType.TIMESTAMP, bytes: 8 }, { name: 'v', type: DataType.INT, bytes: 4 }] });
  const blk = (ts: number[], v: number[]) => ({ numRows: ts.length, columns: [
    { type: DataType.TIMESTAMP, data: Float64Array.from(ts), nulls: null },
    { type: DataType.INT, data: Int32Array.from(v), nulls: null }] });
  await s.write({ rows: [{ table: 't', block: blk([3, 1, 2, 1], [30, 10, 20, 11]) }] });
  assert.deepEqual(rowsOf(s.scan('t', ALL, [0, 1])), [[1, 11], [2, 20], [3, 30]]);
  await s.flush();
  await s.write({ rows: [{ table: 't', block: blk([2, 4], [21, 40]) }] });
  assert.deepEqual(rowsOf(s.scan('t', ALL, [0, 1])), [[1, 11], [2, 21], [3, 30], [4, 40]]);
  assert.equal(s.aggregate('t', ALL, [1]).columns[0]!.sum, 11 + 21 + 30 + 40);
  await s.flush();
  await s.compact();
  assert.deepEqual(rowsOf(s.scan('t', { from: 2, to: 3 }, [1])), [[21], [30]]);
  await s.close();
});
