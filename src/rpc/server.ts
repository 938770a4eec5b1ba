// The RPC server side: accepts TCP connections, decodes frames, hands requests to one
// handler, and answers each with a response frame carrying the same requestId. It knows
// nothing of SQL; the dnode supplies the handler.
//
// Robustness rules: a frame whose header is readable always gets an answer (an error code
// when its control part or type is bad); a frame whose framing is broken gets one error
// reply with requestId 0 and the connection closes, since the byte stream cannot be
// resynchronised. Handlers run concurrently up to maxInFlightPerConnection per connection;
// beyond that requests are refused with QUEUE_FULL. When the peer stops reading our
// replies, we stop reading its requests (socket pause until 'drain').
import { createServer, type Server, type Socket } from 'node:net';
import { BasaltError, toBasaltError } from '../common/errors.js';
import { Limits } from '../common/limits.js';
import { encodeFrame, FLAG_ERROR, FLAG_ONEWAY, FLAG_RESPONSE, FrameDecoder, type Frame } from './frame.js';
import type { ErrorReply } from './messages.js';

export interface RpcReply {
  readonly control: unknown;
  readonly payload?: readonly Uint8Array[];
}

export interface RpcServerConnection {
  readonly id: number;
  readonly remote: string;
  /** Per-connection state owned by the handler (session, cursors). */
  state: unknown;
  /** Called once when the connection closes (to release cursors). */
  onClose(fn: () => void): void;
}

export type RpcHandler = (conn: RpcServerConnection, frame: Frame) => Promise<RpcReply>;

export interface RpcServerOptions {
  readonly host: string;
  readonly port: number;
  readonly handler: RpcHandler;
  readonly maxFrameBytes?: number;
  readonly maxInFlightPerConnection?: number;
  readonly maxConnections?: number;
  /** Diagnostics for unexpected (non-BasaltError) handler failures and protocol errors. */
  readonly log?: (level: 'warn' | 'error', message: string) => void;
}

interface ConnState extends RpcServerConnection {
  socket: Socket;
  inFlight: number;
  closeHooks: Array<() => void>;
}

export class RpcServer {
  private server: Server | null = null;
  private readonly conns = new Set<ConnState>();
  private nextConnId = 1;
  private closing = false;
  private inFlightTotal = 0;
  private idleWaiters: Array<() => void> = [];
  private readonly maxFrameBytes: number;
  private readonly maxInFlight: number;
  private readonly maxConnections: number;

  constructor(private readonly opts: RpcServerOptions) {
    this.maxFrameBytes = opts.maxFrameBytes ?? Limits.maxFrameBytes;
    this.maxInFlight = opts.maxInFlightPerConnection ?? Limits.maxInFlightPerConnection;
    this.maxConnections = opts.maxConnections ?? Limits.maxRpcConnections;
  }

  /** Starts listening; rejects with the raw listen error (EADDRINUSE...) for the caller to name. */
  listen(): Promise<number> {
    return new Promise((resolve, reject) => {
      const server = createServer((s) => this.accept(s));
      server.maxConnections = this.maxConnections;
      server.once('error', reject);
      server.listen(this.opts.port, this.opts.host, () => {
        server.off('error', reject);
        server.on('error', (e) => this.opts.log?.('error', `rpc server error: ${e.message}`));
        this.server = server;
        const addr = server.address();
        resolve(typeof addr === 'object' && addr ? addr.port : this.opts.port);
      });
    });
  }

  get port(): number {
    const addr = this.server?.address();
    return typeof addr === 'object' && addr ? addr.port : 0;
  }

  get connectionCount(): number {
    return this.conns.size;
  }

