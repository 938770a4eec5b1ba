// Issue 13, acceptance 2: random and mutated frames of every message type, unauthenticated and
// on a logged-in client connection (a user without grants), against a 3-dnode cluster serving a checked workload.
// Afterwards: every dnode is alive, nothing changed that needs authentication (users,
// databases, dnodes, mnodes, root's password), and every acknowledged workload row is there.
// FUZZ_FRAMES sets the count (default 100,000); FUZZ_SEED replays a run.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect as netConnect, type Socket } from 'node:net';
import { encode } from '@msgpack/msgpack';
import { ClusterMsg } from '../../src/mnode/cluster-messages.js';
import { encodeFrame } from '../../src/rpc/frame.js';
import { MsgType } from '../../src/rpc/messages.js';
import { connect } from '../../src/client/index.js';
import { mulberry32 } from '../../src/common/random.js';
import { mnodes, sleep, sql, startThreeMnodeCluster, TestCluster } from '../cluster/harness.js';

const cluster = new TestCluster();
after(() => cluster.cleanup());

const FRAMES = Number(process.env['FUZZ_FRAMES'] ?? 100_000);
const SEED = Number(process.env['FUZZ_SEED'] ?? Date.now() % 1_000_000);

const TYPES = [...Object.values(MsgType), ...Object.values(ClusterMsg), 0, 11, 19, 21, 39, 51, 65535];
const KEYS = [
  'sql',
  'db',
  'user',
  'password',
  'target',
  'hops',
  'vgId',
  'action',
  'key',
  'value',
  'dnodeId',
  'clusterId',
  'nonce',
  'proof',
  'tokenId',
  'report',
  'tables',
  'cursorId',
  'stateless',
  'peers',
  'endpoint',
  'askerClusterId',
  'insert',
  'host',
  'kind',
  'stable',
  'using',
  'tags',
];
const SQLS = [
  "alter user root pass 'owned'",
  'drop database fz',
  "create user evil pass 'evil'",
  'create dnode "evil:6030"',
  'select * from fz.t',
  'show dnodes',
  'drop mnode on dnode 2',
  "alter dnode 1 'debugFlag' '143'",
];

function value(r: () => number, depth: number): unknown {
  const k = Math.floor(r() * 12);
  switch (k) {
    case 0:
      return null;
    case 1:
      return Math.floor(r() * 2 ** 32) - 2 ** 31;
    case 2:
      return r() * 1e6;
    case 3:
      return r() < 0.5;
    case 4:
      return SQLS[Math.floor(r() * SQLS.length)];
    case 5:
      return 'x'.repeat(Math.floor(r() * 300));
    case 6:
      return new Uint8Array(Math.floor(r() * 64)).map(() => Math.floor(r() * 256));
    case 7:
      return BigInt(Math.floor(r() * 2 ** 53)) * (r() < 0.5 ? -1n : 1n);
    case 8:
      return depth > 3 ? 1 : Array.from({ length: Math.floor(r() * 5) }, () => value(r, depth + 1));
    case 9:
      return depth > 3 ? 'deep' : map(r, depth + 1);
    case 10:
      return ['mnode', 'data', 'host', 'unhost', 'vnodes', 'insert', 'start', 'stop', 'get', 'set'][
        Math.floor(r() * 10)
      ];
    default:
      return Math.floor(r() * 5);
  }
}

function map(r: () => number, depth: number): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  const n = Math.floor(r() * 6);
  for (let i = 0; i < n; i++) o[KEYS[Math.floor(r() * KEYS.length)]!] = value(r, depth);
  return o;
}

/** One frame: random type, flags, control and payload, or a valid request with bytes mutated. */
function frame(r: () => number, id: number): Buffer {
  const type = TYPES[Math.floor(r() * TYPES.length)]!;
  const flags = r() < 0.8 ? 0 : [1, 2, 4, 5, 7][Math.floor(r() * 5)]!;
  const payload = r() < 0.3 ? [new Uint8Array(Math.floor(r() * 200)).map(() => Math.floor(r() * 256))] : [];
  const control = r() < 0.1 ? value(r, 0) : map(r, 0);
  const f = encodeFrame(flags, type, id, control, payload, 1 << 20);
  if (r() < 0.3) {
    // Mutate after the length field (a broken length just ends the connection: also covered).
    const start = r() < 0.05 ? 0 : 4;
    for (let i = 0, n = 1 + Math.floor(r() * 4); i < n; i++)
      f[start + Math.floor(r() * (f.length - start))] = Math.floor(r() * 256);
  }
  if (r() < 0.02) return Buffer.concat([f, Buffer.from(encode(map(r, 0), { useBigInt64: true }))]);
  return f;
}

