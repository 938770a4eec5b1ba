// The in-process link (RpcClientOptions.inProcess): a client reaches a server of its own
// process without a socket, with the same replies, errors, limits and close behaviour as TCP,
// and falls back to TCP when no server of the process listens there.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RpcServer, type RpcHandler } from '../../src/rpc/server.js';
import { RpcClient } from '../../src/rpc/client.js';
import { BasaltError, Errors } from '../../src/common/errors.js';

let closedConns = 0;
const handler: RpcHandler = async (conn, frame) => {
  if (conn.state === undefined) {
    conn.state = 'seen';
    conn.onClose(() => {
      closedConns++;
    });
  }
  const c = frame.control as { echo?: unknown; sleepMs?: number } | null;
  if (frame.msgType === 1) return { control: { echo: c?.echo ?? null, remote: conn.remote }, payload: [frame.payload] };
  if (frame.msgType === 2) {
    await new Promise((r) => setTimeout(r, c?.sleepMs ?? 50));
    return { control: { slept: true } };
  }
  if (frame.msgType === 3) throw new BasaltError('SYNTAX_ERROR', 'bad sql');
  throw new BasaltError('BAD_FRAME', `unknown message type ${frame.msgType}`);
};

async function withServer(
  host: string,
  fn: (port: number, srv: RpcServer) => Promise<void>,
  maxFrameBytes = 1 << 20,
): Promise<void> {
  const srv = new RpcServer({ host, port: 0, handler, maxInFlightPerConnection: 4, maxFrameBytes });
  const port = await srv.listen();
  try {
    await fn(port, srv);
  } finally {
    await srv.close(100);
  }
}

test('in-process requests: replies by id with payloads, errors keep their code, in-flight limit', async () => {
  await withServer('127.0.0.1', async (port) => {
    const c = new RpcClient({ host: '127.0.0.1', port, inProcess: true });
    try {
      const rs = await Promise.all([1, 2, 3].map((i) => c.request(1, { echo: i }, [Uint8Array.of(i, i)])));
      assert.equal(c.inProcessLink, true);
      assert.deepEqual(
        rs.map((r) => (r.control as { echo: number }).echo),
        [1, 2, 3],
      );
      assert.equal((rs[0]!.control as { remote: string }).remote, 'in-process');
      assert.deepEqual([...rs[2]!.payload], [3, 3]);
      await assert.rejects(
        c.request(3, {}),
        (e: BasaltError) => e.code === Errors.SYNTAX_ERROR.code && e.message === 'Syntax error in SQL: bad sql',
      );
      const slow = Array.from({ length: 6 }, () =>
        c.request(2, { sleepMs: 30 }).then(
          () => 'ok',
          (e: BasaltError) => e.errorName,
        ),
      );
      assert.deepEqual((await Promise.all(slow)).sort(), ['QUEUE_FULL', 'QUEUE_FULL', 'ok', 'ok', 'ok', 'ok']);
    } finally {
      c.close();
    }
    // Without inProcess, or for another host, the same server is reached over TCP.
    const t = new RpcClient({ host: '127.0.0.1', port });
    try {
      assert.equal(
        ((await t.request(1, { echo: 'tcp' })).control as { remote: string }).remote.startsWith('127.0.0.1:'),
        true,
      );
      assert.equal(t.inProcessLink, false);
    } finally {
      t.close();
    }
  });
});

test('a wildcard listener is reached in-process through localhost', async () => {
  await withServer('0.0.0.0', async (port) => {
    const c = new RpcClient({ host: 'localhost', port, inProcess: true });
    try {
      assert.equal(((await c.request(1, { echo: 1 })).control as { echo: number }).echo, 1);
      assert.equal(c.inProcessLink, true);
    } finally {
      c.close();
    }
  });
});

test('closing the client runs the connection close hooks; closing the server fails requests in flight, then TCP refuses', async () => {
  let port = 0;
  await withServer('127.0.0.1', async (p, srv) => {
    port = p;
    const before = closedConns;
    const c = new RpcClient({ host: '127.0.0.1', port, inProcess: true });
    await c.request(1, { echo: 1 });
    c.close();
    await new Promise((r) => setImmediate(r));
    assert.equal(closedConns, before + 1);

    const d = new RpcClient({ host: '127.0.0.1', port, inProcess: true, requestTimeoutMs: 5000 });
    await d.request(1, { echo: 1 });
    const inFlight = d.request(2, { sleepMs: 300 });
    await srv.close(10);
    await assert.rejects(inFlight, (e: BasaltError) => e.errorName === 'CONNECTION_FAILED');
    await assert.rejects(d.request(1, { echo: 2 }), (e: BasaltError) => e.errorName === 'CONNECTION_FAILED');
    d.close();
  });
  assert.ok(port > 0);
});

test('a frame beyond the server maxFrameBytes gets the error reply and the link closes, as over TCP', async () => {
  await withServer(
    '127.0.0.1',
    async (port) => {
      const c = new RpcClient({ host: '127.0.0.1', port, inProcess: true, maxFrameBytes: 1 << 20 });
      try {
        await assert.rejects(
          c.request(1, { echo: 1 }, [new Uint8Array(8192)]),
          (e: BasaltError) => e.errorName === 'FRAME_TOO_LARGE' || e.errorName === 'CONNECTION_FAILED',
        );
        // The next request opens a new link.
        assert.equal(((await c.request(1, { echo: 'again' })).control as { echo: string }).echo, 'again');
      } finally {
        c.close();
      }
    },
    4096,
  );
});
