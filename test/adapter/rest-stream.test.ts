// A large REST result streamed to a client that reads slowly: every flush waits for 'drain',
// and the wait must not leave a listener behind (issue #13: MaxListenersExceededWarning).
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { connect } from '../../src/client/index.js';
import { startTestServer, type TestServer } from '../rpc/harness.js';

const ROWS = 200_000;
const BATCH = 10_000;
let srv: TestServer;

before(async () => {
  srv = await startTestServer();
  const c = await connect({ host: '127.0.0.1', port: srv.rpcPort, timeoutMs: 60_000 });
  try {
    await c.query('create database big');
    await c.query('create table big.t (ts timestamp, v int)');
    for (let from = 0; from < ROWS; from += BATCH) {
      const values = Array.from({ length: BATCH }, (_, i) => `(${1_700_000_000_000 + (from + i) * 10}, ${from + i})`);
      await c.query(`insert into big.t values ${values.join(' ')}`);
    }
  } finally {
    c.close();
  }
});
after(() => srv.stop());

test('streaming 200,000 rows over REST to a slow reader emits no MaxListenersExceededWarning', {
  timeout: 60_000,
}, async () => {
  const warnings: string[] = [];
  const onWarning = (w: Error): void => {
    warnings.push(`${w.name}: ${w.message}`);
  };
  process.on('warning', onWarning);
  try {
    const body = await new Promise<string>((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port: srv.httpPort,
          path: '/rest/sql',
          method: 'POST',
          auth: 'root:taosdata',
        },
        (res) => {
          const parts: Buffer[] = [];
          // Slow at first, so the server's buffers fill and each flush waits for 'drain'.
          res.pause();
          setTimeout(() => res.resume(), 500);
          res.on('data', (d: Buffer) => parts.push(d));
          res.on('end', () => resolve(Buffer.concat(parts).toString('utf8')));
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end('select ts, v from big.t');
    });
    const json = JSON.parse(body) as { code: number; rows: number; data: unknown[][] };
    assert.equal(json.code, 0);
    assert.equal(json.rows, ROWS);
    assert.equal(json.data.length, ROWS);
    // Warnings are emitted on the next tick.
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(
      warnings.filter((w) => /MaxListenersExceeded/.test(w)),
      [],
    );
  } finally {
    process.off('warning', onWarning);
  }
});
