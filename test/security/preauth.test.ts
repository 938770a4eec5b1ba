// Limits before login (issue #13 finding 5): each rule on an RpcServer with short limits,
// then the acceptance run against a real `basalt start` process: 10,000 idle sockets from
// 127.0.0.2 and 100 senders of a 60 MB frame from 127.0.0.3, while a client on 127.0.0.1
// logs in and queries within 1 s and the dnode's RSS grows by less than 100 MB.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect } from '../../src/client/index.js';
import { Errors } from '../../src/common/errors.js';
import { RpcServer, type RpcHandler } from '../../src/rpc/server.js';
import { freeBasePort, TestCluster } from '../cluster/harness.js';
import { frameHeader, openPeer, openPeers, requestFrame, rssBytes, sleep, until, type RawPeer } from './raw-peer.js';

// msgType 1 is the login of these test servers; every request is answered.
const handler: RpcHandler = async (conn, frame) => {
  if (frame.msgType === 1) conn.markAuthenticated();
  return { control: { ok: true, authenticated: conn.authenticated } };
};

async function withServer(
  o: Partial<ConstructorParameters<typeof RpcServer>[0]>,
  fn: (port: number, srv: RpcServer, logs: string[]) => Promise<void>,
): Promise<void> {
  const logs: string[] = [];
  const srv = new RpcServer({ host: '127.0.0.1', port: 0, handler, log: (_l, m) => logs.push(m), ...o });
  const port = await srv.listen();
  try {
    await fn(port, srv, logs);
  } finally {
    await srv.close(50);
  }
}

const LIMIT = Errors.CONNECTION_LIMIT.code;

test('a connection that does not log in within loginTimeoutMs is closed; one that logs in stays', async () => {
  await withServer({ loginTimeoutMs: 300 }, async (port, srv) => {
    const idle = await openPeer(port, '127.0.0.1');
    const user = await openPeer(port, '127.0.0.1');
    user.socket.write(requestFrame(1, 1));
    assert.ok(await until(() => idle.closed, 3_000), 'the idle socket is closed');
    assert.deepEqual(idle.errorCodes, [LIMIT]);
    assert.match(idle.errorMessages[0]!, /not logged in within 300 ms/);
    await sleep(400);
    assert.equal(user.closed, false, 'the logged-in socket stays open');
    assert.equal(srv.stats().loginTimeout, 1);
    user.socket.destroy();
  });
});

test('before login a frame header above preAuthMaxFrameBytes is refused at once; after login the same size is read', async () => {
  await withServer({ maxFrameBytes: 64 << 20 }, async (port, srv) => {
    const p = await openPeer(port, '127.0.0.1');
    p.socket.write(Buffer.concat([frameHeader(60 << 20), Buffer.alloc(32 * 1024)]));
    assert.ok(await until(() => p.closed, 3_000), 'closed without waiting for the 60 MB body');
    assert.deepEqual(p.errorCodes, [Errors.FRAME_TOO_LARGE.code]);
    assert.match(p.errorMessages[0]!, /preAuthMaxFrameBytes 65536.*send CONNECT first/);
    assert.equal(srv.stats().preAuthFrameTooLarge, 1);

    const u = await openPeer(port, '127.0.0.1');
    // The login and a 1 MB request in one write: the limit rises before the second is read.
    u.socket.write(Buffer.concat([requestFrame(1, 1), requestFrame(2, 2, 1 << 20)]));
    await sleep(300);
    assert.equal(u.closed, false);
    assert.deepEqual(u.errorCodes, []);
    u.socket.destroy();
  });
});

test('a frame not complete within frameReadTimeoutMs closes the connection, logged in or not', async () => {
  await withServer({ frameReadTimeoutMs: 300, loginTimeoutMs: 10_000 }, async (port, srv) => {
    const u = await openPeer(port, '127.0.0.1');
    u.socket.write(Buffer.concat([requestFrame(1, 1), frameHeader(1 << 20), Buffer.alloc(1000)]));
    const half = await openPeer(port, '127.0.0.1');
    half.socket.write(frameHeader(1000).subarray(0, 10));
    assert.ok(await until(() => u.closed && half.closed, 3_000), 'both slow senders are closed');
    assert.equal(srv.stats().frameReadTimeout, 2);
  });
});

