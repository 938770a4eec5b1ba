// Raft envelopes on the wire: exact round trips, and untrusted input (mutated envelopes,
// random bytes, frames for another node) that must end as BAD_FRAME, never as a crash. The
// last test sends such frames to a live 3-node group and checks it keeps committing.
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { test } from 'node:test';
import { BasaltError } from '../../src/common/errors.js';
import { message, Prng, type Message } from '../../src/raft/index.js';
import type { NodeEnvelope } from '../../src/raft/multi-raft.js';
import { decodeControl, encodeControl, encodeFrame, FLAG_ONEWAY } from '../../src/rpc/frame.js';
import { MsgType } from '../../src/rpc/messages.js';
import { RpcClient } from '../../src/rpc/client.js';
import { decodeEnvelope, encodeEnvelope } from '../../src/replica/wire.js';
import { TestCluster } from './harness.js';

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

function sample(from = 1, to = 2): NodeEnvelope {
  const msgs: Message[] = [
    message({ type: 'MsgApp', from, to, term: 7, logTerm: 6, index: 41, commit: 40, entries: [
      { index: 42, term: 7, type: 'normal', data: bytes('put k v') },
      { index: 43, term: 7, type: 'conf', data: bytes('addLearner:4') },
      { index: 44, term: 7, type: 'normal', data: new Uint8Array(0) },
    ] }),
    message({ type: 'MsgSnap', from, to, term: 7, snapshot: { index: 30, term: 5, conf: { voters: [1, 2, 3], learners: [4] } }, snapOffset: 1024, snapData: new Uint8Array([0, 255, 7]), snapDone: true }),
    message({ type: 'MsgAppResp', from, to, term: 7, index: 40, reject: true, rejectHint: 33, logTerm: 4 }),
    message({ type: 'MsgReadIndex', from, to, term: 7, context: '1.99' }),
    message({ type: 'MsgSnapResp', from, to, term: 7, index: 30, snapOffset: 2048, reject: true }),
  ];
  return {
    from, to,
    heartbeats: [{ group: 5, term: 7, commit: 40, context: '', tick: 123 }, { group: 6, term: 2, commit: 9, context: 'r1', tick: 124 }],
    heartbeatResps: [{ group: 9, term: 3, commit: 0, context: '', tick: 0 }],
    messages: msgs.map((msg, i) => ({ group: i + 1, msg })),
  };
}

function normalize(env: NodeEnvelope): unknown {
  return JSON.parse(JSON.stringify(env, (_k, v: unknown) => (v instanceof Uint8Array ? `bytes:${Buffer.from(v).toString('hex')}` : v)));
}

test('an envelope survives msgpack unchanged, entry payloads as bytes', () => {
  const env = sample();
  const back = decodeEnvelope(decodeControl(encodeControl(encodeEnvelope(env))));
  assert.deepEqual(normalize(back), normalize(env));
  assert.ok(back.messages[0]!.msg.entries[0]!.data instanceof Uint8Array);
});

/** Replaces one value somewhere in a nested array by something of another kind. */
function mutate(v: unknown, prng: Prng): unknown {
  const weird: unknown[] = [null, -1, 2 ** 60, 1.5, 'x', 'y'.repeat(2000), [], {}, new Uint8Array(3), true, 999];
  if (!Array.isArray(v) || v.length === 0 || prng.nextU32() % 4 === 0) return weird[prng.nextU32() % weird.length];
  const copy = v.slice();
  const k = prng.nextU32() % copy.length;
  if (prng.nextU32() % 10 === 0) copy.splice(k, 1);
  else copy[k] = mutate(copy[k], prng);
  return copy;
}

