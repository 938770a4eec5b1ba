// The mnode leader's show commands on a real single dnode (engine, gateway, mnode in this
// process): show dnodes / mnodes / cluster / dnode N variables / transactions have one
// implementation, src/mnode/cluster-statements.ts, reached through the gateway.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { connect, type Connection } from '../../src/client/index.js';
import { startTestServer, type TestServer } from '../rpc/harness.js';

let server: TestServer;
let conn: Connection;
let ep: string;

before(async () => {
  server = await startTestServer({ supportVnodes: '12' });
  conn = await connect({ port: server.rpcPort });
  ep = `localhost:${server.rpcPort}`;
});

after(async () => {
  conn.close();
  await server.stop();
});

const names = (r: { columns: readonly { name: string }[] }): string[] => r.columns.map((c) => c.name);

test('show dnodes: this dnode, ready, its vnodes counted as databases are created', async () => {
  let r = await conn.query('show dnodes');
  assert.deepEqual(names(r), [
    'id',
    'endpoint',
    'vnodes',
    'support_vnodes',
    'status',
    'create_time',
    'reboot_time',
    'note',
  ]);
  const row = r.rows()[0]!;
  assert.deepEqual([row[0], row[1], row[2], row[3], row[4], row[7]], [1, ep, 0, 12, 'ready', '']);
  assert.ok(typeof row[5] === 'number' && Math.abs(row[5] - Date.now()) < 60_000, `create_time ${row[5]}`);
  await conn.query('create database sc1 vgroups 2');
  await conn.query('create database sc2 vgroups 1');
  r = await conn.query('show dnodes');
  assert.deepEqual(
    r.rows().map((x) => [x[0], x[2], x[4]]),
    [[1, 3, 'ready']],
  );
});

test('show mnodes and show cluster', async () => {
  const m = await conn.query('show mnodes');
  assert.deepEqual(names(m), ['id', 'endpoint', 'role', 'status', 'create_time', 'role_time']);
  assert.deepEqual(
    m.rows().map((x) => x.slice(0, 4)),
    [[1, ep, 'leader', 'ready']],
  );
  const c = await conn.query('show cluster');
  assert.deepEqual(names(c), ['id', 'name', 'uptime', 'create_time', 'version', 'expire_time']);
  const row = c.rows()[0]!;
  assert.equal(typeof row[0], 'bigint');
  assert.equal(String(row[0]), row[1], 'the cluster name is its id');
  assert.equal(row[4], '0.0.0-test');
  assert.equal(row[5], null);
});

test('show dnode N variables (with like) and show transactions', async () => {
  const v = await conn.query('show dnode 1 variables');
  assert.deepEqual(names(v), ['dnode_id', 'name', 'value', 'scope', 'info']);
  const byName = new Map(v.rows().map((x) => [x[1], x[2]]));
  assert.equal(byName.get('serverPort'), String(server.rpcPort));
  assert.equal(byName.get('fqdn'), 'localhost');
  assert.equal(byName.get('supportVnodes'), '12');
  const like = await conn.query("show dnode 1 variables like 'fq%'");
  assert.deepEqual(
    like.rows().map((x) => [x[0], x[1], x[2]]),
    [[1, 'fqdn', 'localhost']],
  );
  await assert.rejects(
    conn.query('show dnode 7 variables'),
    (e: Error & { errorName?: string }) => e.errorName === 'DNODE_NOT_EXIST' && /dnode 7/.test(e.message),
  );
  const t = await conn.query('show transactions');
  assert.deepEqual(names(t), [
    'id',
    'create_time',
    'stage',
    'db1',
    'db2',
    'failed_times',
    'last_exec_time',
    'last_action_info',
  ]);
  assert.equal(t.rows().length, 0);
});