test('connections per source address are capped; another address still connects', async () => {
  await withServer({ maxConnectionsPerSourceIp: 3 }, async (port, srv) => {
    const three = await openPeers(port, '127.0.0.4', 3);
    const fourth = await openPeer(port, '127.0.0.4');
    assert.ok(await until(() => fourth.closed, 2_000));
    assert.deepEqual(fourth.errorCodes, [LIMIT]);
    assert.match(fourth.errorMessages[0]!, /3 connections from 127\.0\.0\.4.*maxConnectionsPerSourceIp/);
    const other = await openPeer(port, '127.0.0.5');
    await sleep(100);
    assert.equal(other.closed, false);
    assert.equal(
      three.every((p) => !p.closed),
      true,
    );
    assert.equal(srv.stats().perSourceIpLimit, 1);
    for (const p of [...three, other]) p.socket.destroy();
  });
});

test('a full pre-login pool closes its oldest member for a newcomer, who logs in; closes are logged once per reason', async () => {
  await withServer({ maxPreAuthConnections: 4 }, async (port, srv, logs) => {
    const idle = await openPeers(port, '127.0.0.6', 10, 1);
    assert.ok(await until(() => idle.filter((p) => p.closed).length === 6, 2_000));
    assert.deepEqual(
      idle.map((p) => p.closed),
      [true, true, true, true, true, true, false, false, false, false],
      'the oldest went first',
    );
    const user = await openPeer(port, '127.0.0.1');
    user.socket.write(requestFrame(1, 1));
    assert.ok(await until(() => idle[6]!.closed, 2_000), 'the oldest idle socket made room');
    await sleep(100);
    assert.equal(user.closed, false);
    assert.deepEqual(user.errorCodes, []);
    assert.equal(srv.stats().preAuthPoolFull, 7);
    assert.equal(srv.stats().preAuth, 3);
    assert.equal(logs.filter((l) => l.includes('preAuthPoolFull')).length, 1, 'one log line for 7 closes');
    for (const p of [...idle, user]) p.socket.destroy();
  });
});

/** Raises this process's open-file limit to its hard limit (prlimit on itself) when 10,000 sockets need it. */
function ensureFdLimit(needed: number): number {
  const limits = readFileSync('/proc/self/limits', 'utf8');
  const m = /Max open files\s+(\d+)\s+(\d+|unlimited)/.exec(limits);
  const soft = m ? Number(m[1]) : 1024;
  if (soft >= needed) return soft;
  const hard = m?.[2] === 'unlimited' ? needed : Number(m?.[2] ?? soft);
  spawnSync('prlimit', ['--pid', String(process.pid), `--nofile=${hard}:${hard}`]);
  return hard;
}

const IDLE_SOCKETS = 10_000;
const SLOW_SENDERS = 100;

async function slowSenders(port: number): Promise<RawPeer[]> {
  const peers = await openPeers(port, '127.0.0.3', SLOW_SENDERS, 100);
  for (const p of peers) if (!p.closed) p.socket.write(Buffer.concat([frameHeader(60 << 20), Buffer.alloc(60_000)]));
  // Then more of the body, slowly, while the socket stays open (bounded).
  void (async () => {
    for (let i = 0; i < 20; i++) {
      await sleep(200);
      for (const p of peers) if (!p.closed && p.socket.writable) p.socket.write(Buffer.alloc(16 * 1024));
    }
  })();
  return peers;
}

const cluster = new TestCluster();
after(() => cluster.cleanup());

