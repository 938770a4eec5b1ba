// Line-protocol ingest through the real engine, without HTTP: handleInfluxWrite on the
// benchmark harness's `meters` lines (precision=s, 5,000 lines per request, `--inflight`
// requests at once), into a fresh database in a temp dir. Reports rows/s (wall) and how much
// of the CPU time the parser takes (measured separately on the same requests).
//
//   node dist/bench/line-protocol-write.bench.js [--tables 200] [--rows 5000] [--inflight 4]
//        [--order table|time] [--wal-level 1|2] [--dir /tmp/basalt-bench-lp] [--sql-schema]
// --sql-schema creates taosBenchmark's `meters` (FLOAT/INT columns, INT/VARCHAR tags) first, so
// line protocol writes convert into it instead of creating DOUBLE/BIGINT columns.
import { mkdirSync, rmSync } from 'node:fs';
import { handleInfluxWrite } from '../src/adapter/line-protocol/handler.js';
import type { LineProtocolTarget } from '../src/adapter/line-protocol/index.js';
import { parseLineProtocol } from '../src/adapter/line-protocol/parse.js';
import { SeriesCache } from '../src/adapter/line-protocol/series-cache.js';
import { createEngine } from '../src/engine/engine.js';

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

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : def;
}

const tables = Number(arg('tables', '200'));
const rowsPerTable = Number(arg('rows', '5000'));
const inflight = Number(arg('inflight', '4'));
const order = arg('order', 'table');
const walLevel = Number(arg('wal-level', '1'));
const dir = arg('dir', '/tmp/basalt-bench-lp');
const sqlSchema = process.argv.includes('--sql-schema');
const BATCH = 5000;
const START = 1704067200;

/** All requests, as the harness's gen.js lays them out (one PRNG stream per table). */
function makeRequests(): Buffer[] {
  const streams = Array.from({ length: tables }, (_, t) => {
    let s = (t * 104729 + 42) >>> 0;
    return (): number => {
      s = (s + 0x6d2b79f5) >>> 0;
      let x = s;
      x = Math.imul(x ^ (x >>> 15), x | 1);
      x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
      return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
    };
  });
  const prefix = Array.from(
    { length: tables },
    (_, t) => `meters,groupid=${1 + (t % 10)},location=${CITIES[t % 10]},tbname=d${t} `,
  );
  const out: Buffer[] = [];
  let lines: string[] = [];
  const emit = (t: number, i: number): void => {
    const r = streams[t]!;
    lines.push(
      `${prefix[t]}current=${(8 + 4 * r()).toFixed(3)},voltage=${215 + Math.floor(r() * 11)}i,phase=${r().toFixed(4)} ${START + i}\n`,
    );
    if (lines.length === BATCH) {
      out.push(Buffer.from(lines.join(''), 'latin1'));
      lines = [];
    }
  };
  if (order === 'table') {
    for (let t = 0; t < tables; t++) for (let i = 0; i < rowsPerTable; i++) emit(t, i);
  } else {
    for (let i = 0; i < rowsPerTable; i++) for (let t = 0; t < tables; t++) emit(t, i);
  }
  if (lines.length > 0) out.push(Buffer.from(lines.join(''), 'latin1'));
  return out;
}

async function main(): Promise<void> {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const requests = makeRequests();
  const totalRows = tables * rowsPerTable;
  const engine = await createEngine({
    dataDir: dir,
    serverVersion: 'bench',
    dnode: { dnodeId: 1, endpoint: 'localhost:6030', supportVnodes: 64, startedAtMs: Date.now(), variables: [] },
  });
  try {
    await engine.execute(`create database bench vgroups 2 wal_level ${walLevel}`, { user: 'root', db: null });
    if (sqlSchema) {
      await engine.execute(
        'create stable bench.meters (ts timestamp, current float, voltage int, phase float) tags (groupid int, location varchar(24))',
        { user: 'root', db: null },
      );
    }
    // The writer's statements run as root on the engine itself (one target: its schema cache is kept).
    const target: LineProtocolTarget = {
      execute: (sql, db) => engine.execute(sql, { user: 'root', db }),
      insertColumnar: (db, tables) => engine.insertColumnar(db, tables),
    };
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < requests.length) {
        const body = requests[next++]!;
        const r = await handleInfluxWrite(target, { db: 'bench', precision: 's', body });
        if (r.status !== 204) throw new Error(`write failed: ${r.status} ${r.body}`);
      }
    };
    await Promise.all(Array.from({ length: inflight }, worker));
    const sec = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const r = await engine.execute('select count(*) from bench.meters', { user: 'root', db: null });
    let count = 0n;
    for await (const b of r.blocks) count = (b.columns[0]!.data as BigInt64Array)[0]!;
    if (count !== BigInt(totalRows)) throw new Error(`count(*) = ${count}, expected ${totalRows}`);
    // Parser share: the same requests parsed again, alone (with a series cache, as the writer has).
    const cache = new SeriesCache();
    const p0 = process.cpuUsage();
    for (const b of requests) parseLineProtocol(b, 's', { seriesCache: cache });
    const p = process.cpuUsage(p0);
    const cpuSec = (cpu.user + cpu.system) / 1e6;
    const parseSec = (p.user + p.system) / 1e6;
    console.log(
      `line protocol ingest, order=${order}, wal_level ${walLevel}, ${sqlSchema ? 'SQL-made FLOAT/INT schema' : 'schemaless DOUBLE/BIGINT'}, ${inflight} in flight: ${totalRows.toLocaleString('en-US')} rows in ${sec.toFixed(2)} s = ` +
        `${Math.round(totalRows / sec).toLocaleString('en-US')} rows/s; CPU ${cpuSec.toFixed(2)} s (${((cpuSec / sec) * 100).toFixed(0)}% of one core), ` +
        `of which parsing ~${((parseSec / cpuSec) * 100).toFixed(0)}%; count(*) checked`,
    );
  } finally {
    await engine.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
