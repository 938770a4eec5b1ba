// Issue 13, findings 1, 2, 3 and 7 replayed against real dnode processes as an attacker on
// their network would: raw frames of every cluster message type on the client port, Raft
// from a node that is not a member, a rogue dnode with and without `create dnode`, a wrong
// token, and a second process claiming a joined dnode's endpoint or a copy of its dataDir.
// Each is refused with a code, counted in the log, and changes nothing.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import { join } from 'node:path';
import { ClusterMsg } from '../../src/mnode/cluster-messages.js';
import { encodeFrame, FLAG_ONEWAY } from '../../src/rpc/frame.js';
import { RpcClient } from '../../src/rpc/client.js';
import { MsgType } from '../../src/rpc/messages.js';
import { encodeEnvelope } from '../../src/replica/wire.js';
import { connect } from '../../src/client/index.js';
import {
  dnodes,
  mnodes,
  sleep,
  sql,
  sqlError,
  startThreeMnodeCluster,
  TestCluster,
  waitFor,
} from '../cluster/harness.js';

const cluster = new TestCluster();
after(() => cluster.cleanup());

const AUTH_FAILURE = 0x80000357;

async function rawRequest(port: number, msgType: number, control: unknown): Promise<{ code: number; message: string }> {
  const c = new RpcClient({ host: '127.0.0.1', port, requestTimeoutMs: 5_000 });
  try {
    const r = await c.request(msgType, control);
    return { code: 0, message: JSON.stringify(r.control) };
  } catch (e) {
    return { code: (e as { code: number }).code >>> 0, message: (e as Error).message };
  } finally {
    c.close();
  }
}

let ports: readonly [number, number, number];

test('a 3-dnode cluster forms with peer authentication and join tokens', { timeout: 60_000 }, async () => {
  ports = await startThreeMnodeCluster(cluster, ['p1', 'p2', 'p3']);
  const d1 = cluster.procs.get('p1')!;
  for (const f of ['cluster.key', 'dnode.key', 'join-token']) {
    const mode = statSync(join(d1.dataDir, 'dnode', f)).mode & 0o777;
    assert.equal(mode, 0o600, `${f} is readable by the dnode's user only`);
  }
  await waitFor('three mnodes', 15_000, async () => ((await mnodes(ports[0])).size === 3 ? true : undefined));
  await sql(ports[0], 'create database sec replica 3 vgroups 2');
  await sql(ports[0], 'create table sec.t (ts timestamp, v int)');
  await sql(ports[1], 'insert into sec.t values (1700000000000, 1)');
  assert.deepEqual(await sql(ports[2], 'select count(*) from sec.t'), [[1n]]);
});

