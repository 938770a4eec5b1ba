// Storage benchmark on the taosBenchmark `meters` schema with the value distributions of
// ../shared/bench-peers/lib/gen.js (current: 3 decimals in [8,12); voltage 215..225; phase:
// 4 decimals in [0,1); rows 1 s apart), one table × `--batch` rows per write.
// Usage: node dist/bench/storage.js [--tables 1000] [--rows 10000] [--batch 5000]
//        [--wal2-tables N (default: all; 0 skips the wal_level 2 run)] [--dir /tmp/basalt-bench-storage] [--keep]
import * as fs from 'node:fs';
import type { ColumnBlock } from '../src/common/block.js';
import { DataType, type ColumnSchema } from '../src/common/types.js';
import type { VnodeOptions } from '../src/storage/api.js';
import { openVnodeStore, type LocalVnodeStore } from '../src/storage/index.js';
import { mulberry32, splitmix32 } from '../src/common/random.js';

interface Args {
  tables: number;
  rows: number;
  batch: number;
  wal2Tables: number;
  dir: string;
  keep: boolean;
}

function parseArgs(argv: string[]): Args {
  const a: Args = {
    tables: 1000,
    rows: 10_000,
    batch: 5000,
    wal2Tables: -1,
    dir: '/tmp/basalt-bench-storage',
    keep: false,
  };
  for (let i = 2; i < argv.length; i++) {
    const k = argv[i]!;
    const v = argv[i + 1];
    if (k === '--keep') {
      a.keep = true;
      continue;
    }
    i++;
    if (k === '--tables') a.tables = Number(v);
    else if (k === '--rows') a.rows = Number(v);
    else if (k === '--batch') a.batch = Number(v);
    else if (k === '--wal2-tables') a.wal2Tables = Number(v);
    else if (k === '--dir') a.dir = String(v);
    else throw new Error(`unknown argument ${k}; use --tables N --rows N --batch N --wal2-tables N --dir D --keep`);
  }
  return a;
}

const COLUMNS: ColumnSchema[] = [
  { name: 'ts', type: DataType.TIMESTAMP, bytes: 8 },
  { name: 'current', type: DataType.FLOAT, bytes: 4 },
  { name: 'voltage', type: DataType.INT, bytes: 4 },
  { name: 'phase', type: DataType.FLOAT, bytes: 4 },
];
const TAGS: ColumnSchema[] = [
  { name: 'groupid', type: DataType.INT, bytes: 4 },
  { name: 'location', type: DataType.VARCHAR, bytes: 24 },
];
const CITIES = [
  'California.SanFrancisco',
  'California.LosAngeles',
  'California.SanDiego',
  'California.SanJose',
  'California.PaloAlto',
  'California.Campbell',
  'California.MountainView',
  'California.Sunnyvale',
  'California.SantaClara',
  'California.Cupertino',
];

const SEED = 42;
const START_MS = Date.parse('2024-01-01T00:00:00Z');

/** All rows of table t as one block (current/phase rounded to 3/4 decimals like gen.js). */
function tableRows(t: number, n: number): ColumnBlock {
  const r = mulberry32(splitmix32(SEED * 104729 + t));
  const ts = new Float64Array(n),
    cur = new Float32Array(n),
    volt = new Int32Array(n),
    ph = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    ts[i] = START_MS + i * 1000;
    // Math.round instead of toFixed: the same decimals (rare half-way ties aside), much faster.
    cur[i] = Math.round((8 + 4 * r()) * 1000) / 1000;
    volt[i] = 215 + Math.floor(r() * 11);
    ph[i] = Math.round(r() * 10000) / 10000;
  }
  return {
    numRows: n,
    columns: [
      { type: DataType.TIMESTAMP, data: ts, nulls: null },
      { type: DataType.FLOAT, data: cur, nulls: null },
      { type: DataType.INT, data: volt, nulls: null },
      { type: DataType.FLOAT, data: ph, nulls: null },
    ],
  };
}

