// Cluster-facing show commands on a single dnode (one dnode, one mnode leader, every vnode a
// leader), users and passwords, and the statements that need a cluster.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { NOW_MS, openTestEngine, runCases, type SqlCase, type TestEngine } from './harness.js';

const cases: SqlCase[] = [
  // The mnode leader's show commands (test/dnode/show-cluster.test.ts runs them on a dnode).
  { sql: 'show dnodes', error: 'NOT_SUPPORTED', errorText: 'mnode leader' },
  { sql: 'show mnodes', error: 'NOT_SUPPORTED', errorText: 'mnode leader' },
  {
    sql: 'show vnodes',
    columns: ['dnode_id', 'vgroup_id', 'db_name', 'status', 'role_time', 'start_time', 'restored'],
    rows: [],
  },
  { sql: 'create database c1 vgroups 2; create database c2 vgroups 1' },
  {
    sql: 'show vnodes',
    pick: ['dnode_id', 'vgroup_id', 'db_name', 'status', 'restored'],
    rows: [
      [1, 2, 'c1', 'leader', true],
      [1, 3, 'c1', 'leader', true],
      [1, 4, 'c2', 'leader', true],
    ],
  },
  { sql: 'show vnodes on dnode 1', count: 3 },
  { sql: 'show vnodes on dnode 2', error: 'DNODE_NOT_EXIST', errorText: 'dnode 2' },
  {
    sql: 'show c1.vgroups',
    columns: [
      'vgroup_id',
      'db_name',
      'tables',
      'v1_dnode',
      'v1_status',
      'v2_dnode',
      'v2_status',
      'v3_dnode',
      'v3_status',
      'v4_dnode',
      'v4_status',
      'cacheload',
      'cacheelements',
      'tsma',
    ],
    rows: [
      [2, 'c1', 0, 1, 'leader', null, null, null, null, null, null, 0, 0, 0],
      [3, 'c1', 0, 1, 'leader', null, null, null, null, null, null, 0, 0, 0],
    ],
  },
  {
    sql: 'create table c1.a (ts timestamp, v int); create table c1.b (ts timestamp, v int); create table c1.c (ts timestamp, v int); create table c1.d (ts timestamp, v int)',
  },
  {
    sql: 'show c1.vgroups',
    pick: ['vgroup_id', 'tables'],
    rows: [
      [2, 2],
      [3, 2],
    ],
  },
  {
    sql: 'show databases',
    pick: ['name', 'ntables'],
    rows: [
      ['information_schema', null],
      ['performance_schema', null],
      ['c1', 4n],
      ['c2', 0n],
    ],
  },
  { sql: 'show cluster', error: 'NOT_SUPPORTED', errorText: 'mnode leader' },
  {
    sql: 'show variables',
    columns: ['name', 'value', 'scope'],
    rows: [
      ['serverPort', '6030', 'server'],
      ['fqdn', 'localhost', 'server'],
    ],
  },
  { sql: "show variables like 'server%'", rows: [['serverPort', '6030', 'server']] },
  { sql: 'show dnode 1 variables', error: 'NOT_SUPPORTED', errorText: 'mnode leader' },
  {
    sql: 'show users',
    columns: ['name', 'super', 'enable', 'sysinfo', 'create_time'],
    rows: [['root', 1, 1, 1, NOW_MS]],
  },
  { sql: 'show transactions', error: 'NOT_SUPPORTED', errorText: 'mnode leader' },
  // TDengine's tools read server_version() and want a 3.x; Basalt's own is basalt_version().
  { sql: 'select server_version()', columns: ['server_version()'], rows: [['3.3.6.0']] },
  { sql: 'select server_version() as v, database()', columns: ['v', 'database()'], rows: [['3.3.6.0', null]] },
  {
    sql: 'select basalt_version(), client_version()',
    columns: ['basalt_version()', 'client_version()'],
    rows: [['0.1.0', '3.3.6.0']],
  },
  { sql: 'select now()', rows: [[NOW_MS]] },
  { sql: 'select server_status()', rows: [[1]] },
  { sql: 'select current_user()', rows: [['root']] },
  { sql: 'create dnode "host2:6030"', error: 'NOT_SUPPORTED', errorText: 'mnode leader' },
  { sql: 'drop dnode 2', error: 'NOT_SUPPORTED', errorText: 'mnode leader' },
  { sql: 'create mnode on dnode 2', error: 'NOT_SUPPORTED', errorText: 'mnode leader' },
  { sql: 'drop mnode on dnode 1', error: 'NOT_SUPPORTED', errorText: 'mnode leader' },
  { sql: 'balance vgroup', error: 'NOT_SUPPORTED', errorText: 'mnode leader' },
  { sql: 'balance vgroup leader', error: 'NOT_SUPPORTED', errorText: 'mnode leader' },
  { sql: 'redistribute vgroup 2 dnode 1', error: 'NOT_SUPPORTED', errorText: 'mnode leader' },
  { sql: "alter dnode 1 'debugFlag' '143'", error: 'NOT_SUPPORTED', errorText: 'mnode leader' },
  { sql: 'create database c3 replica 3', error: 'OUT_OF_DNODES' },
  // supportVnodes is 256 in the harness; 3 are in use
  { sql: 'create database c3 vgroups 254', error: 'VNODES_EXHAUSTED', errorText: '253 of 256' },
  { sql: 'create database c3 vgroups 253; drop database c3' },
  { sql: `create database ${'x'.repeat(65)}`, error: 'INVALID_IDENTIFIER' },
  { sql: "create user u1 pass 'secret1'" },
  {
    sql: 'show users',
    pick: ['name', 'super'],
    rowsAnyOrder: [
      ['root', 1],
      ['u1', 0],
    ],
  },
  { sql: "create user u1 pass 'x'", error: 'INVALID_PARA', errorText: 'u1' },
  { sql: 'drop user root', error: 'INVALID_PARA', errorText: 'root' },
  { sql: 'drop user u1; show users', pick: ['name'], rows: [['root']] },
  { sql: "alter user nobody pass 'x'", error: 'INVALID_PARA', errorText: 'nobody' },
  { sql: 'flush database c1' },
  { sql: 'compact database c1' },
  { sql: 'flush database nosuch', error: 'DB_NOT_EXIST' },
  { sql: 'delete from c1.a', error: 'NOT_SUPPORTED' },
  { sql: 'selec 1', error: 'SYNTAX_ERROR' },
  { sql: 'create database', error: 'SYNTAX_ERROR' },
  { sql: 'show c1.tables -- a comment', rows: [['a'], ['b'], ['c'], ['d']] },
];

