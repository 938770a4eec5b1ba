// RpcServer + RpcClient on loopback with a tiny handler: error replies for readable bad
// frames, connection close for broken framing, in-flight limits, drain on close.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RpcServer, type RpcHandler } from '../../src/rpc/server.js';
import { RpcClient } from '../../src/rpc/client.js';
import { encodeFrame, FLAG_ERROR, FLAG_RESPONSE } from '../../src/rpc/frame.js';
import { BasaltError, Errors } from '../../src/common/errors.js';
import { rawExchange } from './raw-socket.js';

const handler: RpcHandler = async (_conn, frame) => {
  const c = frame.control as { echo?: unknown; sleepMs?: number } | null;
  if (frame.msgType === 1) return { control: { echo: c?.echo ?? null }, payload: [frame.payload] };
  if (frame.msgType === 2) {
    await new Promise((r) => setTimeout(r, c?.sleepMs ?? 50));
    return { control: { slept: true } };
  }
  if (frame.msgType === 3) throw new BasaltError('SYNTAX_ERROR', 'bad sql');
  if (frame.msgType === 4) throw new Error('a bug');
  throw new BasaltError('BAD_FRAME', `unknown message type ${frame.msgType}`);
};

async function withServer(
  opts: { maxInFlight?: number; maxFrameBytes?: number },
  fn: (port: number, srv: RpcServer) => Promise<void>,
): Promise<void> {
  const logs: string[] = [];
  const srv = new RpcServer({
    host: '127.0.0.1',
    port: 0,
    handler,
    maxInFlightPerConnection: opts.maxInFlight ?? 16,
    maxFrameBytes: opts.maxFrameBytes ?? 1 << 20,
    // Framing is the subject here; the pre-login limits have test/security/preauth.test.ts.
    preAuthMaxFrameBytes: opts.maxFrameBytes ?? 1 << 20,
    log: (_l, m) => logs.push(m),
  });
  const port = await srv.listen();
  try {
    await fn(port, srv);
  } finally {
    await srv.close(100);
  }
}

test('requests and replies match by id, payload included; errors keep their code', async () => {
  await withServer({}, async (port) => {
    const c = new RpcClient({ host: '127.0.0.1', port });
    try {
      const rs = await Promise.all([1, 2, 3].map((i) => c.request(1, { echo: i }, [Uint8Array.of(i, i)])));
      assert.deepEqual(
        rs.map((r) => (r.control as { echo: number }).echo),
        [1, 2, 3],
      );
      assert.deepEqual([...rs[2]!.payload], [3, 3]);
      await assert.rejects(
        c.request(3, {}),
        (e: BasaltError) => e.code === Errors.SYNTAX_ERROR.code && e.message === 'Syntax error in SQL: bad sql',
      );
      await assert.rejects(
        c.request(4, {}),
        (e: BasaltError) => e.code === Errors.INTERNAL.code && /a bug/.test(e.message),
      );
      await assert.rejects(c.request(99, {}), (e: BasaltError) => e.code === Errors.BAD_FRAME.code);
      assert.equal(((await c.request(1, { echo: 'still fine' })).control as { echo: string }).echo, 'still fine');
    } finally {
      c.close();
    }
  });
});

test('large request payloads written as parts over TCP arrive intact and in order', async () => {
  await withServer({ maxFrameBytes: 8 << 20 }, async (port) => {
    const c = new RpcClient({ host: '127.0.0.1', port, maxFrameBytes: 8 << 20 });
    try {
      const reqs = [1, 2, 3, 4].map((i) => {
        const parts = [
          new Uint8Array(600 * 1024 + i).fill(i),
          Uint8Array.of(i),
          new Uint8Array(0),
          new Uint8Array(70_000).map((_, k) => (k * i) & 0xff),
        ];
        return { i, parts, sent: Buffer.concat(parts) };
      });
      const rs = await Promise.all(reqs.map((r) => c.request(1, { echo: r.i }, r.parts)));
      for (const [k, r] of rs.entries()) {
        assert.equal((r.control as { echo: number }).echo, reqs[k]!.i);
        assert.ok(Buffer.from(r.payload).equals(reqs[k]!.sent), `request ${k} payload`);
      }
      // A frame above the limit is refused locally, payload parts counted.
      await assert.rejects(
        c.request(1, {}, [new Uint8Array(8 << 20)]),
        (e: BasaltError) => e.errorName === 'FRAME_TOO_LARGE',
      );
      assert.equal(((await c.request(1, { echo: 'after' })).control as { echo: string }).echo, 'after');
    } finally {
      c.close();
    }
  });
});

