// REST on httpPort through the real adapter → client → RPC → dnode path (fake engine):
// TDengine's JSON shape, auth, routes, body limits, streaming of large results.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { startFakeServer, type FakeServer } from '../rpc/harness.js';
import { BIG_BASE_TS } from '../rpc/fake-engine.js';
import { blockRowsJson } from '../../src/adapter/rest-json.js';
import { matchSqlPath, parseBasicAuth } from '../../src/adapter/rest-server.js';
import { allocVector } from '../../src/common/block.js';
import { DataType } from '../../src/common/types.js';

const execFileP = promisify(execFile);
let srv: FakeServer;
let base: string;
const ROOT = 'Basic ' + Buffer.from('root:taosdata').toString('base64');

before(async () => {
  srv = await startFakeServer({ maxHttpBodyBytes: '65536' });
  base = `http://127.0.0.1:${srv.httpPort}`;
});
after(async () => {
  await srv.stop();
});

/** TDengine's REST JSON: a result (rows as arrays, as objects with row_with_meta) or an error (code, desc). */
interface RestJson {
  code: number;
  desc: string;
  rows: number;
  column_meta: unknown[];
  data: unknown[][];
}

async function post(
  path: string,
  body: string | Uint8Array,
  auth: string | null = ROOT,
): Promise<{ status: number; json: RestJson; type: string | null }> {
  const headers: Record<string, string> = {};
  if (auth) headers['Authorization'] = auth;
  const r = await fetch(base + path, { method: 'POST', body, headers });
  const text = await r.text();
  return { status: r.status, json: JSON.parse(text), type: r.headers.get('content-type') };
}

test('show databases answers in TDengine JSON shape', async () => {
  const r = await post('/rest/sql', 'show databases');
  assert.equal(r.status, 200);
  assert.equal(r.type, 'application/json; charset=utf-8');
  assert.deepEqual(r.json.column_meta, [['name', 'VARCHAR', 64]]);
  assert.equal(r.json.code, 0);
  assert.equal(r.json.rows, r.json.data.length);
  assert.deepEqual(r.json.data.slice(0, 2), [['information_schema'], ['performance_schema']]);
});

test('DDL and insert answer affected_rows; values are typed as documented', async () => {
  assert.deepEqual((await post('/rest/sql', 'create database r1')).json, {
    code: 0,
    column_meta: [['affected_rows', 'INT', 4]],
    data: [[0]],
    rows: 1,
  });
  assert.deepEqual((await post('/rest/sql/r1', 'insert into t values (1, 2) (3, 4) (5, 6)')).json.data, [[3]]);
  const q = await post('/rest/sql', 'select big 8');
  assert.deepEqual(q.json.column_meta, [
    ['ts', 'TIMESTAMP', 8],
    ['i', 'INT', 4],
    ['b', 'BIGINT', 8],
    ['f', 'FLOAT', 4],
    ['s', 'VARCHAR', 20],
    ['ok', 'BOOL', 1],
  ]);
  assert.equal(q.json.rows, 8);
  assert.deepEqual(q.json.data[1], [
    new Date(BIG_BASE_TS + 1000).toISOString().replace('.000Z', 'Z'),
    1,
    10_000_000_000,
    1.5,
    'row-1',
    true,
  ]);
  assert.equal(q.json.data[3][1], null);
});

test('the URL database is the default database, and REST stays stateless', async () => {
  await post('/rest/sql', 'create database r2');
  assert.deepEqual((await post('/rest/sql/r2', 'select db')).json.data, [['r2']]);
  assert.deepEqual((await post('/rest/sql/r2/', 'select db')).json.data, [['r2']]);
  assert.deepEqual((await post('/rest/sql/', 'use r2')).json.data, [[0]]);
  assert.deepEqual((await post('/rest/sql', 'select db')).json.data, [[null]], '`use` has no lasting effect over REST');
});

test('SQL errors are HTTP 200 with code & 0xffff and desc', async () => {
  const r = await post('/rest/sql', 'fail');
  assert.equal(r.status, 200);
  assert.equal(r.json.code, 0x2600);
  assert.match(r.json.desc, /^Syntax error in SQL/);
  const e = await post('/rest/sql', '   ');
  assert.equal(e.json.code, 0x2600);
  const u = await post('/rest/sql/nodb', 'use nodb');
  assert.equal(u.json.code, 0x0388);
  const bad = await post('/rest/sql', Uint8Array.from([0xff, 0xfe, 0x41]));
  assert.equal(bad.status, 200);
  assert.match(bad.json.desc, /UTF-8/);
});

