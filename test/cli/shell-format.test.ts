import { test } from 'node:test';
import assert from 'node:assert/strict';
import { allocVector } from '../../src/common/block.js';
import { DataType } from '../../src/common/types.js';
import { makeColumn } from '../../src/client/result-set.js';
import {
  columnWidth,
  errorLine,
  execFooter,
  formatTimestamp,
  headerLines,
  queryFooter,
  rowLine,
  verticalRecord,
} from '../../src/cli/shell-format.js';
import { takeVertical } from '../../src/cli/shell-runner.js';

test('timestamps print as YYYY-MM-DD HH:MM:SS.mmm (and us/ns digits)', () => {
  const ms = Date.UTC(2022, 6, 30, 6, 44, 40, 320);
  assert.equal(formatTimestamp(ms, 'ms', true), '2022-07-30 06:44:40.320');
  assert.equal(formatTimestamp(ms * 1000 + 5, 'us', true), '2022-07-30 06:44:40.320005');
  assert.equal(formatTimestamp(-1, 'ms', true), '1969-12-31 23:59:59.999');
});

test('table output: centered header, = line, cells ` value |`', () => {
  const cols = [
    makeColumn('ts', DataType.TIMESTAMP, 8),
    makeColumn('n', DataType.INT, 4),
    makeColumn('name', DataType.VARCHAR, 10),
  ];
  const widths = cols.map((c) => columnWidth(c, 'ms'));
  assert.deepEqual(widths, [23, 11, 12]);
  const head = headerLines(cols, widths);
  assert.equal(head, '           ts            |      n      |     name     |\n' + '='.repeat(23 + 11 + 12 + 9) + '\n');
  const ts = allocVector(DataType.TIMESTAMP, 2);
  const n = allocVector(DataType.INT, 2, true);
  const s = allocVector(DataType.VARCHAR, 2);
  (ts.data as Float64Array).set([0, 1000]);
  (n.data as Int32Array)[0] = 42;
  n.nulls![1] = 1;
  (s.data as string[]).splice(0, 2, 'abc', 'x'.repeat(20));
  assert.equal(rowLine([ts, n, s], 0, widths, 'ms', true), ' 1970-01-01 00:00:00.000 |          42 | abc          |\n');
  assert.equal(rowLine([ts, n, s], 1, widths, 'ms', true), ' 1970-01-01 00:00:01.000 | NULL        | xxxxxxxxx... |\n');
  assert.equal(
    verticalRecord(cols, [ts, n, s], 0, 1, 'ms', true),
    '*************************** 1.row ***************************\n  ts: 1970-01-01 00:00:00.000\n   n: 42\nname: abc\n',
  );
});

test('footers and error lines match taos', () => {
  assert.equal(queryFooter(2, 1.234), 'Query OK, 2 row(s) in set (0.001234s)\n');
  assert.equal(execFooter('Insert', 3, 10), 'Insert OK, 3 row(s) affected (0.010000s)\n');
  assert.equal(execFooter('Create', 0, 1), 'Create OK, 0 row(s) affected (0.001000s)\n');
  assert.equal(execFooter('Use', 0, 1), 'Database changed.\n');
  assert.equal(
    errorLine('Syntax error in SQL', 0x80002600, 0.123),
    'DB error: Syntax error in SQL [0x80002600] (0.000123s)\n',
  );
  assert.deepEqual(takeVertical('select * from t\\G'), { sql: 'select * from t', vertical: true });
  assert.deepEqual(takeVertical('select 1'), { sql: 'select 1', vertical: false });
});
