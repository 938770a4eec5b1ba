// The three ways `basalt bench` sends a request of rows: the client's columnar bulk path over
// RPC (native), SQL INSERT text over /rest/sql (rest), line protocol over /influxdb/v1/write
// (line). Each worker owns one writer, so one request is in flight per worker.
import { connect, type Connection } from '../client/index.js';
import { BasaltError } from '../common/errors.js';
import { Limits } from '../common/limits.js';
import { basicAuth, BenchHttp } from './bench-http.js';
import { centiText, groupIdOf, locationOf, metersBlock, tenThousandthsText, type RowBuffers } from './bench-data.js';
import type { InsertPlan } from './bench-options.js';

/** Rows [offset, offset + n) of the buffers belong to child table `table`. */
export interface BatchPart {
  table: number;
  offset: number;
  n: number;
}

export interface BatchWriter {
  /** Sends the parts; resolves when the server acknowledged every row. */
  write(parts: readonly BatchPart[], rows: number, buf: RowBuffers): Promise<void>;
  close(): void;
}

export async function openWriter(plan: InsertPlan): Promise<BatchWriter> {
  switch (plan.iface) {
    case 'native':
      return new NativeWriter(
        plan,
        await connect({
          host: plan.host,
          port: plan.port,
          user: plan.user,
          password: plan.password,
          timeoutMs: Limits.benchRequestTimeoutMs,
          ...(plan.routeWrites === false ? { routeWrites: false } : {}),
        }),
      );
    case 'rest':
      return new RestWriter(plan);
    case 'line':
      return new LineWriter(plan);
  }
}

class NativeWriter implements BatchWriter {
  constructor(
    private readonly plan: InsertPlan,
    private readonly conn: Connection,
  ) {}

  async write(parts: readonly BatchPart[], rows: number, buf: RowBuffers): Promise<void> {
    const { stable, tablePrefix } = this.plan;
    const tables = parts.map((p) => ({
      table: tablePrefix + p.table,
      using: { stable, tags: [groupIdOf(p.table), locationOf(p.table)] },
      block: metersBlock(buf, p.offset, p.n),
    }));
    const n = await this.conn.insertColumnar(this.plan.db, tables, Limits.benchRequestTimeoutMs);
    if (n !== rows) throw new BasaltError('INTERNAL', `the server acknowledged ${n} of ${rows} rows`);
  }

  close(): void {
    this.conn.close();
  }
}

class RestWriter implements BatchWriter {
  private readonly http: BenchHttp;
  private readonly headers: Record<string, string>;
  private readonly path: string;

  constructor(private readonly plan: InsertPlan) {
    this.http = new BenchHttp(plan.host, plan.httpPort, Limits.benchRequestTimeoutMs);
    this.headers = { Authorization: basicAuth(plan.user, plan.password), 'Content-Type': 'text/plain' };
    this.path = `/rest/sql/${plan.db}`;
  }

  /**
   * One request's rows as INSERT statements of at most Limits.maxSqlBytes each (as
   * taosBenchmark sizes its SQL to the server's statement limit), sent one after another.
   */
  async write(parts: readonly BatchPart[], rows: number, buf: RowBuffers): Promise<void> {
    const { stable, tablePrefix } = this.plan;
    const { ts, currentCenti, voltage, phaseMilli } = buf;
    // Room for one more table clause and row below the limit.
    const budget = Limits.maxSqlBytes - 1024;
    let out: string[] = ['insert into'];
    let bytes = out[0]!.length;
    let inStatement = 0;
    let acked = 0;
    for (const p of parts) {
      const head = ` ${tablePrefix}${p.table} using ${stable} tags (${groupIdOf(p.table)},'${locationOf(p.table)}') values `;
      out.push(head);
      bytes += head.length;
      for (let i = p.offset, end = p.offset + p.n; i < end; i++) {
        const row = `(${ts[i]!},${centiText(currentCenti[i]!)},${voltage[i]!},${tenThousandthsText(phaseMilli[i]!)})`;
        out.push(row);
        bytes += row.length;
        inStatement++;
        if (bytes > budget && i + 1 < end) {
          acked += await this.post(out.join(''), inStatement);
          out = ['insert into', head];
          bytes = out[0]!.length + head.length;
          inStatement = 0;
        }
      }
    }
    if (inStatement > 0) acked += await this.post(out.join(''), inStatement);
    if (acked !== rows) throw new BasaltError('INTERNAL', `REST acknowledged ${acked} of ${rows} rows`);
  }

  /** One INSERT statement; returns the rows the server acknowledged (checked against `rows`). */
  private async post(sql: string, rows: number): Promise<number> {
    const r = await this.http.post(this.path, sql, this.headers);
    let j: { code?: number; desc?: string; rows?: number; data?: unknown[][] };
    try {
      j = JSON.parse(r.text) as typeof j;
    } catch {
      throw new BasaltError(
        'INTERNAL',
        `REST answered HTTP ${r.status} with a body that is not JSON: ${r.text.slice(0, 200)}`,
      );
    }
    if (r.status !== 200 || j.code !== 0)
      throw new BasaltError(
        'INTERNAL',
        `REST insert failed (HTTP ${r.status}, code ${j.code ?? '?'}): ${j.desc ?? r.text.slice(0, 300)}`,
      );
    const affected = Number(j.data?.[0]?.[0]);
    if (affected !== rows) throw new BasaltError('INTERNAL', `REST acknowledged ${affected} of ${rows} rows`);
    return affected;
  }

  close(): void {
    this.http.close();
  }
}

class LineWriter implements BatchWriter {
  private readonly http: BenchHttp;
  private readonly path: string;
  /** Series key per table, built once: measurement, tags (tbname names the child table), space. */
  private readonly prefixes = new Map<number, string>();

  constructor(private readonly plan: InsertPlan) {
    this.http = new BenchHttp(plan.host, plan.httpPort, Limits.benchRequestTimeoutMs);
    const q = new URLSearchParams({ db: plan.db, precision: 'ms', u: plan.user, p: plan.password });
    this.path = `/influxdb/v1/write?${q.toString()}`;
  }

  private prefix(table: number): string {
    let s = this.prefixes.get(table);
    if (s === undefined) {
      s = `${this.plan.stable},groupid=${groupIdOf(table)},location=${locationOf(table)},tbname=${this.plan.tablePrefix}${table} `;
      // Bounded: a worker touches its own range only, but keep the map from growing without end.
      if (this.prefixes.size > 100_000) this.prefixes.clear();
      this.prefixes.set(table, s);
    }
    return s;
  }

  async write(parts: readonly BatchPart[], _rows: number, buf: RowBuffers): Promise<void> {
    const out: string[] = [];
    const { ts, currentCenti, voltage, phaseMilli } = buf;
    for (const p of parts) {
      const pre = this.prefix(p.table);
      for (let i = p.offset, end = p.offset + p.n; i < end; i++) {
        out.push(
          `${pre}current=${centiText(currentCenti[i]!)},voltage=${voltage[i]!}i,phase=${tenThousandthsText(phaseMilli[i]!)} ${ts[i]!}\n`,
        );
      }
    }
    const r = await this.http.post(this.path, out.join(''), { 'Content-Type': 'text/plain; charset=utf-8' });
    if (r.status !== 204)
      throw new BasaltError('INTERNAL', `line protocol write failed (HTTP ${r.status}): ${r.text.slice(0, 300)}`);
  }

  close(): void {
    this.http.close();
  }
}
