// The client library against a real dnode process core (in-process, fake engine):
// connect/auth, query with typed values, streaming across FETCHes, use db, the bulk path,
// status, reconnect after the server drops, and password changes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect, checkServer } from '../../src/client/index.js';
import { allocVector } from '../../src/common/block.js';
import { DataType } from '../../src/common/types.js';
import { BasaltError } from '../../src/common/errors.js';
import { startFakeServer, freePort, type FakeServer } from '../rpc/harness.js';
import { BIG_BASE_TS } from '../rpc/fake-engine.js';

let srv: FakeServer;
before(async () => {
  srv = await startFakeServer();
});
after(async () => {
  await srv.stop();
});

test('query returns typed columnar values and rows()', async () => {
  const c = await connect({ port: srv.rpcPort });
  try {
    assert.equal(c.serverVersion, '0.0.0-test');
    const r = await c.query('select big 10');
    assert.equal(r.kind, 'query');
    assert.deepEqual(
      r.columns.map((x) => `${x.name}:${x.typeName}:${x.bytes}`),
      ['ts:TIMESTAMP:8', 'i:INT:4', 'b:BIGINT:8', 'f:FLOAT:4', 's:VARCHAR:20', 'ok:BOOL:1'],
    );
    assert.equal(r.numRows, 10);
    const rows = r.rows();
    assert.deepEqual(rows[2], [BIG_BASE_TS + 2000, 2, 20_000_000_000n, 2.5, 'row-2', false]);
    assert.equal(rows[3]![1], null, 'null INT arrives as null');
    assert.equal(r.value(9, 's'), 'row-9');
    assert.ok(r.blocks[0]!.columns[0]!.data instanceof Float64Array);
  } finally {
    c.close();
  }
});

test('a large result streams over several FETCH round trips, in order, and can be abandoned', async () => {
  const c = await connect({ port: srv.rpcPort });
  try {
    const s = await c.queryStream('select big 60000');
    let n = 0;
    let blocks = 0;
    for await (const b of s.blocks) {
      const ts = b.columns[0]!.data as Float64Array;
      for (let i = 0; i < b.numRows; i++) assert.equal(ts[i], BIG_BASE_TS + (n + i) * 1000);
      n += b.numRows;
      blocks++;
    }
    assert.equal(n, 60000);
    assert.ok(blocks >= 60, `got ${blocks} blocks`);
    // Abandon one early: the server's iterator is released (abandoned counter).
    const before = srv.engine.abandoned;
    const s2 = await c.queryStream('select big 500000');
    for await (const _b of s2.blocks) break;
    const t0 = Date.now();
    while (srv.engine.abandoned === before && Date.now() - t0 < 2000) await new Promise((r) => setTimeout(r, 10));
    assert.equal(srv.engine.abandoned, before + 1);
  } finally {
    c.close();
  }
});

test('use db changes the session; stateless queries neither read nor change it', async () => {
  const c = await connect({ port: srv.rpcPort });
  try {
    await c.query('create database cdb1');
    await c.query('create database cdb2');
    const u = await c.query('use cdb1');
    assert.equal(u.kind, 'exec');
    assert.equal(u.useDb, 'cdb1');
    assert.equal(c.database, 'cdb1');
    assert.equal((await c.query('select db')).value(0, 0), 'cdb1');
    assert.equal((await c.query('select db', { db: 'cdb2' })).value(0, 0), 'cdb2');
    assert.equal((await c.query('select db', { db: null })).value(0, 0), null);
    assert.equal((await c.query('select db')).value(0, 0), 'cdb1');
    const c2 = await connect({ port: srv.rpcPort, database: 'cdb2' });
    assert.equal((await c2.query('select db')).value(0, 0), 'cdb2');
    c2.close();
    await assert.rejects(connect({ port: srv.rpcPort, database: 'nope' }), (e: BasaltError) => e.code === 0x80000388);
  } finally {
    c.close();
  }
});

test('SQL errors carry the server code and message', async () => {
  const c = await connect({ port: srv.rpcPort });
  try {
    await assert.rejects(
      c.query('fail'),
      (e: BasaltError) => e instanceof BasaltError && e.code === 0x80002600 && /fake engine/.test(e.message),
    );
    // The connection stays usable after an error.
    assert.equal((await c.query('select big 1')).numRows, 1);
  } finally {
    c.close();
  }
});

