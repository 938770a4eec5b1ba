// `npm run bench:query`: the five harness queries of ../shared/bench-peers over its 10 M-row
// `meters` data set (same generator, same values), loaded through the storage API into the
// vgroups of one database (flush + compact), run through parse → plan → runSelect. Prints
// the median (and minimum) of 5 timed runs after one warm-up, and checks every answer
// against the generator's ground truth. `--big` adds count(*) over 100 M rows (10,000
// tables). BASALT_BENCH_PROFILE=<query name> saves a CPU profile of 20 more runs.
//
// Flags: --tables N --rows N (default 1000 × 10000), --vgroups N (2), --reps N (5),
//        --dir PATH (default $TMPDIR/basalt-bench-query), --big, --big-tables N (10000),
//        --extra (five more common query shapes).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import inspector from 'node:inspector/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ColumnBlock } from '../src/common/block.js';
import { hashRanges } from '../src/common/hash.js';
import { valueAt } from '../src/common/block.js';
import { DataType } from '../src/common/types.js';
import type { SelectStmt } from '../src/sql/ast.js';
import { parseOne } from '../src/sql/index.js';
import { runSelect } from '../src/query/select/index.js';
import { localStoreOf, type DbHandle, type SelectContext, type VgroupHandle } from '../src/query/select-api.js';
import { openVnodeStore } from '../src/storage/index.js';
import type { VnodeOptions, VnodeStore } from '../src/storage/api.js';
import { vgroupOfTable } from '../src/query/select/route.js';
import { generateTable, tableMeta, type BenchMeta } from './query-gen.js';

interface Args {
  tables: number;
  rows: number;
  vgroups: number;
  reps: number;
  dir: string;
  big: boolean;
  bigTables: number;
  extra: boolean;
}

function parseArgs(argv: string[]): Args {
  const a: Args = {
    tables: 1000,
    rows: 10000,
    vgroups: 2,
    reps: 5,
    dir: '',
    big: false,
    bigTables: 10000,
    extra: false,
  };
  for (let i = 2; i < argv.length; i++) {
    const k = argv[i]!;
    const v = (): string => {
      const x = argv[++i];
      if (x === undefined) throw new Error(`${k} needs a value`);
      return x;
    };
    switch (k) {
      case '--tables':
        a.tables = Number(v());
        break;
      case '--rows':
        a.rows = Number(v());
        break;
      case '--vgroups':
        a.vgroups = Number(v());
        break;
      case '--reps':
        a.reps = Number(v());
        break;
      case '--dir':
        a.dir = v();
        break;
      case '--big':
        a.big = true;
        break;
      case '--extra':
        a.extra = true;
        break;
      case '--big-tables':
        a.bigTables = Number(v());
        break;
      default:
        throw new Error(`unknown flag ${k}; see the header of bench/query.ts`);
    }
  }
  return a;
}

const SEED = 42;
const START_SEC = Math.floor(Date.parse('2024-01-01T00:00:00Z') / 1000);

const VNODE_OPTIONS: VnodeOptions = {
  precision: 'ms',
  bufferBytes: 256 << 20,
  durationMs: 10 * 86_400_000,
  keepMs: 3650 * 86_400_000,
  walLevel: 1,
  walFsyncPeriodMs: 3000,
  maxRows: 4096,
  minRows: 100,
};

interface Loaded {
  db: DbHandle;
  stores: VnodeStore[];
  metas: BenchMeta[];
  loadMs: number;
  expected: Expected;
}

interface Expected {
  count: number;
  hourly: Array<{ t: number; avg: number }>;
  lastpoint: Map<string, number>;
  maxVoltage: { table: string; fromMs: number; toMs: number; value: number };
  byLocation: Map<string, number>;
}

