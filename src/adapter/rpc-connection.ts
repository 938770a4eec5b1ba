// The adapter's connection to its dnode: the client library's protocol (CONNECT, stateless
// QUERY/FETCH/CLOSE_CURSOR, INSERT_COLUMNAR; see src/client/connection.ts, which this follows
// call for call), over an RpcClient that takes the in-process link when the dnode runs in this
// process (`basalt start` embeds the adapter) and TCP otherwise (a standalone adapter). The
// link skips the loopback TCP round trip per request, about 0.2-0.3 ms of CPU per query and
// two copies of every line-protocol write's blocks (docs/performance.md).
import { BasaltError } from '../common/errors.js';
import type { BulkTable, QueryOptions, StreamingResult } from '../client/index.js';
import { streamingResult } from '../client/connection.js';
import { encodeBlocks } from '../rpc/blocks.js';
import { RpcClient } from '../rpc/client.js';
import {
  MsgType,
  type ConnectRequest, type ConnectResponse, type InsertColumnarRequest, type InsertColumnarResponse, type QueryRequest,
} from '../rpc/messages.js';

/** What the REST handlers and the line-protocol target use of a connection. */
export interface AdapterConnection {
  queryStream(sql: string, opts?: QueryOptions): Promise<StreamingResult>;
  insertColumnar(db: string, tables: readonly BulkTable[], timeoutMs?: number): Promise<number>;
  close(): void;
}

export interface AdapterConnectOptions {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  readonly timeoutMs?: number;
}

function asObj<T>(control: unknown, what: string): T {
  if (control === null || typeof control !== 'object') throw new BasaltError('BAD_FRAME', `${what} reply is not a map`);
  return control as T;
}

class RpcConnection implements AdapterConnection {
  private closed = false;
  constructor(private readonly rpc: RpcClient) {}

  async queryStream(sql: string, opts: QueryOptions = {}): Promise<StreamingResult> {
    this.checkOpen();
    // REST is stateless: the statement's database is the default for this statement only.
    const req: QueryRequest = { sql, db: opts.db ?? null, stateless: true };
    const res = await this.rpc.request(MsgType.QUERY, req, [], opts.timeoutMs);
    return streamingResult(this.rpc, res, opts.timeoutMs);
  }

  async insertColumnar(db: string, tables: readonly BulkTable[], timeoutMs?: number): Promise<number> {
    this.checkOpen();
    const req: InsertColumnarRequest = {
      db,
      tables: tables.map((t) => ({ table: t.table, using: t.using ? { stable: t.using.stable, tags: [...t.using.tags] } : null })),
    };
    const r = await this.rpc.request(MsgType.INSERT_COLUMNAR, req, encodeBlocks(tables.map((t) => t.block)), timeoutMs);
    return Number(asObj<InsertColumnarResponse>(r.control, 'INSERT_COLUMNAR').affectedRows);
  }

  close(): void {
    this.closed = true;
    this.rpc.close();
  }

  private checkOpen(): void {
    if (this.closed) throw new BasaltError('CONNECTION_FAILED', `the connection to ${this.rpc.endpoint} is closed; connect again`);
  }
}

/** Opens and authenticates (rejects with AUTH_FAILURE / CONNECTION_FAILED), as client connect() does. */
export async function connectAdapter(opts: AdapterConnectOptions): Promise<AdapterConnection> {
  const rpc = new RpcClient({
    host: opts.host,
    port: opts.port,
    inProcess: true,
    ...(opts.timeoutMs !== undefined ? { requestTimeoutMs: opts.timeoutMs } : {}),
    // Every (re)connect authenticates; REST statements carry their own database.
    onConnect: async (raw) => {
      const req: ConnectRequest = { user: opts.user, password: opts.password, db: null, clientVersion: 'basalt-client' };
      asObj<ConnectResponse>((await raw(MsgType.CONNECT, req)).control, 'CONNECT');
    },
  });
  try { await rpc.connect(); }
  catch (e) { rpc.close(); throw e; }
  return new RpcConnection(rpc);
}
