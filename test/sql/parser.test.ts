// Table-driven parser tests: statements -> AST fragments, bad statements -> error code and
// message fragments. Covers every statement form of issue 3 and the cluster SQL.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { DataType } from '../../src/common/types.js';
import { parse, parseOne, splitStatements } from '../../src/sql/index.js';
import { checkErr, checkOk, type ErrCase, type OkCase } from './parser-helpers.js';

const col = (name: string, table: string | null = null) => ({ kind: 'column', table, name });
const int = (v: bigint) => ({ kind: 'integer', value: v });
const str = (value: string) => ({ kind: 'string', value });
const dur = (value: bigint, unit: string) => ({ kind: 'duration', value, unit });
const tn = (name: string, db: string | null = null) => ({ db, name });

const verbatim: OkCase[] = [
  {
    sql: 'create database if not exists test1 replica 1; use test1; create table if not exists t1(ts timestamp, n int); insert into t1 values(now, 1)(now+1s, 2);',
    ast: [
      { kind: 'createDatabase', ifNotExists: true, name: 'test1', options: [{ name: 'replica', value: 1 }] },
      { kind: 'useDatabase', name: 'test1' },
      {
        kind: 'createTable',
        ifNotExists: true,
        table: tn('t1'),
        columns: [
          { name: 'ts', type: { type: DataType.TIMESTAMP, length: null } },
          { name: 'n', type: { type: DataType.INT } },
        ],
      },
      {
        kind: 'insert',
        targets: [
          {
            table: tn('t1'),
            using: null,
            columns: null,
            rows: [
              [{ kind: 'now' }, int(1n)],
              [{ kind: 'binary', op: '+', left: { kind: 'now' }, right: dur(1n, 's') }, int(2n)],
            ],
          },
        ],
      },
    ],
  },
  {
    sql: 'select *from test1.t1',
    ast: [
      {
        kind: 'select',
        items: [{ expr: { kind: 'star', table: null }, text: '*' }],
        from: { kind: 'table', table: tn('t1', 'test1') },
      },
    ],
  },
  {
    sql: 'select count(*) from test.meters;',
    ast: [
      {
        kind: 'select',
        items: [{ expr: { kind: 'function', name: 'count', args: [{ kind: 'star' }] }, text: 'count(*)', alias: null }],
        from: { table: tn('meters', 'test') },
      },
    ],
  },
  { sql: 'show databases', ast: [{ kind: 'showDatabases' }] },
  { sql: 'show test1.vgroups', ast: [{ kind: 'showVgroups', db: 'test1' }] },
];

const databases: OkCase[] = [
  { sql: 'create database db', ast: [{ kind: 'createDatabase', ifNotExists: false, name: 'db', options: [] }] },
  {
    sql: "create database d vgroups 4 replica 3 buffer 64 duration 10d keep 3650d precision 'us' wal_level 2 wal_fsync_period 3000 maxrows 4096 minrows 100",
    ast: [
      {
        kind: 'createDatabase',
        name: 'd',
        options: [
          { name: 'vgroups', value: 4 },
          { name: 'replica', value: 3 },
          { name: 'buffer', value: 64 },
          { name: 'duration', value: { value: 10n, unit: 'd', text: '10d' } },
          { name: 'keep', values: [{ value: 3650n, unit: 'd' }] },
          { name: 'precision', value: 'us' },
          { name: 'wal_level', value: 2 },
          { name: 'wal_fsync_period', value: 3000 },
          { name: 'maxrows', value: 4096 },
          { name: 'minrows', value: 100 },
        ],
      },
    ],
  },
  {
    sql: 'create database d keep 10d,100d,3650d',
    ast: [{ options: [{ name: 'keep', values: [{ value: 10n }, { value: 100n }, { value: 3650n, unit: 'd' }] }] }],
  },
  {
    sql: 'create database d keep 3650 duration 14400m',
    ast: [
      {
        options: [
          { name: 'keep', values: [{ value: 3650n, unit: null }] },
          { name: 'duration', value: { value: 14400n, unit: 'm' } },
        ],
      },
    ],
  },
  {
    sql: 'create database d duration 12h',
    ast: [{ options: [{ name: 'duration', value: { value: 12n, unit: 'h' } }] }],
  },
  { sql: 'create database d precision "ns"', ast: [{ options: [{ name: 'precision', value: 'ns' }] }] },
  { sql: 'create database d precision ms', ast: [{ options: [{ name: 'precision', value: 'ms' }] }] },
  { sql: 'CREATE DATABASE MyDb', ast: [{ name: 'mydb' }] },
  { sql: 'create database `MyDb`', ast: [{ name: 'MyDb' }] },
  {
    sql: 'create database d replica 1 replica 3',
    ast: [
      {
        options: [
          { name: 'replica', value: 1 },
          { name: 'replica', value: 3 },
        ],
      },
    ],
  },
  {
    sql: 'create database d\n  vgroups 2',
    ast: [{ options: [{ name: 'vgroups', pos: { line: 2, column: 3 }, valuePos: { line: 2, column: 11 } }] }],
  },
  { sql: 'drop database d', ast: [{ kind: 'dropDatabase', ifExists: false, name: 'd' }] },
  { sql: 'drop database if exists d', ast: [{ kind: 'dropDatabase', ifExists: true, name: 'd' }] },
  { sql: 'use power', ast: [{ kind: 'useDatabase', name: 'power' }] },
  {
    sql: 'alter database d buffer 128',
    ast: [{ kind: 'alterDatabase', name: 'd', options: [{ name: 'buffer', value: 128 }] }],
  },
  {
    sql: 'alter database d keep 100d wal_level 1 wal_fsync_period 0',
    ast: [
      {
        kind: 'alterDatabase',
        options: [{ name: 'keep' }, { name: 'wal_level', value: 1 }, { name: 'wal_fsync_period', value: 0 }],
      },
    ],
  },
  { sql: 'flush database d', ast: [{ kind: 'flushDatabase', name: 'd' }] },
  { sql: 'compact database d', ast: [{ kind: 'compactDatabase', name: 'd' }] },
  { sql: 'show create database d', ast: [{ kind: 'showCreateDatabase', name: 'd' }] },
];