  /**
   * Stops accepting; new requests get SHUTTING_DOWN; waits up to `drainMs` for requests in
   * flight to be answered, then closes every connection.
   */
  async close(drainMs = 5000): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    const srv = this.server;
    const closed = srv ? new Promise<void>((r) => srv.close(() => r())) : Promise.resolve();
    if (this.inFlightTotal > 0) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, drainMs);
        this.idleWaiters.push(() => { clearTimeout(t); resolve(); });
      });
    }
    for (const c of this.conns) c.socket.destroy();
    await closed;
  }

  private accept(socket: Socket): void {
    socket.setNoDelay(true);
    // Detects peers that vanished without a FIN (host crash, cable pulled) so their cursors are freed.
    socket.setKeepAlive(true, 30_000);
    const decoder = new FrameDecoder(this.maxFrameBytes);
    const conn: ConnState = {
      id: this.nextConnId++,
      remote: `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? 0}`,
      state: undefined,
      socket,
      inFlight: 0,
      closeHooks: [],
      onClose(fn) { this.closeHooks.push(fn); },
    };
    this.conns.add(conn);
    socket.on('data', (chunk: Buffer) => {
      for (const ev of decoder.push(chunk)) {
        if (ev.kind === 'frame') this.dispatch(conn, ev.frame);
        else if (ev.kind === 'bad') this.sendError(conn, ev.msgType, ev.requestId, ev.error);
        else {
          this.opts.log?.('warn', `rpc: closing connection ${conn.remote}: ${ev.error.message}`);
          this.sendError(conn, 0, 0, ev.error);
          socket.end();
          socket.pause();
          return;
        }
      }
    });
    socket.on('drain', () => socket.resume());
    socket.on('error', () => { /* reset by peer etc.: 'close' follows and cleans up */ });
    socket.on('close', () => {
      this.conns.delete(conn);
      for (const fn of conn.closeHooks) {
        try { fn(); } catch (e) { this.opts.log?.('error', `rpc close hook failed: ${(e as Error).message}`); }
      }
    });
  }

  private dispatch(conn: ConnState, frame: Frame): void {
    if (frame.flags & FLAG_RESPONSE) {
      this.sendError(conn, frame.msgType, frame.requestId, new BasaltError('BAD_FRAME', 'the server received a response frame; only requests are accepted'));
      return;
    }
    if (frame.flags & FLAG_ONEWAY) {
      this.dispatchOneWay(conn, frame);
      return;
    }
    if (this.closing) {
      this.sendError(conn, frame.msgType, frame.requestId, new BasaltError('SHUTTING_DOWN', 'the dnode is stopping; retry on another dnode or after restart'));
      return;
    }
    if (conn.inFlight >= this.maxInFlight) {
      this.sendError(conn, frame.msgType, frame.requestId, new BasaltError('QUEUE_FULL', `more than ${this.maxInFlight} requests in flight on one connection; wait for replies before sending more`));
      return;
    }
    conn.inFlight++;
    this.inFlightTotal++;
    let p: Promise<RpcReply>;
    try { p = this.opts.handler(conn, frame); } catch (e) { p = Promise.reject(e); }
    p.then(
      (reply) => this.sendReply(conn, frame, reply),
      (e: unknown) => {
        if (!(e instanceof BasaltError)) this.opts.log?.('error', `rpc handler failed on ${conn.remote}: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
        this.sendError(conn, frame.msgType, frame.requestId, toBasaltError(e));
      },
    ).finally(() => {
      conn.inFlight--;
      this.inFlightTotal--;
      if (this.inFlightTotal === 0) for (const w of this.idleWaiters.splice(0)) w();
    });
  }

  /**
   * A one-way request (Raft traffic): no response is written, so a message costs the peers
   * one write instead of two. The handler's errors are for it to count; only unexpected
   * (non-BasaltError) failures are logged here. Dropped while closing.
   */
  private dispatchOneWay(conn: ConnState, frame: Frame): void {
    if (this.closing) return;
    let p: Promise<RpcReply>;
    try { p = this.opts.handler(conn, frame); } catch (e) { p = Promise.reject(e); }
    p.catch((e: unknown) => {
      if (!(e instanceof BasaltError)) this.opts.log?.('error', `rpc one-way handler failed on ${conn.remote}: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
    });
  }

  private sendReply(conn: ConnState, frame: Frame, reply: RpcReply): void {
    let buf: Buffer;
    try {
      buf = encodeFrame(FLAG_RESPONSE, frame.msgType, frame.requestId, reply.control, reply.payload ?? [], this.maxFrameBytes);
    } catch (e) {
      this.sendError(conn, frame.msgType, frame.requestId, toBasaltError(e));
      return;
    }
    this.write(conn, buf);
  }

  private sendError(conn: ConnState, msgType: number, requestId: number, err: BasaltError): void {
    const body: ErrorReply = { code: err.code, message: err.message.slice(0, 4096) };
    if (err.data) {
      const data: Record<string, number | string> = {};
      for (const [k, v] of Object.entries(err.data)) if (typeof v === 'number' || typeof v === 'string') data[k] = v;
      body.data = data;
    }
    this.write(conn, encodeFrame(FLAG_RESPONSE | FLAG_ERROR, msgType, requestId, body, [], Number.MAX_SAFE_INTEGER));
  }

  private write(conn: ConnState, buf: Buffer): void {
    if (conn.socket.destroyed || !conn.socket.writable) return;
    if (!conn.socket.write(buf)) conn.socket.pause();
  }
}
