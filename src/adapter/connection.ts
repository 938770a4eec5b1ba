// The adapter's connection to its dnode: the client library's Connection, over the
// in-process link when the dnode runs in this process (`basalt start` embeds the adapter)
// and TCP otherwise (a standalone adapter). The link skips the loopback TCP round trip per
// request, about 0.2-0.3 ms of CPU per query and two copies of every line-protocol write's
// blocks (docs/performance.md).
import { Connection, type BulkTable, type QueryOptions, type StreamingResult } from '../client/index.js';

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

/** Opens and authenticates (rejects with AUTH_FAILURE / CONNECTION_FAILED). */
export function connectAdapter(opts: AdapterConnectOptions): Promise<AdapterConnection> {
  return Connection.open({
    host: opts.host,
    port: opts.port,
    user: opts.user,
    password: opts.password,
    ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
    // REST statements carry their own database; writes go through this dnode, which
    // forwards each vgroup's rows to its leader (as before the adapter used the client).
    database: null,
    routeWrites: false,
    inProcess: true,
  });
}
