import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  decodeControl,
  encodeControl,
  encodeFrame,
  encodeFrameHead,
  encodeFrameParts,
  FrameDecoder,
  FLAG_RESPONSE,
  FRAME_HEADER_BYTES,
  writeFrameParts,
  type DecodeEvent,
} from '../../src/rpc/frame.js';
import { decodeBlocks, encodeBlocks } from '../../src/rpc/blocks.js';
import { parseInsertColumnar, parseQuery } from '../../src/rpc/messages.js';
import { bigBlock } from './fake-engine.js';
import { BasaltError } from '../../src/common/errors.js';
import { Limits } from '../../src/common/limits.js';

const MAX = 1024 * 1024;

function frames(evs: DecodeEvent[]): Array<Extract<DecodeEvent, { kind: 'frame' }>['frame']> {
  return evs.map((e) => {
    assert.equal(e.kind, 'frame');
    return (e as Extract<DecodeEvent, { kind: 'frame' }>).frame;
  });
}

test('a frame round-trips: header fields, msgpack control with bigint, payload', () => {
  const payload = [Uint8Array.from([1, 2, 3]), Uint8Array.from([4])];
  const buf = encodeFrame(
    FLAG_RESPONSE,
    2,
    0xfffffffe,
    { sql: 'select 1', big: 2n ** 63n - 1n, n: null },
    payload,
    MAX,
  );
  assert.equal(buf.readUInt32LE(0), buf.length - 4);
  const [f] = frames(new FrameDecoder(MAX).push(buf));
  assert.equal(f!.flags, FLAG_RESPONSE);
  assert.equal(f!.msgType, 2);
  assert.equal(f!.requestId, 0xfffffffe);
  assert.deepEqual(f!.control, { sql: 'select 1', big: 2n ** 63n - 1n, n: null });
  assert.deepEqual([...f!.payload], [1, 2, 3, 4]);
});

test('frames split at every byte boundary and glued together decode identically', () => {
  const a = encodeFrame(0, 2, 1, { sql: 'a' }, [Uint8Array.from([9, 9])], MAX);
  const b = encodeFrame(0, 3, 2, { cursorId: 5 }, [], MAX);
  const all = Buffer.concat([a, b]);
  for (let cut = 0; cut <= all.length; cut++) {
    const d = new FrameDecoder(MAX);
    const got = frames([...d.push(all.subarray(0, cut)), ...d.push(all.subarray(cut))]);
    assert.deepEqual(
      got.map((f) => f.requestId),
      [1, 2],
      `cut at ${cut}`,
    );
    assert.equal(d.pendingBytes, 0);
  }
  // One byte at a time.
  const d = new FrameDecoder(MAX);
  const evs: DecodeEvent[] = [];
  for (const byte of all) evs.push(...d.push(Uint8Array.of(byte)));
  assert.deepEqual(
    frames(evs).map((f) => f.msgType),
    [2, 3],
  );
});

test('an oversized length is refused before its body is buffered', () => {
  const d = new FrameDecoder(4096);
  const hdr = Buffer.alloc(4);
  hdr.writeUInt32LE(1_000_000, 0);
  const evs = d.push(hdr);
  assert.equal(evs.length, 1);
  assert.equal(evs[0]!.kind, 'fatal');
  assert.match((evs[0] as { error: BasaltError }).error.message, /exceeds maxFrameBytes 4096/);
  // Nothing more is parsed after a fatal event.
  assert.deepEqual(d.push(encodeFrame(0, 7, 1, {}, [], 4096)), []);
});

test('HTTP where a frame was expected is a port mix-up, named as such (not "Message too large")', () => {
  const cases: Array<[string, RegExp]> = [
    [
      'HTTP/1.1 400 Bad Request\r\n\r\n',
      /answered in HTTP: that is a dnode's REST port \(httpPort, 6041 by default\), not its serverPort/,
    ],
    [
      'POST /rest/sql HTTP/1.1\r\n',
      /an HTTP request reached the RPC port \(serverPort\); send REST requests to httpPort/,
    ],
    ['GET / HTTP/1.1\r\n', /an HTTP request reached the RPC port/],
  ];
  for (const [text, re] of cases) {
    const d = new FrameDecoder(Limits.maxFrameBytes);
    // Byte by byte, as a slow peer would send it.
    const evs = [...Buffer.from(text)].flatMap((b) => d.push(Buffer.from([b])));
    assert.equal(evs.length, 1, text);
    const ev = evs[0] as { kind: string; error: BasaltError };
    assert.equal(ev.kind, 'fatal');
    assert.equal(ev.error.errorName, 'WRONG_PORT');
    assert.match(ev.error.message, re);
  }
  // A real frame whose length bytes spell nothing like HTTP still decodes.
  assert.equal(new FrameDecoder(4096).push(encodeFrame(0, 7, 1, {}, [], 4096))[0]!.kind, 'frame');
});

