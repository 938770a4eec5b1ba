// Tables: create stable / normal / child, drop, describe, show [db.]tables|stables [like],
// show create table|stable, alter (add/drop/modify column, add tag, set tag).
import { after, before, test } from 'node:test';
import { openTestEngine, runCases, type SqlCase, type TestEngine } from './harness.js';

const DESC = ['field', 'type', 'length', 'note'];

const cases: SqlCase[] = [
  { sql: 'create database tdb vgroups 3; use tdb', affected: 0 },
  {
    sql: 'create stable meters (ts timestamp, current float, voltage int, phase float) tags (groupid int, location binary(24))',
  },
  {
    sql: 'describe meters',
    columns: DESC,
    rows: [
      ['ts', 'TIMESTAMP', 8, ''],
      ['current', 'FLOAT', 4, ''],
      ['voltage', 'INT', 4, ''],
      ['phase', 'FLOAT', 4, ''],
      ['groupid', 'INT', 4, 'TAG'],
      ['location', 'VARCHAR', 24, 'TAG'],
    ],
  },
  { sql: 'desc meters', count: 6 },
  { sql: 'create stable meters (ts timestamp, v int) tags (g int)', error: 'STB_ALREADY_EXISTS', errorText: 'meters' },
  { sql: 'create stable if not exists meters (ts timestamp, v int) tags (g int)', affected: 0 },
  { sql: 'describe meters', count: 6 },
  { sql: 'create table if not exists meters2 (ts timestamp, v int) tags (g int)' },
  { sql: 'show stables', columns: ['stable_name'], rows: [['meters'], ['meters2']] },
  { sql: "show stables like 'meters_'", rows: [['meters2']] },
  { sql: "show tdb.stables like 'met%'", rows: [['meters'], ['meters2']] },
  { sql: 'create stable bad1 (v int, ts timestamp) tags (g int)', error: 'INVALID_COLUMN', errorText: 'TIMESTAMP' },
  { sql: 'create stable bad2 (ts timestamp) tags (g int)', error: 'INVALID_COLUMN' },
  {
    sql: 'create stable bad3 (ts timestamp, v int, v int) tags (g int)',
    error: 'COLUMN_ALREADY_EXISTS',
    errorText: "'v'",
  },
  { sql: 'create stable bad4 (ts timestamp, v int) tags (v int)', error: 'COLUMN_ALREADY_EXISTS', errorText: "'v'" },
  { sql: 'create stable bad5 (ts timestamp, v varchar(0)) tags (g int)', error: 'INVALID_DATA_TYPE', errorText: "'v'" },
  { sql: 'create stable bad6 (ts timestamp, v varchar(70000)) tags (g int)', error: 'INVALID_DATA_TYPE' },
  { sql: 'create stable bad7 (ts timestamp, v nchar(20000)) tags (g int)', error: 'INVALID_DATA_TYPE' },
  { sql: 'show stables', rows: [['meters'], ['meters2']] },
  // child tables
  { sql: "create table d1001 using meters tags (2, 'California.SanFrancisco')" },
  {
    sql: "create table d1002 using meters tags (3, 'California.LosAngeles') d1003 using meters (location) tags ('California.SanDiego')",
  },
  { sql: 'show tables', columns: ['table_name'], rows: [['d1001'], ['d1002'], ['d1003']] },
  {
    sql: 'show create table d1003',
    pick: ['Create Table'],
    rows: [['CREATE TABLE `d1003` USING `meters` (`groupid`, `location`) TAGS (NULL, "California.SanDiego")']],
  },
  {
    sql: 'show create table d1001',
    columns: ['Table', 'Create Table'],
    rows: [
      ['d1001', 'CREATE TABLE `d1001` USING `meters` (`groupid`, `location`) TAGS (2, "California.SanFrancisco")'],
    ],
  },
  { sql: "create table d1001 using meters tags (9, 'x')", error: 'TABLE_ALREADY_EXISTS', errorText: 'd1001' },
  { sql: "create table if not exists d1001 using meters tags (9, 'x')", affected: 0 },
  {
    sql: 'show create table d1001',
    pick: ['Create Table'],
    rows: [['CREATE TABLE `d1001` USING `meters` (`groupid`, `location`) TAGS (2, "California.SanFrancisco")']],
  },
  { sql: 'create table d9 using nosuch tags (1)', error: 'STB_NOT_EXIST', errorText: 'nosuch' },
  { sql: 'create table d9 using meters tags (1)', error: 'INVALID_PARA', errorText: 'tag' },
  { sql: "create table d9 using meters tags ('abc', 'x')", error: 'WRONG_VALUE_TYPE', errorText: 'groupid' },
  {
    sql: "create table d9 using meters tags (1, 'this string is longer than twenty-four bytes')",
    error: 'VALUE_TOO_LONG',
    errorText: 'location',
  },
  { sql: 'create table d9 using meters (nosuchtag) tags (1)', error: 'TAG_NOT_EXIST', errorText: 'nosuchtag' },
  { sql: "create table d9 using meters tags (1, 'a') d1001 using meters tags (2, 'b')", error: 'TABLE_ALREADY_EXISTS' },
  { sql: 'show tables', rows: [['d1001'], ['d1002'], ['d1003']] },
  {
    sql: 'describe d1001',
    rows: [
      ['ts', 'TIMESTAMP', 8, ''],
      ['current', 'FLOAT', 4, ''],
      ['voltage', 'INT', 4, ''],
      ['phase', 'FLOAT', 4, ''],
      ['groupid', 'INT', 4, 'TAG'],
      ['location', 'VARCHAR', 24, 'TAG'],
    ],
  },
  // normal tables
  { sql: 'create table t1 (ts timestamp, n int, s nchar(10), b bool, d double, big bigint, u tinyint unsigned)' },
  {
    sql: 'describe t1',
    rows: [
      ['ts', 'TIMESTAMP', 8, ''],
      ['n', 'INT', 4, ''],
      ['s', 'NCHAR', 10, ''],
      ['b', 'BOOL', 1, ''],
      ['d', 'DOUBLE', 8, ''],
      ['big', 'BIGINT', 8, ''],
      ['u', 'TINYINT UNSIGNED', 1, ''],
    ],
  },
  {
    sql: 'show create table t1',
    pick: ['Create Table'],
    rows: [
      [
        'CREATE TABLE `t1` (`ts` TIMESTAMP, `n` INT, `s` NCHAR(10), `b` BOOL, `d` DOUBLE, `big` BIGINT, `u` TINYINT UNSIGNED)',
      ],
    ],
  },
  { sql: 'create table t1 (ts timestamp, n int)', error: 'TABLE_ALREADY_EXISTS', errorText: 't1' },
  { sql: 'create table if not exists t1 (ts timestamp, x int)' },
  { sql: 'describe t1', count: 7 },
  { sql: 'create table meters (ts timestamp, n int)', error: 'TABLE_ALREADY_EXISTS', errorText: 'meters' },
  { sql: 'create stable d1001 (ts timestamp, n int) tags (g int)', error: 'TABLE_ALREADY_EXISTS', errorText: 'd1001' },
  { sql: "show tables like 'd%'", rows: [['d1001'], ['d1002'], ['d1003']] },
  { sql: "show tables like 't_'", rows: [['t1']] },
  { sql: "show tables like '%100_'", rows: [['d1001'], ['d1002'], ['d1003']] },
  { sql: "show tables like 'zzz'", rows: [] },
  { sql: 'show create stable t1', error: 'STB_NOT_EXIST' },
  { sql: 'describe nosuch', error: 'TABLE_NOT_EXIST', errorText: 'nosuch' },
  { sql: 'show create table nosuch', error: 'TABLE_NOT_EXIST' },
  // alter
  { sql: 'alter stable meters add column temp double' },
  {
    sql: 'describe d1002',
    pick: ['field'],
    rows: [['ts'], ['current'], ['voltage'], ['phase'], ['temp'], ['groupid'], ['location']],
  },
  { sql: 'alter stable meters add tag model nchar(8)' },
  {
    sql: 'describe meters',
    pick: ['field', 'note'],
    rows: [
      ['ts', ''],
      ['current', ''],
      ['voltage', ''],
      ['phase', ''],
      ['temp', ''],
      ['groupid', 'TAG'],
      ['location', 'TAG'],
      ['model', 'TAG'],
    ],
  },
  { sql: 'alter stable meters add column temp int', error: 'COLUMN_ALREADY_EXISTS', errorText: 'temp' },
  { sql: 'alter stable meters add tag groupid int', error: 'TAG_ALREADY_EXISTS', errorText: 'groupid' },
  { sql: 'alter stable meters drop column phase' },
  {
    sql: 'describe meters',
    pick: ['field'],
    rows: [['ts'], ['current'], ['voltage'], ['temp'], ['groupid'], ['location'], ['model']],
  },
  { sql: 'alter stable meters drop column ts', error: 'INVALID_COLUMN', errorText: 'ts' },
  { sql: 'alter stable meters drop column nosuch', error: 'COLUMN_NOT_EXIST', errorText: 'nosuch' },
  { sql: 'alter stable meters add column note varchar(10)' },
  { sql: 'alter stable meters modify column note varchar(40)' },
  {
    sql: 'describe meters',
    pick: ['field', 'type', 'length'],
    rows: [
      ['ts', 'TIMESTAMP', 8],
      ['current', 'FLOAT', 4],
      ['voltage', 'INT', 4],
      ['temp', 'DOUBLE', 8],
      ['note', 'VARCHAR', 40],
      ['groupid', 'INT', 4],
      ['location', 'VARCHAR', 24],
      ['model', 'NCHAR', 8],
    ],
  },
  { sql: 'alter stable meters modify column note varchar(20)', error: 'INVALID_PARA', errorText: 'larger' },
  { sql: 'alter stable meters modify column voltage bigint', error: 'INVALID_DATA_TYPE', errorText: 'voltage' },
  { sql: 'alter table d1001 set tag groupid = 42' },
  { sql: "alter table d1001 set tag location = 'Beijing.Chaoyang'" },
  {
    sql: 'show create table d1001',
    pick: ['Create Table'],
    rows: [
      ['CREATE TABLE `d1001` USING `meters` (`groupid`, `location`, `model`) TAGS (42, "Beijing.Chaoyang", NULL)'],
    ],
  },
  { sql: 'alter table d1001 set tag nosuch = 1', error: 'TAG_NOT_EXIST', errorText: 'nosuch' },
  { sql: "alter table d1001 set tag groupid = 'x'", error: 'WRONG_VALUE_TYPE', errorText: 'groupid' },
  { sql: 'alter table t1 set tag groupid = 1', error: 'INVALID_PARA', errorText: 'normal table' },
  { sql: 'alter table d1001 add column extra int', error: 'INVALID_PARA', errorText: 'child table' },
  { sql: 'alter table t1 add column extra int' },
  { sql: 'alter table t1 drop column b' },
  { sql: 'alter table t1 modify column s nchar(20)' },
  {
    sql: 'describe t1',
    pick: ['field', 'length'],
    rows: [
      ['ts', 8],
      ['n', 4],
      ['s', 20],
      ['d', 8],
      ['big', 8],
      ['u', 1],
      ['extra', 4],
    ],
  },
  { sql: 'alter stable t1 add column y int', error: 'STB_NOT_EXIST' },
  { sql: 'alter table t1 add tag g int', error: 'INVALID_PARA' },
  { sql: 'alter table nosuch add column y int', error: 'TABLE_NOT_EXIST' },
  // drop
  { sql: 'drop table d1003' },
  { sql: 'show tables', rows: [['d1001'], ['d1002'], ['t1']] },
  { sql: 'drop table d1003', error: 'TABLE_NOT_EXIST', errorText: 'd1003' },
  { sql: 'drop table if exists d1003' },
  { sql: 'drop table if exists d1003, t1' },
  { sql: 'show tables', rows: [['d1001'], ['d1002']] },
  { sql: 'drop stable d1001', error: 'STB_NOT_EXIST', errorText: 'child' },
  { sql: 'drop stable nosuch', error: 'STB_NOT_EXIST' },
  { sql: 'drop stable if exists nosuch' },
  { sql: 'drop stable meters' },
  { sql: 'show stables', rows: [['meters2']] },
  { sql: 'show tables', rows: [] },
  { sql: 'describe d1001', error: 'TABLE_NOT_EXIST' },
  { sql: 'create table tdb.q1 (ts timestamp, v int); show tdb.tables', rows: [['q1']] },
  { sql: 'create database other; create table other.q2 (ts timestamp, v int); show other.tables', rows: [['q2']] },
  { sql: 'describe other.q2', count: 2 },
  { sql: 'drop table other.q2; show other.tables', rows: [] },
];

let te: TestEngine;
before(async () => {
  te = await openTestEngine();
});
after(async () => {
  await te.close();
});

test('table statements', async (t) => {
  await runCases(t, te, cases);
});
