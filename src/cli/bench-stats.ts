// `basalt bench` measurements: request latencies (bounded growable Float64Array), percentiles,
// and the summary lines in taosBenchmark's exact wording so operators' scripts still match.

/** Latencies in ms; grows by doubling (no array of boxed numbers). */
export class Latencies {
  private a = new Float64Array(1024);
  private n = 0;
  private sum = 0;

  add(ms: number): void {
    if (this.n === this.a.length) {
      const b = new Float64Array(this.a.length * 2);
      b.set(this.a);
      this.a = b;
    }
    this.a[this.n++] = ms;
    this.sum += ms;
  }

  merge(o: Latencies): void {
    for (let i = 0; i < o.n; i++) this.add(o.a[i]!);
  }

  get count(): number {
    return this.n;
  }
  get totalMs(): number {
    return this.sum;
  }

  /** min, avg, p90, p95, p99, max (nearest rank); zeros when empty. */
  summary(): { min: number; avg: number; p90: number; p95: number; p99: number; max: number } {
    if (this.n === 0) return { min: 0, avg: 0, p90: 0, p95: 0, p99: 0, max: 0 };
    const s = this.a.slice(0, this.n).sort();
    const rank = (p: number): number => s[Math.min(this.n - 1, Math.max(0, Math.ceil(p * this.n) - 1))]!;
    return {
      min: s[0]!,
      avg: this.sum / this.n,
      p90: rank(0.9),
      p95: rank(0.95),
      p99: rank(0.99),
      max: s[this.n - 1]!,
    };
  }
}

export interface InsertResult {
  readonly rows: number;
  readonly workers: number;
  readonly db: string;
  /** Wall time of the insert phase. */
  readonly spentS: number;
  /** Time inside insert calls, averaged over workers (taosBenchmark's "real"). */
  readonly realS: number;
  readonly delays: Latencies;
}

export function insertSummaryLines(r: InsertResult): string[] {
  const rate = r.spentS > 0 ? r.rows / r.spentS : 0;
  const realRate = r.realS > 0 ? r.rows / r.realS : 0;
  const d = r.delays.summary();
  const ms = (x: number): string => `${x.toFixed(2)}ms`;
  return [
    `SUCC: Spent ${r.spentS.toFixed(4)} (real ${r.realS.toFixed(4)}) seconds to insert rows: ${r.rows} with ${r.workers} thread(s) into ${r.db} ${rate.toFixed(2)} (real ${realRate.toFixed(2)}) records/second`,
    `SUCC: insert delay, min: ${ms(d.min)}, avg: ${ms(d.avg)}, p90: ${ms(d.p90)}, p95: ${ms(d.p95)}, p99: ${ms(d.p99)}, max: ${ms(d.max)}`,
  ];
}

/** Query mode, one line per SQL (delays in seconds, as taosBenchmark prints them). */
export function queryDelayLine(threads: number, delays: Latencies, sql: string): string {
  const d = delays.summary();
  const s = (x: number): string => `${(x / 1000).toFixed(6)}s`;
  return `complete query with ${threads} threads and ${delays.count} query delay avg: ${s(d.avg)} min: ${s(d.min)} max: ${s(d.max)} p90: ${s(d.p90)} p95: ${s(d.p95)} p99: ${s(d.p99)} SQL command: ${sql}`;
}

export function queryTotalLine(spentS: number, total: number): string {
  const qps = spentS > 0 ? total / spentS : 0;
  return `INFO: Spend ${spentS.toFixed(4)} second completed total queries: ${total}, the QPS of all threads: ${qps.toFixed(3)}`;
}

/** The live line on a terminal: rows done, rate over the last interval, ETA. */
export class Progress {
  private timer: NodeJS.Timeout | null = null;
  private lastRows = 0;
  private lastT = 0;
  private width = 0;

  constructor(
    private readonly total: number,
    private readonly rowsDone: () => number,
    private readonly write: (s: string) => void,
    private readonly intervalMs = 1000,
  ) {}

  start(): void {
    this.lastT = performance.now();
    this.timer = setInterval(() => this.tick(), this.intervalMs);
    this.timer.unref();
  }

  private tick(): void {
    const now = performance.now();
    const rows = this.rowsDone();
    const rate = (rows - this.lastRows) / ((now - this.lastT) / 1000);
    this.lastRows = rows;
    this.lastT = now;
    const eta = rate > 0 ? Math.ceil((this.total - rows) / rate) : 0;
    const pct = this.total > 0 ? ((100 * rows) / this.total).toFixed(1) : '100';
    const line = `inserted ${rows} of ${this.total} rows (${pct}%), ${Math.round(rate)} rows/s, ETA ${eta} s`;
    this.width = Math.max(this.width, line.length);
    this.write('\r' + line.padEnd(this.width));
  }

  stop(): void {
    if (this.timer) {
      clearInterval(this.timer);
      this.timer = null;
      this.write('\r' + ' '.repeat(this.width) + '\r');
    }
  }
}
