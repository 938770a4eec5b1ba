// FLOAT values through the client library (issue 19): a FLOAT column holds 32-bit floats, and
// the client hands out the decimal that was written (10.3), not the double nearest to the
// stored float (10.300000190734863); DOUBLE values stay as they are.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from '../../src/client/index.js';
import { float32Decimal } from '../../src/common/float32.js';
import { startTestServer, type TestServer } from '../rpc/harness.js';

let srv: TestServer;
before(async () => {
  srv = await startTestServer();
});
after(async () => {
  await srv.stop();
});

test('FLOAT columns come back as the decimals written; DOUBLE unchanged', async () => {
  const c = await connect({ port: srv.rpcPort });
  try {
    await c.exec('create database fv');
    await c.exec('create table fv.t (ts timestamp, f float, d double)');
    const written = [10.3, 0.1, -2.5, 3.4e38, 1.5e-38, 123456.7];
    const values = written.map((v, i) => `(${1_700_000_000_000 + i}, ${v}, ${v})`).join(' ');
    await c.exec(`insert into fv.t values ${values} (${1_700_000_000_100}, null, null)`);
    const r = await c.query('select f, d from fv.t order by ts');
    assert.deepEqual(
      r.rows().map((row) => row[0]),
      [...written, null],
    );
    assert.deepEqual(
      r.rows().map((row) => row[1]),
      [...written, null],
    );
    assert.equal(r.value(0, 'f'), 10.3);
  } finally {
    c.close();
  }
});

test('float32Decimal is the shortest decimal that reads back to the same 32-bit float', () => {
  assert.equal(float32Decimal(Math.fround(10.3)), 10.3);
  assert.equal(float32Decimal(Math.fround(0.1)), 0.1);
  assert.equal(float32Decimal(16777217), 16777216, 'beyond 2^24 the float is what is stored');
  assert.ok(Number.isNaN(float32Decimal(Number.NaN)));
  let seed = 11;
  for (let i = 0; i < 10_000; i++) {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    const f = Math.fround((seed / 2147483648 - 0.5) * 10 ** ((seed % 20) - 10));
    const d = float32Decimal(f);
    assert.equal(Math.fround(d), f, `${f} → ${d}`);
    assert.ok(
      String(d)
        .replace(/^-|\.|e.*$/g, '')
        .replace(/^0+/, '').length <= 9,
      `${d} has at most 9 digits`,
    );
  }
});