let te: TestEngine;
before(async () => {
  te = await openTestEngine();
});
after(async () => {
  await te.close();
});

test('cluster show commands, users, cluster-only statements', async (t) => {
  await runCases(t, te, cases);
});

test('only super users manage users; anyone may change their own password', async (t) => {
  await runCases(t, te, [{ sql: "create user plain pass 'p1'" }]);
  te.session = { user: 'plain', db: null };
  await runCases(t, te, [
    { sql: "create user other pass 'x'", error: 'PERMISSION_DENIED', errorText: 'plain' },
    { sql: "alter user root pass 'hijack'", error: 'PERMISSION_DENIED', errorText: 'root' },
    { sql: 'drop user plain', error: 'PERMISSION_DENIED' },
    { sql: "alter user plain pass 'p2'" },
  ]);
  assert.equal(te.engine.authenticate('plain', 'p2'), true);
  assert.equal(te.engine.authenticate('root', 'hijack'), false);
  te.session = { user: 'root', db: null };
  await runCases(t, te, [{ sql: 'drop user plain' }]);
  assert.equal(te.engine.authenticate('plain', 'p2'), false);
});

test("authenticate follows 'alter user root pass', also after a restart", async () => {
  assert.equal(te.engine.authenticate('root', 'taosdata'), true);
  assert.equal(te.engine.authenticate('root', 'wrong'), false);
  assert.equal(te.engine.authenticate('nobody', 'taosdata'), false);
  for await (const _ of te.engine.executeMany("alter user root pass 'n3wpass'", te.session)) {
    /* exec */
  }
  assert.equal(te.engine.authenticate('root', 'taosdata'), false);
  assert.equal(te.engine.authenticate('root', 'n3wpass'), true);
  await te.reopen();
  assert.equal(te.engine.authenticate('root', 'n3wpass'), true);
  assert.equal(te.engine.authenticate('root', 'taosdata'), false);
});
