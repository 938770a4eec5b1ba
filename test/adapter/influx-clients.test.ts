// InfluxDB's own clients, unmodified, against a real dnode's httpPort (issue 19): the 1.x
// `influx` package (ping, CREATE DATABASE, SHOW DATABASES, writePoints at its default
// nanosecond precision, credentials as u/p) and the 2.x `@influxdata/influxdb-client` (a
// WriteApi to /api/v2/write with `Token user:password`, bucket = database). The rows are read
// back with SQL; wrong credentials and InfluxQL queries fail with messages that say why.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { InfluxDB as InfluxV1 } from 'influx';
import { InfluxDB as InfluxV2, Point } from '@influxdata/influxdb-client';
import { startTestServer, type TestServer } from '../rpc/harness.js';
import { restSql, type RestAnswer } from './rest-sql.js';

let server: TestServer;
let base: string;
const T0_MS = 1_704_067_200_000;

before(async () => {
  server = await startTestServer();
  base = `http://127.0.0.1:${server.httpPort}`;
});

after(async () => {
  await server.stop();
});

const sql = (text: string): Promise<RestAnswer> => restSql(base, text);

test('the influx 1.x client: ping, create and list databases, write points, read them back with SQL', async () => {
  const client = new InfluxV1({
    host: '127.0.0.1',
    port: server.httpPort,
    database: 'ifx1',
    username: 'root',
    password: 'taosdata',
  });
  const pong = await client.ping(2_000);
  assert.equal(pong.length, 1);
  assert.equal(pong[0]!.online, true, 'ping sees the server online');
  assert.equal(pong[0]!.version, '1.8.10');

  await client.createDatabase('ifx1');
  await client.createDatabase('ifx1'); // as in InfluxDB: creating an existing database is not an error
  const names = await client.getDatabaseNames();
  assert.ok(names.includes('ifx1'), `SHOW DATABASES lists the new database: ${names.join(', ')}`);
  assert.ok(!names.includes('information_schema'), 'system databases are not listed');

  await client.writePoints([
    { measurement: 'cpu', tags: { host: 'a' }, fields: { usage: 1.5 }, timestamp: new Date(T0_MS) },
    { measurement: 'cpu', tags: { host: 'a' }, fields: { usage: 2.5 }, timestamp: new Date(T0_MS + 1_000) },
    { measurement: 'cpu', tags: { host: 'b' }, fields: { usage: 7 }, timestamp: new Date(T0_MS) },
  ]);
  const r = await sql('select host, usage from ifx1.cpu order by host, _ts');
  assert.equal(r.code, 0, r.desc);
  assert.deepEqual(r.data, [
    ['a', 1.5],
    ['a', 2.5],
    ['b', 7],
  ]);
  const ts = await sql("select _ts from ifx1.cpu where host = 'a' order by _ts");
  assert.deepEqual(
    ts.data.map((row) => Date.parse(String(row[0]))),
    [T0_MS, T0_MS + 1_000],
    'nanosecond timestamps land on their millisecond',
  );

  await assert.rejects(client.query('select * from cpu'), /not supported.*\/rest\/sql/s, 'InfluxQL says where to go');
  const wrong = new InfluxV1({
    host: '127.0.0.1',
    port: server.httpPort,
    database: 'ifx1',
    username: 'root',
    password: 'nope',
  });
  await assert.rejects(
    wrong.writePoints([{ measurement: 'cpu', tags: { host: 'x' }, fields: { usage: 1 } }]),
    /401|[Aa]uthentication/,
  );
  assert.equal(Number((await sql("select count(*) from ifx1.cpu where host = 'x'")).data[0]?.[0] ?? 0), 0);
});

test('the @influxdata/influxdb-client 2.x client: WriteApi with Token user:password, bucket = database', async () => {
  assert.equal((await sql('create database ifx2')).code, 0);
  const influx = new InfluxV2({ url: base, token: 'root:taosdata' });
  const w = influx.getWriteApi('any-org', 'ifx2/autogen', 'ms');
  w.writePoint(new Point('mem').tag('host', 'b').floatField('used', 42.5).timestamp(new Date(T0_MS)));
  w.writePoint(
    new Point('mem')
      .tag('host', 'b')
      .floatField('used', 43.5)
      .timestamp(new Date(T0_MS + 10)),
  );
  await w.close();
  const r = await sql('select _ts, used from ifx2.mem order by _ts');
  assert.equal(r.code, 0, r.desc);
  assert.deepEqual(
    r.data.map((row) => [Date.parse(String(row[0])), row[1]]),
    [
      [T0_MS, 42.5],
      [T0_MS + 10, 43.5],
    ],
  );

  const bad = new InfluxV2({ url: base, token: 'root:wrong', timeout: 5_000 });
  const bw = bad.getWriteApi('any-org', 'ifx2', 'ms', { maxRetries: 0 });
  bw.writePoint(new Point('mem').tag('host', 'z').floatField('used', 1).timestamp(new Date(T0_MS)));
  await assert.rejects(bw.close(), (e: Error & { statusCode?: number }) => e.statusCode === 401);
  const missing = influx.getWriteApi('any-org', 'no_such_db', 'ms', { maxRetries: 0 });
  missing.writePoint(new Point('mem').floatField('used', 1).timestamp(new Date(T0_MS)));
  await assert.rejects(
    missing.close(),
    (e: Error & { statusCode?: number }) => e.statusCode === 404 && /create database/i.test(e.message),
  );

  const health = await fetch(`${base}/health`);
  assert.equal(health.status, 200);
  assert.equal(((await health.json()) as { status: string }).status, 'pass');
});
