// Port mix-ups on a real dnode (RPC + REST in this process): curl at the RPC port reads an
// HTTP answer that names httpPort; the client library pointed at the REST port fails with
// WRONG_PORT naming serverPort, not "Message too large: frame of 1347703884 bytes".
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { connect } from '../../src/client/index.js';
import { startTestServer, type TestServer } from '../rpc/harness.js';

let server: TestServer;

before(async () => {
  server = await startTestServer();
});

after(async () => {
  await server.stop();
});

test('an HTTP request to serverPort gets a 400 that names httpPort', async () => {
  const res = await fetch(`http://127.0.0.1:${server.rpcPort}/rest/sql`, { method: 'POST', body: 'show databases' });
  assert.equal(res.status, 400);
  assert.match(await res.text(), /an HTTP request reached the RPC port \(serverPort\); send REST requests to httpPort/);
  // The RPC port still serves RPC clients afterwards.
  const c = await connect({ port: server.rpcPort });
  try {
    assert.ok((await c.query('show databases')).rows().length >= 2);
  } finally {
    c.close();
  }
});

test('the client library pointed at the REST port fails with WRONG_PORT naming serverPort', async () => {
  await assert.rejects(connect({ port: server.httpPort, timeoutMs: 5_000 }), (e: Error & { errorName?: string }) => {
    assert.equal(e.errorName, 'WRONG_PORT', e.message);
    assert.match(e.message, /answered in HTTP: that is a dnode's REST port .* take serverPort/);
    return true;
  });
});