test('encoding refuses a frame above the limit with FRAME_TOO_LARGE', () => {
  assert.throws(
    () => encodeFrame(0, 2, 1, { sql: 'x'.repeat(5000) }, [], 4096),
    (e: BasaltError) => e.errorName === 'FRAME_TOO_LARGE',
  );
});

test('bad magic and too-short lengths are fatal; bad msgpack is a per-request error', () => {
  const good = encodeFrame(0, 2, 77, { sql: 'a' }, [], MAX);
  const badMagic = Buffer.from(good);
  badMagic[4] = 0x00;
  assert.equal(new FrameDecoder(MAX).push(badMagic)[0]!.kind, 'fatal');
  const short = Buffer.alloc(8);
  short.writeUInt32LE(4, 0);
  assert.equal(new FrameDecoder(MAX).push(short)[0]!.kind, 'fatal');
  // Control part claims more bytes than the frame holds.
  const badCtl = Buffer.from(good);
  badCtl.writeUInt32LE(9999, 16);
  const ev = new FrameDecoder(MAX).push(badCtl)[0]!;
  assert.equal(ev.kind, 'bad');
  assert.equal((ev as { requestId: number }).requestId, 77);
  // Control bytes that are not msgpack (0xc1 is never used by msgpack).
  const junk = Buffer.from(good);
  junk[FRAME_HEADER_BYTES] = 0xc1;
  const ev2 = new FrameDecoder(MAX).push(junk)[0]!;
  assert.equal(ev2.kind, 'bad');
  assert.match((ev2 as { error: BasaltError }).error.message, /not valid msgpack/);
});

test('column blocks in a payload round-trip and a truncated payload is BAD_FRAME', () => {
  const blocks = [bigBlock(0, 50), bigBlock(50, 3)];
  const parts = encodeBlocks(blocks);
  const payload = Buffer.concat(parts);
  const back = decodeBlocks(payload, 2);
  assert.equal(back.length, 2);
  assert.equal(back[0]!.numRows, 50);
  assert.deepEqual([...(back[1]!.columns[4]!.data as string[])], ['row-50', 'row-51', 'row-52']);
  assert.equal(back[0]!.columns[1]!.nulls![3], 1);
  assert.throws(
    () => decodeBlocks(payload.subarray(0, payload.length - 1), 2),
    (e: BasaltError) => e.errorName === 'BAD_FRAME',
  );
  assert.throws(() => decodeBlocks(payload, 1), /left over/);
  assert.throws(() => decodeBlocks(payload, 3), /announced 3/);
});

test('request validation names the bad field', () => {
  assert.throws(() => parseQuery({ sql: 5 }, 100), /field 'sql' must be a string/);
  assert.throws(() => parseQuery([1], 100), /must be a map/);
  assert.throws(() => parseQuery({ sql: 'x'.repeat(101) }, 100), /exceeds 100/);
  assert.deepEqual(parseQuery({ sql: 'show databases', db: 'x', stateless: true }, 100), {
    sql: 'show databases',
    db: 'x',
    stateless: true,
  });
  assert.throws(
    () => parseInsertColumnar({ db: 'd', tables: [{ table: 't', using: { stable: 's', tags: [{}] } }] }),
    /using.tags/,
  );
  assert.deepEqual(parseInsertColumnar({ db: 'd', tables: [{ table: 't' }] }), {
    db: 'd',
    tables: [{ table: 't', using: null }],
  });
});