test('acceptance: 10,000 idle sockets and 100 slow 60 MB senders; a client logs in and queries within 1 s; RSS grows < 100 MB', {
  timeout: 60_000,
}, async (t) => {
  const fds = ensureFdLimit(IDLE_SOCKETS + SLOW_SENDERS + 500);
  assert.ok(fds >= IDLE_SOCKETS + SLOW_SENDERS + 500, `open-file limit ${fds} is below what the test needs`);
  const port = await freeBasePort(1);
  const dnode = await cluster.start('preauth', port);
  const pid = dnode.child.pid!;
  const warm = await connect({ host: '127.0.0.1', port, timeoutMs: 8_000 });
  await warm.query('select server_version()');
  warm.close();
  const rss0 = await rssBytes(pid);
  let rssMax = rss0;
  let sampling = true;
  const sampler = (async () => {
    for (let i = 0; i < 400 && sampling; i++) {
      rssMax = Math.max(rssMax, await rssBytes(pid));
      await sleep(100);
    }
  })();

  const t0 = Date.now();
  const idle = await openPeers(port, '127.0.0.2', IDLE_SOCKETS);
  const senders = await slowSenders(port);
  const attackMs = Date.now() - t0;
  const idleOpen = idle.filter((p) => !p.closed).length;

  const l0 = performance.now();
  const c = await connect({ host: '127.0.0.1', port, timeoutMs: 5_000 });
  const rows = (await c.query('select server_version()')).rows();
  const loginQueryMs = performance.now() - l0;
  c.close();
  assert.equal(rows.length, 1);

  // Every attacker socket is gone by the login deadline (5 s) plus the sweep.
  const allClosed = await until(() => idle.every((p) => p.closed) && senders.every((p) => p.closed), 10_000, 100);
  sampling = false;
  await sampler;
  const rss1 = await rssBytes(pid);
  const codes = new Map<number, number>();
  for (const p of [...idle, ...senders]) for (const code of p.errorCodes) codes.set(code, (codes.get(code) ?? 0) + 1);
  const log = dnode.log();
  const lines = (reason: string): number => log.split('\n').filter((l) => l.includes(`rpc: ${reason}:`)).length;
  const mb = (b: number): string => (b / 1048576).toFixed(1);
  t.diagnostic(
    `attack opened in ${attackMs} ms; idle sockets still open after opening: ${idleOpen}/${IDLE_SOCKETS}; ` +
      `slow senders refused: ${senders.filter((p) => p.errorCodes.includes(Errors.FRAME_TOO_LARGE.code)).length}/${SLOW_SENDERS}`,
  );
  t.diagnostic(`login + select server_version() took ${loginQueryMs.toFixed(0)} ms`);
  t.diagnostic(
    `dnode RSS ${mb(rss0)} MB before, ${mb(rssMax)} MB at most, ${mb(rss1)} MB after (growth ${mb(rssMax - rss0)} MB)`,
  );
  t.diagnostic(
    `error replies: ${[...codes].map(([k, v]) => `0x${k.toString(16)}×${v}`).join(' ')}; log lines: perSourceIpLimit ${lines('perSourceIpLimit')}, preAuthPoolFull ${lines('preAuthPoolFull')}, preAuthFrameTooLarge ${lines('preAuthFrameTooLarge')}, loginTimeout ${lines('loginTimeout')}`,
  );

  assert.ok(loginQueryMs < 1_000, `login + query took ${loginQueryMs.toFixed(0)} ms`);
  assert.ok(rssMax - rss0 < 100 * 1048576, `RSS grew by ${mb(rssMax - rss0)} MB`);
  assert.ok(allClosed, 'every attacker socket was closed by the server');
  assert.equal(
    senders.every((p) => p.errorCodes.includes(Errors.FRAME_TOO_LARGE.code)),
    true,
    'each 60 MB header was refused',
  );
  for (const reason of ['perSourceIpLimit', 'preAuthPoolFull', 'preAuthFrameTooLarge', 'loginTimeout'])
    assert.ok(lines(reason) <= 3, `${reason} logged ${lines(reason)} times (at most once per 10 s)`);
  assert.ok(lines('perSourceIpLimit') + lines('preAuthPoolFull') >= 1, 'the refusals were logged');
});