test('unauthenticated cluster frames are refused with AUTH_FAILURE, counted, and change nothing', {
  timeout: 60_000,
}, async () => {
  const d1 = cluster.procs.get('p1')!;
  // Finding 1: FORWARD running SQL as root.
  const fwd = await rawRequest(ports[0], ClusterMsg.FORWARD, {
    sql: "alter user root pass 'owned'",
    db: null,
    user: 'root',
    target: 'mnode',
    hops: 0,
  });
  assert.equal(fwd.code, AUTH_FAILURE);
  assert.match(fwd.message, /is for dnodes of this cluster only and this connection has not authenticated as one/);
  for (const target of ['data', 'insert', 'host', 'unhost', 'vnodes'] as const) {
    const r = await rawRequest(ports[1], ClusterMsg.FORWARD, {
      sql: 'drop database sec',
      db: 'sec',
      user: 'root',
      target,
      hops: 0,
    });
    assert.equal(r.code, AUTH_FAILURE, `FORWARD target ${target}`);
  }
  // Finding 2: HELLO tells nothing; MNODE_CTL stop and DNODE_CFG do nothing.
  const hello = await rawRequest(ports[0], ClusterMsg.HELLO, { askerClusterId: '', askerEp: 'x:1' });
  assert.equal(hello.code, AUTH_FAILURE);
  const clusterId = String((await sql(ports[0], 'show cluster'))[0]![0]);
  assert.doesNotMatch(hello.message, new RegExp(clusterId));
  const stop = await rawRequest(ports[1], ClusterMsg.MNODE_CTL, { action: 'stop', clusterId, dnodeId: 2, peers: [] });
  assert.equal(stop.code, AUTH_FAILURE);
  const cfg = await rawRequest(ports[0], ClusterMsg.DNODE_CFG, { action: 'set', key: 'debugFlag', value: '143' });
  assert.equal(cfg.code, AUTH_FAILURE);
  const cfgGet = await rawRequest(ports[0], ClusterMsg.DNODE_CFG, { action: 'get' });
  assert.equal(cfgGet.code, AUTH_FAILURE);
  assert.doesNotMatch(cfgGet.message, /dataDir/);
  for (const t of [
    ClusterMsg.STATUS_REPORT,
    ClusterMsg.VNODE_PROPOSE,
    ClusterMsg.VNODE_META,
    ClusterMsg.VNODE_SUBPLAN,
    ClusterMsg.VNODE_CTL,
    ClusterMsg.USERS_CHANGED,
  ])
    assert.equal((await rawRequest(ports[2], t, { vgId: 1 })).code, AUTH_FAILURE, `cluster message ${t}`);
  // REACH would make a dnode connect where it is told: only for authenticated peers.
  const reach = await rawRequest(ports[1], ClusterMsg.REACH, { ep: `localhost:${ports[2]}` });
  assert.equal(reach.code, AUTH_FAILURE);
  // A PEER_AUTH with a made-up proof is refused too.
  const c = new RpcClient({ host: '127.0.0.1', port: ports[0], requestTimeoutMs: 5_000 });
  try {
    await c.request(MsgType.PEER_CHALLENGE, {});
    await assert.rejects(
      c.request(MsgType.PEER_AUTH, { dnodeId: 2, nonce: new Uint8Array(32), proof: new Uint8Array(32) }),
      /does not hold this cluster's secret/,
    );
    // And the refused connection still is no peer.
    await assert.rejects(c.request(ClusterMsg.DNODE_CFG, { action: 'get' }), /has not authenticated/);
  } finally {
    c.close();
  }
  // Nothing changed: root's password, the database, dnode 2's mnode, the config.
  assert.deepEqual(await sql(ports[0], 'select count(*) from sec.t'), [[1n]]);
  assert.equal((await mnodes(ports[0])).size, 3);
  const vars = await sql(ports[0], "show dnode 1 variables like 'debugFlag'");
  assert.equal(String(vars[0]![2]), '131');
  await waitFor('the refusals counted in the log', 5_000, async () =>
    /refused unauthenticated FORWARD from 127\.0\.0\.1:\d+ \(\d+ so far\)/.test(d1.log()) ? true : undefined,
  );
});

test('Raft frames from a connection that is not an authenticated member are dropped', { timeout: 60_000 }, async () => {
  const before = (await mnodes(ports[0])).get(1);
  const leaderLines = (): number => cluster.procs.get('p1')!.log().split('now the mnode leader').length;
  const seen = leaderLines();
  // Finding 3: a heartbeat with term 1000 from node 99, one-way as Raft sends it, 20 times.
  const env = encodeEnvelope({
    from: 99,
    to: 1,
    heartbeats: [{ group: 1, term: 1000, commit: 0, context: '', tick: 0 }],
    heartbeatResps: [],
    messages: [],
  });
  const s = netConnect({ host: '127.0.0.1', port: ports[0] });
  await new Promise<void>((res, rej) => {
    s.once('connect', () => res());
    s.once('error', rej);
  });
  for (let i = 0; i < 20; i++) s.write(encodeFrame(FLAG_ONEWAY, MsgType.RAFT, 0, env.control, env.payload, 1 << 20));
  await sleep(2_500);
  s.destroy();
  assert.equal((await mnodes(ports[0])).get(1), before, 'the mnode leader did not step down');
  assert.equal(leaderLines(), seen, 'no new election');
  await sql(ports[0], 'create database sec2 replica 1');
  await sql(ports[0], 'drop database sec2');
  assert.match(cluster.procs.get('p1')!.log(), /refused unauthenticated RAFT/);
});

