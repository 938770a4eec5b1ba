// `basalt bench -f query.json`: run each SQL `query_times` times on `threads` workers (native
// RPC or REST), and print taosBenchmark's per-SQL latency line and the overall QPS line.
// super_table_query runs each SQL once per child table, `xxxx` replaced by the table name.
import { connect, type Connection } from '../client/index.js';
import { BasaltError } from '../common/errors.js';
import { Limits } from '../common/limits.js';
import { basicAuth, BenchHttp } from './bench-http.js';
import type { BenchOutput } from './bench-insert.js';
import { appendResult, workerRange } from './bench-insert.js';
import type { QueryPlan, QuerySet } from './bench-options.js';
import { Latencies, queryDelayLine, queryTotalLine } from './bench-stats.js';

interface Runner {
  run(sql: string): Promise<void>;
  close(): void;
}

async function openRunner(plan: QueryPlan): Promise<Runner> {
  if (plan.iface === 'native') {
    const conn = await connect({
      host: plan.host,
      port: plan.port,
      user: plan.user,
      password: plan.password,
      database: plan.db,
      timeoutMs: Limits.benchQueryTimeoutMs,
    });
    return {
      run: async (sql) => {
        await conn.query(sql, { timeoutMs: Limits.benchQueryTimeoutMs });
      },
      close: () => conn.close(),
    };
  }
  const http = new BenchHttp(plan.host, plan.httpPort, Limits.benchQueryTimeoutMs);
  const headers = { Authorization: basicAuth(plan.user, plan.password) };
  return {
    run: async (sql) => {
      const r = await http.post(`/rest/sql/${plan.db}`, sql, headers);
      const j = JSON.parse(r.text) as { code?: number; desc?: string };
      if (r.status !== 200 || j.code !== 0)
        throw new BasaltError('INTERNAL', `REST query failed (HTTP ${r.status}): ${j.desc ?? r.text.slice(0, 200)}`);
    },
    close: () => http.close(),
  };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Runs one SQL on `set.threads` workers; `perThread(t)` lists the statements thread t runs per round. */
async function runSql(
  plan: QueryPlan,
  set: QuerySet,
  label: string,
  perThread: (t: number) => string[],
  out: BenchOutput,
): Promise<{ lines: string[]; count: number }> {
  const delays = new Latencies();
  await Promise.all(
    Array.from({ length: set.threads }, async (_, t) => {
      const stmts = perThread(t);
      if (stmts.length === 0) return;
      const runner = await openRunner(plan);
      try {
        for (let round = 0; round < plan.queryTimes; round++) {
          for (const sql of stmts) {
            const t0 = performance.now();
            await runner.run(sql);
            delays.add(performance.now() - t0);
            if (set.intervalMs > 0) await sleep(set.intervalMs);
          }
        }
      } finally {
        runner.close();
      }
    }),
  );
  const line = queryDelayLine(set.threads, delays, label);
  out.line(line);
  return { lines: [line], count: delays.count };
}

export async function runQueries(plan: QueryPlan, out: BenchOutput): Promise<void> {
  const lines: string[] = [];
  let total = 0;
  const t0 = performance.now();
  if (plan.specified) {
    for (const sql of plan.specified.sqls) {
      const r = await runSql(plan, plan.specified, sql, () => [sql], out);
      lines.push(...r.lines);
      total += r.count;
    }
  }
  if (plan.superTable) {
    const tables = await childTables(plan, plan.superTable.stable);
    for (const sql of plan.superTable.sqls) {
      const set = plan.superTable;
      const r = await runSql(
        plan,
        set,
        sql,
        (t) => {
          const { first, count } = workerRange(tables.length, set.threads, t);
          return tables.slice(first, first + count).map((name) => sql.replaceAll('xxxx', name));
        },
        out,
      );
      lines.push(...r.lines);
      total += r.count;
    }
  }
  const last = queryTotalLine((performance.now() - t0) / 1000, total);
  out.line(last);
  lines.push(last);
  appendResult(plan.outputFile, lines);
}

async function childTables(plan: QueryPlan, stable: string): Promise<string[]> {
  let conn: Connection | null = null;
  try {
    conn = await connect({
      host: plan.host,
      port: plan.port,
      user: plan.user,
      password: plan.password,
      timeoutMs: Limits.benchQueryTimeoutMs,
    });
    const r = await conn.query(`select distinct tbname from ${plan.db}.${stable}`, {
      db: null,
      timeoutMs: Limits.benchQueryTimeoutMs,
    });
    const names = r.rows().map((row) => String(row[0]));
    if (names.length === 0)
      throw new BasaltError(
        'INVALID_PARA',
        `super table ${plan.db}.${stable} has no child tables; insert first (basalt bench -y) or fix stblname`,
      );
    return names.sort();
  } finally {
    conn?.close();
  }
}