const tables: OkCase[] = [
  {
    sql: 'create stable meters (ts timestamp, current float, voltage int, phase float) tags (location binary(64), groupid int)',
    ast: [
      {
        kind: 'createStable',
        ifNotExists: false,
        table: tn('meters'),
        columns: [
          { name: 'ts' },
          { name: 'current', type: { type: DataType.FLOAT } },
          { name: 'voltage' },
          { name: 'phase' },
        ],
        tags: [
          { name: 'location', type: { type: DataType.VARCHAR, length: 64, text: 'BINARY(64)' } },
          { name: 'groupid', type: { type: DataType.INT } },
        ],
      },
    ],
  },
  {
    sql: 'create table st (ts timestamp, v double) tags (t nchar(8))',
    ast: [{ kind: 'createStable', tags: [{ type: { type: DataType.NCHAR, length: 8 } }] }],
  },
  {
    sql: 'create stable if not exists db.st (ts timestamp, v int) tags (t int)',
    ast: [{ kind: 'createStable', ifNotExists: true, table: tn('st', 'db') }],
  },
  {
    sql: 'create table t (ts timestamp, a tinyint unsigned, b smallint unsigned, c int unsigned, d bigint unsigned, e bool, f varchar(10), g integer)',
    ast: [
      {
        kind: 'createTable',
        columns: [
          {},
          { type: { type: DataType.UTINYINT, text: 'TINYINT UNSIGNED' } },
          { type: { type: DataType.USMALLINT } },
          { type: { type: DataType.UINT } },
          { type: { type: DataType.UBIGINT } },
          { type: { type: DataType.BOOL } },
          { type: { type: DataType.VARCHAR, length: 10 } },
          { type: { type: DataType.INT } },
        ],
      },
    ],
  },
  {
    sql: "create table t (ts timestamp, v int comment 'volts') comment 'x'",
    ast: [{ kind: 'createTable', comment: 'x', columns: [{}, { comment: 'volts' }] }],
  },
  {
    sql: 'create table `Ab` (ts timestamp, `Value` int)',
    ast: [{ table: tn('Ab'), columns: [{ name: 'ts' }, { name: 'Value' }] }],
  },
  {
    sql: "create table d1001 using meters tags ('California.SanFrancisco', 2)",
    ast: [
      {
        kind: 'createChildTables',
        tables: [
          {
            ifNotExists: false,
            table: tn('d1001'),
            stable: tn('meters'),
            tagNames: null,
            tagValues: [str('California.SanFrancisco'), int(2n)],
          },
        ],
      },
    ],
  },
  {
    sql: "create table if not exists d1 using st (groupid, location) tags (3, 'x') if not exists d2 using st tags (4, 'y') d3 using db.st tags (5, 'z')",
    ast: [
      {
        kind: 'createChildTables',
        tables: [
          { ifNotExists: true, table: tn('d1'), tagNames: ['groupid', 'location'] },
          { ifNotExists: true, table: tn('d2'), tagNames: null, tagValues: [int(4n), str('y')] },
          { ifNotExists: false, table: tn('d3'), stable: tn('st', 'db') },
        ],
      },
    ],
  },
  { sql: 'drop table t', ast: [{ kind: 'dropTable', ifExists: false, tables: [tn('t')] }] },
  {
    sql: 'drop table if exists db.t1, t2',
    ast: [{ kind: 'dropTable', ifExists: true, tables: [tn('t1', 'db'), tn('t2')] }],
  },
  { sql: 'drop stable if exists meters', ast: [{ kind: 'dropStable', ifExists: true, table: tn('meters') }] },
  { sql: 'describe meters', ast: [{ kind: 'describe', table: tn('meters') }] },
  { sql: 'desc db.d1001', ast: [{ kind: 'describe', table: tn('d1001', 'db') }] },
  { sql: 'show tables', ast: [{ kind: 'showTables', db: null, like: null }] },
  { sql: "show tables like 'd10%'", ast: [{ kind: 'showTables', like: 'd10%' }] },
  { sql: "show power.tables like 'd%'", ast: [{ kind: 'showTables', db: 'power', like: 'd%' }] },
  { sql: 'show stables', ast: [{ kind: 'showStables', db: null }] },
  { sql: 'show db.stables', ast: [{ kind: 'showStables', db: 'db' }] },
  { sql: 'show create table d1', ast: [{ kind: 'showCreateTable', table: tn('d1') }] },
  { sql: 'show create stable db.meters', ast: [{ kind: 'showCreateStable', table: tn('meters', 'db') }] },
  {
    sql: 'alter stable meters add column c2 int',
    ast: [
      {
        kind: 'alterTable',
        stable: true,
        action: { action: 'addColumn', column: { name: 'c2', type: { type: DataType.INT } } },
      },
    ],
  },
  {
    sql: 'alter table t add column c3 varchar(20)',
    ast: [{ kind: 'alterTable', stable: false, action: { action: 'addColumn', column: { type: { length: 20 } } } }],
  },
  {
    sql: 'alter stable meters add tag t2 nchar(10)',
    ast: [{ action: { action: 'addTag', column: { name: 't2', type: { type: DataType.NCHAR } } } }],
  },
  { sql: 'alter stable meters drop column c2', ast: [{ action: { action: 'dropColumn', name: 'c2' } }] },
  { sql: 'alter stable meters drop tag t2', ast: [{ action: { action: 'dropTag', name: 't2' } }] },
  {
    sql: 'alter stable meters modify column c3 varchar(40)',
    ast: [{ action: { action: 'modifyColumn', column: { name: 'c3', type: { length: 40 } } } }],
  },
  {
    sql: 'alter stable meters modify tag location binary(128)',
    ast: [{ action: { action: 'modifyTag', column: { name: 'location' } } }],
  },
  { sql: 'alter stable meters rename tag a b', ast: [{ action: { action: 'renameTag', oldName: 'a', newName: 'b' } }] },
  {
    sql: "alter table d1001 set tag location = 'Beijing'",
    ast: [
      { kind: 'alterTable', table: tn('d1001'), action: { action: 'setTag', name: 'location', value: str('Beijing') } },
    ],
  },
  { sql: 'alter table d1001 set tag groupid = -3', ast: [{ action: { action: 'setTag', value: int(-3n) } }] },
];

