// Acceptance 4 (the server side): random and truncated frames to the RPC port and random
// bodies to REST, against a real `basalt start` process. The server stays up, answers every
// readable frame and every request with an error code, and data written before is intact.
// Seeded, bounded: a few thousand frames and a thousand HTTP requests.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect as netConnect, type Socket } from 'node:net';
import { join } from 'node:path';
import { connect } from '../../src/client/index.js';
import { encodeBlock } from '../../src/common/block-codec.js';
import { allocVector } from '../../src/common/block.js';
import { DataType } from '../../src/common/types.js';
import { encodeFrame, FLAG_ERROR, FrameDecoder, type Frame } from '../../src/rpc/frame.js';
import { MsgType } from '../../src/rpc/messages.js';
import { freePort, tempDir } from '../rpc/harness.js';
import { mulberry32 } from '../../src/common/random.js';
import { runBasalt, spawnBasalt, stopChild } from '../cli/run-basalt.js';

const SEED = Number(process.env['BASALT_FUZZ_SEED'] ?? 20261123);
const MAX_FRAME = 1 << 20;

const SQL_SEEDS = [
  'select * from bi.t where ts > 0',
  'select count(*), avg(v) from bi.t interval(1s)',
  'insert into bi.t values (1700000000000, 5)',
  'show bi.tables',
  'describe bi.t',
  'select ts, v from bi.t where v in (1, 2) order by ts desc limit 3 offset 1',
  'select last_row(v) from bi.t partition by tbname',
  'show databases',
  'select server_version()',
];

function mutate(r: () => number, s: string): string {
  const chars = [...s];
  const n = 1 + Math.floor(r() * 4);
  const pool = '()\'",;*-+/%<>=`\\ \n\t\u0000é漢\uD83D\uDE00abcdefghijklmnopqrstuvwxyz0123456789';
  for (let i = 0; i < n; i++) {
    const at = Math.floor(r() * (chars.length + 1));
    const op = r();
    const ch = pool[Math.floor(r() * pool.length)]!;
    if (op < 0.4) chars.splice(at, 0, ch);
    else if (op < 0.7) chars.splice(at, 1);
    else if (op < 0.9) chars[at] = ch;
    else chars.splice(at, 0, ...chars.slice(0, Math.floor(r() * chars.length)));
  }
  return chars.join('');
}

function randomBytes(r: () => number, max: number): Buffer {
  const n = Math.floor(r() * max);
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = Math.floor(r() * 256);
  return b;
}

function randomControl(r: () => number, depth = 0): unknown {
  const k = Math.floor(r() * (depth > 2 ? 6 : 9));
  switch (k) {
    case 0:
      return null;
    case 1:
      return Math.floor(r() * 2 ** 32) - 2 ** 31;
    case 2:
      return r() * 1e6;
    case 3:
      return mutate(r, SQL_SEEDS[Math.floor(r() * SQL_SEEDS.length)]!);
    case 4:
      return r() < 0.5;
    case 5:
      return BigInt(Math.floor(r() * 1e9)) * 1_000_000_000n;
    case 6:
      return Array.from({ length: Math.floor(r() * 4) }, () => randomControl(r, depth + 1));
    case 7:
      return {
        sql: randomControl(r, depth + 1),
        cursorId: Math.floor(r() * 5),
        db: r() < 0.5 ? 'bi' : randomControl(r, depth + 1),
        tables: randomControl(r, depth + 1),
      };
    default:
      return { table: 't', using: r() < 0.5 ? null : { stable: 's', tags: [randomControl(r, depth + 1)] } };
  }
}

/** A connection that collects reply frames. */
function openRaw(port: number): Promise<{ socket: Socket; frames: Frame[]; closed: () => boolean }> {
  return new Promise((resolve, reject) => {
    const frames: Frame[] = [];
    let closed = false;
    const dec = new FrameDecoder(64 * 1024 * 1024);
    const socket = netConnect({ host: '127.0.0.1', port }, () => resolve({ socket, frames, closed: () => closed }));
    socket.on('data', (c: Buffer) => {
      for (const ev of dec.push(c)) if (ev.kind === 'frame') frames.push(ev.frame);
    });
    socket.on('error', (e) => {
      if (!closed) reject(e);
    });
    socket.on('close', () => {
      closed = true;
    });
  });
}

