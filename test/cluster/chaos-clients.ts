// The chaos test's writers. Each client owns a few child tables of chaos.m and writes rows
// whose timestamp and value encode (client, seq): ts = t0 + seq ms into table
// t<client>_<(seq / ROWS_PER_REQUEST) % tables>, c = client, s = seq. A request carries
// ROWS_PER_REQUEST consecutive seqs into one table (one vgroup, one Raft entry). Every
// request is bounded in time; after an error the client drops its connection and moves to
// the next dnode; it retries the same rows (same timestamps and values: idempotent) a bounded
// number of times after a failed connect, and after an unknown outcome only if retryUnknown.
// Per row it records acknowledged / failed (never reached a dnode) / unknown (sent, no
// acknowledgement). Every acknowledgement's time goes to a shared AckLog (the availability
// measure: the longest stretch without one, per fault). Clients sharing a Spread move to the
// dnode with the fewest of them, so a fault on one dnode never holds every client at once.
import { connect, type Connection } from '../../src/client/index.js';
import { allocVector } from '../../src/common/block.js';
import { DataType } from '../../src/common/types.js';
import { sleep } from './harness.js';

export const ROWS_PER_REQUEST = 4;
export const enum RowState {
  NONE = 0,
  FAILED = 1,
  UNKNOWN = 2,
  ACKED = 3,
}

export interface Target {
  readonly host: string;
  readonly port: number;
}

/** Times (performance.now(), ascending) at which any client of a kind got an acknowledgement. */
export class AckLog {
  readonly at: number[] = [];
  add(): void {
    this.at.push(performance.now());
  }
}

/** How many clients of a kind use each target; a client that moves goes to the emptiest other one. */
export class Spread {
  readonly load: number[];
  constructor(targets: number) {
    this.load = new Array<number>(targets).fill(0);
  }
  join(k: number): number {
    this.load[k]!++;
    return k;
  }
  /** Leaves `from` for the least used other target (ties: the next in order after `from`). */
  move(from: number): number {
    const n = this.load.length;
    let best = (from + 1) % n;
    for (let i = 2; i < n; i++) {
      const k = (from + i) % n;
      if (this.load[k]! < this.load[best]!) best = k;
    }
    this.load[from]!--;
    this.load[best]!++;
    return best;
  }
}

export interface ClientOptions {
  readonly id: number;
  readonly tables: number;
  readonly t0: number;
  readonly targets: readonly Target[];
  /** Start on this target index. */
  readonly first: number;
  /** Columnar bulk path instead of SQL text. */
  readonly columnar: boolean;
  readonly requestTimeoutMs: number;
  readonly attempts: number;
  /**
   * After an unknown outcome, send the same rows again (through the next dnode); otherwise
   * record them as unknown and go on with new rows (also through the next dnode).
   */
  readonly retryUnknown: boolean;
  readonly acks: AckLog;
  readonly spread: Spread;
}

export function tableOf(client: number, seq: number, tables: number): string {
  return `t${client}_${Math.floor(seq / ROWS_PER_REQUEST) % tables}`;
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: NodeJS.Timeout | undefined;
  const guard = new Promise<never>((_r, rej) => {
    t = setTimeout(
      () => rej(Object.assign(new Error(`${what}: no answer within ${ms} ms`), { errorName: 'CLIENT_TIMEOUT' })),
      ms,
    );
  });
  return Promise.race([p, guard]).finally(() => clearTimeout(t));
}

function errName(e: unknown): string {
  const x = e as { errorName?: string; code?: number; message?: string };
  return x.errorName ?? (x.code !== undefined ? `code ${x.code}` : String(x.message ?? e).slice(0, 40));
}

export class ChaosClient {
  /** Row state by seq. */
  state = new Uint8Array(1 << 16);
  nextSeq = 0;
  stop = false;
  readonly errors = new Map<string, number>();
  requests = 0;
  acked = 0;
  switches = 0;
  target: number;
  private conn: Connection | null = null;

  constructor(readonly o: ClientOptions) {
    this.target = o.spread.join(o.first % o.targets.length);
  }

  private moveOn(): void {
    this.target = this.o.spread.move(this.target);
    this.switches++;
  }

  private note(e: unknown): void {
    const n = errName(e);
    this.errors.set(n, (this.errors.get(n) ?? 0) + 1);
  }

  private drop(): void {
    try {
      this.conn?.close();
    } catch {
      /* closed */
    }
    this.conn = null;
  }

  private async send(seq: number): Promise<void> {
    const { id, tables, t0, requestTimeoutMs } = this.o;
    const table = tableOf(id, seq, tables);
    const c = this.conn!;
    if (this.o.columnar) {
      const ts = allocVector(DataType.TIMESTAMP, ROWS_PER_REQUEST);
      const cv = allocVector(DataType.INT, ROWS_PER_REQUEST);
      const sv = allocVector(DataType.BIGINT, ROWS_PER_REQUEST);
      for (let r = 0; r < ROWS_PER_REQUEST; r++) {
        (ts.data as Float64Array)[r] = t0 + seq + r;
        (cv.data as Int32Array)[r] = id;
        (sv.data as BigInt64Array)[r] = BigInt(seq + r);
      }
      const n = await withTimeout(
        c.insertColumnar(
          'chaos',
          [{ table, block: { numRows: ROWS_PER_REQUEST, columns: [ts, cv, sv] } }],
          requestTimeoutMs,
        ),
        requestTimeoutMs + 2_000,
        'insertColumnar',
      );
      if (n !== ROWS_PER_REQUEST) throw new Error(`acknowledged ${n} of ${ROWS_PER_REQUEST} rows`);
    } else {
      const vals: string[] = [];
      for (let r = 0; r < ROWS_PER_REQUEST; r++) vals.push(`(${t0 + seq + r}, ${id}, ${seq + r})`);
      await withTimeout(
        c.query(`insert into chaos.${table} values ${vals.join(' ')}`, { timeoutMs: requestTimeoutMs }),
        requestTimeoutMs + 2_000,
        'insert',
      );
    }
  }