test('wrong or missing credentials are 401 with a JSON error', async () => {
  const wrong = await post('/rest/sql', 'show databases', 'Basic ' + Buffer.from('root:nope').toString('base64'));
  assert.equal(wrong.status, 401);
  assert.equal(wrong.json.code, 0x0357);
  const none = await post('/rest/sql', 'show databases', null);
  assert.equal(none.status, 401);
  assert.match(none.json.desc, /Authorization/);
  const garbage = await post('/rest/sql', 'show databases', 'Basic !!!');
  assert.equal(garbage.status, 401);
});

test('ping, unknown routes, wrong methods and oversized bodies', async () => {
  const p = await fetch(base + '/-/ping');
  assert.equal(p.status, 200);
  await p.text();
  const nf = await fetch(base + '/rest/nope', { method: 'POST', body: 'x' });
  assert.equal(nf.status, 404);
  assert.equal(((await nf.json()) as { code: number }).code > 0, true);
  const g = await fetch(base + '/rest/sql', { headers: { Authorization: ROOT } });
  assert.equal(g.status, 405);
  await g.text();
  const big = await post('/rest/sql', 'x'.repeat(70_000));
  assert.equal(big.status, 413);
  assert.match(big.json.desc, /maxHttpBodyBytes 65536/);
  // The server still answers afterwards.
  assert.equal((await post('/rest/sql', 'show databases')).json.code, 0);
});

test('a large result streams as one valid JSON document', async () => {
  const r = await post('/rest/sql', 'select big 30000');
  assert.equal(r.json.rows, 30000);
  assert.equal(r.json.data.length, 30000);
  assert.equal(r.json.data[29999][4], 'row-29999');
});

test('curl, when installed, works unchanged', { skip: spawnSync('curl', ['--version']).status !== 0 }, async () => {
  // Async: the server runs in this process, so a blocking spawn would deadlock.
  const { stdout } = await execFileP('curl', [
    '-s',
    '--noproxy',
    '*',
    '--max-time',
    '10',
    '-u',
    'root:taosdata',
    '-d',
    'show databases',
    `127.0.0.1:${srv.httpPort}/rest/sql`,
  ]);
  const j = JSON.parse(stdout);
  assert.equal(j.code, 0);
  assert.equal(j.data[0][0], 'information_schema');
});

test('helpers: route matching, Basic auth parsing, FLOAT/DOUBLE/BIGINT encoding', () => {
  assert.deepEqual(matchSqlPath('/rest/sql'), { db: null, epoch: false });
  assert.deepEqual(matchSqlPath('/rest/sql/'), { db: null, epoch: false });
  assert.deepEqual(matchSqlPath('/rest/sql/power/'), { db: 'power', epoch: false });
  assert.deepEqual(matchSqlPath('/rest/sqlt/power'), { db: 'power', epoch: true });
  assert.deepEqual(matchSqlPath('/rest/sqlutc'), { db: null, epoch: false });
  assert.equal(matchSqlPath('/rest/sql/a/b'), null);
  assert.equal(matchSqlPath('/rest/sqlx'), null);
  assert.deepEqual(parseBasicAuth('Basic cm9vdDp0YW9zZGF0YQ=='), { user: 'root', password: 'taosdata' });
  assert.equal(parseBasicAuth('Bearer x'), null);
  const f = allocVector(DataType.FLOAT, 1);
  (f.data as Float32Array)[0] = 10.3;
  const d = allocVector(DataType.DOUBLE, 1);
  (d.data as Float64Array)[0] = NaN;
  const b = allocVector(DataType.BIGINT, 1);
  (b.data as BigInt64Array)[0] = 9223372036854775807n;
  assert.equal(blockRowsJson({ numRows: 1, columns: [f, d, b] }, 'ms', true), '[10.3,null,9223372036854775807]');
});

