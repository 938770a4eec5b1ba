// The statements verbatim, then SELECT over a small taosBenchmark-shaped data set
// (test.meters: 4 child tables × 10 rows) covering every select feature the issue lists,
// with expected values computed from the generated data, and a restart that keeps it all.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { NOW_MS, openTestEngine, runCases, runSql, type SqlCase, type TestEngine } from './harness.js';

/** Aligned to 10 minutes so interval windows start at T0. */
const T0 = 1_600_000_200_000;
const MIN = 60_000;
const TABLES = 4;
const ROWS = 10;
const loc = (i: number): string => (i < 2 ? 'California.LA' : 'California.SF');

function setupSql(): string {
  const parts = [
    'create database if not exists test vgroups 3',
    'use test',
    'create stable meters (ts timestamp, current float, voltage int, phase float) tags (groupid int, location binary(24))',
  ];
  const ins: string[] = [];
  for (let i = 0; i < TABLES; i++) {
    const vals: string[] = [];
    for (let k = 0; k < ROWS; k++) vals.push(`(${T0 + k * MIN}, ${i + k * 0.5}, ${200 + 10 * i + k}, ${k % 3})`);
    ins.push(`d${i} using meters tags (${i % 2}, '${loc(i)}') values ${vals.join(' ')}`);
  }
  parts.push('insert into ' + ins.join(' '));
  return parts.join('; ');
}

const verbatim: SqlCase[] = [
  {
    sql: 'create database if not exists test1 replica 1; use test1; create table if not exists t1(ts timestamp, n int); insert into t1 values(now, 1)(now+1s, 2);',
    affected: 2,
  },
  {
    sql: 'select *from test1.t1',
    columns: ['ts', 'n'],
    rows: [
      [NOW_MS, 1],
      [NOW_MS + 1000, 2],
    ],
  },
  { sql: setupSql(), affected: TABLES * ROWS },
  { sql: 'select count(*) from test.meters;', columns: ['count(*)'], rows: [[40]] },
  {
    sql: 'show databases',
    pick: ['name', 'vgroups', 'replica', 'status'],
    rows: [
      ['information_schema', null, null, 'ready'],
      ['performance_schema', null, null, 'ready'],
      ['test1', 2, 1, 'ready'],
      ['test', 3, 1, 'ready'],
    ],
  },
  {
    sql: 'show test1.vgroups',
    pick: ['vgroup_id', 'db_name', 'v1_dnode', 'v1_status'],
    rows: [
      [2, 'test1', 1, 'leader'],
      [3, 'test1', 1, 'leader'],
    ],
  },
];

const d0 = (k: number): number => T0 + k * MIN;