  private mark(seq: number, s: RowState): void {
    for (let r = 0; r < ROWS_PER_REQUEST; r++) if (this.state[seq + r]! < s) this.state[seq + r] = s;
  }

  /** One request's rows: attempts on successive dnodes until acknowledged or out of attempts. */
  private async batch(seq: number): Promise<void> {
    if (seq + ROWS_PER_REQUEST > this.state.length) {
      const bigger = new Uint8Array(this.state.length * 2);
      bigger.set(this.state);
      this.state = bigger;
    }
    for (let attempt = 0; attempt < this.o.attempts; attempt++) {
      if (attempt > 0) {
        this.moveOn();
        await sleep(150);
      }
      const t = this.o.targets[this.target]!;
      if (!this.conn) {
        try {
          this.conn = await withTimeout(
            connect({ host: t.host, port: t.port, timeoutMs: this.o.requestTimeoutMs }),
            this.o.requestTimeoutMs + 2_000,
            'connect',
          );
        } catch (e) {
          this.note(e);
          this.mark(seq, RowState.FAILED);
          this.drop();
          continue;
        }
      }
      this.requests++;
      try {
        await this.send(seq);
        this.mark(seq, RowState.ACKED);
        this.o.acks.add();
        this.acked += ROWS_PER_REQUEST;
        return;
      } catch (e) {
        this.note(e);
        this.mark(seq, RowState.UNKNOWN);
        this.drop();
        if (!this.o.retryUnknown) {
          this.moveOn();
          await sleep(150);
          return;
        }
      }
    }
  }

  /** Writes until `stop` or the deadline (hard bound). */
  async run(deadline: number): Promise<void> {
    try {
      while (!this.stop && Date.now() < deadline) {
        const seq = this.nextSeq;
        this.nextSeq += ROWS_PER_REQUEST;
        await this.batch(seq);
      }
    } finally {
      this.drop();
    }
  }

  counts(): { acked: number; unknown: number; failed: number } {
    let acked = 0,
      unknown = 0,
      failed = 0;
    for (let s = 0; s < this.nextSeq; s++) {
      const x = this.state[s]!;
      if (x === RowState.ACKED) acked++;
      else if (x === RowState.UNKNOWN) unknown++;
      else if (x === RowState.FAILED) failed++;
    }
    return { acked, unknown, failed };
  }
}

export interface ReaderOptions {
  readonly id: number;
  readonly targets: readonly Target[];
  readonly first: number;
  /** Tables it reads, one per request, in turn (`select count(*) from chaos.<table>`). */
  readonly tables: readonly string[];
  readonly requestTimeoutMs: number;
  readonly acks: AckLog;
  readonly spread: Spread;
}

/**
 * A reader: one count(*) of one table per request (one vgroup), through its dnode; after an
 * error it drops the connection and moves to another dnode. Its answers go to the AckLog.
 */
export class ChaosReader {
  stop = false;
  readonly errors = new Map<string, number>();
  requests = 0;
  answered = 0;
  private target: number;
  private conn: Connection | null = null;

  constructor(readonly o: ReaderOptions) {
    this.target = o.spread.join(o.first % o.targets.length);
  }

  async run(deadline: number): Promise<void> {
    const { requestTimeoutMs } = this.o;
    try {
      for (let i = 0; !this.stop && Date.now() < deadline; i++) {
        const table = this.o.tables[i % this.o.tables.length]!;
        this.requests++;
        try {
          if (!this.conn) {
            const t = this.o.targets[this.target]!;
            this.conn = await withTimeout(
              connect({ host: t.host, port: t.port, timeoutMs: requestTimeoutMs }),
              requestTimeoutMs + 2_000,
              'connect',
            );
          }
          const r = await withTimeout(
            this.conn.query(`select count(*) from chaos.${table}`, { timeoutMs: requestTimeoutMs }),
            requestTimeoutMs + 2_000,
            'select',
          );
          const n = Number(r.rows()[0]?.[0]);
          if (!Number.isInteger(n) || n < 0)
            throw new Error(`count(*) of ${table} answered ${String(r.rows()[0]?.[0])}`);
          this.o.acks.add();
          this.answered++;
        } catch (e) {
          const n = errName(e);
          this.errors.set(n, (this.errors.get(n) ?? 0) + 1);
          try {
            this.conn?.close();
          } catch {
            /* closed */
          }
          this.conn = null;
          this.target = this.o.spread.move(this.target);
          await sleep(150);
        }
      }
    } finally {
      this.conn?.close();
    }
  }
}
