// The client library: connect to a dnode over RPC, run SQL, stream large results block by
// block, and bulk-insert columnar data without SQL text. One TCP connection multiplexes
// many requests; after a drop the next call reconnects and re-authenticates with the
// current database.
import { Limits } from '../common/limits.js';
import { assert } from '../common/assert.js';
import type { ColumnBlock } from '../common/block.js';
import { BasaltError } from '../common/errors.js';
import { decodeBlocks } from '../rpc/blocks.js';
import { RpcClient, type RawRequest, type RpcClientTls } from '../rpc/client.js';
import { type ColumnarTable, encodeInsertColumnar } from '../rpc/insert-columnar.js';
import {
  MsgType,
  type ConnectRequest,
  type ConnectResponse,
  type FetchResponse,
  type InsertColumnarResponse,
  type QueryRequest,
  type QueryResponse,
  type StatusResponse,
  type VgroupMapResponse,
} from '../rpc/messages.js';
import { WriteRouter } from './write-router.js';
import { makeColumn, ResultSet, type ResultHead } from './result-set.js';

export interface ConnectOptions {
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** Default 6030. */
  readonly port?: number;
  /** Default root / taosdata. */
  readonly user?: string;
  readonly password?: string;
  /** Current database after connecting (like `-d db` / `use db`). */
  readonly database?: string | null;
  /** Per-request timeout in ms (default Limits.rpcTimeoutMs; long queries may need more). */
  readonly timeoutMs?: number;
  readonly maxFrameBytes?: number;
  /**
   * Other dnodes of the cluster (like TDengine's secondEp): when the current one cannot be
   * reached, the connection moves to the next and runs the statement there (each endpoint at
   * most once per call). A statement whose connection dropped mid-flight may have been
   * applied: rows are idempotent (same timestamp), a DDL may answer "already exists".
   */
  readonly fallbacks?: ReadonlyArray<{ readonly host: string; readonly port: number }>;
  /**
   * Bulk writes (insertColumnar) go straight to each vgroup's leader dnode, found from a
   * cached vgroup map, over extra connections opened as needed (default true). Off: every
   * write goes to the connected dnode, which forwards it.
   */
  readonly routeWrites?: boolean;
  /**
   * Reach a dnode of this same process over an in-process link instead of TCP when one
   * listens on host:port (the REST adapter embedded in `basalt start`); TCP otherwise.
   */
  readonly inProcess?: boolean;
  /**
   * TLS to a dnode with sslCert set: true verifies against the system's CAs, `{ ca }` against
   * the given CA (PEM), e.g. the one `basalt playground --tls` writes.
   */
  readonly tls?: boolean | RpcClientTls;
}

/** The RpcClient's TLS option for ConnectOptions.tls (none when off). */
function tlsOption(tls: boolean | RpcClientTls | undefined): { tls?: RpcClientTls } {
  if (tls === undefined || tls === false) return {};
  return { tls: tls === true ? {} : tls };
}

export interface QueryOptions {
  /**
   * Default database for this statement only; the connection's current database is
   * neither used nor changed (REST-style stateless execution).
   */
  readonly db?: string | null;
  readonly timeoutMs?: number;
}

/** A result whose blocks arrive as they are read; iterate `blocks` once. */
export interface StreamingResult extends ResultHead {
  readonly blocks: AsyncIterable<ColumnBlock>;
  /** Releases the server cursor when the blocks are not read to the end. */
  close(): Promise<void>;
}

/** One table of a bulk write: the rows of every column, in schema order, timestamp first. */
export type BulkTable = ColumnarTable;

/** Errors of a routed write after which the rows are sent through the home dnode instead. */
const ROUTE_FALLBACK = new Set(['CONNECTION_FAILED', 'SHUTTING_DOWN', 'NOT_READY', 'TIMEOUT', 'NOT_LEADER']);

function asObj<T>(control: unknown, what: string): T {
  if (control === null || typeof control !== 'object') throw new BasaltError('BAD_FRAME', `${what} reply is not a map`);
  return control as T;
}

export class Connection {
  private db: string | null;
  private closed = false;
  /** Index into endpoints() of the dnode this connection talks to. */
  private at = 0;
  private readonly router: WriteRouter<Connection> | null;
  /** Tables of bulk writes sent to their leader's dnode / through this one / resent here after a routed send failed. */
  readonly writeRouting = { routedTables: 0, homeTables: 0, fallbackTables: 0 };

