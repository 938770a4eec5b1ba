// Raft envelopes through the wire code without a network: encode (wire.ts + frame.ts, the
// bytes Peer hands to the socket) and decode (FrameDecoder fed in 64 KiB chunks as a socket
// delivers them, then decodeEnvelope). Two loads: MsgApp envelopes of 4 entries x 600 KB
// (replica-3 ingest), and envelopes of 100 coalesced heartbeats. Prints MB/s (entry bytes),
// envelopes/s, GC counts and time, and bytes allocated per envelope (ArrayBuffer memory and
// JS heap, sampled around single round trips after a forced GC).
//   node dist/bench/raft-wire.bench.js     env: RAFT_WIRE_SECONDS (2 per load)
import { PerformanceObserver, constants as perfConstants } from 'node:perf_hooks';
import { setFlagsFromString, getHeapStatistics } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { message, type Message } from '../src/raft/index.js';
import type { NodeEnvelope } from '../src/raft/multi-raft.js';
import { FLAG_ONEWAY, FrameDecoder, encodeFrameParts } from '../src/rpc/frame.js';
import { MsgType } from '../src/rpc/messages.js';
import { decodeEnvelope, encodeEnvelope } from '../src/replica/wire.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const SECONDS = Number(process.env['RAFT_WIRE_SECONDS'] ?? '2');
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
  const msg: Message = message({ type: 'MsgApp', from: 1, to: 2, term: 3, logTerm: 3, index: 100, commit: 99, entries: ents });
  return { from: 1, to: 2, heartbeats: [], heartbeatResps: [], messages: [{ group: 7, msg }] };
}

function beatEnvelope(n: number): NodeEnvelope {
  const heartbeats = [];
  for (let g = 0; g < n; g++) heartbeats.push({ group: g + 1, term: 5, commit: 1000 + g, context: '', tick: 123456 });
  return { from: 1, to: 2, heartbeats, heartbeatResps: [], messages: [] };
}

/** What the sender writes to the socket for one envelope. */
function encodeOnce(env: NodeEnvelope): readonly Uint8Array[] {
  const w = encodeEnvelope(env);
  return encodeFrameParts(FLAG_ONEWAY, MsgType.RAFT, 0, w.control, w.payload, MAX_FRAME);
}

/** The receiver: socket-sized chunks into a FrameDecoder, then the envelope checks. */
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

interface GcCounts { minor: number; major: number; ms: number }

function run(name: string, env: NodeEnvelope, dataBytes: number): void {
  const dec = new FrameDecoder(MAX_FRAME);
  for (let i = 0; i < 50; i++) decodeOnce(dec, encodeOnce(env));
  // Bytes allocated by one round trip: no GC runs between the samples (checked).
  const abDeltas: number[] = [];
  const heapDeltas: number[] = [];
  for (let i = 0; i < 21; i++) {
    gc();
    const ab0 = process.memoryUsage().arrayBuffers;
    const h0 = getHeapStatistics().used_heap_size;
    const back = decodeOnce(dec, encodeOnce(env));
    const ab1 = process.memoryUsage().arrayBuffers;
    const h1 = getHeapStatistics().used_heap_size;
    if (back.to !== env.to) throw new Error('bench round trip changed the envelope');
    abDeltas.push(ab1 - ab0);
    heapDeltas.push(h1 - h0);
  }
  const median = (a: number[]): number => a.sort((x, y) => x - y)[a.length >> 1]!;

  const counts: GcCounts = { minor: 0, major: 0, ms: 0 };
  const obs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      const kind = (e as unknown as { detail?: { kind?: number } }).detail?.kind;
      if (kind === perfConstants.NODE_PERFORMANCE_GC_MAJOR) counts.major++; else counts.minor++;
      counts.ms += e.duration;
    }
  });
  obs.observe({ entryTypes: ['gc'] });
  gc();
  const t0 = process.hrtime.bigint();
  const until = Date.now() + SECONDS * 1000;
  let ops = 0;
  while (Date.now() < until && ops < MAX_OPS) {
    for (let k = 0; k < 10; k++) decodeOnce(dec, encodeOnce(env));
    ops += 10;
  }
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  // GC entries are delivered asynchronously; report after they arrive.
  setTimeout(() => {
    obs.disconnect();
    const mbps = dataBytes > 0 ? `${((ops * dataBytes) / secs / 1e6).toFixed(0)} MB/s entry data, ` : '';
    console.log(`${name}: ${mbps}${(ops / secs).toFixed(0)} envelopes/s; per envelope: ${(median(abDeltas) / 1024).toFixed(1)} KiB ArrayBuffer + ${(median(heapDeltas) / 1024).toFixed(1)} KiB JS heap allocated; GC over ${ops} envelopes: ${counts.minor} minor, ${counts.major} major, ${counts.ms.toFixed(0)} ms (${((counts.ms / 1000 / secs) * 100).toFixed(1)}% of run)`);
    next();
  }, 50);
}

const loads: [string, NodeEnvelope, number][] = [
  ['MsgApp 4 x 600 KB', appEnvelope(4, 600 * 1024), 4 * 600 * 1024],
  ['100 heartbeats   ', beatEnvelope(100), 0],
];
function next(): void {
  const l = loads.shift();
  if (l) run(...l);
}
console.log(`raft-wire bench, node ${process.version}, ${SECONDS} s per load`);
next();