const inserts: OkCase[] = [
  {
    sql: 'insert into t values (1700000000000, 1.5)',
    ast: [{ targets: [{ rows: [[int(1700000000000n), { kind: 'float', value: 1.5 }]] }] }],
  },
  {
    sql: "insert into t values ('2023-01-01 00:00:00.000', 'abc', \"d\\\"q\", null, true, false)",
    ast: [
      {
        targets: [
          {
            rows: [
              [
                str('2023-01-01 00:00:00.000'),
                str('abc'),
                str('d"q'),
                { kind: 'null' },
                { kind: 'bool', value: true },
                { kind: 'bool', value: false },
              ],
            ],
          },
        ],
      },
    ],
  },
  {
    sql: 'insert into t1 values(now, 1) t2 values(now, 2)(now+1s, 3) db.t3 values (now-2h, 4)',
    ast: [
      {
        targets: [
          { table: tn('t1'), rows: [[{ kind: 'now' }, int(1n)]] },
          {
            table: tn('t2'),
            rows: [
              [{}, int(2n)],
              [{}, int(3n)],
            ],
          },
          { table: tn('t3', 'db'), rows: [[{ kind: 'binary', op: '-', right: dur(2n, 'h') }, int(4n)]] },
        ],
      },
    ],
  },
  {
    sql: "insert into d1001 using meters tags ('SF', 2) values (now, 10.3, 219, 0.31)",
    ast: [
      {
        targets: [
          {
            table: tn('d1001'),
            using: { stable: tn('meters'), tagNames: null, tagValues: [str('SF'), int(2n)] },
            columns: null,
            rows: [[{ kind: 'now' }, { value: 10.3 }, int(219n), { value: 0.31 }]],
          },
        ],
      },
    ],
  },
  {
    sql: "insert into d1 using meters (location) tags ('SF') (ts, current) values (now, 1)",
    ast: [{ targets: [{ using: { tagNames: ['location'], tagValues: [str('SF')] }, columns: ['ts', 'current'] }] }],
  },
  {
    sql: 'insert into t (ts, n) values (now, 1), (now + 1s, 2)',
    ast: [
      {
        targets: [
          {
            columns: ['ts', 'n'],
            rows: [
              [{}, {}],
              [{}, {}],
            ],
          },
        ],
      },
    ],
  },
  {
    sql: 'insert into t values (now, -5, -2.5, -9223372036854775808, 18446744073709551615)',
    ast: [
      {
        targets: [
          {
            rows: [
              [{}, int(-5n), { kind: 'float', value: -2.5 }, int(-9223372036854775808n), int(18446744073709551615n)],
            ],
          },
        ],
      },
    ],
  },
  {
    sql: 'insert into t values (+1, +0.5, - 7)',
    ast: [{ targets: [{ rows: [[int(1n), { kind: 'float', value: 0.5 }, int(-7n)]] }] }],
  },
  {
    sql: 'insert into t values (now, 0x1F, 1e3)',
    ast: [{ targets: [{ rows: [[{}, int(31n), { kind: 'float', value: 1000 }]] }] }],
  },
  { sql: "insert into t values (now, 'it''s')", ast: [{ targets: [{ rows: [[{}, str("it's")]] }] }] },
  {
    sql: 'delete from t where ts < now - 1d',
    ast: [{ kind: 'delete', table: tn('t'), where: { kind: 'binary', op: '<' } }],
  },
  { sql: 'delete from db.t', ast: [{ kind: 'delete', table: tn('t', 'db'), where: null }] },
];