  private constructor(
    private rpc: RpcClient,
    private readonly opts: ConnectOptions,
    public serverVersion: string,
    db: string | null,
    private readonly makeRpc: (host: string, port: number) => RpcClient,
  ) {
    this.db = db;
    this.router =
      opts.routeWrites === false
        ? null
        : new WriteRouter<Connection>({
            fetchMap: async (name) =>
              asObj<VgroupMapResponse>(
                (await this.rpc.request(MsgType.VGROUP_MAP, { db: name }, [], this.opts.timeoutMs)).control,
                'VGROUP_MAP',
              ),
            open: (host, port) =>
              Connection.open({
                host,
                port,
                routeWrites: false,
                database: null,
                ...(opts.user !== undefined ? { user: opts.user } : {}),
                ...(opts.password !== undefined ? { password: opts.password } : {}),
                ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
                ...(opts.maxFrameBytes !== undefined ? { maxFrameBytes: opts.maxFrameBytes } : {}),
                ...(opts.tls !== undefined ? { tls: opts.tls } : {}),
              }),
            close: (c) => c.close(),
          });
  }

  /** Opens and authenticates a connection (rejects with AUTH_FAILURE / CONNECTION_FAILED). */
  static async open(opts: ConnectOptions = {}): Promise<Connection> {
    let conn: Connection | null = null;
    let version = '';
    let db = opts.database ?? null;
    const makeRpc = (host: string, port: number): RpcClient =>
      new RpcClient({
        host,
        port,
        ...(opts.timeoutMs !== undefined ? { requestTimeoutMs: opts.timeoutMs } : {}),
        ...(opts.maxFrameBytes !== undefined ? { maxFrameBytes: opts.maxFrameBytes } : {}),
        ...(opts.inProcess === true ? { inProcess: true } : {}),
        ...tlsOption(opts.tls),
        onConnect: async (raw: RawRequest) => {
          const req: ConnectRequest = {
            user: opts.user ?? 'root',
            password: opts.password ?? 'taosdata',
            db: conn ? conn.db : db,
            clientVersion: 'basalt-client',
          };
          const r = asObj<ConnectResponse>((await raw(MsgType.CONNECT, req)).control, 'CONNECT');
          version = String(r.serverVersion);
          db = r.db ?? null;
          if (conn) {
            conn.serverVersion = version;
            conn.db = db;
          }
        },
      });
    const eps = endpointsOf(opts);
    let last: unknown = null;
    for (let i = 0; i < eps.length; i++) {
      const rpc = makeRpc(eps[i]!.host, eps[i]!.port);
      try {
        await rpc.connect();
      } catch (e) {
        rpc.close();
        last = e;
        if (e instanceof BasaltError && e.errorName === 'CONNECTION_FAILED' && i + 1 < eps.length) continue;
        throw e;
      }
      conn = new Connection(rpc, opts, version, db, makeRpc);
      conn.at = i;
      return conn;
    }
    throw last;
  }

  /**
   * Runs `fn` on the current dnode; if it cannot be reached and fallbacks are configured,
   * moves to the next endpoint (reconnecting and logging in again) and runs it there, each
   * endpoint at most once.
   */
  private async withFailover<T>(fn: (rpc: RpcClient) => Promise<T>): Promise<T> {
    const eps = endpointsOf(this.opts);
    const tried: string[] = [];
    let first: unknown = null;
    for (let hop = 0; hop < eps.length; hop++) {
      try {
        return await fn(this.rpc);
      } catch (e) {
        if (!(e instanceof BasaltError) || e.errorName !== 'CONNECTION_FAILED' || eps.length < 2 || this.closed)
          throw e;
        first ??= e;
        tried.push(this.rpc.endpoint);
        if (hop + 1 >= eps.length) break;
        this.at = (this.at + 1) % eps.length;
        this.rpc.close();
        this.rpc = this.makeRpc(eps[this.at]!.host, eps[this.at]!.port);
      }
    }
    throw new BasaltError(
      'CONNECTION_FAILED',
      `no dnode answered (tried ${tried.join(', ')}); first error: ${(first as Error).message}`,
    );
  }

  /** The current database (`use db` changes it). */
  get database(): string | null {
    return this.db;
  }

  get endpoint(): string {
    return this.rpc.endpoint;
  }

  /** Runs one statement and reads its whole result. */
  async query(sql: string, opts: QueryOptions = {}): Promise<ResultSet> {
    const s = await this.queryStream(sql, opts);
    const blocks: ColumnBlock[] = [];
    for await (const b of s.blocks) blocks.push(b);
    return new ResultSet(s, blocks);
  }