async function load(dir: string, tables: number, rows: number, vgroups: number): Promise<Loaded> {
  const t0 = performance.now();
  const ranges = hashRanges(vgroups);
  const handles: VgroupHandle[] = [];
  const stores: VnodeStore[] = [];
  for (let v = 0; v < vgroups; v++) {
    const store = await openVnodeStore(join(dir, `vnode${v + 2}`), VNODE_OPTIONS);
    await store.createSuperTable({
      name: 'meters',
      columns: [
        { name: 'ts', type: DataType.TIMESTAMP, bytes: 8 },
        { name: 'current', type: DataType.FLOAT, bytes: 4 },
        { name: 'voltage', type: DataType.INT, bytes: 4 },
        { name: 'phase', type: DataType.FLOAT, bytes: 4 },
      ],
      tags: [
        { name: 'groupid', type: DataType.INT, bytes: 4 },
        { name: 'location', type: DataType.VARCHAR, bytes: 24 },
      ],
    });
    stores.push(store);
    handles.push({ vgId: v + 2, hashBegin: ranges[v]!.begin, hashEnd: ranges[v]!.end, store, remote: null });
  }
  const db: DbHandle = { name: 'bench', precision: 'ms', vgroups: handles };
  const metas: BenchMeta[] = [];
  const nWin = Math.ceil(rows / 3600);
  const hourSum = new Float64Array(nWin),
    hourCnt = new Float64Array(nWin);
  const locSum = new Map<string, number>(),
    locCnt = new Map<string, number>();
  const lastpoint = new Map<string, number>();
  const maxTable = Math.floor(tables / 2);
  const maxWin = rows >= 7200 ? [3600, 7200] : [0, Math.min(3600, rows)];
  let maxV = -Infinity;
  const TABLES_PER_WRITE = 20;
  let pending = new Map<
    VnodeStore,
    {
      creates: Array<{ name: string; stable: string; tagValues: Array<number | string> }>;
      rows: Array<{ table: string; block: ColumnBlock }>;
    }
  >();
  const drain = async (): Promise<void> => {
    for (const [store, b] of pending) await store.write({ createTables: b.creates, rows: b.rows });
    pending = new Map();
  };
  for (let t = 0; t < tables; t++) {
    const m = tableMeta(SEED, t);
    metas.push(m);
    const block = generateTable(SEED, t, rows, START_SEC);
    // Ground truth, computed the way gen.js computes it (from the decimal values written).
    const cur = block.columns[1]!.data as Float32Array,
      volt = block.columns[2]!.data as Int32Array,
      exact = block.exactCurrent;
    for (let i = 0; i < rows; i++) {
      const c = exact[i]!,
        w = Math.floor(i / 3600);
      hourSum[w]! += c;
      hourCnt[w]!++;
      if (t === maxTable && i >= maxWin[0]! && i < maxWin[1]! && volt[i]! > maxV) maxV = volt[i]!;
    }
    let s = 0;
    for (let i = 0; i < rows; i++) s += exact[i]!;
    locSum.set(m.location, (locSum.get(m.location) ?? 0) + s);
    locCnt.set(m.location, (locCnt.get(m.location) ?? 0) + rows);
    lastpoint.set(m.name, exact[rows - 1]!);
    void cur;
    const store = localStoreOf(vgroupOfTable(db, m.name));
    let p = pending.get(store);
    if (p === undefined) {
      p = { creates: [], rows: [] };
      pending.set(store, p);
    }
    p.creates.push({ name: m.name, stable: 'meters', tagValues: [m.groupid, m.location] });
    p.rows.push({ table: m.name, block: { numRows: block.numRows, columns: block.columns } });
    if ((t + 1) % TABLES_PER_WRITE === 0) await drain();
  }
  await drain();
  for (const s of stores) {
    await s.flush();
    await s.compact();
  }
  const expected: Expected = {
    count: tables * rows,
    hourly: Array.from(hourSum, (sum, w) => ({ t: (START_SEC + w * 3600) * 1000, avg: sum / hourCnt[w]! })),
    lastpoint,
    maxVoltage: {
      table: 'd' + maxTable,
      fromMs: (START_SEC + maxWin[0]!) * 1000,
      toMs: (START_SEC + maxWin[1]!) * 1000,
      value: maxV,
    },
    byLocation: new Map([...locSum].map(([k, v]) => [k, v / locCnt.get(k)!])),
  };
  return { db, stores, metas, loadMs: performance.now() - t0, expected };
}