const selects: OkCase[] = [
  {
    sql: 'select ts, current from meters',
    ast: [{ items: [{ expr: col('ts') }, { expr: col('current') }], where: null, limit: null }],
  },
  {
    sql: 'select m.ts, m.* from meters m',
    ast: [{ items: [{ expr: col('ts', 'm') }, { expr: { kind: 'star', table: 'm' } }], from: { alias: 'm' } }],
  },
  {
    sql: 'select current * 2 + 1 as c2, voltage v from meters',
    ast: [{ items: [{ alias: 'c2', text: 'current * 2 + 1', expr: { op: '+', left: { op: '*' } } }, { alias: 'v' }] }],
  },
  {
    sql: 'select 1 + 2 * 3 - 4 / 2 % 3',
    ast: [
      {
        from: null,
        items: [{ expr: { op: '-', left: { op: '+', right: { op: '*' } }, right: { op: '%', left: { op: '/' } } } }],
      },
    ],
  },
  { sql: 'select (1 + 2) * 3', ast: [{ items: [{ expr: { op: '*', left: { op: '+' } } }] }] },
  {
    sql: 'select - 5, -(5), -1s from t',
    ast: [
      {
        items: [
          { expr: int(-5n) },
          { expr: { kind: 'unary', operand: int(5n) } },
          { expr: { kind: 'unary', op: '-', operand: dur(1n, 's') } },
        ],
      },
    ],
  },
  {
    sql: 'select -current, - - 1, +2 from t',
    ast: [
      {
        items: [
          { expr: { kind: 'unary', op: '-', operand: col('current') } },
          { expr: { kind: 'unary', op: '-', operand: int(-1n) } },
          { expr: int(2n) },
        ],
      },
    ],
  },
  {
    sql: 'select +a, +1.5, - +1 from t',
    ast: [
      {
        items: [
          { expr: { kind: 'unary', op: '+', operand: col('a') } },
          { expr: { kind: 'float', value: 1.5 } },
          { expr: { kind: 'unary', op: '-', operand: int(1n) } },
        ],
      },
    ],
  },
  {
    sql: 'select server_version()',
    ast: [
      {
        from: null,
        items: [{ expr: { kind: 'function', name: 'server_version', args: [] }, text: 'server_version()' }],
      },
    ],
  },
  { sql: 'select database()', ast: [{ items: [{ expr: { kind: 'function', name: 'database', args: [] } }] }] },
  { sql: 'select now()', ast: [{ items: [{ expr: { kind: 'now' }, text: 'now()' }] }] },
  { sql: 'SELECT NOW', ast: [{ items: [{ expr: { kind: 'now' }, text: 'NOW' }] }] },
  {
    sql: 'select * from t where a = 1 and b <> 2 or not c != 3',
    ast: [
      {
        where: {
          op: 'or',
          left: { op: 'and', left: { op: '=' }, right: { op: '<>' } },
          right: { kind: 'unary', op: 'not', operand: { op: '<>' } },
        },
      },
    ],
  },
  {
    sql: 'select * from t where a < 1 and b <= 2 and c > 3 and d >= 4',
    ast: [{ where: { op: 'and', right: { op: '>=' } } }],
  },
  {
    sql: "select * from t where location in ('a', 'b') and groupid not in (1, 2)",
    ast: [
      {
        where: {
          left: { kind: 'in', not: false, list: [str('a'), str('b')] },
          right: { kind: 'in', not: true, list: [int(1n), int(2n)] },
        },
      },
    ],
  },
  {
    sql: 'select * from t where ts between 1 and 2 and v not between 3 and 4',
    ast: [
      {
        where: {
          op: 'and',
          left: { kind: 'between', low: int(1n), high: int(2n), not: false },
          right: { kind: 'between', not: true },
        },
      },
    ],
  },
  {
    sql: "select * from t where name like 'd%' and n not like '_x' and m match '^a' and k nmatch 'b$'",
    ast: [
      {
        where: {
          right: { kind: 'like', op: 'nmatch' },
          left: {
            right: { kind: 'like', op: 'match' },
            left: { right: { kind: 'like', op: 'like', not: true }, left: { kind: 'like', pattern: str('d%') } },
          },
        },
      },
    ],
  },
  {
    sql: 'select * from t where v is null or w is not null',
    ast: [
      {
        where: { op: 'or', left: { kind: 'isNull', not: false, expr: col('v') }, right: { kind: 'isNull', not: true } },
      },
    ],
  },
  {
    sql: "select * from meters where ts >= '2023-01-01' and ts < now and location = 'SF'",
    ast: [{ where: { op: 'and' } }],
  },
  { sql: 'select * from t where (a = 1 or b = 2) and c = 3', ast: [{ where: { op: 'and', left: { op: 'or' } } }] },
  { sql: 'select * from t where a & 1 = 1 | 0', ast: [{ where: { op: '=', left: { op: '&' }, right: { op: '|' } } }] },
  {
    sql: 'select abs(v), ceil(v), floor(v), round(v), concat(a, b), length(s), lower(s), upper(s) from t',
    ast: [
      {
        items: [
          { expr: { name: 'abs' } },
          { expr: { name: 'ceil' } },
          { expr: { name: 'floor' } },
          { expr: { name: 'round' } },
          { expr: { name: 'concat', args: [col('a'), col('b')] } },
          { expr: { name: 'length' } },
          { expr: { name: 'lower' } },
          { expr: { name: 'upper' } },
        ],
      },
    ],
  },
  {
    sql: 'select cast(v as bigint), cast(s as varchar(10)), cast(1 as int unsigned) from t',
    ast: [
      {
        items: [
          { expr: { kind: 'cast', type: { type: DataType.BIGINT } } },
          { expr: { kind: 'cast', type: { type: DataType.VARCHAR, length: 10 } } },
          { expr: { type: { type: DataType.UINT } } },
        ],
      },
    ],
  },
  {
    sql: 'select timetruncate(ts, 1h), to_iso8601(ts) from t',
    ast: [
      {
        items: [{ expr: { name: 'timetruncate', args: [col('ts'), dur(1n, 'h')] } }, { expr: { name: 'to_iso8601' } }],
      },
    ],
  },
  {
    sql: 'select count(*), count(v), sum(v), avg(v), min(v), max(v), first(v), last(v), last_row(v), spread(v), stddev(v), percentile(v, 90), apercentile(v, 50), twa(v) from t',
    ast: [
      {
        items: [
          'count',
          'count',
          'sum',
          'avg',
          'min',
          'max',
          'first',
          'last',
          'last_row',
          'spread',
          'stddev',
          'percentile',
          'apercentile',
          'twa',
        ].map((name) => ({ expr: { kind: 'function', name } })),
      },
    ],
  },
  {
    sql: 'select last_row(*) from meters partition by tbname',
    ast: [
      {
        items: [{ expr: { name: 'last_row', args: [{ kind: 'star' }] } }],
        partitionBy: [{ kind: 'pseudo', name: 'tbname' }],
      },
    ],
  },
  {
    sql: 'select tbname, _rowts, t._c0, t.tbname from meters t',
    ast: [
      {
        items: [
          { expr: { kind: 'pseudo', name: 'tbname', table: null } },
          { expr: { kind: 'pseudo', name: '_rowts' } },
          { expr: { kind: 'pseudo', name: '_c0', table: 't' } },
          { expr: { kind: 'pseudo', name: 'tbname', table: 't' } },
        ],
      },
    ],
  },
  { sql: 'select `tbname` from t', ast: [{ items: [{ expr: col('tbname') }] }] },
  {
    sql: 'select _wstart, _wend, avg(current) from meters interval(1h)',
    ast: [
      {
        items: [{ expr: { kind: 'pseudo', name: '_wstart' } }, { expr: { kind: 'pseudo', name: '_wend' } }, {}],
        window: { kind: 'interval', interval: dur(1n, 'h'), offset: null, sliding: null, fill: null },
      },
    ],
  },
  {
    sql: 'select avg(v) from t interval(10m, 1m) sliding(5m)',
    ast: [{ window: { interval: dur(10n, 'm'), offset: dur(1n, 'm'), sliding: dur(5n, 'm') } }],
  },
  {
    sql: 'select avg(v) from t where ts > now - 1d interval(1h) fill(none)',
    ast: [{ window: { fill: { mode: 'none', values: [] } } }],
  },
  { sql: 'select avg(v) from t interval(1h) fill(null)', ast: [{ window: { fill: { mode: 'null' } } }] },
  {
    sql: 'select avg(v), max(w) from t interval(1h) fill(value, 0, -1.5)',
    ast: [{ window: { fill: { mode: 'value', values: [int(0n), { kind: 'float', value: -1.5 }] } } }],
  },
  { sql: 'select avg(v) from t interval(1h) fill(prev)', ast: [{ window: { fill: { mode: 'prev' } } }] },
  { sql: 'select avg(v) from t interval(1h) fill(next)', ast: [{ window: { fill: { mode: 'next' } } }] },
  {
    sql: 'select avg(v) from t interval(1h) sliding(30m) fill(linear)',
    ast: [{ window: { sliding: dur(30n, 'm'), fill: { mode: 'linear' } } }],
  },
  {
    sql: 'select count(*) from t session(ts, 10s)',
    ast: [{ window: { kind: 'session', column: col('ts'), gap: dur(10n, 's') } }],
  },
  { sql: 'select count(*) from t state_window(status)', ast: [{ window: { kind: 'state', expr: col('status') } }] },
  {
    sql: 'select avg(current) from meters partition by location interval(1h) order by _wstart',
    ast: [
      {
        partitionBy: [col('location')],
        window: { kind: 'interval' },
        orderBy: [{ expr: { name: '_wstart' }, desc: false }],
      },
    ],
  },
  {
    sql: 'select location, avg(current) from meters group by location having avg(current) > 10',
    ast: [{ groupBy: [col('location')], having: { op: '>' } }],
  },
  {
    sql: 'select a, b, count(*) from t group by a, b order by a desc, b asc, 3',
    ast: [{ groupBy: [col('a'), col('b')], orderBy: [{ desc: true }, { desc: false }, { expr: int(3n) }] }],
  },
  { sql: 'select * from t order by ts desc nulls last', ast: [{ orderBy: [{ desc: true, nulls: 'last' }] }] },
  { sql: 'select * from t limit 10', ast: [{ limit: { limit: 10, offset: 0 } }] },
  { sql: 'select * from t limit 10 offset 20', ast: [{ limit: { limit: 10, offset: 20 } }] },
  { sql: 'select * from t limit 20, 10', ast: [{ limit: { limit: 10, offset: 20 } }] },
  {
    sql: 'select * from meters partition by tbname slimit 2 soffset 1 limit 5',
    ast: [{ slimit: { limit: 2, offset: 1 }, limit: { limit: 5, offset: 0 } }],
  },
  {
    sql: 'select * from meters partition by tbname limit 5 slimit 2',
    ast: [{ slimit: { limit: 2 }, limit: { limit: 5 } }],
  },
  { sql: 'select distinct location from meters', ast: [{ distinct: true, items: [{ expr: col('location') }] }] },
  {
    sql: 'select max(v) from (select v from t) x',
    ast: [{ from: { kind: 'subquery', alias: 'x', select: { kind: 'select', items: [{ expr: col('v') }] } } }],
  },
  {
    sql: "select case when v > 1 then 'hi' else 'lo' end from t",
    ast: [
      {
        items: [
          { expr: { kind: 'case', operand: null, whens: [{ when: { op: '>' }, then: str('hi') }], else: str('lo') } },
        ],
      },
    ],
  },
  {
    sql: 'select max(voltage) from d500 where ts >= 1700000000000 and ts < 1700003600000',
    ast: [{ from: { table: tn('d500') }, where: { op: 'and' } }],
  },
  {
    sql: 'select * from information_schema.ins_databases',
    ast: [{ from: { table: tn('ins_databases', 'information_schema') } }],
  },
  {
    sql: 'select `Value`, `select` from `T`',
    ast: [{ items: [{ expr: col('Value') }, { expr: col('select') }], from: { table: tn('T') } }],
  },
  {
    sql: 'select 1.5, .5, 1e-3, 2.',
    ast: [
      {
        items: [
          { expr: { kind: 'float', value: 1.5 } },
          { expr: { value: 0.5 } },
          { expr: { value: 0.001 } },
          { expr: { value: 2 } },
        ],
      },
    ],
  },
  {
    sql: 'select 1.e5, 2.E-1, 1e999, select1 from t',
    ast: [
      {
        items: [
          { expr: { kind: 'float', value: 100000 } },
          { expr: { value: 0.2 } },
          { expr: { value: Infinity } },
          { expr: col('select1') },
        ],
      },
    ],
  },
  {
    sql: 'select t.a, `t`.`b`, t .c from t',
    ast: [{ items: [{ expr: col('a', 't') }, { expr: col('b', 't') }, { expr: col('c', 't') }] }],
  },
  { sql: 'select 99999999999999999999999', ast: [{ items: [{ expr: int(99999999999999999999999n) }] }] },
  {
    sql: "select 'a\\nb', 'x\\\\y', 'a\\%'",
    ast: [{ items: [{ expr: str('a\nb') }, { expr: str('x\\y') }, { expr: str('a\\%') }] }],
  },
];

