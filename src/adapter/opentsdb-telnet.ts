// OpenTSDB's telnet put listener (taosAdapter's opentsdb_telnet): a TCP port where collectors
// (tcollector, Telegraf's opentsdb output, scripts) send `put <metric> <timestamp> <value>
// <tagk=tagv> ...` lines. The protocol carries no credentials, so the listener writes into one
// configured database as one configured user (opentsdbTelnet*), with that user's privileges;
// it is off unless opentsdbTelnetPort is set.
//
// Lines are batched per connection (up to Limits.opentsdbTelnetBatchLines, or what arrived
// within Limits.opentsdbTelnetFlushMs) and written through the line-protocol bulk path. A bad
// line is answered `put: <why>` on the connection and dropped alone, as OpenTSDB does; the
// socket is paused while its batch is written, so a fast sender is held back by TCP, not
// buffered here. `version` answers a version line, `exit` closes the connection.
import { createServer, type Server, type Socket } from 'node:net';
import { toBasaltError } from '../common/errors.js';
import { Limits } from '../common/limits.js';
import { connectAdapter, type AdapterConnection } from './connection.js';
import { handleInfluxWrite, lineProtocolTarget } from './line-protocol/index.js';
import { openTsdbTelnetToLines } from './opentsdb.js';

export interface OpenTsdbTelnetOptions {
  readonly host: string;
  readonly port: number;
  /** The dnode's RPC endpoint. */
  readonly rpcHost: string;
  readonly rpcPort: number;
  readonly db: string;
  readonly user: string;
  readonly password: string;
  readonly log?: (level: 'info' | 'warn' | 'error', message: string) => void;
}

export class OpenTsdbTelnetServer {
  private server: Server | null = null;
  private conn: Promise<AdapterConnection> | null = null;
  private readonly sockets = new Set<Socket>();

  constructor(private readonly opts: OpenTsdbTelnetOptions) {}

  /** Listens; rejects with the raw listen error for the caller to name the setting. */
  listen(): Promise<number> {
    return new Promise((resolve, reject) => {
      const srv = createServer((s) => this.serve(s));
      srv.maxConnections = Limits.opentsdbTelnetMaxConnections;
      srv.once('error', reject);
      srv.listen(this.opts.port, this.opts.host, () => {
        srv.off('error', reject);
        this.server = srv;
        const a = srv.address();
        resolve(typeof a === 'object' && a ? a.port : 0);
      });
    });
  }

  async close(): Promise<void> {
    const srv = this.server;
    this.server = null;
    for (const s of this.sockets) s.destroy();
    if (srv) await new Promise<void>((r) => srv.close(() => r()));
    this.conn?.then(
      (c) => c.close(),
      () => undefined,
    );
    this.conn = null;
  }

  private connection(): Promise<AdapterConnection> {
    if (!this.conn) {
      const p = connectAdapter({
        host: this.opts.rpcHost,
        port: this.opts.rpcPort,
        user: this.opts.user,
        password: this.opts.password,
      });
      p.catch(() => {
        if (this.conn === p) this.conn = null;
      });
      this.conn = p;
    }
    return this.conn;
  }

  private serve(sock: Socket): void {
    this.sockets.add(sock);
    sock.setEncoding('utf8');
    let partial = '';
    let batch: string[] = [];
    let writing = false;
    let timer: NodeJS.Timeout | null = null;
    const reply = (text: string): void => {
      if (!sock.destroyed) sock.write(`${text}\n`);
    };
    const flush = async (): Promise<void> => {
      if (timer) clearTimeout(timer);
      timer = null;
      if (writing || batch.length === 0) return;
      const lines = batch;
      batch = [];
      writing = true;
      sock.pause();
      try {
        await this.write(lines, reply);
      } finally {
        writing = false;
        if (!sock.destroyed) sock.resume();
      }
      if (batch.length > 0) void flush();
    };
    const take = (raw: string): void => {
      const line = raw.trim();
      if (line === '') return;
      if (line === 'version') reply('Basalt OpenTSDB telnet put listener (TDengine schemaless mapping)');
      else if (line === 'exit') void flush().then(() => sock.end());
      else batch.push(line);
    };
    sock.on('data', (chunk: string) => {
      partial += chunk;
      for (let nl = partial.indexOf('\n'); nl >= 0; nl = partial.indexOf('\n')) {
        take(partial.slice(0, nl));
        partial = partial.slice(nl + 1);
      }
      if (Buffer.byteLength(partial) > Limits.opentsdbTelnetMaxLineBytes) {
        reply(`put: a line is longer than ${Limits.opentsdbTelnetMaxLineBytes} bytes; closing`);
        sock.destroy();
        return;
      }
      if (batch.length >= Limits.opentsdbTelnetBatchLines) void flush();
      else if (batch.length > 0 && !timer) timer = setTimeout(() => void flush(), Limits.opentsdbTelnetFlushMs);
    });
    sock.on('end', () => {
      take(partial);
      partial = '';
      void flush().then(() => sock.end());
    });
    sock.on('error', () => undefined);
    sock.on('close', () => {
      if (timer) clearTimeout(timer);
      this.sockets.delete(sock);
    });
  }

  /** Writes the good lines of `lines` as one batch; every bad line and a failed batch are answered. */
  private async write(lines: readonly string[], reply: (text: string) => void): Promise<void> {
    // One conversion for the batch; a bad line is answered and skipped, the rest are written.
    const good = openTsdbTelnetToLines(lines.join('\n'), (e, line) =>
      reply(`put: ${e.message.replace(/point \d+: /, '')}: ${line.slice(0, 200)}`),
    );
    if (good.points === 0) return;
    let conn: AdapterConnection;
    try {
      conn = await this.connection();
    } catch (e) {
      const err = toBasaltError(e);
      this.opts.log?.('warn', `opentsdb telnet: cannot write as ${this.opts.user}: ${err.message}`);
      reply(`put: ${good.points} points not written: ${err.message}`);
      return;
    }
    const r = await handleInfluxWrite(lineProtocolTarget(conn), {
      db: this.opts.db,
      precision: 'ms',
      body: Buffer.from(good.text),
    });
    if (r.status === 204) return;
    if (r.status >= 500 || r.status === 401) {
      // The session or the connection is gone: the next batch logs in afresh.
      const old = this.conn;
      this.conn = null;
      old?.then(
        (c) => c.close(),
        () => undefined,
      );
    }
    let message = r.body ?? '';
    try {
      message = (JSON.parse(message) as { message?: string }).message ?? message;
    } catch {
      /* not JSON */
    }
    reply(`put: ${good.points} points not written: ${message}`);
  }
}
