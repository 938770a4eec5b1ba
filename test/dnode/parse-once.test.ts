// A statement is parsed exactly once per execution: the gateway parses it and hands the
// statement to the mnode leader's code or the engine, never the text to parse again. Counted
// with the parser's own call counter on a real dnode (engine, gateway, RPC and REST in this
// process), for a DDL, an insert and a select, through the RPC port and through REST.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { connect, type Connection } from '../../src/client/index.js';
import { parserCalls } from '../../src/sql/index.js';
import { startTestServer, type TestServer } from '../rpc/harness.js';

let server: TestServer;
let conn: Connection;

before(async () => {
  server = await startTestServer();
  conn = await connect({ port: server.rpcPort });
});

after(async () => {
  conn.close();
  await server.stop();
});

async function rest(sql: string, db = ''): Promise<{ code: number; rows: number }> {
  const res = await fetch(`http://127.0.0.1:${server.httpPort}/rest/sql${db ? `/${db}` : ''}`, {
    method: 'POST',
    body: sql,
    headers: { authorization: `Basic ${Buffer.from('root:taosdata').toString('base64')}` },
  });
  const body = (await res.json()) as { code: number; rows?: number; data?: unknown[] };
  assert.equal(body.code, 0, `${sql}: ${JSON.stringify(body)}`);
  return { code: body.code, rows: body.rows ?? 0 };
}

/** Parser calls made while `fn` runs one statement. */
async function parsesOf(fn: () => Promise<unknown>): Promise<number> {
  const before = parserCalls();
  await fn();
  return parserCalls() - before;
}

test('through the RPC port: one parse per DDL, insert and select', async () => {
  assert.equal(await parsesOf(() => conn.query('create database po1 vgroups 2')), 1, 'create database');
  assert.equal(await parsesOf(() => conn.query('create table po1.t (ts timestamp, v int)')), 1, 'create table');
  assert.equal(
    await parsesOf(() => conn.query('insert into po1.t values (1700000000000, 1) (1700000001000, 2)')),
    1,
    'insert',
  );
  let rows: unknown[][] = [];
  assert.equal(
    await parsesOf(async () => {
      rows = (await conn.query('select v from po1.t order by ts')).rows();
    }),
    1,
    'select',
  );
  assert.deepEqual(rows, [[1], [2]]);
  // A connection whose database is given at connect time: `use` without SQL text.
  const c2 = await connect({ port: server.rpcPort, database: 'po1' });
  try {
    assert.equal(
      await parsesOf(async () => {
        rows = (await c2.query('select count(*) from t')).rows();
      }),
      1,
      'select in the connected database',
    );
    assert.deepEqual(rows, [[2n]]);
  } finally {
    c2.close();
  }
});

test('through REST: one parse per DDL, insert and select', async () => {
  assert.equal(await parsesOf(() => rest('create database po2')), 1, 'create database');
  assert.equal(await parsesOf(() => rest('create table t (ts timestamp, v int)', 'po2')), 1, 'create table');
  assert.equal(await parsesOf(() => rest('insert into t values (1700000000000, 7)', 'po2')), 1, 'insert');
  let r = { code: -1, rows: 0 };
  assert.equal(
    await parsesOf(async () => {
      r = await rest('select * from po2.t');
    }),
    1,
    'select',
  );
  assert.equal(r.rows, 1);
});
