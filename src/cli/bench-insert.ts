// `basalt bench` insert mode: (re)create the database and `meters`, split the child tables over
// the workers, let each send requests of up to `rowsPerRequest` rows (consecutive tables of its
// range packed together, like taosBenchmark's progressive mode), then print the SUCC lines.
import { appendFileSync } from 'node:fs';
import { connect, type Connection } from '../client/index.js';
import { Limits } from '../common/limits.js';
import { allocRows, METERS_COLUMNS_SQL, METERS_TAGS_SQL, MetersWalk } from './bench-data.js';
import type { InsertPlan } from './bench-options.js';
import { insertSummaryLines, Latencies, Progress, type InsertResult } from './bench-stats.js';
import { openWriter, type BatchPart } from './bench-writers.js';

export interface BenchOutput {
  /** Final lines (stdout). */
  line(s: string): void;
  /** Live progress; null when stdout is not a terminal. */
  readonly progress: ((s: string) => void) | null;
}

export async function setupDatabase(conn: Connection, plan: InsertPlan, out: BenchOutput): Promise<void> {
  if (plan.drop)
    await conn.query(`drop database if exists ${plan.db}`, { db: null, timeoutMs: Limits.benchDdlTimeoutMs });
  const vg = plan.vgroups !== null ? ` vgroups ${plan.vgroups}` : '';
  await conn.query(`create database if not exists ${plan.db} replica ${plan.replica}${vg} precision 'ms'`, {
    db: null,
    timeoutMs: Limits.benchDdlTimeoutMs,
  });
  await conn.query(
    `create stable if not exists ${plan.db}.${plan.stable} (${METERS_COLUMNS_SQL}) tags (${METERS_TAGS_SQL})`,
    { db: null, timeoutMs: Limits.benchDdlTimeoutMs },
  );
  out.line(
    `database ${plan.db} ready (replica ${plan.replica}${vg}); super table ${plan.stable}; ${plan.tables} child tables ${plan.tablePrefix}0..${plan.tablePrefix}${plan.tables - 1}, ${plan.rowsPerTable} rows each, ${plan.rowsPerRequest} rows per request, ${plan.workers} worker(s), -I ${plan.iface}${plan.ifaceNote ?? ''}`,
  );
}

/** Tables [first, first + count) of worker `w` of `workers` (the first `rest` get one more). */
export function workerRange(tables: number, workers: number, w: number): { first: number; count: number } {
  const base = Math.floor(tables / workers),
    rest = tables % workers;
  return { first: w * base + Math.min(w, rest), count: base + (w < rest ? 1 : 0) };
}

interface WorkerStats {
  rows: number;
  busyMs: number;
  delays: Latencies;
}

async function runWorker(
  plan: InsertPlan,
  w: number,
  workers: number,
  stats: WorkerStats,
  ctl: { stop: boolean },
): Promise<void> {
  const { first, count } = workerRange(plan.tables, workers, w);
  if (count === 0) return;
  const writer = await openWriter(plan);
  try {
    const capacity = Math.min(plan.rowsPerRequest, count * plan.rowsPerTable);
    const buf = allocRows(capacity);
    const walk = new MetersWalk(first, count, 0x5eed + w * 7919);
    let table = first,
      row = 0;
    const end = first + count;
    const parts: BatchPart[] = [];
    while (table < end && !ctl.stop) {
      parts.length = 0;
      let filled = 0;
      while (filled < capacity && table < end) {
        const n = Math.min(capacity - filled, plan.rowsPerTable - row);
        walk.fill(table, row, n, plan.startTsMs, plan.stepMs, buf, filled);
        parts.push({ table, offset: filled, n });
        filled += n;
        row += n;
        if (row === plan.rowsPerTable) {
          table++;
          row = 0;
        }
      }
      const t0 = performance.now();
      await writer.write(parts, filled, buf);
      const ms = performance.now() - t0;
      stats.delays.add(ms);
      stats.busyMs += ms;
      stats.rows += filled;
    }
  } finally {
    writer.close();
  }
}

export async function runInsert(plan: InsertPlan, out: BenchOutput): Promise<InsertResult> {
  const admin = await connect({
    host: plan.host,
    port: plan.port,
    user: plan.user,
    password: plan.password,
    timeoutMs: Limits.benchDdlTimeoutMs,
  });
  try {
    await setupDatabase(admin, plan, out);
    const workers = Math.min(plan.workers, plan.tables);
    const stats: WorkerStats[] = Array.from({ length: workers }, () => ({
      rows: 0,
      busyMs: 0,
      delays: new Latencies(),
    }));
    const total = plan.tables * plan.rowsPerTable;
    const progress = out.progress
      ? new Progress(total, () => stats.reduce((s, x) => s + x.rows, 0), out.progress)
      : null;
    const t0 = performance.now();
    progress?.start();
    try {
      // The first failure stops the run: the others finish their request in flight and return.
      const ctl = { stop: false };
      const settled = await Promise.allSettled(
        stats.map((s, w) =>
          runWorker(plan, w, workers, s, ctl).catch((e: unknown) => {
            ctl.stop = true;
            throw e;
          }),
        ),
      );
      const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
    } finally {
      progress?.stop();
    }
    const spentS = (performance.now() - t0) / 1000;
    const delays = new Latencies();
    for (const s of stats) delays.merge(s.delays);
    const rows = stats.reduce((s, x) => s + x.rows, 0);
    const realS = stats.reduce((s, x) => s + x.busyMs, 0) / workers / 1000;
    const result: InsertResult = { rows, workers, db: plan.db, spentS, realS, delays };
    const lines = insertSummaryLines(result);
    for (const l of lines) out.line(l);
    appendResult(plan.outputFile, lines);
    if (plan.aggregateQueries) await aggregateQueries(admin, plan, out);
    return result;
  } finally {
    admin.close();
  }
}

/** `-x`: taosBenchmark's aggregate queries over the whole super table, timed one by one. */
export async function aggregateQueries(conn: Connection, plan: InsertPlan, out: BenchOutput): Promise<void> {
  const st = `${plan.db}.${plan.stable}`;
  const sqls = [
    `select count(*) from ${st}`,
    `select avg(current), max(voltage), min(phase) from ${st}`,
    `select sum(voltage) from ${st} where groupid = 1`,
    `select location, avg(current) from ${st} group by location`,
    `select last(current) from ${st} partition by tbname slimit 10`,
    `select _wstart, avg(current) from ${st} where ts >= ${plan.startTsMs} and ts < ${plan.startTsMs + plan.rowsPerTable * plan.stepMs} interval(${Math.max(1, Math.floor((plan.rowsPerTable * plan.stepMs) / 10))}a)`,
  ];
  const lines: string[] = [];
  for (const sql of sqls) {
    const t0 = performance.now();
    try {
      const r = await conn.query(sql, { db: plan.db, timeoutMs: Limits.benchDdlTimeoutMs });
      const first = r.rows()[0] ?? [];
      lines.push(
        `Spent ${((performance.now() - t0) / 1000).toFixed(4)} second(s) for query: ${sql} (${r.rows().length} row(s); first: ${first.map(String).join(', ')})`,
      );
    } catch (e) {
      lines.push(`FAIL: query ${sql}: ${(e as Error).message}`);
    }
    out.line(lines[lines.length - 1]!);
  }
  appendResult(plan.outputFile, lines);
}

/** taosBenchmark appends its results to the -o file (./output.txt). */
export function appendResult(file: string, lines: readonly string[]): void {
  if (!file) return;
  appendFileSync(file, lines.join('\n') + '\n');
}
