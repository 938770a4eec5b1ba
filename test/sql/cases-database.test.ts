// Databases: create (options, defaults, errors), drop, use, alter, show databases,
// show create database.
import { after, before, test } from 'node:test';
import { openTestEngine, runCases, type SqlCase, type TestEngine } from './harness.js';

const SYS = [['information_schema'], ['performance_schema']] as const;
const OPTS = [
  'name',
  'vgroups',
  'replica',
  'duration',
  'keep',
  'buffer',
  'minrows',
  'maxrows',
  'precision',
  'wal_level',
  'wal_fsync_period',
];

const cases: SqlCase[] = [
  { sql: 'show databases', pick: ['name'], rows: [...SYS] },
  {
    sql: 'show databases',
    pick: ['name', 'status'],
    rows: [
      ['information_schema', 'ready'],
      ['performance_schema', 'ready'],
    ],
  },
  { sql: 'create database db1', affected: 0 },
  {
    sql: 'show databases',
    pick: OPTS,
    rows: [
      [null, null, null, null, null, null, null, null, null, null, null].map((v, i) =>
        i === 0 ? 'information_schema' : v,
      ),
      [null, null, null, null, null, null, null, null, null, null, null].map((v, i) =>
        i === 0 ? 'performance_schema' : v,
      ),
      ['db1', 2, 1, '10d', '3650d,3650d,3650d', 256, 100, 4096, 'ms', 1, 3000],
    ],
  },
  { sql: 'create database db1', error: 'DB_ALREADY_EXISTS', errorText: "'db1'" },
  { sql: 'create database if not exists db1', affected: 0 },
  { sql: 'create database if not exists db1 vgroups 7', affected: 0 },
  { sql: 'select name, vgroups from information_schema.ins_databases', error: 'NOT_SUPPORTED' },
  { sql: 'show create database db1', columns: ['Database', 'Create Database'], pick: ['Database'], rows: [['db1']] },
  {
    sql: "create database db2 vgroups 4 buffer 64 duration 5d keep 30d precision 'us' wal_level 2 wal_fsync_period 500 maxrows 2000 minrows 50",
  },
  {
    sql: 'show databases',
    pick: OPTS,
    rowsAnyOrder: [
      ['information_schema', null, null, null, null, null, null, null, null, null, null],
      ['performance_schema', null, null, null, null, null, null, null, null, null, null],
      ['db1', 2, 1, '10d', '3650d,3650d,3650d', 256, 100, 4096, 'ms', 1, 3000],
      ['db2', 4, 1, '5d', '30d,30d,30d', 64, 50, 2000, 'us', 2, 500],
    ],
  },
  {
    sql: 'show create database db2',
    pick: ['Create Database'],
    rows: [
      [
        "CREATE DATABASE `db2` BUFFER 64 DURATION 5d KEEP 30d,30d,30d MAXROWS 2000 MINROWS 50 PRECISION 'us' REPLICA 1 VGROUPS 4 WAL_LEVEL 2 WAL_FSYNC_PERIOD 500",
      ],
    ],
  },
  {
    sql: 'show db2.vgroups',
    pick: ['vgroup_id', 'db_name', 'v1_dnode', 'v1_status'],
    rows: [
      [4, 'db2', 1, 'leader'],
      [5, 'db2', 1, 'leader'],
      [6, 'db2', 1, 'leader'],
      [7, 'db2', 1, 'leader'],
    ],
  },
  { sql: 'create database db3 replica 3', error: 'OUT_OF_DNODES', errorText: 'replica 3' },
  { sql: 'create database db3 replica 2', error: 'DB_OPTION_INVALID', errorText: 'replica' },
  { sql: 'create database db3 duration 10d keep 20d', error: 'DB_OPTION_INVALID', errorText: '3 times duration' },
  { sql: 'create database db3 duration 10d keep 29d', error: 'DB_OPTION_INVALID' },
  { sql: 'create database db3 duration 10d keep 30d', affected: 0 },
  { sql: "create database db4 precision 'xs'", error: 'DB_OPTION_INVALID', errorText: 'precision' },
  { sql: 'create database db4 vgroups 0', error: 'DB_OPTION_INVALID', errorText: 'vgroups' },
  { sql: 'create database db4 vgroups 5000', error: 'DB_OPTION_INVALID', errorText: 'vgroups' },
  { sql: 'create database db4 buffer 2', error: 'DB_OPTION_INVALID', errorText: 'buffer' },
  { sql: 'create database db4 wal_level 3', error: 'DB_OPTION_INVALID', errorText: 'wal_level' },
  { sql: 'create database db4 minrows 500 maxrows 400', error: 'DB_OPTION_INVALID', errorText: 'minrows' },
  { sql: 'create database db4 maxrows 20000', error: 'DB_OPTION_INVALID', errorText: 'maxrows' },
  { sql: 'create database db4 keep 100d,50d,200d', error: 'DB_OPTION_INVALID', errorText: 'keep' },
  { sql: 'create database db4 duration 12h keep 10d,20d,30d', affected: 0 },
  {
    sql: 'show databases',
    pick: ['name', 'duration', 'keep'],
    rowsAnyOrder: [
      [...SYS[0], null, null],
      [...SYS[1], null, null],
      ['db1', '10d', '3650d,3650d,3650d'],
      ['db2', '5d', '30d,30d,30d'],
      ['db3', '10d', '30d,30d,30d'],
      ['db4', '12h', '10d,20d,30d'],
    ],
  },
  { sql: 'create database information_schema', error: 'DB_ALREADY_EXISTS' },
  // vgIds are never reused: db2 had 4..7, db3 8..9, db4 10..11; a new db after a drop continues.
  { sql: 'drop database db3', affected: 0 },
  { sql: 'create database db5 vgroups 1; show db5.vgroups', pick: ['vgroup_id'], rows: [[12]] },
  { sql: 'drop database db3', error: 'DB_NOT_EXIST', errorText: "'db3'" },
  { sql: 'drop database if exists db3', affected: 0 },
  { sql: 'use nosuchdb', error: 'DB_NOT_EXIST', errorText: 'nosuchdb' },
  { sql: 'use db1; select database()', rows: [['db1']] },
  { sql: 'use db2; select database()', rows: [['db2']] },
  {
    sql: 'show vgroups',
    pick: ['vgroup_id', 'db_name'],
    rows: [
      [4, 'db2'],
      [5, 'db2'],
      [6, 'db2'],
      [7, 'db2'],
    ],
  },
  { sql: 'alter database db1 buffer 128 keep 100d wal_level 2 wal_fsync_period 1000' },
  {
    sql: 'show databases',
    pick: ['name', 'buffer', 'keep', 'wal_level', 'wal_fsync_period'],
    rowsAnyOrder: [
      [...SYS[0], null, null, null, null],
      [...SYS[1], null, null, null, null],
      ['db1', 128, '100d,100d,100d', 2, 1000],
      ['db2', 64, '30d,30d,30d', 2, 500],
      ['db4', 256, '10d,20d,30d', 1, 3000],
      ['db5', 256, '3650d,3650d,3650d', 1, 3000],
    ],
  },
  { sql: 'alter database db1 keep 20d', error: 'DB_OPTION_INVALID', errorText: '3 times duration' },
  { sql: 'alter database db1 vgroups 3', error: 'DB_OPTION_INVALID', errorText: 'vgroups' },
  { sql: "alter database db1 precision 'ns'", error: 'DB_OPTION_INVALID', errorText: 'precision' },
  { sql: 'alter database nosuch buffer 100', error: 'DB_NOT_EXIST' },
  { sql: 'alter database db1 buffer 1', error: 'DB_OPTION_INVALID' },
  {
    sql: 'create table db1.t (ts timestamp, v int); alter database db1 buffer 96; insert into db1.t values (1700000000000, 5)',
    affected: 1,
  },
  { sql: 'show create database nosuch', error: 'DB_NOT_EXIST' },
  { sql: 'drop database db2', affected: 0 },
  { sql: 'show vgroups', error: 'DB_NOT_EXIST' },
  { sql: 'use db1; drop database db1; show databases', pick: ['name'], rows: [...SYS, ['db4'], ['db5']] },
  { sql: 'create table t (ts timestamp, v int)', error: 'DB_NOT_EXIST' },
  { sql: 'use information_schema; select database()', rows: [['information_schema']] },
  {
    sql: 'create database `MixedCase`; show databases',
    pick: ['name'],
    rows: [...SYS, ['db4'], ['db5'], ['MixedCase']],
  },
  { sql: 'create database DB6 vgroups 1; use db6; select database()', rows: [['db6']] },
];

let te: TestEngine;
before(async () => {
  te = await openTestEngine();
});
after(async () => {
  await te.close();
});

test('database statements', async (t) => {
  await runCases(t, te, cases);
});

test('show databases needs no current database', async (t) => {
  te.session = { user: 'root', db: null };
  await runCases(t, te, [
    { sql: 'show vgroups', error: 'DB_NOT_SPECIFIED' },
    { sql: 'create table t (ts timestamp, v int)', error: 'DB_NOT_SPECIFIED' },
    { sql: 'show tables', error: 'DB_NOT_SPECIFIED' },
    { sql: 'select database()', rows: [[null]] },
  ]);
});