const comments: OkCase[] = [
  { sql: '-- only a comment', ast: [] },
  { sql: 'select 1 -- trailing comment', ast: [{ kind: 'select' }] },
  { sql: 'select /* inline */ 1 /* x */ from /* y */ t', ast: [{ kind: 'select', from: { table: tn('t') } }] },
  { sql: ';;; show dnodes ;; show mnodes;', ast: [{ kind: 'showDnodes' }, { kind: 'showMnodes' }] },
  {
    sql: "select ';' from t; select '--' from t",
    ast: [{ items: [{ expr: str(';') }] }, { items: [{ expr: str('--') }] }],
  },
  { sql: 'select 1\n-- comment\n; select 2', ast: [{}, {}] },
  { sql: '\ufeffshow dnodes', ast: [{ kind: 'showDnodes' }] },
  { sql: 'select 1\r\n  from t', ast: [{ from: { table: { pos: { line: 2, column: 8 } } } }] },
];

const cluster: OkCase[] = [
  { sql: 'create dnode "h2.example.com:6030"', ast: [{ kind: 'createDnode', endpoint: 'h2.example.com:6030' }] },
  { sql: "create dnode 'localhost:7100'", ast: [{ kind: 'createDnode', endpoint: 'localhost:7100' }] },
  { sql: 'create dnode h2.example.com port 6030', ast: [{ kind: 'createDnode', endpoint: 'h2.example.com:6030' }] },
  { sql: 'create dnode localhost port 7200', ast: [{ kind: 'createDnode', endpoint: 'localhost:7200' }] },
  { sql: 'create dnode 10.0.0.2 port 6030', ast: [{ kind: 'createDnode', endpoint: '10.0.0.2:6030' }] },
  { sql: 'create dnode my-host', ast: [{ kind: 'createDnode', endpoint: 'my-host' }] },
  { sql: 'create mnode on dnode 2', ast: [{ kind: 'createMnode', dnodeId: 2 }] },
  { sql: 'drop mnode on dnode 3', ast: [{ kind: 'dropMnode', dnodeId: 3 }] },
  { sql: 'drop dnode 2', ast: [{ kind: 'dropDnode', dnodeId: 2, endpoint: null, force: false, unsafe: false }] },
  { sql: 'drop dnode 2 force', ast: [{ kind: 'dropDnode', dnodeId: 2, force: true, unsafe: false }] },
  { sql: 'drop dnode 2 force unsafe', ast: [{ kind: 'dropDnode', force: true, unsafe: true }] },
  { sql: 'drop dnode 2 unsafe', ast: [{ kind: 'dropDnode', force: false, unsafe: true }] },
  { sql: 'drop dnode "h3:6030" force', ast: [{ kind: 'dropDnode', dnodeId: null, endpoint: 'h3:6030', force: true }] },
  { sql: 'balance vgroup', ast: [{ kind: 'balanceVgroup' }] },
  { sql: 'balance vgroup leader', ast: [{ kind: 'balanceVgroupLeader', vgId: null, db: null }] },
  { sql: 'balance vgroup leader on 5', ast: [{ kind: 'balanceVgroupLeader', vgId: 5 }] },
  { sql: 'balance vgroup leader database power', ast: [{ kind: 'balanceVgroupLeader', db: 'power' }] },
  {
    sql: 'redistribute vgroup 2 dnode 1 dnode 2 dnode 3',
    ast: [{ kind: 'redistributeVgroup', vgId: 2, dnodeIds: [1, 2, 3] }],
  },
  { sql: 'redistribute vgroup 4 dnode 3', ast: [{ kind: 'redistributeVgroup', vgId: 4, dnodeIds: [3] }] },
  { sql: 'show dnodes', ast: [{ kind: 'showDnodes' }] },
  { sql: 'show mnodes', ast: [{ kind: 'showMnodes' }] },
  { sql: 'show vgroups', ast: [{ kind: 'showVgroups', db: null }] },
  { sql: 'show vnodes', ast: [{ kind: 'showVnodes', dnodeId: null }] },
  { sql: 'show vnodes on dnode 2', ast: [{ kind: 'showVnodes', dnodeId: 2 }] },
  { sql: 'show cluster', ast: [{ kind: 'showCluster' }] },
  { sql: 'show variables', ast: [{ kind: 'showVariables', scope: 'cluster', like: null }] },
  { sql: 'show cluster variables', ast: [{ kind: 'showVariables', scope: 'cluster' }] },
  { sql: "show local variables like 'debug%'", ast: [{ kind: 'showVariables', scope: 'local', like: 'debug%' }] },
  { sql: 'show dnode 1 variables', ast: [{ kind: 'showDnodeVariables', dnodeId: 1, like: null }] },
  { sql: 'show transactions', ast: [{ kind: 'showTransactions' }] },
  { sql: 'show users', ast: [{ kind: 'showUsers' }] },
  { sql: "alter dnode 1 'debugFlag' '143'", ast: [{ kind: 'alterDnode', dnodeId: 1, key: 'debugFlag', value: '143' }] },
  { sql: "alter dnode 2 'resetlog'", ast: [{ kind: 'alterDnode', dnodeId: 2, key: 'resetlog', value: null }] },
  { sql: "alter all dnodes 'monitor' '1'", ast: [{ kind: 'alterDnode', dnodeId: null, key: 'monitor', value: '1' }] },
  { sql: "alter user root pass 'NewPass1'", ast: [{ kind: 'alterUser', user: 'root', password: 'NewPass1' }] },
  { sql: "create user bob pass 'pw'", ast: [{ kind: 'createUser', user: 'bob', password: 'pw' }] },
  { sql: 'drop user bob', ast: [{ kind: 'dropUser', user: 'bob' }] },
];