test('the example in docs/block-format.md is what the codec writes', async () => {
  const { readFileSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { encodeBlock } = await import('../../src/common/block-codec.js');
  const { REPO_ROOT } = await import('../cli/run-basalt.js');
  const doc = readFileSync(join(REPO_ROOT, 'docs', 'block-format.md'), 'utf8');
  const section = doc.slice(doc.indexOf('Example: 2 rows'));
  const fence = section.slice(section.indexOf('```') + 3, section.indexOf('```', section.indexOf('```') + 3));
  const hex = fence
    .split('\n')
    .map((l) => l.replace(/\s{3,}\S.*$/, '').replace(/\s/g, ''))
    .join('');
  const b = encodeBlock({
    numRows: 2,
    columns: [
      { type: 9, data: new Float64Array([1700000000000, 1700000001000]), nulls: null },
      { type: 4, data: new Int32Array([7, 0]), nulls: new Uint8Array([0, 1]) },
    ],
  });
  assert.equal(hex, Buffer.from(b).toString('hex'));
});

test('head + payload parts are byte for byte the frame encodeFrame builds; small payloads stay one buffer', () => {
  const big = new Uint8Array(Limits.rpcInlinePayloadBytes + 5).map((_, i) => i & 0xff);
  const payload = [Uint8Array.from([1, 2]), new Uint8Array(0), big];
  const whole = encodeFrame(0, 9, 77, { vgId: 3 }, payload, MAX);
  const parts = encodeFrameParts(0, 9, 77, { vgId: 3 }, payload, MAX);
  assert.equal(parts.length, 3, 'head, then the non-empty parts');
  assert.equal(parts[1], payload[0]);
  assert.equal(parts[2], big, 'a payload part is written by reference');
  assert.ok(Buffer.concat(parts).equals(whole));
  const head = encodeFrameHead(0, 9, 77, { vgId: 3 }, 2 + big.length, MAX);
  assert.ok(head.equals(parts[0]!));
  assert.equal(head.readUInt32LE(0), whole.length - 4, 'the length field covers the payload written after the head');
  const small = encodeFrameParts(0, 9, 78, { vgId: 3 }, [Uint8Array.from([5])], MAX);
  assert.equal(small.length, 1);
  assert.ok(Buffer.from(small[0]!).equals(encodeFrame(0, 9, 78, { vgId: 3 }, [Uint8Array.from([5])], MAX)));
  // The limit counts the payload the head does not hold.
  assert.throws(
    () => encodeFrameHead(0, 9, 1, {}, MAX, MAX),
    (e: BasaltError) => e.errorName === 'FRAME_TOO_LARGE',
  );
  assert.throws(
    () => encodeFrameParts(0, 9, 1, {}, [new Uint8Array(MAX)], MAX),
    (e: BasaltError) => e.errorName === 'FRAME_TOO_LARGE',
  );
});

test('writeFrameParts writes each part once inside one cork; a single buffer needs no cork', () => {
  const log: string[] = [];
  const sink = {
    cork: () => {
      log.push('cork');
    },
    uncork: () => {
      log.push('uncork');
    },
    write: (b: Uint8Array) => {
      log.push(`w${b.length}`);
      return true;
    },
  };
  const parts = encodeFrameParts(
    0,
    9,
    1,
    { a: 1 },
    [new Uint8Array(Limits.rpcInlinePayloadBytes), new Uint8Array(3)],
    MAX,
  );
  writeFrameParts(sink, parts);
  assert.deepEqual(log, ['cork', `w${parts[0]!.length}`, `w${Limits.rpcInlinePayloadBytes}`, 'w3', 'uncork']);
  log.length = 0;
  writeFrameParts(sink, [new Uint8Array(4)]);
  assert.deepEqual(log, ['w4']);
});

test('the shared control encoder: copies stay intact, large controls and errors leave it usable', () => {
  const a = encodeControl({ n: 1, s: 'first' });
  const b = encodeControl({ n: 2, s: 'second' });
  assert.deepEqual(decodeControl(a), { n: 1, s: 'first' }, 'a later encode does not overwrite an earlier result');
  assert.deepEqual(decodeControl(b), { n: 2, s: 'second' });
  const big = { s: 'x'.repeat(2 * 1024 * 1024) };
  const f = encodeFrame(0, 1, 1, big, [], 8 * MAX);
  assert.deepEqual(frames(new FrameDecoder(8 * MAX).push(f))[0]!.control, big);
  assert.throws(() => encodeControl({ f: () => 1 }));
  assert.deepEqual(decodeControl(encodeControl([1, 'after'])), [1, 'after']);
});
