// Raft envelopes through the wire code without a network. Sender: wire.ts + frame.ts, up to
// the buffers Peer hands to the socket. Receiver: FrameDecoder fed in 64 KiB chunks as a
// socket delivers them, then decodeEnvelope. Two loads: MsgApp envelopes of 4 entries x
// 600 KB (replica-3 ingest), and envelopes of 100 coalesced heartbeats.
// The sender side is measured twice, alternating: 'v2' is the code as it is; 'v1' rebuilds
// the previous sender here (entry data as msgpack binaries in the control part, a new
// msgpack Encoder per frame, the whole frame copied into one buffer). The receiver exists
// only as v2 (v1 decoded the same arrays; its entry data were msgpack views of the frame).
// Prints envelopes/s and MB/s of entry data, bytes allocated per envelope (ArrayBuffer memory
// and JS heap, sampled around single calls after a forced GC; the JS heap figure is noisy),
// and GC counts and time during the round trips.
//   node dist/bench/raft-wire.bench.js     env: RAFT_WIRE_SECONDS (1.5 per measurement)
import { PerformanceObserver, constants as perfConstants } from 'node:perf_hooks';
import { setFlagsFromString, getHeapStatistics } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { loadavg } from 'node:os';
import { message, type Message } from '../src/raft/index.js';
import type { NodeEnvelope } from '../src/raft/multi-raft.js';
import { encode as mpEncode } from '@msgpack/msgpack';
import { FLAG_ONEWAY, FRAME_HEADER_BYTES, FRAME_MAGIC, FrameDecoder, encodeFrameParts } from '../src/rpc/frame.js';
import { MsgType } from '../src/rpc/messages.js';
import { decodeEnvelope, encodeEnvelope } from '../src/replica/wire.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const SECONDS = Number(process.env['RAFT_WIRE_SECONDS'] ?? '1.5');
const MAX_FRAME = 64 * 1024 * 1024;
const CHUNK = 64 * 1024;
const MAX_OPS = 1_000_000;

function appEnvelope(entries: number, bytes: number): NodeEnvelope {
  const ents = [];
  for (let i = 0; i < entries; i++) {
    const data = new Uint8Array(bytes);
    for (let k = 0; k < bytes; k += 4096) data[k] = (i + k) & 0xff;
    ents.push({ index: 101 + i, term: 3, type: 'normal' as const, data });
  }
  const msg: Message = message({
    type: 'MsgApp',
    from: 1,
    to: 2,
    term: 3,
    logTerm: 3,
    index: 100,
    commit: 99,
    entries: ents,
  });
  return { from: 1, to: 2, heartbeats: [], heartbeatResps: [], messages: [{ group: 7, msg }] };
}

function beatEnvelope(n: number): NodeEnvelope {
  const heartbeats = [];
  for (let g = 0; g < n; g++) heartbeats.push({ group: g + 1, term: 5, commit: 1000 + g, context: '', tick: 123456 });
  return { from: 1, to: 2, heartbeats, heartbeatResps: [], messages: [] };
}

interface Variant {
  readonly name: string;
  /** What the sender writes to the socket for one envelope. */
  encode(env: NodeEnvelope): readonly Uint8Array[];
}

const v2: Variant = {
  name: 'v2',
  encode(env) {
    const w = encodeEnvelope(env);
    return encodeFrameParts(FLAG_ONEWAY, MsgType.RAFT, 0, w.control, w.payload, MAX_FRAME);
  },
};

/** The version 1 wire, rebuilt for comparison (what wire.ts and frame.ts did before version 2). */
const v1: Variant = {
  name: 'v1',
  encode(env) {
    const msgs: unknown[] = [];
    for (const { group, msg: m } of env.messages) {
      const ents: unknown[] = [];
      for (const e of m.entries) ents.push(e.index, e.term, e.type === 'conf' ? 1 : 0, e.data);
      msgs.push(group, [
        8 /* MsgApp is the only type here; the code does not matter */,
        m.from,
        m.to,
        m.term,
        m.logTerm,
        m.index,
        m.commit,
        0,
        0,
        '',
        0,
        ents,
        0,
        0,
        null,
        null,
      ]);
    }
    const beats: unknown[] = [];
    for (const b of env.heartbeats) beats.push(b.group, b.term, b.commit, b.context, b.tick);
    const ctl = mpEncode([1, env.from, env.to, beats, [], msgs], { useBigInt64: true });
    const buf = Buffer.allocUnsafe(FRAME_HEADER_BYTES + ctl.length);
    buf.writeUInt32LE(buf.length - 4, 0);
    buf[4] = FRAME_MAGIC;
    buf[5] = 1;
    buf[6] = FLAG_ONEWAY;
    buf[7] = 0;
    buf.writeUInt16LE(MsgType.RAFT, 8);
    buf.writeUInt16LE(0, 10);
    buf.writeUInt32LE(0, 12);
    buf.writeUInt32LE(ctl.length, 16);
    buf.set(ctl, FRAME_HEADER_BYTES);
    return [buf];
  },
};

/** The receiver: socket-sized chunks into a FrameDecoder, then the envelope decode. */
function decodeOnce(dec: FrameDecoder, parts: readonly Uint8Array[]): NodeEnvelope {
  let env: NodeEnvelope | null = null;
  for (const part of parts) {
    for (let p = 0; p < part.length; p += CHUNK) {
      for (const ev of dec.push(part.subarray(p, Math.min(part.length, p + CHUNK)))) {
        if (ev.kind !== 'frame') throw new Error(`bench frame did not decode: ${ev.kind}`);
        env = decodeEnvelope(ev.frame.control, ev.frame.payload);
      }
    }
  }
  if (env === null) throw new Error('bench frame incomplete');
  return env;
}

