// Raft envelopes on the wire: exact round trips (entry data in the frame payload, decoded as
// views), and untrusted input (mutated envelopes, lengths that do not add up to the payload,
// random bytes, frames for another node) that must end as BAD_FRAME, never as a crash. The
// last test sends such frames to a live 3-node group and checks it keeps committing.
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { test } from 'node:test';
import { BasaltError } from '../../src/common/errors.js';
import { message, Prng, type Message } from '../../src/raft/index.js';
import type { NodeEnvelope } from '../../src/raft/multi-raft.js';
import {
  decodeControl,
  encodeControl,
  encodeFrame,
  encodeFrameParts,
  FLAG_ONEWAY,
  FrameDecoder,
  type Frame,
} from '../../src/rpc/frame.js';
import { MsgType } from '../../src/rpc/messages.js';
import { STANDALONE_TEST_SECRET, standaloneClient } from '../../src/replica/standalone.js';
import { peerHandshake } from '../../src/rpc/peer-auth.js';
import { socketRequester } from '../../src/rpc/socket-handshake.js';
import { decodeEnvelope, encodeEnvelope } from '../../src/replica/wire.js';
import { TestCluster } from './harness.js';

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

function sample(from = 1, to = 2): NodeEnvelope {
  const msgs: Message[] = [
    message({
      type: 'MsgApp',
      from,
      to,
      term: 7,
      logTerm: 6,
      index: 41,
      commit: 40,
      entries: [
        { index: 42, term: 7, type: 'normal', data: bytes('put k v') },
        { index: 43, term: 7, type: 'conf', data: bytes('addLearner:4') },
        { index: 44, term: 7, type: 'normal', data: new Uint8Array(0) },
      ],
    }),
    message({
      type: 'MsgSnap',
      from,
      to,
      term: 7,
      snapshot: { index: 30, term: 5, conf: { voters: [1, 2, 3], learners: [4] } },
      snapOffset: 1024,
      snapData: new Uint8Array([0, 255, 7]),
      snapDone: true,
    }),
    message({ type: 'MsgAppResp', from, to, term: 7, index: 40, reject: true, rejectHint: 33, logTerm: 4 }),
    message({ type: 'MsgReadIndex', from, to, term: 7, context: '1.99' }),
    message({ type: 'MsgSnapResp', from, to, term: 7, index: 30, snapOffset: 2048, reject: true }),
  ];
  return {
    from,
    to,
    heartbeats: [
      { group: 5, term: 7, commit: 40, context: '', tick: 123 },
      { group: 6, term: 2, commit: 9, context: 'r1', tick: 124 },
    ],
    heartbeatResps: [{ group: 9, term: 3, commit: 0, context: '', tick: 0 }],
    messages: msgs.map((msg, i) => ({ group: i + 1, msg })),
  };
}

function normalize(env: NodeEnvelope): unknown {
  // The holder's own value: a Buffer has already gone through toJSON when `v` arrives.
  return JSON.parse(
    JSON.stringify(env, function (this: Record<string, unknown>, k, v: unknown) {
      const raw = this[k];
      return raw instanceof Uint8Array ? `bytes:${Buffer.from(raw).toString('hex')}` : v;
    }),
  );
}

const concat = (parts: readonly Uint8Array[]): Uint8Array => Buffer.concat(parts);

/** Control through msgpack and back, with the envelope's payload parts joined as a frame payload would be. */
function roundTrip(control: unknown, payload: Uint8Array): NodeEnvelope {
  return decodeEnvelope(decodeControl(encodeControl(control)), payload);
}

/** Through the frame code as a peer sends it: head and parts, into a FrameDecoder. */
function throughFrame(env: NodeEnvelope): { frame: Frame; parts: readonly Uint8Array[] } {
  const w = encodeEnvelope(env);
  const parts = encodeFrameParts(FLAG_ONEWAY, MsgType.RAFT, 0, w.control, w.payload, 64 << 20);
  const d = new FrameDecoder(64 << 20);
  const evs = parts.flatMap((p) => d.push(p));
  assert.equal(evs.length, 1);
  const ev = evs[0]!;
  assert.equal(ev.kind, 'frame');
  return { frame: (ev as { frame: Frame }).frame, parts };
}