  /** Alias of query() for statements without a result set. */
  exec(sql: string, opts: QueryOptions = {}): Promise<ResultSet> {
    return this.query(sql, opts);
  }

  /** Runs one statement; its blocks are fetched from the server as they are iterated. */
  async queryStream(sql: string, opts: QueryOptions = {}): Promise<StreamingResult> {
    this.checkOpen();
    const stateless = opts.db !== undefined;
    const req: QueryRequest = { sql, db: opts.db ?? null, stateless };
    const res = await this.withFailover((rpc) => rpc.request(MsgType.QUERY, req, [], opts.timeoutMs));
    const result = streamingResult(this.rpc, res, opts.timeoutMs);
    if (!stateless && result.useDb) this.db = result.useDb;
    return result;
  }

  /**
   * The columnar bulk path: one block per table, no SQL text. Returns rows written. With
   * routeWrites (the default) the tables go to their vgroups' leaders in parallel; a request
   * spanning vgroups is not atomic (neither is it on the server).
   */
  async insertColumnar(db: string, tables: readonly BulkTable[], timeoutMs?: number): Promise<number> {
    this.checkOpen();
    const stats = this.writeRouting;
    if (this.router === null || tables.length === 0) {
      stats.homeTables += tables.length;
      return this.insertHere(db, tables, timeoutMs);
    }
    const groups = await this.router.split(db, tables, (t) => t.table);
    if (groups.length === 1 && groups[0]!.endpoint === null) {
      stats.homeTables += tables.length;
      return this.insertHere(db, tables, timeoutMs);
    }
    const router = this.router;
    const counts = await Promise.all(
      groups.map(async (g) => {
        if (g.endpoint === null) {
          stats.homeTables += g.items.length;
          return this.insertHere(db, g.items, timeoutMs);
        }
        const totalMs = timeoutMs ?? this.opts.timeoutMs ?? Limits.rpcTimeoutMs;
        const startMs = Date.now();
        try {
          const conn = await router.connection(g.endpoint);
          const attemptMs = Math.min(Limits.clientRoutedAttemptMs, Math.ceil(totalMs / 2));
          const n = await router.unlessMoved(
            db,
            g.endpoint,
            g.items,
            (t) => t.table,
            conn.insertHere(db, g.items, attemptMs),
          );
          stats.routedTables += g.items.length;
          return n;
        } catch (e) {
          // Unreachable, not serving (stopping, starting), silent (frozen, cut off) or no longer
          // the leader: the home dnode forwards these rows to whichever replica leads now.
          if (!(e instanceof BasaltError) || !ROUTE_FALLBACK.has(e.errorName)) throw e;
          router.unreachable(db, g.endpoint);
          stats.fallbackTables += g.items.length;
          return this.insertHere(db, g.items, Math.max(1, totalMs - (Date.now() - startMs)));
        }
      }),
    );
    return counts.reduce((a, b) => a + b, 0);
  }

  /** insertColumnar through this connection's dnode only. */
  private async insertHere(db: string, tables: readonly BulkTable[], timeoutMs?: number): Promise<number> {
    this.checkOpen();
    const { control, payload } = encodeInsertColumnar(db, tables);
    const r = await this.withFailover((rpc) => rpc.request(MsgType.INSERT_COLUMNAR, control, payload, timeoutMs));
    return Number(asObj<InsertColumnarResponse>(r.control, 'INSERT_COLUMNAR').affectedRows);
  }

  /** Server status (2: service ok ...). */
  async status(): Promise<StatusResponse> {
    this.checkOpen();
    return asObj<StatusResponse>((await this.rpc.request(MsgType.STATUS, {})).control, 'STATUS');
  }

  close(): void {
    this.closed = true;
    this.router?.close();
    this.rpc.close();
  }

  private checkOpen(): void {
    if (this.closed)
      throw new BasaltError('CONNECTION_FAILED', `the connection to ${this.rpc.endpoint} is closed; connect again`);
  }

  /** Options this connection was opened with (without the password). */
  get options(): Omit<ConnectOptions, 'password'> {
    const { password: _p, ...rest } = this.opts;
    return rest;
  }
}

/**
 * A QUERY reply as a streaming result: its first blocks, then FETCH on `rpc` while the server
 * holds a cursor (CLOSE_CURSOR when the reader stops early). Shared by Connection and the
 * REST adapter's in-process connection.
 */