const positions: OkCase[] = [
  {
    sql: 'select a,\n  bb from t',
    ast: [
      {
        pos: { offset: 0, line: 1, column: 1 },
        items: [
          { pos: { line: 1, column: 8 } },
          { pos: { offset: 12, line: 2, column: 3 }, expr: { pos: { line: 2, column: 3 } } },
        ],
        from: { table: { pos: { line: 2, column: 11 } } },
      },
    ],
  },
  { sql: 'select 1; select 2', ast: [{ pos: { offset: 0 } }, { pos: { offset: 10, column: 11 } }] },
  { sql: 'select a + b from t', ast: [{ items: [{ expr: { pos: { column: 8 }, opPos: { column: 10 } } }] }] },
];

const errors: ErrCase[] = [
  { sql: 'select * form t1', msg: "Syntax error in SQL: near 'form' at line 1, column 10: expected FROM or ','" },
  { sql: 'selec * from t', msg: ["near 'selec' at line 1, column 1", 'expected a statement'] },
  { sql: 'select * from', msg: ['at end of input', 'expected a table name'] },
  { sql: 'select * from t where', msg: ['at end of input', 'expected an expression'] },
  { sql: 'select * from t where a =', msg: 'expected an expression' },
  { sql: 'select (1 + 2 from t', msg: ["near 'from'", "expected ')' to close '('"] },
  { sql: 'select count(* from t', msg: ["near 'from'", "',' or ')' to close the arguments of count("] },
  {
    sql: 'select * from t\nwhere x = 1\n  limit a',
    msg: ["near 'a' at line 3, column 9", 'expected a row count after LIMIT'],
  },
  { sql: "select 'abc from t", msg: ['unterminated string', "close it with '"] },
  { sql: 'select "abc', msg: 'unterminated string' },
  { sql: "select 'a\\", msg: 'unterminated string' },
  { sql: 'select `abc from t', msg: 'unterminated quoted name' },
  { sql: 'select /* never closed', msg: 'unterminated comment' },
  { sql: 'select * from t \\G', msg: ["near '\\G'", 'shell suffix'] },
  { sql: 'show databases\\G', msg: 'shell suffix' },
  { sql: 'select * from t where a # 1', msg: ['unexpected character "#"', 'column 25'] },
  { sql: 'select 1x from t', msg: ["near '1x'", 'invalid number'] },
  { sql: 'select 10dd', msg: 'invalid number' },
  { sql: 'select from t', msg: ["near 'from'", 'keyword'] },
  { sql: 'select a from t limit 1 garbage', msg: ["near 'garbage'", 'end of the statement'] },
  { sql: 'select a from t where a in 1', msg: "expected '(' to start the IN list" },
  { sql: 'select a from t where a between 1', msg: 'AND in BETWEEN' },
  { sql: 'select a from t where a is 1', msg: 'expected NULL or NOT NULL' },
  { sql: 'select a from t where a not 1', msg: 'IN, BETWEEN or LIKE after NOT' },
  { sql: 'select avg(v) from t interval(1)', msg: 'expected an interval such as' },
  { sql: 'select avg(v) from t interval(1h) fill(bogus)', msg: 'a fill mode' },
  { sql: 'select avg(v) from t interval(1h) fill(value)', msg: 'fill value' },
  { sql: 'select avg(v) from t sliding(1m)', msg: 'needs an INTERVAL' },
  { sql: 'select a from t1, t2', msg: 'joins are not supported' },
  { sql: 'select a from t1 join t2', msg: 'joins are not supported' },
  { sql: 'select * from t order by', msg: 'expected an expression' },
  { sql: 'select * from t limit 99999999999999999999', msg: 'too large' },
  { sql: 'create database', msg: ['at end of input', 'expected a database name'] },
  { sql: 'create database d replica', msg: 'an integer value for REPLICA' },
  { sql: 'create database d replica x', msg: ["near 'x'", 'an integer value for REPLICA'] },
  { sql: 'create database d bogus 1', msg: ["near 'bogus'", 'unknown database option BOGUS'] },
  { sql: 'create database d keep 1d,2d,3d,4d', msg: 'at most three values' },
  { sql: 'create database d precision 5', msg: 'a quoted value for PRECISION' },
  { sql: 'create database d duration abc', msg: 'a duration for DURATION' },
  { sql: 'create database if exists d', msg: 'NOT EXISTS after IF' },
  { sql: 'drop database if not exists d', msg: 'EXISTS after IF' },
  { sql: 'alter database d', msg: 'a database option to change' },
  { sql: 'create table t', msg: "'(' and the column definitions, or USING" },
  { sql: 'create table t (ts timestamp, v)', msg: ["near ')'", 'expected a data type'] },
  { sql: 'create table t (ts timestamp, v varchar)', msg: "'(' and a length, as in VARCHAR(32)" },
  { sql: 'create table t (ts timestamp, v bogus)', msg: 'expected a data type' },
  {
    sql: 'create table t (ts timestamp, j json)',
    code: 'INVALID_DATA_TYPE',
    msg: ['JSON', 'not supported', 'line 1, column 33'],
  },
  { sql: 'create stable st (ts timestamp, v int)', msg: 'a super table needs at least one tag' },
  { sql: 'create table t (ts timestamp, select int)', msg: ['SELECT is a keyword', 'backticks'] },
  { sql: 'create table d1 using st', msg: 'TAGS' },
  { sql: 'create table d1 using st tags', msg: "'(' and the tag values" },
  { sql: 'create widget x', msg: 'DATABASE, TABLE, STABLE, DNODE, MNODE, USER or JOIN TOKEN after CREATE' },
  { sql: 'drop t', msg: 'after DROP' },
  { sql: 'alter table t add x int', msg: 'COLUMN or TAG after ADD' },
  { sql: 'alter table t set column x = 1', msg: 'TAG after SET' },
  { sql: 'alter table t frobnicate', msg: 'ADD COLUMN' },
  { sql: 'alter table d set tag t 1', msg: "'=' and the new tag value" },
  { sql: 'insert t values (1)', msg: 'INTO after INSERT' },
  { sql: 'insert into t (1)', msg: 'expected a column name' },
  { sql: 'insert into t values', msg: "'(' and a row of values" },
  { sql: 'insert into t values (1, 2', msg: "',' or ')' to close the row" },
  { sql: 'insert into t values (1) ,', msg: 'another table name' },
  { sql: 'insert into t file "x.csv"', msg: "VALUES, USING or '(' and column names" },
  { sql: 'insert into t using st values (1)', msg: 'TAGS' },
  { sql: 'show', msg: ['at end of input', 'DATABASES'] },
  { sql: 'show nothing', msg: ["near 'nothing'", 'DATABASES, TABLES'] },
  { sql: 'show db.nothing', msg: "TABLES, STABLES or VGROUPS after 'db.'" },
  { sql: 'show tables like x', msg: 'a quoted pattern after LIKE' },
  { sql: 'show dnode variables', msg: 'a dnode id' },
  { sql: 'show vnodes on 2', msg: 'DNODE after ON' },
  { sql: 'create dnode', msg: 'a dnode endpoint' },
  { sql: 'create dnode h1 port x', msg: 'a port number' },
  { sql: 'drop dnode', msg: 'a dnode id or a quoted endpoint' },
  { sql: 'drop dnode 1 now', msg: 'FORCE, UNSAFE or the end of the statement' },
  { sql: 'create mnode dnode 1', msg: 'ON DNODE n' },
  { sql: 'balance vgroups', msg: 'VGROUP after BALANCE' },
  { sql: 'redistribute vgroup 2', msg: 'DNODE n' },
  { sql: 'redistribute vgroup 2 dnode 1 2', msg: 'DNODE n or the end of the statement' },
  { sql: 'alter dnode x', msg: 'a dnode id' },
  { sql: 'alter dnode 1', msg: 'a quoted config key' },
  { sql: 'alter all dnode', msg: 'DNODES after ALL' },
  { sql: 'alter user root pass secret', msg: 'a quoted password' },
  { sql: 'use', msg: 'a database name' },
  { sql: 'show databases show tables', msg: "expected ';' or the end of the statement" },
  { sql: 'select 1; selec 2', msg: ["near 'selec' at line 1, column 11"] },
  { sql: 'select case end', msg: 'WHEN' },
  { sql: 'select .5e', msg: ["near '.5e'", 'invalid number'] },
  { sql: 'select 1.5h', msg: 'invalid number' },
  { sql: 'select t.* as x from t', msg: "'*' cannot have an alias" },
  { sql: 'select a. from t', msg: 'a column name after the table qualifier' },
  { sql: 'select cast(1 int)', msg: 'AS in CAST' },
  { sql: 'select now(1)', msg: 'now() takes no arguments' },
  { sql: '(', msg: 'expected a statement' },
  { sql: 'select ' + '('.repeat(500) + '1' + ')'.repeat(500), msg: 'nested too deeply' },
  { sql: 'select ' + 'abs('.repeat(300) + '1' + ')'.repeat(300), msg: 'nested too deeply' },
  { sql: 'select ' + 'not '.repeat(300) + '1', msg: 'nested too deeply' },
  { sql: 'select ' + Array.from({ length: 1500 }, () => '1').join(' + '), msg: 'expression too deep' },
  {
    sql: 'select 1 from t where ' + Array.from({ length: 1200 }, (_, i) => `a = ${i}`).join(' or '),
    msg: 'expression too deep',
  },
  { sql: 'select ' + 'x'.repeat(100) + ' y z', msg: ["near 'z'", "expected FROM or ','"] },
];