test('an envelope survives the wire unchanged, entry data as views of the frame payload', () => {
  const env = sample();
  const w = encodeEnvelope(env);
  assert.equal(w.payload.length, 4, 'three entries and one snapshot chunk');
  const back = roundTrip(w.control, concat(w.payload));
  assert.deepEqual(normalize(back), normalize(env));
  const { frame } = throughFrame(env);
  const back2 = decodeEnvelope(frame.control, frame.payload);
  assert.deepEqual(normalize(back2), normalize(env));
  const d = back2.messages[0]!.msg.entries[0]!.data;
  assert.ok(d instanceof Uint8Array);
  assert.equal(d.buffer, frame.payload.buffer, 'entry data is a view, not a copy');
});

test('large entries go out by reference after a small head, and come back intact', () => {
  const big = new Uint8Array(600 * 1024).map((_, i) => (i * 7) & 0xff);
  const big2 = new Uint8Array(300 * 1024).fill(3);
  const env: NodeEnvelope = {
    from: 1,
    to: 2,
    heartbeats: [],
    heartbeatResps: [],
    messages: [
      {
        group: 3,
        msg: message({
          type: 'MsgApp',
          from: 1,
          to: 2,
          term: 2,
          logTerm: 2,
          index: 9,
          commit: 9,
          entries: [
            { index: 10, term: 2, type: 'normal', data: big },
            { index: 11, term: 2, type: 'normal', data: new Uint8Array(0) },
            { index: 12, term: 2, type: 'normal', data: big2 },
          ],
        }),
      },
    ],
  };
  const { frame, parts } = throughFrame(env);
  assert.equal(parts.length, 3, 'head, then the two non-empty entries');
  assert.equal(parts[1], big);
  assert.equal(parts[2], big2);
  assert.ok(parts[0]!.length < 200, `head of ${parts[0]!.length} bytes carries no entry data`);
  const back = decodeEnvelope(frame.control, frame.payload);
  const ents = back.messages[0]!.msg.entries;
  assert.deepEqual(
    ents.map((e) => e.data.length),
    [big.length, 0, big2.length],
  );
  assert.ok(Buffer.from(ents[0]!.data).equals(big) && Buffer.from(ents[2]!.data).equals(big2));
});

test('entry and snapshot lengths must add up to exactly the payload', () => {
  const w = encodeEnvelope(sample());
  const payload = concat(w.payload);
  const isBad =
    (field: RegExp) =>
    (e: unknown): boolean =>
      e instanceof BasaltError && e.errorName === 'BAD_FRAME' && field.test(e.message);
  // One byte missing: the snapshot chunk (last) no longer fits.
  assert.throws(
    () => roundTrip(w.control, payload.subarray(0, payload.length - 1)),
    isBad(/'message\.snapBytes'.*only 2 payload bytes/),
  );
  // One byte too many.
  assert.throws(() => roundTrip(w.control, concat([payload, new Uint8Array(1)])), isBad(/'payload' has 1 bytes/));
  // No payload at all.
  assert.throws(() => roundTrip(w.control, new Uint8Array(0)), isBad(/'entry\.dataBytes'/));
  // A length beyond anything the payload holds, and one that is not an integer.
  const ctl = structuredClone(w.control) as unknown[];
  const app = (ctl[5] as unknown[])[1] as unknown[];
  (app[11] as unknown[])[3] = 2 ** 40;
  assert.throws(() => roundTrip(ctl, payload), isBad(/'entry\.dataBytes' is 1099511627776 bytes/));
  (app[11] as unknown[])[3] = new Uint8Array(7);
  assert.throws(() => roundTrip(ctl, payload), isBad(/'entry\.dataBytes' must be a non-negative integer/));
  (app[11] as unknown[])[3] = -1;
  assert.throws(() => roundTrip(ctl, payload), isBad(/'entry\.dataBytes' must be a non-negative integer/));
  // A version 1 envelope (data inside the control part) is refused by version.
  const v1 = structuredClone(w.control) as unknown[];
  v1[0] = 1;
  assert.throws(() => roundTrip(v1, payload), isBad(/'version' is 1; this node speaks 2/));
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
  const w = encodeEnvelope(sample());
  const base = w.control;
  const payload = concat(w.payload);
  let refused = 0;
  for (let i = 0; i < 5000; i++) {
    const m = mutate(base, prng);
    // Now and then the payload is cut short or padded as well.
    const cut = prng.nextU32() % 8;
    const p =
      cut === 0
        ? payload.subarray(0, prng.nextU32() % payload.length)
        : cut === 1
          ? concat([payload, new Uint8Array(1 + (prng.nextU32() % 9))])
          : payload;
    try {
      roundTrip(m, p);
    } catch (e) {
      assert.ok(e instanceof BasaltError && e.errorName === 'BAD_FRAME', `unexpected ${String(e)}`);
      refused++;
    }
  }
  assert.ok(refused > 4000, `only ${refused} of 5000 mutations refused`);
  for (let i = 0; i < 2000; i++) {
    const buf = new Uint8Array(1 + (prng.nextU32() % 64));
    for (let k = 0; k < buf.length; k++) buf[k] = prng.nextU32() & 0xff;
    let ctl: unknown;
    try {
      ctl = decodeControl(buf);
    } catch {
      continue;
    }
    assert.throws(
      () => decodeEnvelope(ctl, payload),
      (e: unknown) => e instanceof BasaltError && e.errorName === 'BAD_FRAME',
    );
  }
});

