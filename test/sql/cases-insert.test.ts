// INSERT: multi-row, multi-table, auto-create with `using`, explicit columns, timestamp
// forms (integers, strings, now, now±d), value checks that name the column or table, and
// that a failed statement writes nothing.
import { after, before, test } from 'node:test';
import { NOW_MS, openTestEngine, runCases, type SqlCase, type TestEngine } from './harness.js';

const T0 = 1_600_000_000_000; // 2020-09-13T12:26:40Z

const cases: SqlCase[] = [
  { sql: 'create database idb vgroups 3; use idb', affected: 0 },
  {
    sql: 'create table t1 (ts timestamp, n int, f float, s binary(8), ns nchar(4), b bool, big bigint, ti tinyint, u int unsigned, ts2 timestamp)',
  },
  {
    sql: `insert into t1 values (${T0}, 1, 1.5, 'ab', '中文', true, 9007199254740993, -128, 4294967295, ${T0})`,
    affected: 1,
  },
  { sql: 'select * from t1', rows: [[T0, 1, 1.5, 'ab', '中文', true, 9007199254740993n, -128, 4294967295, T0]] },
  { sql: `insert into t1 (ts, n) values (${T0 + 1}, 2) (${T0 + 2}, 3)`, affected: 2 },
  {
    sql: `select ts, n, s, b from t1 where ts > ${T0}`,
    rows: [
      [T0 + 1, 2, null, null],
      [T0 + 2, 3, null, null],
    ],
  },
  { sql: 'select count(*) from t1', rows: [[3n]] },
  // timestamps: now, now±duration, quoted strings, negative offsets
  { sql: 'insert into t1 (ts, n) values (now, 10) (now + 1s, 11) (now - 2h, 12) (now+1d, 13)', affected: 4 },
  {
    sql: `select ts, n from t1 where n >= 10 order by ts`,
    rows: [
      [NOW_MS - 7_200_000, 12],
      [NOW_MS, 10],
      [NOW_MS + 1000, 11],
      [NOW_MS + 86_400_000, 13],
    ],
  },
  {
    sql: "insert into t1 (ts, n) values ('2020-01-01T00:00:00Z', 20) ('2020-01-01T00:00:00.123+01:00', 21)",
    affected: 2,
  },
  {
    sql: 'select ts, n from t1 where n in (20, 21) order by ts',
    rows: [
      [Date.UTC(2019, 11, 31, 23, 0, 0, 123), 21],
      [Date.UTC(2020, 0, 1), 20],
    ],
  },
  { sql: "insert into t1 (ts, n) values ('2020-02-02 10:20:30.456', 22)", affected: 1 },
  { sql: 'select ts from t1 where n = 22', rows: [[new Date(2020, 1, 2, 10, 20, 30, 456).getTime()]] },
  { sql: `insert into t1 (ts, ts2, n) values (${T0 + 5}, '2021-01-01T00:00:00Z', 23)`, affected: 1 },
  { sql: 'select ts2 from t1 where n = 23', rows: [[Date.UTC(2021, 0, 1)]] },
  // same timestamp twice: the later row wins, in one statement and across statements
  { sql: `insert into t1 (ts, n) values (${T0 + 10}, 1) (${T0 + 10}, 2)`, affected: 2 },
  { sql: `select n from t1 where ts = ${T0 + 10}`, rows: [[2]] },
  { sql: `insert into t1 (ts, n) values (${T0 + 10}, 3)` },
  { sql: `select n from t1 where ts = ${T0 + 10}`, rows: [[3]] },
  // errors name the column / table, and write nothing
  { sql: "insert into t1 (ts, n) values (now, 'abc')", error: 'WRONG_VALUE_TYPE', errorText: "'n'" },
  { sql: "insert into t1 (ts, s) values (now, 'too long string')", error: 'VALUE_TOO_LONG', errorText: "'s'" },
  { sql: "insert into t1 (ts, ns) values (now, '五个中文字')", error: 'VALUE_TOO_LONG', errorText: "'ns'" },
  { sql: "insert into t1 (ts, ns) values (now + 3s, '四个中文')", affected: 1 },
  { sql: 'insert into t1 (ts, ti) values (now, 128)', error: 'WRONG_VALUE_TYPE', errorText: "'ti'" },
  { sql: 'insert into t1 (ts, u) values (now, -1)', error: 'WRONG_VALUE_TYPE', errorText: "'u'" },
  { sql: 'insert into t1 (ts, big) values (now, 9223372036854775808)', error: 'WRONG_VALUE_TYPE', errorText: "'big'" },
  { sql: "insert into t1 (ts, b) values (now, 'maybe')", error: 'WRONG_VALUE_TYPE', errorText: "'b'" },
  { sql: 'insert into t1 (ts, f) values (now, 1e39)', error: 'WRONG_VALUE_TYPE', errorText: "'f'" },
  { sql: "insert into t1 (ts, n) values ('not a time', 1)", error: 'INVALID_TIMESTAMP', errorText: "'ts'" },
  { sql: 'insert into t1 (ts, n) values (null, 1)', error: 'INVALID_TIMESTAMP', errorText: 'cannot be null' },
  { sql: 'insert into t1 (n) values (1)', error: 'INVALID_COLUMN', errorText: 'primary timestamp' },
  { sql: 'insert into t1 (ts, nosuch) values (now, 1)', error: 'COLUMN_NOT_EXIST', errorText: "'nosuch'" },
  { sql: 'insert into t1 (ts, n, n) values (now, 1, 2)', error: 'INVALID_COLUMN', errorText: "'n'" },
  { sql: 'insert into t1 values (now, 1)', error: 'INVALID_PARA', errorText: '2 value(s) for 10 column(s)' },
  { sql: 'insert into nosuch values (now, 1)', error: 'TABLE_NOT_EXIST', errorText: 'nosuch' },
  { sql: 'insert into nodb.t1 values (now, 1)', error: 'DB_NOT_EXIST', errorText: 'nodb' },
  // a bad row late in the statement: nothing of it is written, not even the good rows before it
  { sql: `insert into t1 (ts, n) values (${T0 + 100}, 100) (${T0 + 101}, 'bad')`, error: 'WRONG_VALUE_TYPE' },
  { sql: `select count(*) from t1 where ts >= ${T0 + 100} and ts <= ${T0 + 101}`, rows: [[0n]] },
  { sql: 'select count(*) from t1', rows: [[13n]] },
  // null and booleans
  { sql: `insert into t1 (ts, n, b, s) values (${T0 + 200}, null, 0, 12345)`, affected: 1 },
  { sql: `select n, b, s from t1 where ts = ${T0 + 200}`, rows: [[null, false, '12345']] },
  { sql: `insert into t1 (ts, n, f) values (${T0 + 201}, '42', '2.5')`, affected: 1 },
  { sql: `select n, f from t1 where ts = ${T0 + 201}`, rows: [[42, 2.5]] },
  { sql: `insert into t1 (ts, n) values (${T0 + 202}, 7.9)`, affected: 1 },
  { sql: `select n from t1 where ts = ${T0 + 202}`, rows: [[7]] },
  // super table, child tables, auto-create
  {
    sql: 'create stable meters (ts timestamp, current float, voltage int, phase float) tags (groupid int, location binary(24))',
  },
  {
    sql: "insert into d1001 using meters tags (2, 'California.SanFrancisco') values (1538548685000, 10.3, 219, 0.31) (1538548695000, 12.6, 218, 0.33)",
    affected: 2,
  },
  { sql: 'show tables', rows: [['d1001'], ['t1']] },
  {
    sql: "insert into d1002 using meters (location) tags ('California.LosAngeles') values (1538548685000, 11.8, 221, 0.28)",
    affected: 1,
  },
  {
    sql: 'show create table d1002',
    pick: ['Create Table'],
    rows: [['CREATE TABLE `d1002` USING `meters` (`groupid`, `location`) TAGS (NULL, "California.LosAngeles")']],
  },
  // multi-table insert, into several vgroups, auto-create and existing tables mixed
  {
    sql: "insert into d1001 values (1538548696000, 13.4, 223, 0.29) d1003 using meters tags (3, 'California.SanDiego') values (1538548685000, 10.1, 220, 0.30) d1004 using meters tags (3, 'California.SanDiego') values (1538548685000, 10.2, 222, 0.32)(1538548695000, 10.4, 224, 0.34)",
    affected: 4,
  },
  { sql: 'select count(*) from meters', rows: [[7n]] },
  {
    sql: 'select tbname, count(*) from meters partition by tbname order by tbname',
    rows: [
      ['d1001', 3n],
      ['d1002', 1n],
      ['d1003', 1n],
      ['d1004', 2n],
    ],
  },
  {
    sql: 'select location, count(*) from meters group by location order by location',
    rows: [
      ['California.LosAngeles', 1n],
      ['California.SanDiego', 3n],
      ['California.SanFrancisco', 3n],
    ],
  },
  // insert with `using` into an existing child table keeps its tags
  { sql: "insert into d1001 using meters tags (99, 'Elsewhere') values (1538548697000, 1, 1, 1)", affected: 1 },
  {
    sql: 'show create table d1001',
    pick: ['Create Table'],
    rows: [['CREATE TABLE `d1001` USING `meters` (`groupid`, `location`) TAGS (2, "California.SanFrancisco")']],
  },
  // `using` naming another super table than the table's own is refused, and writes nothing
  { sql: 'create stable meters2 (ts timestamp, current float, voltage int, phase float) tags (groupid int)' },
  {
    sql: 'insert into d1001 using meters2 tags (1) values (1538548698000, 1, 1, 1)',
    error: 'TABLE_IN_OTHER_STABLE',
    errorText: "super table 'meters'",
  },
  {
    sql: 'insert into t1 using meters2 tags (1) values (1538548698000, 1, 1, 1)',
    error: 'TABLE_IN_OTHER_STABLE',
    errorText: 'a normal table',
  },
  { sql: 'select count(*) from d1001 where ts = 1538548698000', rows: [[0n]] },
  // failures in a multi-table statement: no table created, no row written
  {
    sql: "insert into d2001 using meters tags (5, 'x') values (1538548685000, 1, 1, 1) d1001 values (1538548699000, 'bad', 1, 1)",
    error: 'WRONG_VALUE_TYPE',
    errorText: "'current'",
  },
  { sql: "show tables like 'd2%'", rows: [] },
  { sql: 'select count(*) from d1001', rows: [[4n]] },
  {
    sql: "insert into d2002 using meters tags ('x', 'y') values (1538548685000, 1, 1, 1)",
    error: 'WRONG_VALUE_TYPE',
    errorText: "'groupid'",
  },
  {
    sql: 'insert into d2003 using nosuch tags (1) values (1538548685000, 1)',
    error: 'STB_NOT_EXIST',
    errorText: 'nosuch',
  },
  {
    sql: "insert into d2004 using meters tags (1, 'this tag value is far too long for it') values (1538548685000, 1, 1, 1)",
    error: 'VALUE_TOO_LONG',
    errorText: 'location',
  },
  { sql: 'insert into meters values (1538548685000, 1, 1, 1)', error: 'INVALID_PARA', errorText: 'super table' },
  { sql: 'select count(*) from meters', rows: [[8n]] },
  // the same table twice in one statement, also when auto-created
  {
    sql: "insert into d3001 using meters tags (1, 'a') values (1538548685000, 1, 1, 1) d3001 using meters tags (1, 'a') values (1538548686000, 2, 2, 2) d3001 values (1538548687000, 3, 3, 3)",
    affected: 3,
  },
  { sql: 'select voltage from d3001', rows: [[1], [2], [3]] },
  { sql: 'drop table d3001' },
  // explicit column list with auto-create, columns out of order
  { sql: "insert into d1005 using meters tags (7, 'Z') (voltage, ts) values (230, 1538548685000)", affected: 1 },
  { sql: 'select ts, current, voltage from d1005', rows: [[1538548685000, null, 230]] },
  // db-qualified names
  {
    sql: `create database idb2; create table idb2.x (ts timestamp, v int); insert into idb2.x values (${T0 + 1000}, 1) idb.t1 (ts, n) values (${T0 + 2000}, 2)`,
    affected: 2,
  },
  { sql: 'select v from idb2.x', rows: [[1]] },
  { sql: `select n from idb.t1 where ts = ${T0 + 2000}`, rows: [[2]] },
  // keep: rows older than now - keep are refused, naming the table and the keep
  { sql: 'create database kdb duration 1d keep 3d; create table kdb.k (ts timestamp, v int)' },
  { sql: `insert into kdb.k values (${NOW_MS - 4 * 86_400_000}, 1)`, error: 'INVALID_TIMESTAMP', errorText: 'keep' },
  {
    sql: `insert into kdb.k values (${NOW_MS - 2 * 86_400_000}, 1) (now - 5d, 2)`,
    error: 'INVALID_TIMESTAMP',
    errorText: "'kdb.k'",
  },
  { sql: `insert into kdb.k values (${NOW_MS - 2 * 86_400_000}, 1) (now, 2); select count(*) from kdb.k`, rows: [[2]] },
  // us and ns databases: now and strings in their precision
  {
    sql: "create database usdb precision 'us'; create table usdb.u (ts timestamp, v int); insert into usdb.u values (now, 1) ('2021-01-01T00:00:00.123456Z', 2) (now + 1a, 3)",
  },
  {
    sql: 'select ts, v from usdb.u order by ts',
    rows: [
      [Date.UTC(2021, 0, 1) * 1000 + 123456, 2],
      [NOW_MS * 1000, 1],
      [NOW_MS * 1000 + 1000, 3],
    ],
  },
  // ns: exact only within 2^53 ns of the epoch (docs/design-notes.md §2); later times are refused, not rounded
  {
    sql: "create database nsdb precision 'ns' keep 365000d; create table nsdb.n (ts timestamp, v int); insert into nsdb.n values (123456789, 1) ('1970-01-01T00:00:00.000000005Z', 2) (123456789 + 1b, 3)",
    affected: 3,
  },
  {
    sql: 'select ts, v from nsdb.n order by ts',
    rows: [
      [5, 2],
      [123456789, 1],
      [123456790, 3],
    ],
  },
  { sql: 'insert into nsdb.n values (now, 1)', error: 'INVALID_TIMESTAMP', errorText: "'ts'" },
  // several statements in one call
  {
    sql: `create table many (ts timestamp, v int); insert into many values (${T0}, 1); insert into many values (${T0 + 1}, 2); select count(*) from many`,
    rows: [[2n]],
  },
];

let te: TestEngine;
before(async () => {
  te = await openTestEngine();
});
after(async () => {
  await te.close();
});

test('insert statements', async (t) => {
  await runCases(t, te, cases);
});