describe('sql parser', () => {
  const groups: Record<string, OkCase[]> = {
    verbatim,
    databases,
    tables,
    inserts,
    selects,
    comments,
    cluster,
    positions,
  };
  for (const [name, cases] of Object.entries(groups)) {
    it(`parses ${name} (${cases.length} cases)`, () => {
      runAll(cases, checkOk);
    });
  }

  it(`rejects bad statements with named tokens and positions (${errors.length} cases)`, () => {
    runAll(errors, checkErr);
  });

  it('rejects SQL beyond the size limit with STATEMENT_TOO_LONG', () => {
    checkErr({ sql: 'select 1 ' + ' '.repeat(17 * 1024 * 1024), code: 'STATEMENT_TOO_LONG', msg: 'limit' });
  });

  it('accepts long but flat input: a 1000-element IN list and a 20,000-row insert', () => {
    const inList = parseOne(`select * from t where v in (${Array.from({ length: 1000 }, (_, i) => i).join(',')})`);
    assert.equal(inList.kind, 'select');
    const rows = Array.from({ length: 20000 }, (_, i) => `(${1700000000000 + i}, ${i}.5, 'x${i}')`).join(' ');
    const ins = parseOne(`insert into t values ${rows}`);
    assert.ok(ins.kind === 'insert' && ins.targets[0]!.rows.length === 20000);
  });

  it('allows nesting up to the limit and names the limit beyond it', () => {
    for (const [open, close] of [
      ['(', ')'],
      ['abs(', ')'],
      ['cast(', ' as int)'],
    ] as const) {
      const ok = 'select ' + open.repeat(120) + '1' + close.repeat(120);
      assert.equal(parseOne(ok).kind, 'select', open);
      checkErr({ sql: 'select ' + open.repeat(129) + '1' + close.repeat(129), msg: 'more than 128 levels' });
    }
    assert.equal(parseOne('select ' + 'not '.repeat(120) + '1').kind, 'select');
    assert.equal(parseOne('select ' + '- '.repeat(120) + 'a').kind, 'select');
    checkErr({ sql: 'select ' + '- '.repeat(129) + 'a', msg: 'more than 128 levels' });
  });

  it('error data carries line and column', () => {
    try {
      parse('select a\nfrom t whre x');
      assert.fail('should throw');
    } catch (e) {
      const data = (e as { data?: Record<string, unknown> }).data;
      assert.deepEqual(
        { line: data?.['line'], column: data?.['column'], near: data?.['near'] },
        { line: 2, column: 13, near: 'x' },
      );
    }
  });

  it('every concrete example in docs/sql.md parses', () => {
    const md = readFileSync(new URL('../../../docs/sql.md', import.meta.url), 'utf8');
    const blocks = [...md.matchAll(/```sql\n([\s\S]*?)```/g)].map((m) => m[1]!);
    assert.ok(blocks.length >= 6);
    let checked = 0;
    for (const block of blocks) {
      for (const stmt of splitStatements(block)) {
        if (stmt.includes('[') || stmt.includes('|')) continue; // a template with optional parts
        assert.doesNotThrow(() => parse(stmt), stmt);
        checked++;
      }
    }
    assert.ok(checked >= 40, `only ${checked} examples checked`);
  });

  it('parseOne wants exactly one statement', () => {
    assert.equal(parseOne('show dnodes;').kind, 'showDnodes');
    checkErrOne('', 'empty statement');
    checkErrOne('-- nothing', 'empty statement');
    checkErrOne('show dnodes; show mnodes', 'found 2 statements');
  });
});