async function waitFor(cond: () => boolean, timeoutMs: number): Promise<boolean> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > timeoutMs) return false;
    await new Promise((r) => setTimeout(r, 10));
  }
  return true;
}

test(`random and truncated frames and random REST bodies leave the server up and the data intact (seed ${SEED})`, async (t) => {
  const r = mulberry32(SEED);
  const tmp = tempDir('fuzz');
  const [rpcPort, httpPort] = [await freePort(), await freePort()];
  const server = await spawnBasalt(
    [
      'start',
      '--data-dir',
      join(tmp.dir, 'data'),
      '--server-port',
      String(rpcPort),
      '--http-port',
      String(httpPort),
      '--listen-host',
      '127.0.0.1',
      '--fqdn',
      'localhost',
      '--set',
      `maxFrameBytes=${MAX_FRAME}`,
      '--set',
      'maxHttpBodyBytes=65536',
    ],
    /ready;/,
  );
  try {
    const setup = await runBasalt([
      'sql',
      '-P',
      String(rpcPort),
      '-s',
      'create database bi; create table bi.t (ts timestamp, v int); create table bi.keep (ts timestamp, v int, s varchar(8));' +
        "insert into bi.keep values (1700000000000, 1, 'a') (1700000001000, 2, 'b') (1700000002000, 3, NULL)",
    ]);
    assert.equal(setup.code, 0, setup.stderr);

    // 1. Readable frames with random types and control parts on an authenticated connection:
    //    each one gets exactly one reply carrying its request id.
    const conn = await openRaw(rpcPort);
    conn.socket.write(
      encodeFrame(0, MsgType.CONNECT, 1, { user: 'root', password: 'taosdata', db: 'bi' }, [], MAX_FRAME),
    );
    assert.ok(await waitFor(() => conn.frames.length === 1, 5000));
    assert.equal(conn.frames[0]!.flags & FLAG_ERROR, 0, 'CONNECT succeeded');
    const READABLE = 2500;
    const sentIds = new Set<number>();
    for (let i = 0; i < READABLE; i++) {
      const id = 1000 + i;
      sentIds.add(id);
      const type =
        r() < 0.8
          ? [MsgType.QUERY, MsgType.FETCH, MsgType.CLOSE_CURSOR, MsgType.INSERT_COLUMNAR, MsgType.CONNECT][
              Math.floor(r() * 5)
            ]!
          : Math.floor(r() * 65536);
      let control: unknown = randomControl(r);
      if (type === MsgType.QUERY && r() < 0.6)
        control = { sql: mutate(r, SQL_SEEDS[Math.floor(r() * SQL_SEEDS.length)]!), db: 'bi', stateless: r() < 0.5 };
      if (type === MsgType.CONNECT) control = { user: 'root', password: r() < 0.5 ? 'taosdata' : 'nope', db: 'bi' };
      const payload: Uint8Array[] = [];
      if (type === MsgType.INSERT_COLUMNAR) {
        control = { db: 'bi', tables: [{ table: 't', using: null }] };
        const good = allocVector(DataType.TIMESTAMP, 2);
        const block = Buffer.from(encodeBlock({ numRows: 2, columns: [good, allocVector(DataType.VARCHAR, 2)] }));
        // Corrupt some bytes, or cut it, or send it whole (wrong schema).
        const k = r();
        if (k < 0.4) for (let j = 0; j < 3; j++) block[Math.floor(r() * block.length)] = Math.floor(r() * 256);
        payload.push(k < 0.7 ? block : block.subarray(0, Math.floor(r() * block.length)));
      } else if (r() < 0.2) payload.push(randomBytes(r, 64));
      let frame = encodeFrame(0, type, id, control, payload, MAX_FRAME);
      if (r() < 0.1) {
        // Scramble the control part but keep the header readable.
        frame = Buffer.from(frame);
        const ctl = frame.readUInt32LE(16);
        for (let j = 0; j < Math.min(ctl, 4); j++) frame[20 + Math.floor(r() * ctl)] = Math.floor(r() * 256);
      }
      conn.socket.write(frame);
      if (i % 200 === 199) await waitFor(() => conn.frames.length >= i + 2 - 100, 10_000);
    }
    assert.ok(
      await waitFor(() => conn.frames.length >= READABLE + 1, 30_000),
      `replies: ${conn.frames.length - 1} of ${READABLE}`,
    );
    const replied = new Set(conn.frames.slice(1).map((f) => f.requestId));
    assert.deepEqual(
      [...sentIds].filter((id) => !replied.has(id)),
      [],
      'every readable frame is answered',
    );
    const errors = conn.frames.slice(1).filter((f) => f.flags & FLAG_ERROR);
    assert.ok(errors.length > READABLE * 0.5, `mostly error replies (${errors.length})`);
    const tally = new Map<string, number>();
    for (const f of errors) {
      const c = f.control as { code: number; message: string };
      const key = '0x' + (c.code >>> 0).toString(16);
      tally.set(key, (tally.get(key) ?? 0) + 1);
      if (c.code >>> 0 === 0x80000001) t.diagnostic(`INTERNAL reply: ${c.message}`);
      assert.equal(typeof c.code, 'number');
      assert.ok(c.code >>> 0 >= 0x80000000, `error code ${c.code}`);
      assert.equal(typeof c.message, 'string');
    }
    t.diagnostic(`error replies by code: ${[...tally].map(([k, v]) => `${k}×${v}`).join(' ')}`);
    assert.equal(conn.closed(), false, 'readable bad frames do not cost the connection');
    conn.socket.destroy();

    // 2. Truncated frames (the peer disconnects mid-frame) and pure random bytes.
    for (let i = 0; i < 300; i++) {
      const c = await openRaw(rpcPort);
      if (i % 2 === 0) {
        const f = encodeFrame(0, MsgType.QUERY, i, { sql: 'select * from bi.keep' }, [], MAX_FRAME);
        c.socket.end(f.subarray(0, Math.floor(r() * f.length)));
      } else {
        c.socket.write(randomBytes(r, 300));
        // Random bytes: the server either closes (broken framing) or waits for more.
        await waitFor(() => c.closed(), 20);
        c.socket.destroy();
      }
    }

    // 3. REST: random and mutated bodies, random paths.
    const AUTH = 'Basic ' + Buffer.from('root:taosdata').toString('base64');
    let nonzero = 0;
    for (let i = 0; i < 1000; i++) {
      const k = r();
      const body =
        k < 0.6
          ? mutate(r, SQL_SEEDS[Math.floor(r() * SQL_SEEDS.length)]!)
          : k < 0.9
            ? randomBytes(r, 200)
            : mutate(r, '').repeat(5);
      const path = r() < 0.9 ? '/rest/sql' + (r() < 0.5 ? '/bi' : '') : '/' + mutate(r, 'rest/sql/bi');
      const res = await fetch(`http://127.0.0.1:${httpPort}${path.replace(/[^\x21-\x7e]/g, '_')}`, {
        method: 'POST',
        body,
        headers: { Authorization: AUTH },
      });
      const text = await res.text();
      assert.ok([200, 404].includes(res.status), `status ${res.status} for ${JSON.stringify(path)}: ${text}`);
      const j = JSON.parse(text) as { code: number; desc?: string };
      assert.equal(typeof j.code, 'number');
      if (j.code !== 0) {
        nonzero++;
        assert.equal(typeof j.desc, 'string');
      }
    }
    assert.ok(nonzero > 900, `most random bodies are errors (${nonzero})`);
    const huge = await fetch(`http://127.0.0.1:${httpPort}/rest/sql`, {
      method: 'POST',
      body: 'x'.repeat(100_000),
      headers: { Authorization: AUTH },
    });
    assert.equal(huge.status, 413);
    await huge.text();

    // 4. Still up, still serving, data intact.
    assert.equal(server.child.exitCode, null, 'the server process is alive');
    const check = await runBasalt(['check', '-P', String(rpcPort)]);
    assert.equal(check.stdout, '2: service ok\n');
    const c = await connect({ port: rpcPort });
    try {
      const rows = (await c.query('select ts, v, s from bi.keep order by ts')).rows();
      assert.deepEqual(rows, [
        [1700000000000, 1, 'a'],
        [1700000001000, 2, 'b'],
        [1700000002000, 3, null],
      ]);
    } finally {
      c.close();
    }
    assert.equal(await stopChild(server.child, 'SIGTERM'), 0);
  } finally {
    if (server.child.exitCode === null) await stopChild(server.child, 'SIGKILL');
    tmp.remove();
  }
});
