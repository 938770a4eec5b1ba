// WAL write-path micro-benchmark: what one dnode's Raft log costs in CPU per appended MB.
// Appends batches to a WalLogStore (the Raft log over src/storage/wal.ts) in a temp dir,
// once without sync (the CPU of append alone) and once with a sync per batch (as a Raft
// round does), and prints MB/s, CPU ms per MB (user + system of the whole process, so
// libuv's fdatasync thread counts too), GC count and pause; then crc32c MB/s, JS vs native.
// Usage: node dist/bench/wal-append.bench.js [--mb 300] [--dir /tmp] [--only big|small]
import * as fs from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { PerformanceObserver, constants as perfConstants } from 'node:perf_hooks';
import type { Entry } from '../src/raft/index.js';
import { WalLogStore } from '../src/replica/wal-log-store.js';
import { crc32c, crc32cIsNative, crc32cJs, crc32cNative } from '../src/storage/crc32c.js';

interface Args {
  mb: number;
  dir: string;
  only: string;
}

function parseArgs(argv: string[]): Args {
  const a: Args = { mb: 300, dir: tmpdir(), only: '' };
  for (let i = 2; i < argv.length; i += 2) {
    const k = argv[i]!;
    const v = argv[i + 1];
    if (k === '--mb') a.mb = Number(v);
    else if (k === '--dir') a.dir = String(v);
    else if (k === '--only') a.only = String(v);
    else throw new Error(`unknown argument ${k}; use --mb N --dir D --only big|small`);
  }
  return a;
}

interface Shape {
  name: string;
  entriesPerBatch: number;
  entryBytes: number;
}

/** The two shapes replicated ingest produces: a few big write batches, or many small ones. */
const SHAPES: Shape[] = [
  { name: 'big', entriesPerBatch: 4, entryBytes: 600 * 1024 },
  { name: 'small', entriesPerBatch: 100, entryBytes: 200 },
];
/** Distinct payload buffers cycled through, so the data is not one hot cache line. */
const PAYLOAD_VARIANTS = 8;

let gcCount = 0;
let gcMajorCount = 0;
let gcPauseMs = 0;
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    gcCount++;
    gcPauseMs += e.duration;
    const kind = (e as unknown as { detail?: { kind?: number } }).detail?.kind;
    if (kind === perfConstants.NODE_PERFORMANCE_GC_MAJOR) gcMajorCount++;
  }
}).observe({ entryTypes: ['gc'] });

function payloads(shape: Shape): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let v = 0; v < PAYLOAD_VARIANTS; v++) {
    // A view at an offset into a bigger buffer, as a decoded network frame's payload is.
    const backing = Buffer.allocUnsafe(shape.entryBytes + 64);
    for (let i = 0; i < backing.length; i++) backing[i] = (i * 131 + v * 17) & 0xff;
    out.push(backing.subarray(13, 13 + shape.entryBytes));
  }
  return out;
}

async function runAppend(root: string, shape: Shape, totalMb: number, syncEachBatch: boolean): Promise<string> {
  const dir = fs.mkdtempSync(join(root, `basalt-wal-bench-${shape.name}-`));
  try {
    const store = WalLogStore.open(dir, { maxCachedBytes: 64 * 1024 * 1024 });
    const data = payloads(shape);
    const batchBytes = shape.entriesPerBatch * shape.entryBytes;
    const batches = Math.max(1, Math.ceil((totalMb * 1024 * 1024) / batchBytes));
    let index = 1;
    const appendBatch = (): void => {
      const ents: Entry[] = new Array(shape.entriesPerBatch);
      for (let k = 0; k < shape.entriesPerBatch; k++, index++)
        ents[k] = { index, term: 1, type: 'normal', data: data[index % PAYLOAD_VARIANTS]! };
      store.append(ents);
    };
    // Warm-up: JIT, first segment, page cache of the first preallocation.
    for (let b = 0; b < Math.min(20, batches); b++) appendBatch();
    await store.sync();
    const gc0 = [gcCount, gcMajorCount, gcPauseMs];
    const cpu0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    for (let b = 0; b < batches; b++) {
      appendBatch();
      if (syncEachBatch) await store.sync();
    }
    await store.sync();
    const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
    const cpu = process.cpuUsage(cpu0);
    // Let the GC observer see the entries of this run.
    await new Promise((r) => setImmediate(r));
    await store.close();
    const mb = (batches * batchBytes) / (1024 * 1024);
    const userMs = cpu.user / 1000;
    const sysMs = cpu.system / 1000;
    return (
      `${shape.name.padEnd(5)} ${shape.entriesPerBatch} × ${shape.entryBytes} B, ${syncEachBatch ? 'sync per batch' : 'no sync      '}: ` +
      `${(mb / (wallMs / 1000)).toFixed(0).padStart(5)} MB/s, ${(batches / (wallMs / 1000)).toFixed(0).padStart(6)} batches/s, ` +
      `CPU ${((userMs + sysMs) / mb).toFixed(2)} ms/MB (user ${(userMs / mb).toFixed(2)}, sys ${(sysMs / mb).toFixed(2)}), ` +
      `GC ${gcCount - gc0[0]!} (${gcMajorCount - gc0[1]!} major) ${(gcPauseMs - gc0[2]!).toFixed(0)} ms, ${mb.toFixed(0)} MB in ${wallMs.toFixed(0)} ms`
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

type CrcFn = (buf: Uint8Array, start: number, end: number, seed: number) => number | null;

function crcMbPerS(fn: CrcFn, bytes: number): string {
  const buf = Buffer.allocUnsafe(bytes + 16);
  for (let i = 0; i < buf.length; i++) buf[i] = (i * 7) & 0xff;
  const targetBytes = 256 * 1024 * 1024;
  const iters = Math.max(1000, Math.ceil(targetBytes / bytes));
  let x = 0;
  for (let i = 0; i < Math.min(iters, 10_000); i++) x ^= fn(buf, 3, 3 + bytes, i) ?? 0;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < iters; i++) x ^= fn(buf, 3, 3 + bytes, i) ?? 0;
  const ns = Number(process.hrtime.bigint() - t0);
  if (x === 0.5) console.log('unreachable');
  return `${(((bytes * iters) / ns) * 1e3).toFixed(0).padStart(6)} MB/s (${(ns / iters).toFixed(0)} ns/call)`;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv);
  const load = (): string =>
    loadavg()
      .map((v) => v.toFixed(2))
      .join(' ');
  console.log(`# wal-append bench — node ${process.version}, crc32c native: ${crc32cIsNative}, load average ${load()}`);
  for (const shape of SHAPES) {
    if (args.only && args.only !== shape.name) continue;
    for (const syncEachBatch of [false, true]) console.log(await runAppend(args.dir, shape, args.mb, syncEachBatch));
  }
  for (const bytes of [8, 64, 200, 4096, 600 * 1024]) {
    console.log(
      `crc32c ${String(bytes).padStart(6)} B: js ${crcMbPerS(crc32cJs, bytes)}, native ${crcMbPerS(crc32cNative, bytes)}, crc32c() ${crcMbPerS(crc32c, bytes)}`,
    );
  }
  console.log(`# load average ${load()}`);
}

await main();