/** Writes `count` frames to `port` over connections it reopens when the server closes them. */
async function fuzz(
  port: number,
  count: number,
  seed: number,
  login: boolean,
): Promise<{ sent: number; reconnects: number }> {
  const r = mulberry32(seed);
  let sent = 0;
  let reconnects = 0;
  let s: Socket | null = null;
  for (let i = 0; i < count; ) {
    if (s === null || s.destroyed) {
      reconnects++;
      if (reconnects > count) break;
      const sock: Socket = netConnect({ host: '127.0.0.1', port });
      sock.on('data', () => undefined);
      const ok = await new Promise<boolean>((res) => {
        sock.once('connect', () => res(true));
        sock.once('error', () => res(false));
      });
      sock.on('error', () => undefined);
      if (!ok) {
        await sleep(50);
        continue;
      }
      s = sock;
      if (login)
        s.write(
          encodeFrame(
            0,
            MsgType.CONNECT,
            1,
            { user: 'fuzzer', password: 'fuzzer1', db: null, clientVersion: 'fuzz' },
            [],
            1 << 20,
          ),
        );
    }
    // A batch, then let the server answer (and close, if it must).
    const batch: Buffer[] = [];
    for (let k = 0; k < 50 && i < count; k++, i++) batch.push(frame(r, i + 2));
    const sock: Socket = s;
    const flushed = sock.write(Buffer.concat(batch));
    sent += batch.length;
    if (!flushed) await Promise.race([new Promise((res) => sock.once('drain', res)), sleep(2_000)]);
    await new Promise((res) => setImmediate(res));
  }
  s?.destroy();
  return { sent, reconnects };
}

test(`fuzz: ${FRAMES} random and mutated frames against 3 dnodes under a checked workload (seed ${SEED})`, {
  timeout: 600_000,
}, async () => {
  const ports = await startThreeMnodeCluster(cluster, ['f1', 'f2', 'f3']);
  await sql(ports[0], 'create database fz replica 3 vgroups 2');
  await sql(ports[0], 'create table fz.t (ts timestamp, v int)');
  await sql(ports[0], "create user keeper pass 'keeper1'");
  // The logged-in fuzzers are a user without grants: what they send may not change anything.
  await sql(ports[0], "create user fuzzer pass 'fuzzer1'");
  await sleep(2_500);
  const before = {
    users: await sql(ports[0], 'show users'),
    dbs: (await sql(ports[0], 'show databases')).map((x) => x[0]).sort(),
    dnodes: (await sql(ports[0], 'show dnodes')).map((x) => [x[0], x[1]]),
  };

  // The checked workload: inserts through dnode 2 and reads through dnode 3 the whole time.
  let stop = false;
  let acked = 0;
  let unknown = 0;
  const errors: string[] = [];
  const T0 = 1_700_000_000_000;
  const workload = (async () => {
    const w = await connect({ host: '127.0.0.1', port: ports[1], timeoutMs: 15_000 });
    const q = await connect({ host: '127.0.0.1', port: ports[2], timeoutMs: 15_000 });
    try {
      for (let i = 0; !stop && i < 1_000_000; i++) {
        try {
          await w.query(`insert into fz.t values (${T0 + i}, ${i})`);
          acked++;
        } catch (e) {
          unknown++;
          errors.push(`insert ${i}: ${(e as Error).message}`);
        }
        if (i % 20 === 0) {
          try {
            const n = Number((await q.query('select count(*) from fz.t')).rows()[0]![0]);
            if (n < acked - 1) errors.push(`read ${n} rows after ${acked} acknowledged`);
          } catch (e) {
            errors.push(`read: ${(e as Error).message}`);
          }
        }
      }
    } finally {
      w.close();
      q.close();
    }
  })();

  const started = Date.now();
  const per = Math.ceil(FRAMES / 6);
  const results = await Promise.all([
    fuzz(ports[0], per, SEED + 1, false),
    fuzz(ports[1], per, SEED + 2, false),
    fuzz(ports[2], per, SEED + 3, false),
    fuzz(ports[0], per, SEED + 4, true),
    fuzz(ports[1], per, SEED + 5, true),
    fuzz(ports[2], per, SEED + 6, true),
  ]);
  const sent = results.reduce((a, x) => a + x.sent, 0);
  const reconnects = results.reduce((a, x) => a + x.reconnects, 0);
  process.stdout.write(
    `# fuzz: ${sent} frames in ${((Date.now() - started) / 1000).toFixed(1)} s, ${reconnects} connections; workload ${acked} rows acknowledged, ${unknown} failed\n`,
  );
  stop = true;
  await workload;
  assert.ok(sent >= FRAMES, `sent ${sent} of ${FRAMES}`);

  for (const name of ['f1', 'f2', 'f3']) {
    const p = cluster.procs.get(name)!;
    assert.equal(p.child.exitCode, null, `${name} is alive`);
    assert.equal(p.child.signalCode, null, `${name} is alive`);
    assert.doesNotMatch(p.stderr(), /uncaught|unhandled|assertion failed/i, `${name} stderr`);
  }
  // The workload was served throughout, and every acknowledged row is there.
  assert.deepEqual(errors, [], 'the workload saw no error');
  const count = Number((await sql(ports[0], 'select count(*) from fz.t'))[0]![0]);
  assert.ok(count >= acked && count <= acked + unknown, `count ${count}, acknowledged ${acked}, unknown ${unknown}`);
  // Nothing that needs authentication changed.
  assert.deepEqual(await sql(ports[0], 'show users'), before.users);
  assert.deepEqual((await sql(ports[1], 'show databases')).map((x) => x[0]).sort(), before.dbs);
  assert.deepEqual(
    (await sql(ports[2], 'show dnodes')).map((x) => [x[0], x[1]]),
    before.dnodes,
  );
  assert.equal((await mnodes(ports[0])).size, 3);
  const keeper = await connect({ host: '127.0.0.1', port: ports[2], user: 'keeper', password: 'keeper1' });
  keeper.close();
});