test('a rogue dnode: without a token, with a wrong token, without create dnode; a dropped token is useless', {
  timeout: 60_000,
}, async () => {
  const first = `localhost:${ports[0]}`;
  const base = ports[0] + 300;
  // No token at all: it can only wait, and says what it lacks.
  const none = await cluster.start('rogue-none', base, { firstEp: first, joinToken: null });
  await sql(ports[0], `create dnode "localhost:${base}"`);
  await waitFor('the tokenless dnode says it has no join token', 8_000, async () =>
    /cannot join the cluster: it has no join token/.test(none.log()) ? true : undefined,
  );
  // A made-up token: refused by the leader, which logs it.
  const wrong = await cluster.start('rogue-wrong', base + 100, {
    firstEp: first,
    joinToken: 'bjt1.000000000000000000000000000000000000000000000000',
  });
  await sql(ports[0], `create dnode "localhost:${base + 100}"`);
  await waitFor('the wrong token refused', 8_000, async () =>
    /the join token is not one of this cluster's tokens in force/.test(wrong.log()) ? true : undefined,
  );
  assert.match(cluster.procs.get('p1')!.log(), /refused a dnode's join: unknown or expired join token/);
  // The cluster's real token but no create dnode: waits to be created, admitted only after.
  const uncreated = await cluster.start('rogue-uncreated', base + 200, { firstEp: first });
  await sleep(2_000);
  const d = await dnodes(ports[0]);
  assert.equal(
    [...d.values()].some((x) => x.endpoint === `localhost:${base + 200}`),
    false,
  );
  assert.doesNotMatch(uncreated.log(), /joined the cluster/);
  // A token made by create dnode for one endpoint does not admit another.
  const rows = await sql(ports[0], `create dnode "localhost:${base + 400}"`);
  const token = String(rows[0]![1]);
  assert.match(token, /^bjt1\.[0-9a-f]{48}$/);
  assert.equal((await sql(ports[0], 'show dnodes')).length, 6);
  const thief = await cluster.start('rogue-thief', base + 500, { firstEp: first, joinToken: token });
  await sql(ports[0], `create dnode "localhost:${base + 500}"`);
  await waitFor('a token made for another dnode refused', 8_000, async () =>
    /this join token was made for dnode localhost:\d+, not localhost:\d+/.test(thief.log()) ? true : undefined,
  );
  for (const ep of [base, base + 100, base + 500]) {
    const row = [...(await dnodes(ports[0])).values()].find((x) => x.endpoint === `localhost:${ep}`)!;
    assert.equal(row.status, 'offline', `rogue dnode ${ep} never joined`);
  }
  for (const n of ['rogue-none', 'rogue-wrong', 'rogue-uncreated', 'rogue-thief']) await cluster.kill(n);
  for (const ep of [base, base + 100, base + 400, base + 500])
    await sql(ports[0], `drop dnode "localhost:${ep}" force`);
});

test("a second process with a joined dnode's endpoint, or a copy of its dataDir, is refused on both sides", {
  timeout: 90_000,
}, async () => {
  const first = `localhost:${ports[0]}`;
  const p3 = cluster.procs.get('p3')!;
  // Finding 7: the same fqdn:serverPort (bound on 127.0.0.2) with an empty dataDir.
  const impostor = await cluster.start('impostor', ports[2], { firstEp: first, listenHost: '127.0.0.2' });
  await waitFor('the impostor refused with the conflict named', 8_000, async () =>
    /dnode 3 \(localhost:\d+\) has already joined; a second process with its endpoint and an empty dataDir is refused/.test(
      impostor.log(),
    )
      ? true
      : undefined,
  );
  assert.match(
    cluster.procs.get('p1')!.log(),
    /refused a dnode's join: a second process claims the endpoint of dnode 3/,
  );
  await cluster.kill('impostor');
  // A copy of a joined dnode's whole dataDir (its keys too) started beside it: dnode 4, which
  // holds no replica, so the copy's only voice is its status reports.
  const p4port = ports[0] + 800;
  const p4 = await cluster.start('p4', p4port, { firstEp: first });
  await sql(ports[0], `create dnode "localhost:${p4port}"`);
  const id4 = await waitFor('dnode 4 ready', 10_000, async () => {
    const row = [...(await dnodes(ports[0])).entries()].find(([, x]) => x.endpoint === `localhost:${p4port}`);
    return row && row[1].status === 'ready' ? row[0] : undefined;
  });
  const copyDir = join(mkdtempSync(join(cluster.dir, 'copy-')), 'd4');
  cpSync(p4.dataDir, copyDir, { recursive: true });
  const copy = await cluster.start('copy', p4port, { listenHost: '127.0.0.2', dataDir: copyDir });
  const exit = await Promise.race([copy.exited, sleep(15_000).then(() => null)]);
  assert.notEqual(exit, null, 'the copy exits');
  assert.equal(exit!.code, 1);
  assert.match(
    copy.stderr(),
    new RegExp(`dnode ${id4} is already running as another process .* this process is a copy of its dataDir`),
  );
  assert.match(cluster.procs.get('p1')!.log(), /refused a second process reporting as the same dnode/);
  // The real dnodes are still ready members, and the data reads back.
  await sleep(1_500);
  const d = await dnodes(ports[0]);
  assert.equal(d.get(3)?.status, 'ready');
  assert.equal(d.get(id4)?.status, 'ready');
  assert.equal(p4.child.exitCode, null);
  assert.deepEqual(await sql(ports[2], 'select count(*) from sec.t'), [[1n]]);
  assert.ok(readFileSync(join(p3.dataDir, 'dnode', 'dnode.key'), 'utf8').length > 0);
});

test('create join token: a multi-use token with a lifetime, super users only; an expired one is refused', {
  timeout: 60_000,
}, async () => {
  const first = `localhost:${ports[0]}`;
  const rows = await sql(ports[0], 'create join token expire 1h');
  const token = String(rows[0]![0]);
  assert.match(token, /^bjt1\.[0-9a-f]{48}$/);
  const expires = Number(rows[0]![1]);
  assert.ok(Math.abs(expires - (Date.now() + 3_600_000)) < 60_000, `expires in an hour: ${expires}`);
  await sql(ports[0], "create user opsbob pass 'opsbob1'");
  await sleep(1_500);
  const c = await connect({ host: '127.0.0.1', port: ports[0], user: 'opsbob', password: 'opsbob1' });
  try {
    await assert.rejects(c.query('create join token'), /opsbob.*create join token|Permission denied/);
  } finally {
    c.close();
  }
  // The new token admits a created dnode.
  const p5 = ports[0] + 900;
  const d5 = await cluster.start('p5', p5, { firstEp: first, joinToken: token });
  await sql(ports[0], `create dnode "localhost:${p5}"`);
  await waitFor('dnode at p5 joined', 10_000, async () =>
    /INFO {2}joined the cluster/.test(d5.log()) ? true : undefined,
  );
  // A token whose lifetime is over admits nobody.
  const short = String((await sql(ports[0], 'create join token expire 1s'))[0]![0]);
  await sleep(1_500);
  const p6 = ports[0] + 1000;
  const d6 = await cluster.start('p6', p6, { firstEp: first, joinToken: short });
  await sql(ports[0], `create dnode "localhost:${p6}"`);
  await waitFor('the expired token refused', 8_000, async () =>
    /the join token is not one of this cluster's tokens in force/.test(d6.log()) ? true : undefined,
  );
  await cluster.kill('p6');
  await sql(ports[0], `drop dnode "localhost:${p6}" force`);
});

test('a dnode of another cluster is not added; a dropped dnode exits and is refused after', {
  timeout: 60_000,
}, async () => {
  // Another cluster's founder, created here by mistake: the peer handshake fails both ways.
  const otherPort = ports[0] + 1100;
  const other = await cluster.start('other-cluster', otherPort);
  await sql(ports[0], `create dnode "localhost:${otherPort}"`);
  const note = await waitFor("note 'clusterId not match'", 15_000, async () => {
    const row = [...(await dnodes(ports[0])).values()].find((x) => x.endpoint === `localhost:${otherPort}`);
    return row?.note === 'clusterId not match' ? row : undefined;
  });
  assert.equal(note.status, 'offline');
  await waitFor('the other cluster logs the refused peer', 5_000, async () =>
    /refused peer with a wrong cluster secret/.test(other.log()) ? true : undefined,
  );
  assert.equal((await sql(otherPort, 'show dnodes')).length, 1, 'the other cluster is unchanged');
  await sql(ports[0], `drop dnode "localhost:${otherPort}" force`);
  // dnode 5 (p5) is dropped: told so at its next status, it exits 1 and will not start again.
  const p5 = cluster.procs.get('p5')!;
  const id5 = [...(await dnodes(ports[0])).entries()].find(([, x]) => x.endpoint === `localhost:${p5.port}`)![0];
  await sql(ports[0], `drop dnode ${id5}`);
  const exit = await Promise.race([p5.exited, sleep(15_000).then(() => null)]);
  assert.equal(exit?.code, 1, 'the dropped dnode exits 1');
  assert.match(p5.stderr(), /was dropped from cluster/);
  const again = await cluster.start('p5-again', p5.port, { dataDir: p5.dataDir, noWait: true });
  const r = await Promise.race([again.exited, sleep(15_000).then(() => null)]);
  assert.equal(r?.code, 1, 'a dropped dataDir refuses to start');
});

test('a statement on a member still works after all of it', { timeout: 30_000 }, async () => {
  const e = await sqlError(ports[0], 'select * from nosuchdb.t');
  assert.notEqual(e.code, AUTH_FAILURE);
  assert.deepEqual(await sql(ports[1], 'select count(*) from sec.t'), [[1n]]);
});