function slice(b: ColumnBlock, s: number, e: number): ColumnBlock {
  return {
    numRows: e - s,
    columns: b.columns.map((c) => ({ type: c.type, data: (c.data as Float64Array).subarray(s, e), nulls: null })),
  };
}

function opts(walLevel: 1 | 2): VnodeOptions {
  return {
    precision: 'ms',
    bufferBytes: 256 << 20,
    durationMs: 10 * 86_400_000,
    keepMs: 3650 * 86_400_000,
    walLevel,
    walFsyncPeriodMs: 3000,
    maxRows: 4096,
    minRows: 100,
  };
}

async function setup(store: LocalVnodeStore, tables: number): Promise<void> {
  await store.createSuperTable({ name: 'meters', columns: COLUMNS, tags: TAGS });
  for (let t = 0; t < tables; t++) {
    const r = mulberry32(splitmix32(SEED * 7919 + 1_000_003 + t));
    await store.createChildTable({
      name: `d${t}`,
      stable: 'meters',
      tagValues: [1 + Math.floor(r() * 10), CITIES[Math.floor(r() * CITIES.length)]!],
    });
  }
}

/** Writes tables [0, tables) × rows; returns seconds spent inside store calls and wall seconds. */
async function ingest(
  store: LocalVnodeStore,
  tables: number,
  rows: number,
  batch: number,
): Promise<{ storeS: number; wallS: number }> {
  let storeNs = 0n;
  const w0 = process.hrtime.bigint();
  for (let t = 0; t < tables; t++) {
    const all = tableRows(t, rows);
    for (let s = 0; s < rows; s += batch) {
      const b = slice(all, s, Math.min(rows, s + batch));
      const t0 = process.hrtime.bigint();
      await store.write({ rows: [{ table: `d${t}`, block: b }] });
      storeNs += process.hrtime.bigint() - t0;
    }
  }
  return { storeS: Number(storeNs) / 1e9, wallS: Number(process.hrtime.bigint() - w0) / 1e9 };
}