/** Runs every case and reports all failures together, not just the first. */
function runAll<T>(cases: readonly T[], check: (c: T) => void): void {
  const failures: string[] = [];
  for (const c of cases) {
    try {
      check(c);
    } catch (e) {
      failures.push((e as Error).message);
    }
  }
  assert.equal(failures.length, 0, `${failures.length} of ${cases.length} cases failed:\n${failures.join('\n')}`);
}

function checkErrOne(sql: string, msg: string): void {
  assert.throws(
    () => parseOne(sql),
    (e: Error) => e.name === 'BasaltError' && e.message.includes(msg),
  );
}

describe('splitStatements', () => {
  const cases: Array<[string, string[]]> = [
    ['', []],
    ['   ', []],
    ['show databases', ['show databases']],
    ['show databases;', ['show databases']],
    [' a ; b ;; c ', ['a', 'b', 'c']],
    ["select ';' from t; select 2", ["select ';' from t", 'select 2']],
    ['select ";" ; x', ['select ";"', 'x']],
    ['select `a;b` from t; y', ['select `a;b` from t', 'y']],
    ["select 'it''s;' ; z", ["select 'it''s;'", 'z']],
    ["select 'a\\';b' ; z", ["select 'a\\';b'", 'z']],
    ['select 1 -- a;b\n; select 2', ['select 1 -- a;b', 'select 2']],
    ['select 1 /* ; */ ; select 2', ['select 1 /* ; */', 'select 2']],
    ['-- only comment; still comment\n;', []],
    ['/* c */ ; select 1', ['select 1']],
    ["select 'unterminated ; x", ["select 'unterminated ; x"]],
    ['show databases\\G; show dnodes\\G', ['show databases\\G', 'show dnodes\\G']],
    [
      'create database if not exists test1 replica 1; use test1; create table if not exists t1(ts timestamp, n int); insert into t1 values(now, 1)(now+1s, 2);',
      [
        'create database if not exists test1 replica 1',
        'use test1',
        'create table if not exists t1(ts timestamp, n int)',
        'insert into t1 values(now, 1)(now+1s, 2)',
      ],
    ],
  ];
  it(`splits on ';' outside quotes and comments (${cases.length} cases)`, () => {
    for (const [input, want] of cases) assert.deepEqual(splitStatements(input), want, JSON.stringify(input));
  });

  it('every split piece parses to the same statements as the whole', () => {
    const script = "create database d; use d; select ';' from t -- c;\n; show d.vgroups";
    const whole = parse(script).map((s) => s.kind);
    const pieces = splitStatements(script)
      .flatMap((p) => parse(p))
      .map((s) => s.kind);
    assert.deepEqual(pieces, whole);
  });
});