function contextFor(db: DbHandle): SelectContext {
  return {
    session: { user: 'root', db: db.name },
    getDb: () => db,
    nowMs: () => Date.now(),
    serverVersion: 'bench',
  };
}

type Rows = Array<Array<number | bigint | string | boolean | null>>;

async function run(sql: string, ctx: SelectContext): Promise<Rows> {
  const stmt = parseOne(sql) as SelectStmt;
  const r = await runSelect(stmt, ctx);
  const rows: Rows = [];
  for await (const b of r.blocks) for (let i = 0; i < b.numRows; i++) rows.push(b.columns.map((c) => valueAt(c, i)));
  return rows;
}

const REL = 1e-5;
function close(a: number, b: number): boolean {
  return Math.abs(a - b) <= REL * Math.max(1, Math.abs(b));
}

interface BenchQuery {
  name: string;
  sql: string;
  check(rows: Rows, e: Expected): string | null;
}

function queries(e: Expected): BenchQuery[] {
  return [
    {
      name: 'count',
      sql: 'select count(*) from meters',
      check: (r) => (Number(r[0]![0]) === e.count ? null : `got ${String(r[0]![0])}, want ${e.count}`),
    },
    {
      name: 'hourly_avg',
      sql: 'select _wstart, avg(current) from meters interval(1h)',
      check: (r) => {
        if (r.length !== e.hourly.length) return `got ${r.length} windows, want ${e.hourly.length}`;
        for (let i = 0; i < r.length; i++) {
          if (r[i]![0] !== e.hourly[i]!.t) return `window ${i} starts at ${String(r[i]![0])}, want ${e.hourly[i]!.t}`;
          if (!close(Number(r[i]![1]), e.hourly[i]!.avg))
            return `window ${i} avg ${String(r[i]![1])}, want ${e.hourly[i]!.avg}`;
        }
        return null;
      },
    },
    {
      name: 'lastpoint',
      sql: 'select tbname, last_row(current) from meters partition by tbname',
      check: (r) => {
        if (r.length !== e.lastpoint.size) return `got ${r.length} tables, want ${e.lastpoint.size}`;
        for (const [tb, v] of r)
          if (!close(Number(v), e.lastpoint.get(String(tb))!))
            return `${String(tb)}: got ${String(v)}, want ${e.lastpoint.get(String(tb))}`;
        return null;
      },
    },
    {
      name: 'one_table_hour',
      sql: `select max(voltage) from ${e.maxVoltage.table} where ts >= ${e.maxVoltage.fromMs} and ts < ${e.maxVoltage.toMs}`,
      check: (r) =>
        Number(r[0]![0]) === e.maxVoltage.value ? null : `got ${String(r[0]![0])}, want ${e.maxVoltage.value}`,
    },
    {
      name: 'by_location',
      sql: 'select location, avg(current) from meters group by location',
      check: (r) => {
        if (r.length !== e.byLocation.size) return `got ${r.length} locations, want ${e.byLocation.size}`;
        for (const [loc, v] of r)
          if (!close(Number(v), e.byLocation.get(String(loc))!))
            return `${String(loc)}: got ${String(v)}, want ${e.byLocation.get(String(loc))}`;
        return null;
      },
    },
  ];
}

