// Line protocol through the client library (as a standalone or RPC-backed adapter runs it):
// a real dnode with the real engine in-process, a client connection, lineProtocolTarget().
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { handleInfluxWrite, lineProtocolTarget } from '../../src/adapter/line-protocol/index.js';
import { connect, type Connection } from '../../src/client/index.js';
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

test('writes through a client connection: super table created, values and tags exact, errors name the line', async () => {
  await conn.query('create database lpc');
  const target = lineProtocolTarget(conn);
  assert.equal(lineProtocolTarget(conn), target, 'one target per connection, so the schema cache is kept');
  const T0 = 1704067200;
  const ok = await handleInfluxWrite(target, {
    db: 'lpc',
    precision: 's',
    body: Buffer.from(
      `cpu,host=a\\ 1,tbname=c1 usage=1.5,n=9007199254740993i ${T0}\ncpu,host=a\\ 1,tbname=c1 usage=2.5,flag=t ${T0 + 1}\n`,
    ),
  });
  assert.equal(ok.status, 204, ok.body);
  const r = await conn.query('select _ts, usage, n, flag, host from lpc.cpu');
  assert.deepEqual(r.rows(), [
    [T0 * 1000, 1.5, 9007199254740993n, null, 'a 1'],
    [(T0 + 1) * 1000, 2.5, null, true, 'a 1'],
  ]);
  const bad = await handleInfluxWrite(target, {
    db: 'lpc',
    precision: 's',
    body: Buffer.from(`cpu,tbname=c1 usage=1 ${T0 + 2}\ncpu,tbname=c1 usage="x" ${T0 + 3}\n`),
  });
  assert.equal(bad.status, 400);
  assert.match(JSON.parse(bad.body!).message as string, /line 2: field 'usage' of measurement 'cpu'/);
  const missing = await handleInfluxWrite(target, { db: 'nope', precision: 's', body: Buffer.from('m v=1') });
  assert.equal(missing.status, 404);
  assert.match(JSON.parse(missing.body!).message as string, /create database nope/);
  assert.equal((await conn.query('select count(*) from lpc.cpu')).rows()[0]![0], 2n);
});