/** Calls `f` in batches of 10 for SECONDS (bounded by MAX_OPS); returns calls per second. */
function rate(f: () => void): number {
  const t0 = process.hrtime.bigint();
  const until = Date.now() + SECONDS * 1000;
  let ops = 0;
  while (Date.now() < until && ops < MAX_OPS) {
    for (let k = 0; k < 10; k++) f();
    ops += 10;
  }
  return ops / (Number(process.hrtime.bigint() - t0) / 1e9);
}

interface GcCounts {
  minor: number;
  major: number;
  ms: number;
}

/** Bytes allocated by one call of `f` (medians of 21 samples; no GC runs within a sample). */
function allocated(f: () => void): string {
  const ab: number[] = [];
  const heap: number[] = [];
  for (let i = 0; i < 21; i++) {
    gc();
    const ab0 = process.memoryUsage().arrayBuffers;
    const h0 = getHeapStatistics().used_heap_size;
    f();
    ab.push(process.memoryUsage().arrayBuffers - ab0);
    heap.push(getHeapStatistics().used_heap_size - h0);
  }
  const median = (a: number[]): number => a.sort((x, y) => x - y)[a.length >> 1]!;
  return `${(median(ab) / 1024).toFixed(1)} KiB ArrayBuffer + ${(median(heap) / 1024).toFixed(1)} KiB JS heap`;
}

function run(v: Variant, name: string, env: NodeEnvelope, dataBytes: number): void {
  const mb = (r: number): string => (dataBytes > 0 ? `, ${((r * dataBytes) / 1e6).toFixed(0)} MB/s` : '');
  const dec = new FrameDecoder(MAX_FRAME);
  const sent = env.messages[0]?.msg.entries ?? [];
  if (v === v2) {
    const check = decodeOnce(dec, v.encode(env));
    const got = check.messages[0]?.msg.entries ?? [];
    if (
      check.heartbeats.length !== env.heartbeats.length ||
      got.length !== sent.length ||
      got.some((e, i) => !Buffer.from(e.data).equals(sent[i]!.data))
    ) {
      throw new Error(`${v.name}: the round trip changed the envelope`);
    }
  } else {
    // A version 1 frame: one whole frame whose control part holds the entry data.
    const evs = v.encode(env).flatMap((p) => dec.push(p));
    const ev = evs[0];
    const msgs = ev?.kind === 'frame' ? ((ev.frame.control as unknown[])[5] as unknown[]) : [];
    const flat = msgs.length > 1 ? ((msgs[1] as unknown[])[11] as unknown[]) : [];
    if (evs.length !== 1 || sent.some((e, i) => !Buffer.from(flat[i * 4 + 3] as Uint8Array).equals(e.data)))
      throw new Error('v1: the frame does not hold the entries');
  }
  for (let i = 0; i < 30; i++) v.encode(env);
  const encAlloc = allocated(() => {
    v.encode(env);
  });
  gc();
  const encRate = rate(() => {
    v.encode(env);
  });
  const line = `${v.name} ${name} send:    ${encRate.toFixed(0)} envelopes/s${v === v2 ? (dataBytes > 0 ? ' (entry data not copied)' : '') : mb(encRate)}; allocated per envelope ${encAlloc}`;
  if (v !== v2) {
    console.log(line);
    setImmediate(next);
    return;
  }
  for (let i = 0; i < 30; i++) decodeOnce(dec, v.encode(env));
  const rtAlloc = allocated(() => {
    decodeOnce(dec, v.encode(env));
  });
  const counts: GcCounts = { minor: 0, major: 0, ms: 0 };
  const obs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      const kind = (e as unknown as { detail?: { kind?: number } }).detail?.kind;
      if (kind === perfConstants.NODE_PERFORMANCE_GC_MAJOR) counts.major++;
      else counts.minor++;
      counts.ms += e.duration;
    }
  });
  gc();
  obs.observe({ entryTypes: ['gc'] });
  const t0 = process.hrtime.bigint();
  const rtRate = rate(() => {
    decodeOnce(dec, v.encode(env));
  });
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  // GC entries arrive asynchronously; report once they have.
  setTimeout(() => {
    obs.disconnect();
    console.log(line);
    console.log(
      `${v.name} ${name} send+receive: ${rtRate.toFixed(0)} envelopes/s${mb(rtRate)}; allocated per envelope ${rtAlloc}; GC: ${counts.minor} minor, ${counts.major} major, ${counts.ms.toFixed(0)} ms (${((counts.ms / 1000 / secs) * 100).toFixed(1)}% of the time)`,
    );
    next();
  }, 50);
}

const app = appEnvelope(4, 600 * 1024);
const beats = beatEnvelope(100);
const runs: [Variant, string, NodeEnvelope, number][] = [];
for (let round = 0; round < 2; round++) {
  for (const v of [v1, v2]) runs.push([v, 'MsgApp 4 x 600 KB', app, 4 * 600 * 1024]);
  for (const v of [v1, v2]) runs.push([v, '100 heartbeats   ', beats, 0]);
}
function next(): void {
  const r = runs.shift();
  if (r) run(...r);
}
console.log(
  `raft-wire bench, node ${process.version}, ${SECONDS} s per measurement, load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
next();