test('mutated envelopes and random bytes give BAD_FRAME or a valid envelope, never another error', () => {
  const prng = new Prng(42);
  const base = encodeEnvelope(sample());
  let refused = 0;
  for (let i = 0; i < 5000; i++) {
    const m = mutate(base, prng);
    try { decodeEnvelope(decodeControl(encodeControl(m))); } catch (e) {
      assert.ok(e instanceof BasaltError && e.errorName === 'BAD_FRAME', `unexpected ${String(e)}`);
      refused++;
    }
  }
  assert.ok(refused > 4000, `only ${refused} of 5000 mutations refused`);
  for (let i = 0; i < 2000; i++) {
    const buf = new Uint8Array(1 + (prng.nextU32() % 64));
    for (let k = 0; k < buf.length; k++) buf[k] = prng.nextU32() & 0xff;
    let ctl: unknown;
    try { ctl = decodeControl(buf); } catch { continue; }
    assert.throws(() => decodeEnvelope(ctl), (e: unknown) => e instanceof BasaltError && e.errorName === 'BAD_FRAME');
  }
});

test('entries must follow the message index and travel only in MsgApp', () => {
  const env = sample();
  const raw = encodeEnvelope(env) as unknown[];
  const msgs = raw[5] as unknown[];
  const app = (msgs[1] as unknown[]).slice();
  app[5] = 10; // index no longer precedes the first entry (42)
  msgs[1] = app;
  assert.throws(() => decodeEnvelope(decodeControl(encodeControl(raw))), /must start right after message.index/);
});

test('a live group keeps committing while a bad peer sends garbage', { timeout: 30_000 }, async () => {
  const c = new TestCluster();
  try {
    await c.start([1, 2, 3]);
    const leader = await c.leader();
    await c.propose('before');
    const prng = new Prng(7);
    const base = encodeEnvelope(sample(9, leader.id));
    const client = new RpcClient({ host: '127.0.0.1', port: leader.port });
    let badReplies = 0;
    for (let i = 0; i < 300; i++) {
      try { await client.request(MsgType.RAFT, mutate(base, prng), [], 2000); } catch (e) {
        if (e instanceof BasaltError && e.errorName === 'BAD_FRAME') badReplies++;
        else throw e;
      }
    }
    // For another node, and not an envelope at all.
    await assert.rejects(client.request(MsgType.RAFT, encodeEnvelope(sample(9, 77)), [], 2000), /reached node/);
    await assert.rejects(client.request(MsgType.RAFT, { hello: 1 }, [], 2000), /BAD|Malformed/);
    client.close();
    // Bytes that are not frames at all: the connection is closed, the node lives on.
    await new Promise<void>((resolve) => {
      const s = connect({ host: '127.0.0.1', port: leader.port }, () => s.end(Buffer.from('GET / HTTP/1.1\r\n\r\n')));
      s.on('close', () => resolve());
      s.on('error', () => resolve());
      s.setTimeout(3000, () => { s.destroy(); resolve(); });
    });
    assert.ok(badReplies > 200, `${badReplies} BAD_FRAME replies`);
    assert.ok(leader.node!.transport.stats.badFrames >= badReplies);
    // One-way frames (how peers send): no reply at all, a bad one only counted.
    const before = leader.node!.transport.stats.badFrames;
    const answer = await new Promise<number>((resolve) => {
      let got = 0;
      const s = connect({ host: '127.0.0.1', port: leader.port }, () => {
        for (let i = 0; i < 50; i++) s.write(encodeFrame(FLAG_ONEWAY, MsgType.RAFT, 0, mutate(base, prng), [], 1 << 20));
        setTimeout(() => { s.destroy(); resolve(got); }, 300);
      });
      s.on('data', (b: Buffer) => { got += b.length; });
      s.on('error', () => resolve(-1));
    });
    assert.equal(answer, 0, 'one-way frames are never answered');
    assert.ok(leader.node!.transport.stats.badFrames > before);
    for (let i = 0; i < 20; i++) await c.propose(`after${i}`);
    for (const m of c.live()) assert.deepEqual(m.sm.duplicates, []);
  } finally { await c.close(); }
});