test('insertColumnar sends blocks without SQL and returns rows written', async () => {
  const c = await connect({ port: srv.rpcPort });
  try {
    await c.query('create database bulk');
    const ts = allocVector(DataType.TIMESTAMP, 3);
    const v = allocVector(DataType.DOUBLE, 3, true);
    (ts.data as Float64Array).set([1, 2, 3]);
    (v.data as Float64Array).set([1.5, 0, 3.5]);
    v.nulls![1] = 1;
    const n = await c.insertColumnar('bulk', [
      {
        table: 'd1',
        using: { stable: 'meters', tags: [1, 'SF', 5n, true, null] },
        block: { numRows: 3, columns: [ts, v] },
      },
      { table: 'd2', block: { numRows: 3, columns: [ts, v] } },
    ]);
    assert.equal(n, 6);
    const got = srv.engine.bulk.filter((t) => t.table === 'd1')[0]!;
    assert.deepEqual(got.using, { stable: 'meters', tags: [1, 'SF', 5n, true, null] });
    assert.deepEqual([...(got.block.columns[1]!.data as Float64Array)], [1.5, 0, 3.5]);
    assert.equal(got.block.columns[1]!.nulls![1], 1);
    assert.equal((await c.query('select inserted')).value(0, 0), 6n);
    await assert.rejects(
      c.insertColumnar('nodb', [{ table: 'd1', block: { numRows: 3, columns: [ts, v] } }]),
      (e: BasaltError) => e.code === 0x80000388,
    );
  } finally {
    c.close();
  }
});

test('wrong password is AUTH_FAILURE; a password change locks out open connections', async () => {
  await assert.rejects(connect({ port: srv.rpcPort, password: 'wrong' }), (e: BasaltError) => e.code === 0x80000357);
  const c = await connect({ port: srv.rpcPort });
  const admin = await connect({ port: srv.rpcPort });
  try {
    await admin.query("alter user root pass 'n3w'");
    await assert.rejects(c.query('select big 1'), (e: BasaltError) => e.code === 0x80000357);
    const c3 = await connect({ port: srv.rpcPort, password: 'n3w' });
    await c3.query("alter user root pass 'taosdata'");
    c3.close();
    // A session ended by a password change stays ended, even when the password changes back.
    await assert.rejects(c.query('select big 1'), (e: BasaltError) => e.code === 0x80000357);
    const c4 = await connect({ port: srv.rpcPort });
    assert.equal((await c4.query('select big 1')).numRows, 1);
    c4.close();
  } finally {
    c.close();
    admin.close();
  }
});

test('status and checkServer report service ok; an unreachable port is 0: unavailable', async () => {
  const c = await connect({ port: srv.rpcPort });
  try {
    assert.deepEqual(await c.status(), { code: 2, text: 'service ok', detail: '' });
  } finally {
    c.close();
  }
  assert.equal((await checkServer({ port: srv.rpcPort })).code, 2);
  const dead = await freePort();
  const s = await checkServer({ port: dead, timeoutMs: 1000 });
  assert.equal(s.code, 0);
  assert.equal(s.text, 'unavailable');
});

test('requests time out with TIMEOUT and the connection stays usable', async () => {
  const c = await connect({ port: srv.rpcPort, timeoutMs: 100 });
  try {
    await assert.rejects(c.query('slow 400'), (e: BasaltError) => e.errorName === 'TIMEOUT');
    assert.equal((await c.query('select big 2', { timeoutMs: 2000 })).numRows, 2);
  } finally {
    c.close();
  }
});

test('the client reconnects and re-authenticates (with its database) after the server restarts', async () => {
  const own = await startFakeServer();
  try {
    const c = await connect({ port: own.rpcPort });
    await c.query('create database rdb');
    await c.query('use rdb');
    // Drop every server-side connection by restarting the whole server on the same ports.
    const { rpcPort, httpPort } = own;
    await own.server.stop();
    await assert.rejects(c.query('select db'), (e: BasaltError) => e.errorName === 'CONNECTION_FAILED');
    const again = await startFakeServer({ serverPort: String(rpcPort), httpPort: String(httpPort) });
    again.engine.databases.add('rdb');
    try {
      assert.equal((await c.query('select db')).value(0, 0), 'rdb');
    } finally {
      c.close();
      await again.stop();
    }
  } finally {
    await own.stop();
  }
});

test('open result cursors per connection are bounded; closing one frees a slot', async () => {
  const { Limits } = await import('../../src/common/limits.js');
  const c = await connect({ port: srv.rpcPort });
  try {
    const open = [];
    for (let i = 0; i < Limits.maxOpenCursorsPerConnection; i++) open.push(await c.queryStream('select big 200000'));
    await assert.rejects(
      c.queryStream('select big 200000'),
      (e: BasaltError) => e.errorName === 'QUEUE_FULL' && /open result sets/.test(e.message),
    );
    await open[0]!.close();
    const again = await c.queryStream('select big 200000');
    await again.close();
    for (const s of open) await s.close();
    // Small results never hold a cursor.
    assert.equal((await c.query('select big 3')).numRows, 3);
  } finally {
    c.close();
  }
});