export function streamingResult(
  rpc: RpcClient,
  res: { control: unknown; payload: Uint8Array },
  timeoutMs: number | undefined,
): StreamingResult {
  const q = asObj<QueryResponse>(res.control, 'QUERY');
  const first = decodeBlocks(res.payload, q.numBlocks);
  const head: ResultHead = {
    kind: q.kind === 'exec' ? 'exec' : 'query',
    verb: String(q.verb),
    columns: (q.columns ?? []).map(([n, t, b]) => makeColumn(n, t, b)),
    precision: q.precision ?? 'ms',
    affectedRows: Number(q.affectedRows ?? 0),
    useDb: q.useDb ?? null,
  };
  if (!q.done && !(Number.isSafeInteger(q.cursorId) && q.cursorId > 0)) {
    throw new BasaltError(
      'BAD_FRAME',
      `QUERY reply is not done but names no result cursor (cursorId ${String(q.cursorId)})`,
    );
  }
  // The server cursor: 0 once the result is exhausted (a done reply) or closed. FETCH goes
  // out only for a live id, one at a time: the server refuses a second FETCH in flight.
  let cursorId = q.done ? 0 : q.cursorId;
  let fetching = false;
  let iterated = false;
  const close = async (): Promise<void> => {
    if (cursorId === 0) return;
    const id = cursorId;
    cursorId = 0;
    await rpc.request(MsgType.CLOSE_CURSOR, { cursorId: id }, [], timeoutMs).catch(() => undefined);
  };
  const fetchNext = async (): Promise<ColumnBlock[]> => {
    const id = cursorId;
    assert(id > 0, 'FETCH only for an open cursor (not exhausted, not closed)');
    assert(!fetching, 'one FETCH in flight per cursor (its blocks are iterated once, in order)');
    fetching = true;
    let r: { control: unknown; payload: Uint8Array };
    try {
      r = await rpc.request(MsgType.FETCH, { cursorId: id }, [], timeoutMs);
    } finally {
      fetching = false;
    }
    const f = asObj<FetchResponse>(r.control, 'FETCH');
    const blocks = decodeBlocks(r.payload, f.numBlocks);
    // Every block takes at least its header: the frame's payload bounds the blocks of one FETCH.
    assert(
      blocks.length === f.numBlocks && blocks.length <= r.payload.length,
      'FETCH blocks as announced, within the payload',
    );
    // Only close() changes a live cursor id, and only to 0.
    assert(cursorId === id || cursorId === 0, 'a cursor keeps its id until closed');
    if (f.done) cursorId = 0;
    return blocks;
  };
  async function* gen(): AsyncGenerator<ColumnBlock> {
    try {
      for (const b of first) yield b;
      while (cursorId !== 0) {
        for (const b of await fetchNext()) yield b;
      }
    } finally {
      await close();
    }
  }
  return {
    ...head,
    blocks: {
      [Symbol.asyncIterator]: () => {
        if (iterated)
          throw new BasaltError('INVALID_PARA', 'a streaming result can be iterated once; run the query again');
        iterated = true;
        return gen();
      },
    },
    close,
  };
}

function endpointsOf(opts: ConnectOptions): Array<{ host: string; port: number }> {
  return [
    { host: opts.host ?? '127.0.0.1', port: opts.port ?? 6030 },
    ...(opts.fallbacks ?? []).map((f) => ({ host: f.host, port: f.port })),
  ];
}

export function connect(opts: ConnectOptions = {}): Promise<Connection> {
  return Connection.open(opts);
}

/**
 * Asks a dnode for its status without logging in (`basalt sql -k`, `basalt check`).
 * An unreachable server is `0: unavailable`, not an exception.
 */
export async function checkServer(opts: {
  host?: string;
  port?: number;
  timeoutMs?: number;
  tls?: boolean | RpcClientTls;
}): Promise<StatusResponse> {
  const timeoutMs = opts.timeoutMs ?? 3000;
  const rpc = new RpcClient({
    host: opts.host ?? '127.0.0.1',
    port: opts.port ?? 6030,
    ...tlsOption(opts.tls),
    connectTimeoutMs: timeoutMs,
    requestTimeoutMs: timeoutMs,
  });
  try {
    const r = await rpc.request(MsgType.STATUS, {});
    return asObj<StatusResponse>(r.control, 'STATUS');
  } catch (e) {
    const err = e as BasaltError;
    if (err.errorName === 'SHUTTING_DOWN') return { code: 4, text: 'exiting', detail: '' };
    return { code: 0, text: 'unavailable', detail: err.message };
  } finally {
    rpc.close();
  }
}