test('a readable frame with a bad control part gets an error reply with its request id; the connection stays', async () => {
  await withServer({}, async (port) => {
    const bad = encodeFrame(0, 1, 42, { echo: 1 }, [], 1 << 20);
    bad.writeUInt32LE(9999, 16); // control length beyond the frame
    const good = encodeFrame(0, 1, 43, { echo: 'ok' }, [], 1 << 20);
    const r = await rawExchange(port, Buffer.concat([bad, good]), 2);
    assert.equal(r.frames.length, 2);
    assert.equal(r.frames[0]!.requestId, 42);
    assert.equal(r.frames[0]!.flags, FLAG_RESPONSE | FLAG_ERROR);
    assert.equal((r.frames[0]!.control as { code: number }).code, Errors.BAD_FRAME.code);
    assert.deepEqual(r.frames[1]!.control, { echo: 'ok' });
    assert.equal(r.closed, false);
  });
});

test('broken framing gets one error reply (request id 0) and the connection closes', async () => {
  await withServer({ maxFrameBytes: 4096 }, async (port) => {
    const huge = Buffer.alloc(8);
    huge.writeUInt32LE(100_000, 0);
    const r1 = await rawExchange(port, huge, 5);
    assert.equal(r1.closed, true);
    assert.equal(r1.frames.length, 1);
    assert.equal((r1.frames[0]!.control as { code: number }).code, Errors.FRAME_TOO_LARGE.code);
    // An HTTP request (curl at serverPort) is answered in HTTP, naming the REST port.
    const r2 = await rawExchange(port, Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'), 5);
    assert.equal(r2.closed, true);
    assert.equal(r2.frames.length, 0);
    assert.match(
      r2.raw.toString('utf8'),
      /^HTTP\/1\.1 400 Bad Request\r\n[\s\S]*an HTTP request reached the RPC port \(serverPort\); send REST requests to httpPort/,
    );
    const badMagic = encodeFrame(0, 1, 5, { echo: 1 }, [], 4096);
    badMagic[4] = 0x42;
    const r3 = await rawExchange(port, badMagic, 5);
    assert.equal(r3.closed, true);
    assert.equal((r3.frames[0]!.control as { code: number }).code, Errors.BAD_FRAME.code);
    // The server still serves new connections.
    const c = new RpcClient({ host: '127.0.0.1', port });
    try {
      assert.deepEqual((await c.request(1, { echo: 7 })).control, { echo: 7 });
    } finally {
      c.close();
    }
  });
});

test('more requests in flight than the limit are refused with QUEUE_FULL', async () => {
  await withServer({ maxInFlight: 2 }, async (port) => {
    const c = new RpcClient({ host: '127.0.0.1', port });
    try {
      const rs = await Promise.allSettled([0, 1, 2, 3, 4].map(() => c.request(2, { sleepMs: 100 })));
      const full = rs.filter(
        (r) => r.status === 'rejected' && (r.reason as BasaltError).code === Errors.QUEUE_FULL.code,
      );
      assert.equal(rs.filter((r) => r.status === 'fulfilled').length, 2);
      assert.equal(full.length, 3);
    } finally {
      c.close();
    }
  });
});

test('the client refuses an oversized request locally; a dead endpoint is CONNECTION_FAILED', async () => {
  await withServer({}, async (port) => {
    const c = new RpcClient({ host: '127.0.0.1', port, maxFrameBytes: 1024 });
    try {
      await assert.rejects(
        c.request(1, { echo: 'x'.repeat(2000) }),
        (e: BasaltError) => e.errorName === 'FRAME_TOO_LARGE',
      );
    } finally {
      c.close();
    }
  });
  const srv = new RpcServer({ host: '127.0.0.1', port: 0, handler });
  const port = await srv.listen();
  await srv.close();
  const c = new RpcClient({ host: '127.0.0.1', port, connectTimeoutMs: 1000 });
  await assert.rejects(
    c.request(1, {}),
    (e: BasaltError) => e.errorName === 'CONNECTION_FAILED' && e.message.includes(`127.0.0.1:${port}`),
  );
  c.close();
});

test('close() answers requests in flight before closing connections', async () => {
  const srv = new RpcServer({ host: '127.0.0.1', port: 0, handler });
  const port = await srv.listen();
  const c = new RpcClient({ host: '127.0.0.1', port });
  const inflight = c.request(2, { sleepMs: 150 });
  await new Promise((r) => setTimeout(r, 30));
  const closing = srv.close(2000);
  const late = c.request(1, { echo: 1 }).then(
    () => null,
    (e: BasaltError) => e,
  );
  assert.deepEqual((await inflight).control, { slept: true });
  const lateErr = await late;
  assert.ok(
    lateErr !== null && (lateErr.errorName === 'SHUTTING_DOWN' || lateErr.errorName === 'CONNECTION_FAILED'),
    `late request: ${String(lateErr)}`,
  );
  await closing;
  c.close();
});