test('token login (/rest/login/<user>/<password>, Authorization: Taosd <token>) and row_with_meta', async () => {
  const login = await fetch(`${base}/rest/login/root/taosdata`);
  assert.equal(login.status, 200);
  const { code, desc } = (await login.json()) as { code: number; desc: string };
  assert.equal(code, 0);
  assert.ok(desc.length >= 32);
  const q = await post('/rest/sql', 'select big 2', `Taosd ${desc}`);
  assert.equal(q.json.rows, 2);
  const bad = await fetch(`${base}/rest/login/root/wrong`);
  assert.equal(bad.status, 401);
  await bad.text();
  assert.equal((await post('/rest/sql', 'select big 1', 'Taosd not-a-token')).status, 401);
  const m = await post('/rest/sql?row_with_meta=true', 'select big 1');
  assert.deepEqual(m.json.data, [{ ts: '2023-11-14T22:13:20Z', i: 0, b: 0, f: 0.5, s: 'row-0', ok: false }]);
});

test('the cached timestamp formatter equals ticksToRfc3339 for every precision', async () => {
  const { makeTimestampFormatter } = await import('../../src/adapter/rest-json.js');
  const { ticksToRfc3339 } = await import('../../src/common/time.js');
  let seed = 7;
  const next = (): number => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
  for (const p of ['ms', 'us', 'ns'] as const) {
    const f = makeTimestampFormatter(p);
    const scale = p === 'ms' ? 1 : p === 'us' ? 1e3 : 1e6;
    let t = 1_600_000_000_000 * scale;
    for (let i = 0; i < 5000; i++) {
      t += Math.floor(next() * 3 * scale * (next() < 0.5 ? 1 : 1000));
      if (i % 1000 === 0) t = -Math.floor(next() * 1e12) * scale; // before 1970 too
      assert.equal(f(t), ticksToRfc3339(t, p), `${p} ${t}`);
    }
  }
});

test('?tz= writes timestamps in that zone with its offset; /rest/sqlt as integers; a bad zone is 400', async () => {
  const at = (ms: number): string => new Date(ms).toISOString().replace('.000Z', 'Z');
  const utc = await post('/rest/sql', 'select big 2');
  assert.equal(utc.json.data[1]![0], at(BIG_BASE_TS + 1000));
  const same = await post('/rest/sqlutc', 'select big 2');
  assert.equal(same.json.data[1]![0], at(BIG_BASE_TS + 1000), '/rest/sqlutc is /rest/sql');
  // Asia/Shanghai is UTC+8 all year: the same instant, 8 hours later on the clock.
  const sh = await post('/rest/sql?tz=Asia/Shanghai', 'select big 2');
  const local = new Date(BIG_BASE_TS + 1000 + 8 * 3_600_000).toISOString().slice(0, 19);
  assert.equal(sh.json.data[1]![0], `${local}+08:00`);
  assert.equal(Date.parse(String(sh.json.data[1]![0])), BIG_BASE_TS + 1000, 'the same instant');
  const epoch = await post('/rest/sqlt', 'select big 2');
  assert.equal(epoch.json.data[1]![0], BIG_BASE_TS + 1000);
  const bad = await post('/rest/sql?tz=Mars/Olympus', 'select big 2');
  assert.equal(bad.status, 400);
  assert.match(bad.json.desc, /tz 'Mars\/Olympus' is not an IANA time zone name/);
});

test('the zone formatter follows daylight saving time and keeps fractions', async () => {
  const { makeTimestampFormatter } = await import('../../src/adapter/rest-json.js');
  const berlin = makeTimestampFormatter('ms', 'Europe/Berlin');
  assert.equal(berlin(Date.UTC(2024, 0, 15, 12, 0, 0, 250)), '2024-01-15T13:00:00.25+01:00');
  assert.equal(berlin(Date.UTC(2024, 6, 15, 12, 0, 0)), '2024-07-15T14:00:00+02:00');
  const ny = makeTimestampFormatter('us', 'America/New_York');
  assert.equal(ny(Date.UTC(2024, 6, 15, 12, 0, 0) * 1000 + 5), '2024-07-15T08:00:00.000005-04:00');
  const kolkata = makeTimestampFormatter('ms', 'Asia/Kolkata');
  assert.equal(kolkata(Date.UTC(2024, 0, 1, 0, 0, 0)), '2024-01-01T05:30:00+05:30');
});