/** `--extra`: other common shapes (not harness queries), checked for row counts only. */
function extraQueries(e: Expected): BenchQuery[] {
  const rows =
    (n: number) =>
    (r: Rows): string | null =>
      r.length === n ? null : `got ${r.length} rows, want ${n}`;
  return [
    { name: 'first_10_rows', sql: 'select * from meters limit 10', check: rows(10) },
    { name: 'newest_10', sql: 'select ts, tbname, current from meters order by ts desc limit 10', check: rows(10) },
    { name: 'filtered_count', sql: 'select count(*) from meters where voltage > 220', check: rows(1) },
    {
      name: 'table_hours',
      sql: 'select tbname, _wstart, avg(current) from meters partition by tbname interval(1h) slimit 5',
      check: rows(5 * e.hourly.length),
    },
    { name: 'distinct_loc', sql: 'select distinct location from meters', check: rows(e.byLocation.size) },
  ];
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

async function timeQuery(
  q: BenchQuery,
  ctx: SelectContext,
  e: Expected,
  reps: number,
): Promise<{ ms: number; all: number[]; error: string | null }> {
  const warm = await run(q.sql, ctx);
  const error = q.check(warm, e);
  const all: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    await run(q.sql, ctx);
    all.push(performance.now() - t0);
  }
  if (process.env['BASALT_BENCH_PROFILE'] === q.name) await profile(q, ctx);
  return { ms: median(all), all, error };
}

/** BASALT_BENCH_PROFILE=<query name>: 20 more runs under the CPU profiler, saved as a .cpuprofile. */
async function profile(q: BenchQuery, ctx: SelectContext): Promise<void> {
  const session = new inspector.Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  for (let i = 0; i < 20; i++) await run(q.sql, ctx);
  const { profile: p } = await session.post('Profiler.stop');
  const file = join(tmpdir(), `basalt-bench-${q.name}.cpuprofile`);
  writeFileSync(file, JSON.stringify(p));
  console.log(`profile of 20 runs: ${file}`);
  session.disconnect();
}

async function benchDataset(
  label: string,
  dir: string,
  tables: number,
  rows: number,
  a: Args,
  only?: string[],
): Promise<void> {
  console.log(
    `# ${label}: ${tables} tables × ${rows} rows = ${((tables * rows) / 1e6).toFixed(0)} M rows, ${a.vgroups} vgroups, dir ${dir}`,
  );
  const l = await load(dir, tables, rows, a.vgroups);
  const disk = l.stores.reduce((s, x) => s + x.stats().diskBytes, 0);
  console.log(
    `loaded in ${(l.loadMs / 1000).toFixed(1)} s (${Math.round((tables * rows) / (l.loadMs / 1000)).toLocaleString('en-US')} rows/s through store.write, then flush + compact), ${(disk / (tables * rows)).toFixed(2)} B/row on disk`,
  );
  const ctx = contextFor(l.db);
  console.log('query            median ms    min ms   runs (ms)                         answer');
  for (const q of [...queries(l.expected), ...(a.extra && only === undefined ? extraQueries(l.expected) : [])]) {
    if (only !== undefined && !only.includes(q.name)) continue;
    const r = await timeQuery(q, ctx, l.expected, a.reps);
    // The minimum shows the cost without interference when the machine is shared.
    const min = Math.min(...r.all);
    console.log(
      `${q.name.padEnd(16)} ${r.ms.toFixed(3).padStart(9)} ${min.toFixed(3).padStart(9)}   ${r.all
        .map((x) => x.toFixed(2))
        .join(' ')
        .padEnd(33)} ${r.error === null ? 'ok' : 'WRONG: ' + r.error}`,
    );
    if (r.error !== null) process.exitCode = 1;
  }
  for (const s of l.stores) await s.close();
}

async function main(): Promise<void> {
  const a = parseArgs(process.argv);
  const base = a.dir || mkdtempSync(join(tmpdir(), 'basalt-bench-query-'));
  try {
    await benchDataset('bench-peers meters', join(base, 'small'), a.tables, a.rows, a);
    if (a.big) {
      rmSync(join(base, 'small'), { recursive: true, force: true });
      await benchDataset('count over the large set', join(base, 'big'), a.bigTables, a.rows, a, ['count']);
    }
  } finally {
    if (!a.dir) rmSync(base, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
