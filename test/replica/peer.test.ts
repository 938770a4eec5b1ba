// Peer on a raw TCP listener: frames queued while connecting and frames sent once connected
// arrive whole and in order as head + entry parts, and the buffered-bytes bound still drops
// frames (telling the caller) when the other side does not read.
import assert from 'node:assert/strict';
import { createServer, type Socket } from 'node:net';
import { test } from 'node:test';
import { message } from '../../src/raft/index.js';
import type { NodeEnvelope } from '../../src/raft/multi-raft.js';
import { FrameDecoder, type Frame } from '../../src/rpc/frame.js';
import { MsgType } from '../../src/rpc/messages.js';
import { Peer, type PeerOptions } from '../../src/replica/peer.js';
import { decodeEnvelope, encodeEnvelope } from '../../src/replica/wire.js';

const OPTS: PeerOptions = {
  maxQueuedFrames: 16,
  maxBufferedBytes: 4 << 20,
  connectTimeoutMs: 2000,
  backoffMinMs: 50,
  backoffMaxMs: 200,
  maxFrameBytes: 16 << 20,
};

function appEnvelope(first: number, sizes: readonly number[]): NodeEnvelope {
  const entries = sizes.map((n, k) => ({
    index: first + k,
    term: 2,
    type: 'normal' as const,
    data: new Uint8Array(n).fill((first + k) & 0xff),
  }));
  return {
    from: 1,
    to: 2,
    heartbeats: [],
    heartbeatResps: [],
    messages: [
      {
        group: 4,
        msg: message({ type: 'MsgApp', from: 1, to: 2, term: 2, logTerm: 2, index: first - 1, commit: 0, entries }),
      },
    ],
  };
}

async function listen(onSocket: (s: Socket) => void): Promise<{ port: number; close(): Promise<void> }> {
  const socks: Socket[] = [];
  const srv = createServer((s) => {
    socks.push(s);
    onSocket(s);
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const a = srv.address();
  return {
    port: typeof a === 'object' && a ? a.port : 0,
    close: () =>
      new Promise<void>((r) => {
        for (const s of socks) s.destroy();
        srv.close(() => r());
      }),
  };
}

test('queued and direct frames arrive whole, in order, with the entry data intact', { timeout: 20_000 }, async () => {
  const frames: Frame[] = [];
  const srv = await listen((s) => {
    const d = new FrameDecoder(OPTS.maxFrameBytes);
    s.on('data', (c: Buffer) => {
      for (const ev of d.push(c)) if (ev.kind === 'frame') frames.push(ev.frame);
    });
  });
  const peer = new Peer(
    2,
    '127.0.0.1',
    srv.port,
    OPTS,
    () => undefined,
    () => undefined,
  );
  try {
    const envs = [appEnvelope(10, [600_000, 5, 0]), appEnvelope(13, [3]), appEnvelope(14, [700_000, 200_000])];
    let failed = 0;
    // The first two are queued (the connection is opening), the third is written directly.
    for (const env of envs.slice(0, 2)) {
      const w = encodeEnvelope(env);
      peer.send({ control: w.control, payload: w.payload, onFail: () => failed++ });
    }
    const deadline = Date.now() + 5000;
    while (!peer.connected && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    const w = encodeEnvelope(envs[2]!);
    peer.send({ control: w.control, payload: w.payload, onFail: () => failed++ });
    while (frames.length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    assert.equal(failed, 0);
    assert.equal(frames.length, 3);
    for (const [k, f] of frames.entries()) {
      assert.equal(f.msgType, MsgType.RAFT);
      const back = decodeEnvelope(f.control, f.payload);
      const want = envs[k]!.messages[0]!.msg.entries;
      const got = back.messages[0]!.msg.entries;
      assert.deepEqual(
        got.map((e) => [e.index, e.data.length]),
        want.map((e) => [e.index, e.data.length]),
      );
      for (const [i, e] of got.entries()) assert.ok(Buffer.from(e.data).equals(want[i]!.data), `frame ${k} entry ${i}`);
    }
    assert.equal(peer.stats.framesSent, 3);
  } finally {
    peer.close();
    await srv.close();
  }
});

test('a peer that does not read: frames beyond maxBufferedBytes are dropped and reported', {
  timeout: 20_000,
}, async () => {
  const srv = await listen((s) => s.pause());
  const opts = { ...OPTS, maxBufferedBytes: 1 << 20 };
  const peer = new Peer(
    2,
    '127.0.0.1',
    srv.port,
    opts,
    () => undefined,
    () => undefined,
  );
  try {
    let failed = 0;
    const w0 = encodeEnvelope(appEnvelope(1, [1]));
    peer.send({ control: w0.control, payload: w0.payload, onFail: () => failed++ });
    const deadline = Date.now() + 5000;
    while (!peer.connected && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    // 200 frames of 1 MB: the kernel buffers take some, then the socket's own buffer passes the bound.
    for (let i = 0; i < 200; i++) {
      const w = encodeEnvelope(appEnvelope(2 + i, [1 << 20]));
      peer.send({ control: w.control, payload: w.payload, onFail: () => failed++ });
    }
    assert.ok(failed > 0, 'some frames were dropped');
    assert.equal(peer.stats.framesDropped, failed);
    assert.equal(peer.stats.framesSent + failed, 201);
  } finally {
    peer.close();
    await srv.close();
  }
});