const selects: SqlCase[] = [
  { sql: 'use test; select count(*) from meters where groupid = 1', rows: [[20]] },
  { sql: 'select sum(voltage) from meters', rows: [[8780]] },
  { sql: 'select avg(current), min(current), max(current), spread(voltage) from meters', rows: [[3.75, 0, 7.5, 39]] },
  { sql: 'select first(current), last(current) from d1', rows: [[1, 5.5]] },
  { sql: 'select last_row(voltage) from d2', rows: [[229]] },
  { sql: `select max(voltage) from d3 where ts >= ${T0} and ts < ${T0 + 5 * MIN}`, rows: [[234]] },
  { sql: 'select stddev(voltage) from d0', rows: [[Math.sqrt(8.25)]] },
  { sql: 'select percentile(voltage, 50) from d0', rows: [[204.5]] },
  { sql: 'select apercentile(voltage, 50) from d0', count: 1 },
  { sql: 'select twa(current) from d0', rows: [[2.25]] },
  { sql: 'select count(current), count(*) from d0', rows: [[10, 10]] },
  {
    sql: 'select _wstart, count(*), avg(current) from meters interval(5m)',
    rows: [
      [T0, 20, 2.5],
      [T0 + 5 * MIN, 20, 5],
    ],
  },
  {
    sql: 'select _wstart, _wend, count(*) from d0 interval(5m) sliding(5m)',
    rows: [
      [T0, T0 + 5 * MIN, 5],
      [T0 + 5 * MIN, T0 + 10 * MIN, 5],
    ],
  },
  {
    sql: `select _wstart, count(*) from d0 where ts >= ${T0} and ts < ${T0 + 20 * MIN} interval(5m) fill(value, 0)`,
    rows: [
      [T0, 5],
      [d0(5), 5],
      [d0(10), 0],
      [d0(15), 0],
    ],
  },
  {
    sql: `select _wstart, max(voltage) from d0 where ts >= ${T0} and ts < ${T0 + 15 * MIN} interval(5m) fill(null)`,
    rows: [
      [T0, 204],
      [d0(5), 209],
      [d0(10), null],
    ],
  },
  {
    sql: `select _wstart, max(voltage) from d0 where ts >= ${T0} and ts < ${T0 + 15 * MIN} interval(5m) fill(prev)`,
    rows: [
      [T0, 204],
      [d0(5), 209],
      [d0(10), 209],
    ],
  },
  {
    sql: 'select tbname, count(*) from meters partition by tbname order by tbname',
    rows: [
      ['d0', 10],
      ['d1', 10],
      ['d2', 10],
      ['d3', 10],
    ],
  },
  {
    sql: 'select tbname, last_row(current) from meters partition by tbname order by tbname',
    rows: [
      ['d0', 4.5],
      ['d1', 5.5],
      ['d2', 6.5],
      ['d3', 7.5],
    ],
  },
  {
    sql: 'select location, sum(voltage) from meters group by location order by location',
    rows: [
      ['California.LA', 4190],
      ['California.SF', 4590],
    ],
  },
  {
    sql: 'select groupid, count(*) from meters group by groupid order by groupid desc',
    rows: [
      [1, 20],
      [0, 20],
    ],
  },
  { sql: 'select ts from d0 order by ts desc limit 3 offset 1', rows: [[d0(8)], [d0(7)], [d0(6)]] },
  { sql: 'select ts from d0 limit 2', rows: [[d0(0)], [d0(1)]] },
  { sql: 'select count(*) from meters partition by tbname slimit 2', count: 2 },
  { sql: "select count(*) from meters where location like '%SF'", rows: [[20]] },
  { sql: 'select count(*) from meters where groupid in (0)', rows: [[20]] },
  { sql: "select count(*) from meters where tbname = 'd2'", rows: [[10]] },
  { sql: `select voltage + 1, current * 2 from d1 where ts = ${T0}`, rows: [[211, 2]] },
  { sql: 'select count(*) from d0 where voltage > 203 and not (voltage > 207)', rows: [[4]] },
  { sql: 'select count(*) from d0 where voltage < 201 or voltage >= 209', rows: [[2]] },
  { sql: 'select count(*) from d0 where voltage between 202 and 204', rows: [[3]] },
  { sql: 'select count(*) from d0 where voltage <> 200', rows: [[9]] },
  { sql: 'select count(*) from d0 where current is not null', rows: [[10]] },
  {
    sql: `select abs(current - 3), ceil(current), floor(current), round(current) from d1 where ts = ${d0(1)}`,
    rows: [[1.5, 2, 1, 2]],
  },
  {
    sql: `select cast(voltage as varchar(10)), concat(location, '-x'), length(location), lower(location), upper(location) from d0 where ts = ${T0}`,
    rows: [['200', 'California.LA-x', 13, 'california.la', 'CALIFORNIA.LA']],
  },
  { sql: `select timetruncate(ts, 1h) from d0 where ts = ${T0}`, rows: [[T0 - (T0 % 3_600_000)]] },
  { sql: `select to_iso8601(ts) from d0 where ts = ${T0}`, count: 1 },
  { sql: 'select _rowts, current from d0 limit 1', rows: [[T0, 0]] },
  {
    sql: `select * from d0 where ts = ${d0(2)}`,
    columns: ['ts', 'current', 'voltage', 'phase'],
    rows: [[d0(2), 1, 202, 2]],
  },
  { sql: 'select * from meters where ts = 1 -- no rows', rows: [] },
  { sql: 'select count(*) from nosuch', error: 'TABLE_NOT_EXIST' },
  { sql: 'select nosuchcol from d0', error: 'INVALID_COLUMN' },
  { sql: 'select count(*) from nodb.meters', error: 'DB_NOT_EXIST' },
  { sql: 'select server_version(); select database()', rows: [['test']] },
  { sql: 'select count(*) from meters; -- trailing comment', rows: [[40]] },
];

let te: TestEngine;
before(async () => {
  te = await openTestEngine();
});
after(async () => {
  await te.close();
});

test('the issue statements verbatim', async (t) => {
  await runCases(t, te, verbatim);
});

test('select over test.meters', async (t) => {
  await runCases(t, te, selects);
});

test('restart: schema and data are still there', async () => {
  await te.reopen();
  te.session = { user: 'root', db: null };
  const n = await runSql(te, 'select count(*) from test.meters');
  assert.deepEqual(n.rows, [[40n]]);
  const t1 = await runSql(te, 'select * from test1.t1');
  assert.deepEqual(t1.rows, [
    [NOW_MS, 1],
    [NOW_MS + 1000, 2],
  ]);
  const desc = await runSql(te, 'describe test.meters');
  assert.deepEqual(
    desc.rows.map((r) => r[0]),
    ['ts', 'current', 'voltage', 'phase', 'groupid', 'location'],
  );
  const tables = await runSql(te, 'show test.tables');
  assert.deepEqual(tables.rows, [['d0'], ['d1'], ['d2'], ['d3']]);
  const vg = await runSql(te, 'show test1.vgroups');
  assert.deepEqual(
    vg.rows.map((r) => r[0]),
    [2, 3],
  );
  // vgIds continue after a restart instead of restarting at 2
  await runSql(te, 'create database after_restart vgroups 1');
  const vg2 = await runSql(te, 'show after_restart.vgroups');
  assert.deepEqual(
    vg2.rows.map((r) => r[0]),
    [7],
  );
  // and writes still work
  const w = await runSql(te, `insert into test.d0 values (${T0 - MIN}, 1, 1, 1); select count(*) from test.meters`);
  assert.deepEqual(w.rows, [[41n]]);
});