function timeMs<T>(fn: () => T): { ms: number; value: T } {
  const t0 = process.hrtime.bigint();
  const value = fn();
  return { ms: Number(process.hrtime.bigint() - t0) / 1e6, value };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function queries(store: LocalVnodeStore, tables: number, label: string): void {
  const ALL = { from: -Infinity, to: Infinity };
  const names = Array.from({ length: tables }, (_, t) => `d${t}`);
  const reps = (fn: () => unknown): { ms: number; first: number } => {
    const times: number[] = [];
    for (let i = 0; i < 7; i++) times.push(timeMs(fn).ms);
    return { ms: median(times), first: times[0]! };
  };
  let count = 0;
  const c = reps(() => {
    count = 0;
    for (const n of names) count += store.aggregate(n, ALL, []).rows;
  });
  let sum = 0,
    cnt = 0;
  const a = reps(() => {
    sum = 0;
    cnt = 0;
    for (const n of names) {
      const g = store.aggregate(n, ALL, [1]).columns[0]!;
      sum += g.sum as number;
      cnt += g.count;
    }
  });
  let maxV = -Infinity;
  const m = reps(() => {
    maxV = -Infinity;
    for (const n of names) maxV = Math.max(maxV, store.aggregate(n, ALL, [2]).columns[0]!.max as number);
  });
  let lastSum = 0;
  const l = reps(() => {
    lastSum = 0;
    for (const n of names) lastSum += (store.lastRow(n)!.columns[1]!.data as Float32Array)[0]!;
  });
  console.log(
    `  [${label}] count(*) = ${count}: ${c.ms.toFixed(2)} ms (median of 7; first run ${c.first.toFixed(2)} ms)`,
  );
  console.log(
    `  [${label}] avg(current) = ${(sum / cnt).toFixed(6)}: ${a.ms.toFixed(2)} ms (first ${a.first.toFixed(2)} ms)`,
  );
  console.log(`  [${label}] max(voltage) = ${maxV}: ${m.ms.toFixed(2)} ms (first ${m.first.toFixed(2)} ms)`);
  if (label === 'warm') {
    let rows = 0;
    const sc = timeMs(() => {
      for (const n of names) for (const b of store.scan(n, ALL, [0, 1, 2, 3])) rows += b.numRows;
    });
    console.log(
      `  [${label}] full scan of all 4 columns: ${rows} rows in ${sc.ms.toFixed(0)} ms (${(rows / sc.ms / 1e3).toFixed(2)} M rows/s decoded)`,
    );
  }
  console.log(
    `  [${label}] last row of ${tables} tables (sum of last current ${lastSum.toFixed(3)}): ${l.ms.toFixed(2)} ms (first ${l.first.toFixed(2)} ms)`,
  );
}

function rssMiB(): number {
  return process.resourceUsage().maxRSS / 1024;
}

async function main(): Promise<void> {
  const a = parseArgs(process.argv);
  const total = a.tables * a.rows;
  console.log(
    `bench:storage — ${a.tables} tables × ${a.rows} rows = ${(total / 1e6).toFixed(1)} M rows, ${a.batch} rows per write, dir ${a.dir}`,
  );
  fs.rmSync(a.dir, { recursive: true, force: true });
  const dir1 = `${a.dir}/wal1`;
  let store = await openVnodeStore(dir1, opts(1));
  const s0 = timeMs(() => 0);
  void s0;
  const tSetup = process.hrtime.bigint();
  await setup(store, a.tables);
  console.log(
    `  created ${a.tables} child tables in ${(Number(process.hrtime.bigint() - tSetup) / 1e6).toFixed(0)} ms`,
  );
  const ing = await ingest(store, a.tables, a.rows, a.batch);
  const tf = process.hrtime.bigint();
  await store.flush();
  const flushS = Number(process.hrtime.bigint() - tf) / 1e9;
  const storeRate = total / (ing.storeS + flushS);
  console.log(
    `  ingest wal_level 1: ${(storeRate / 1e6).toFixed(2)} M rows/s in store calls incl. final flush (${(ing.storeS + flushS).toFixed(2)} s); ` +
      `${(total / (ing.wallS + flushS) / 1e6).toFixed(2)} M rows/s wall incl. data generation (${(ing.wallS + flushS).toFixed(2)} s)`,
  );
  const beforeCompact = store.stats().diskBytes;
  const tc = process.hrtime.bigint();
  await store.compact();
  const compactS = Number(process.hrtime.bigint() - tc) / 1e9;
  const st = store.stats();
  console.log(
    `  disk after flush ${(beforeCompact / total).toFixed(3)} B/row; compaction ${compactS.toFixed(2)} s; after compaction ${(st.diskBytes / total).toFixed(3)} B/row (${(st.diskBytes / 2 ** 20).toFixed(1)} MiB, WAL included)`,
  );
  queries(store, a.tables, 'warm');
  await store.close();
  const tr = process.hrtime.bigint();
  store = await openVnodeStore(dir1, opts(1));
  console.log(`  reopen (recovery) ${(Number(process.hrtime.bigint() - tr) / 1e6).toFixed(0)} ms`);
  queries(store, a.tables, 'after reopen');
  await store.close();
  console.log(`  peak RSS so far ${rssMiB().toFixed(0)} MiB`);

  if (a.wal2Tables !== 0) {
    const n2 = a.wal2Tables < 0 ? a.tables : Math.min(a.wal2Tables, a.tables);
    const dir2 = `${a.dir}/wal2`;
    const s2 = await openVnodeStore(dir2, opts(2));
    await setup(s2, n2);
    const i2 = await ingest(s2, n2, a.rows, a.batch);
    await s2.close();
    console.log(
      `  ingest wal_level 2 (fsync before each ack, ${n2} tables × ${a.rows} rows, ${a.batch} rows/write): ${((n2 * a.rows) / i2.storeS / 1e6).toFixed(2)} M rows/s in store calls`,
    );
  }
  console.log(`  peak RSS ${rssMiB().toFixed(0)} MiB`);
  if (!a.keep) fs.rmSync(a.dir, { recursive: true, force: true });
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
