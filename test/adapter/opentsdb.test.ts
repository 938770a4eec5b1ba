// OpenTSDB's put formats on a real dnode's httpPort (issue 19): `/opentsdb/v1/put/json/<db>`
// (one point or an array; seconds or milliseconds) and `/opentsdb/v1/put/telnet/<db>`, mapped as
// TDengine's schemaless does (metric → super table, `_value` DOUBLE, tags → tags). The rows are
// read back with SQL; bad points are 400 naming the point, and nothing of that request lands.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { openTsdbJsonToLines, openTsdbTelnetToLines } from '../../src/adapter/opentsdb.js';
import { startTestServer, type TestServer } from '../rpc/harness.js';
import { ROOT, restSql, type RestAnswer } from './rest-sql.js';

let server: TestServer;
let base: string;
const T0 = 1_704_067_200; // seconds

before(async () => {
  server = await startTestServer();
  base = `http://127.0.0.1:${server.httpPort}`;
  assert.equal((await sql('create database tsdb')).code, 0);
});

after(async () => {
  await server.stop();
});

const sql = (text: string): Promise<RestAnswer> => restSql(base, text);

async function put(
  kind: 'json' | 'telnet',
  body: string,
  auth: string | null = ROOT,
): Promise<{ status: number; text: string }> {
  const r = await fetch(`${base}/opentsdb/v1/put/${kind}/tsdb`, {
    method: 'POST',
    body,
    headers: auth ? { Authorization: auth } : {},
  });
  return { status: r.status, text: await r.text() };
}

test('JSON put: one point and an array, seconds and milliseconds, read back with SQL', async () => {
  const one = await put(
    'json',
    JSON.stringify({ metric: 'sys.cpu.nice', timestamp: T0, value: 18, tags: { host: 'web01', dc: 'lga' } }),
  );
  assert.equal(one.status, 204, one.text);
  const many = await put(
    'json',
    JSON.stringify([
      { metric: 'sys.cpu.nice', timestamp: (T0 + 1) * 1000, value: 9.5, tags: { host: 'web01', dc: 'lga' } },
      { metric: 'sys.cpu.nice', timestamp: T0, value: '7', tags: { host: 'web02', dc: 'lga' } },
    ]),
  );
  assert.equal(many.status, 204, many.text);
  const r = await sql('select _ts, _value, host, dc from tsdb.`sys.cpu.nice` order by host, _ts');
  assert.equal(r.code, 0, r.desc);
  assert.deepEqual(
    r.data.map((row) => [Date.parse(String(row[0])), row[1], row[2], row[3]]),
    [
      [T0 * 1000, 18, 'web01', 'lga'],
      [(T0 + 1) * 1000, 9.5, 'web01', 'lga'],
      [T0 * 1000, 7, 'web02', 'lga'],
    ],
  );
});

test('telnet put: one point per line, with or without put, read back with SQL', async () => {
  const w = await put(
    'telnet',
    [
      `put meters.current ${T0} 10.3 location=California.SanFrancisco groupid=2`,
      `meters.current ${T0 + 1} 12.6 location=California.SanFrancisco groupid=2`,
      '',
      `meters.current ${(T0 + 2) * 1000} 11.8 location=California.LosAngeles groupid=3`,
    ].join('\n'),
  );
  assert.equal(w.status, 204, w.text);
  const r = await sql("select count(*), sum(_value) from tsdb.`meters.current` where groupid = '2'");
  assert.equal(r.code, 0, r.desc);
  assert.equal(Number(r.data[0]![0]), 2);
  assert.ok(Math.abs(Number(r.data[0]![1]) - 22.9) < 1e-9);
  const la = await sql("select _value from tsdb.`meters.current` where location = 'California.LosAngeles'");
  assert.deepEqual(la.data, [[11.8]]);
});

test('bad points are 400 naming the point; credentials are required', async () => {
  const before = Number((await sql('select count(*) from tsdb.`sys.cpu.nice`')).data[0]![0]);
  const badTs = await put(
    'json',
    JSON.stringify([
      { metric: 'sys.cpu.nice', timestamp: T0 + 5, value: 1, tags: { host: 'web09' } },
      { metric: 'sys.cpu.nice', timestamp: 'yesterday', value: 1, tags: { host: 'web09' } },
    ]),
  );
  assert.equal(badTs.status, 400);
  assert.match(
    (JSON.parse(badTs.text) as { message: string }).message,
    /point 2: timestamp "yesterday" must be a Unix time/,
  );
  assert.equal(
    Number((await sql('select count(*) from tsdb.`sys.cpu.nice`')).data[0]![0]),
    before,
    'nothing of it landed',
  );
  const badValue = await put('telnet', `meters.current ${T0} high location=x groupid=1`);
  assert.equal(badValue.status, 400);
  assert.match(
    (JSON.parse(badValue.text) as { message: string }).message,
    /point 1: value "high" must be a finite number/,
  );
  const notJson = await put('json', '{"metric": ');
  assert.equal(notJson.status, 400);
  assert.match(notJson.text, /not JSON/);
  const anon = await put('json', JSON.stringify({ metric: 'm', timestamp: T0, value: 1, tags: { a: 'b' } }), null);
  assert.equal(anon.status, 401);
});

test('the conversion escapes line protocol specials in metrics and tags', () => {
  const { text } = openTsdbJsonToLines(
    Buffer.from(JSON.stringify({ metric: 'a b,c', timestamp: 1, value: 2, tags: { 'k=1': 'v 1,x' } })),
  );
  assert.equal(text, 'a\\ b\\,c,k\\=1=v\\ 1\\,x _value=2 1000');
  assert.equal(
    openTsdbTelnetToLines(Buffer.from('put m 1700000000000 -1.5e3 t=1\n')).text,
    'm,t=1 _value=-1500 1700000000000',
  );
});