test('entries must follow the message index and travel only in MsgApp', () => {
  const env = sample();
  const w = encodeEnvelope(env);
  const raw = w.control;
  const msgs = raw[5] as unknown[];
  const app = (msgs[1] as unknown[]).slice();
  app[5] = 10; // index no longer precedes the first entry (42)
  msgs[1] = app;
  assert.throws(() => roundTrip(raw, concat(w.payload)), /must start right after message.index/);
});

test('a live group keeps committing while a bad peer sends garbage', { timeout: 30_000 }, async () => {
  const c = new TestCluster();
  try {
    await c.start([1, 2, 3]);
    const leader = await c.leader();
    await c.propose('before');
    const prng = new Prng(7);
    const w = encodeEnvelope(sample(9, leader.id));
    const base = w.control;
    const payload = concat(w.payload);
    // Authenticated as node 9, the sender the sample envelopes name.
    const client = standaloneClient({ host: '127.0.0.1', port: leader.port }, 9);
    let badReplies = 0;
    for (let i = 0; i < 300; i++) {
      try {
        await client.request(MsgType.RAFT, mutate(base, prng), [payload], 2000);
      } catch (e) {
        // A mutated sender id is refused as a node speaking for another.
        if (e instanceof BasaltError && (e.errorName === 'BAD_FRAME' || e.errorName === 'AUTH_FAILURE')) badReplies++;
        else throw e;
      }
    }
    // For another node, and not an envelope at all.
    const other = encodeEnvelope(sample(9, 77));
    await assert.rejects(client.request(MsgType.RAFT, other.control, other.payload, 2000), /reached node/);
    await assert.rejects(client.request(MsgType.RAFT, { hello: 1 }, [], 2000), /BAD|Malformed/);
    client.close();
    // Bytes that are not frames at all: the connection is closed, the node lives on.
    await new Promise<void>((resolve) => {
      const s = connect({ host: '127.0.0.1', port: leader.port }, () => s.end(Buffer.from('GET / HTTP/1.1\r\n\r\n')));
      s.on('close', () => resolve());
      s.on('error', () => resolve());
      s.setTimeout(3000, () => {
        s.destroy();
        resolve();
      });
    });
    assert.ok(badReplies > 200, `${badReplies} BAD_FRAME replies`);
    assert.ok(leader.node!.transport.stats.badFrames >= badReplies);
    // One-way frames (how peers send): no reply at all, a bad one only counted.
    const before = leader.node!.transport.stats.badFrames;
    const answer = await new Promise<number>((resolve) => {
      let got = 0;
      const s = connect({ host: '127.0.0.1', port: leader.port }, async () => {
        const ep = `127.0.0.1:${leader.port}`;
        const r = socketRequester(s, ep, 2_000);
        await peerHandshake(r.request, { dnodeId: 9, clusterSecret: STANDALONE_TEST_SECRET }, ep, {
          challenge: MsgType.PEER_CHALLENGE,
          auth: MsgType.PEER_AUTH,
        });
        r.detach();
        got = 0; // the handshake's own replies
        for (let i = 0; i < 50; i++)
          s.write(encodeFrame(FLAG_ONEWAY, MsgType.RAFT, 0, mutate(base, prng), [payload], 1 << 20));
        setTimeout(() => {
          s.destroy();
          resolve(got);
        }, 300);
      });
      s.on('data', (b: Buffer) => {
        got += b.length;
      });
      s.on('error', () => resolve(-1));
    });
    assert.equal(answer, 0, 'one-way frames are never answered');
    assert.ok(leader.node!.transport.stats.badFrames > before);
    for (let i = 0; i < 20; i++) await c.propose(`after${i}`);
    for (const m of c.live()) assert.deepEqual(m.sm.duplicates, []);
  } finally {
    await c.close();
  }
});
