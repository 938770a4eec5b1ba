// `POST /influxdb/v1/write` on the REST server of a real dnode (real engine, in-process):
// auth by Basic or u/p, 204 with the rows stored, errors as JSON with the right status,
// a bad line leaves nothing written, gzip bodies inflated.
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { after, before, test } from 'node:test';
import { startTestServer, type TestServer } from '../rpc/harness.js';
import { ROOT, restSql, type RestAnswer } from './rest-sql.js';

let server: TestServer;
let base: string;
const T0 = 1704067200;

before(async () => {
  server = await startTestServer();
  base = `http://127.0.0.1:${server.httpPort}`;
  assert.equal((await sql("create database lp precision 'ms'")).code, 0);
});

after(async () => {
  await server.stop();
});

const sql = (text: string): Promise<RestAnswer> => restSql(base, text);

async function write(
  query: string,
  body: string | Uint8Array,
  headers: Record<string, string> = {},
  method = 'POST',
): Promise<{ status: number; text: string }> {
  const r = await fetch(`${base}/influxdb/v1/write?${query}`, {
    method,
    headers,
    ...(method === 'POST' ? { body } : {}),
  });
  return { status: r.status, text: await r.text() };
}

async function count(table: string): Promise<number> {
  const r = await sql(`select count(*) from lp.${table}`);
  assert.equal(r.code, 0, r.desc);
  return Number(r.data[0]![0]);
}

test('u/p parameters and Basic auth both write; 204 with an empty body; values stored', async () => {
  const a = await write(
    'db=lp&precision=s&u=root&p=taosdata',
    `cpu,host=a,tbname=c1 usage=1.5 ${T0}\ncpu,host=a,tbname=c1 usage=2.5 ${T0 + 1}\n`,
  );
  assert.equal(a.status, 204, a.text);
  assert.equal(a.text, '');
  const b = await write('db=lp&precision=ms', `cpu,host=a,tbname=c1 usage=3.5 ${(T0 + 2) * 1000}\n`, {
    Authorization: ROOT,
  });
  assert.equal(b.status, 204, b.text);
  const r = await sql('select _ts, usage from lp.cpu order by _ts');
  assert.equal(r.code, 0, r.desc);
  assert.deepEqual(
    r.data.map((row) => row[1]),
    [1.5, 2.5, 3.5],
  );
});

test('missing or wrong credentials are 401 JSON and write nothing', async () => {
  const none = await write('db=lp&precision=s', `auth,tbname=x1 v=1 ${T0}\n`);
  assert.equal(none.status, 401);
  assert.match(JSON.parse(none.text).desc as string, /u and p query parameters/);
  const wrongP = await write('db=lp&precision=s&u=root&p=nope', `auth,tbname=x1 v=1 ${T0}\n`);
  assert.equal(wrongP.status, 401);
  const wrongBasic = await write('db=lp&precision=s', `auth,tbname=x1 v=1 ${T0}\n`, {
    Authorization: 'Basic ' + Buffer.from('root:bad').toString('base64'),
  });
  assert.equal(wrongBasic.status, 401);
  const r = await sql('select count(*) from lp.auth');
  assert.notEqual(r.code, 0, 'the measurement must not exist after refused writes');
});

test('a bad line is 400 naming the line, and nothing of that request is written', async () => {
  const bad = await write(
    'db=lp&precision=s&u=root&p=taosdata',
    `mem,tbname=m1 used=1 ${T0}\nmem,tbname=m1 used=2 ${T0 + 1}\nmem,tbname=m1 used= ${T0 + 2}\n`,
  );
  assert.equal(bad.status, 400);
  assert.match(JSON.parse(bad.text).message as string, /line 3/);
  const good = await write('db=lp&precision=s&u=root&p=taosdata', `mem,tbname=m1 used=7 ${T0}\n`);
  assert.equal(good.status, 204, good.text);
  assert.equal(await count('mem'), 1);
});

test('unknown database 404, missing db 400, GET 405, gzip body inflated', async () => {
  const nodb = await write('db=nope&u=root&p=taosdata', `m v=1 ${T0}000000000\n`);
  assert.equal(nodb.status, 404);
  assert.match(JSON.parse(nodb.text).message as string, /create database nope/);
  const missing = await write('u=root&p=taosdata', `m v=1\n`);
  assert.equal(missing.status, 400);
  const get = await write('db=lp&u=root&p=taosdata', '', {}, 'GET');
  assert.equal(get.status, 405);
  const gz = await write(
    'db=lp&precision=s&u=root&p=taosdata',
    gzipSync(Buffer.from(`zip,tbname=z1 v=1 ${T0}\nzip,tbname=z1 v=2 ${T0 + 1}\n`)),
    { 'Content-Encoding': 'gzip' },
  );
  assert.equal(gz.status, 204, gz.text);
  assert.equal(await count('zip'), 2);
});
