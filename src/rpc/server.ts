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
//
// In-process link: a client in the same process that asks for it (RpcClientOptions.inProcess,
// the embedded REST adapter) reaches a listening server without a socket. The frames are the
// same bytes, decoded with the same checks and handled by the same handler; only the TCP
// round trip (two syscalls per message, a copy into the decoder, a wake-up) is skipped.
import { createServer, type Server, type Socket } from 'node:net';
import { assert } from '../common/assert.js';
import { BasaltError, toBasaltError } from '../common/errors.js';
import { Limits } from '../common/limits.js';
import {
  decodeFrame,
  encodeFrame,
  FLAG_ERROR,
  FLAG_ONEWAY,
  FLAG_RESPONSE,
  FrameDecoder,
  type DecodeEvent,
  type Frame,
} from './frame.js';
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

/** Where a connection's replies go: its TCP socket, or the in-process link. */
interface ConnTransport {
  readonly destroyed: boolean;
  readonly writable: boolean;
  write(buf: Buffer): boolean;
  pause(): unknown;
  resume(): unknown;
  end(): unknown;
  destroy(): unknown;
}

/** The client end of an in-process link: frames for it, and the link's close. */
export interface InProcessClientEnd {
  deliver(frame: Buffer): void;
  closed(): void;
}

/** The server end of an in-process link, as the client holds it. */
export interface InProcessServerEnd {
  /** One whole frame (encodeFrame's bytes); handled after the current microtask. */
  send(frame: Buffer): void;
  close(): void;
}

/** Servers of this process by port, for in-process links. */
const inProcessServers = new Map<number, { host: string; server: RpcServer }>();
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);

/** The RpcServer of this process that a client connecting to host:port would reach, if any. */
export function inProcessServer(host: string, port: number): RpcServer | undefined {
  const e = inProcessServers.get(port);
  if (!e) return undefined;
  const wildcard = e.host === '0.0.0.0' || e.host === '::';
  return e.host === host || (LOOPBACK.has(host) && (wildcard || LOOPBACK.has(e.host))) ? e.server : undefined;
}

interface ConnState extends RpcServerConnection {
  socket: ConnTransport;
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
  private listenPort = 0;
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
        this.listenPort = typeof addr === 'object' && addr ? addr.port : this.opts.port;
        inProcessServers.set(this.listenPort, { host: this.opts.host, server: this });
        resolve(this.listenPort);
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
  async close(drainMs: number = Limits.rpcServerDrainMs): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    if (inProcessServers.get(this.listenPort)?.server === this) inProcessServers.delete(this.listenPort);
    const srv = this.server;
    const closed = srv ? new Promise<void>((r) => srv.close(() => r())) : Promise.resolve();
    if (this.inFlightTotal > 0) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, drainMs);
        this.idleWaiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    for (const c of this.conns) c.socket.destroy();
    await closed;
  }

  private accept(socket: Socket): void {
    socket.setNoDelay(true);
    // Detects peers that vanished without a FIN (host crash, cable pulled) so their cursors are freed.
    socket.setKeepAlive(true, Limits.rpcKeepAliveIdleMs);
    const decoder = new FrameDecoder(this.maxFrameBytes);
    const conn = this.newConn(socket, `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? 0}`);
    socket.on('data', (chunk: Buffer) => {
      for (const ev of decoder.push(chunk)) if (!this.onDecoded(conn, ev)) return;
    });
    socket.on('drain', () => socket.resume());
    socket.on('error', () => {
      /* reset by peer etc.: 'close' follows and cleans up */
    });
    socket.on('close', () => this.connClosed(conn));
  }

  /**
   * An in-process link for a client of this process (null when closing or full: the client
   * then connects over TCP and meets the same refusal there). Frames cross it after the current
   * microtask, in order, as whole buffers; closing either end closes both, and the
   * connection's close hooks run as for a socket.
   */
  connectInProcess(client: InProcessClientEnd): InProcessServerEnd | null {
    if (this.closing || this.server === null || this.conns.size >= this.maxConnections) return null;
    let open = true;
    let conn: ConnState | null = null;
    const close = (): void => {
      if (!open) return;
      open = false;
      // After the replies already queued (microtasks run in order).
      queueMicrotask(() => {
        this.connClosed(conn!);
        client.closed();
      });
    };
    const transport: ConnTransport = {
      get destroyed() {
        return !open;
      },
      get writable() {
        return open;
      },
      write(buf: Buffer): boolean {
        queueMicrotask(() => client.deliver(buf));
        return true;
      },
      pause: () => undefined,
      resume: () => undefined,
      end: close,
      destroy: close,
    };
    conn = this.newConn(transport, 'in-process');
    const c = conn;
    return {
      send: (frame) => {
        if (!open) return;
        queueMicrotask(() => {
          if (open) this.onDecoded(c, decodeFrame(frame, this.maxFrameBytes));
        });
      },
      close,
    };
  }

  private newConn(socket: ConnTransport, remote: string): ConnState {
    const conn: ConnState = {
      id: this.nextConnId++,
      remote,
      state: undefined,
      socket,
      inFlight: 0,
      closeHooks: [],
      onClose(fn) {
        this.closeHooks.push(fn);
      },
    };
    this.conns.add(conn);
    return conn;
  }

  /** Acts on one decoded frame event; false once the connection is being closed (stop reading). */
  private onDecoded(conn: ConnState, ev: DecodeEvent): boolean {
    if (ev.kind === 'frame') this.dispatch(conn, ev.frame);
    else if (ev.kind === 'bad') this.sendError(conn, ev.msgType, ev.requestId, ev.error);
    else if (ev.error.errorName === 'WRONG_PORT') {
      // An HTTP client (curl) reads an HTTP answer; an RPC error frame would read as garbage.
      const body = `${ev.error.message}\n`;
      conn.socket.write(
        Buffer.from(
          `HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
        ),
      );
      conn.socket.end();
      conn.socket.pause();
      return false;
    } else {
      this.opts.log?.('warn', `rpc: closing connection ${conn.remote}: ${ev.error.message}`);
      this.sendError(conn, 0, 0, ev.error);
      conn.socket.end();
      conn.socket.pause();
      return false;
    }
    return true;
  }

  private connClosed(conn: ConnState): void {
    if (!this.conns.delete(conn)) return;
    for (const fn of conn.closeHooks) {
      try {
        fn();
      } catch (e) {
        this.opts.log?.('error', `rpc close hook failed: ${(e as Error).message}`);
      }
    }
  }

  private dispatch(conn: ConnState, frame: Frame): void {
    if (frame.flags & FLAG_RESPONSE) {
      this.sendError(
        conn,
        frame.msgType,
        frame.requestId,
        new BasaltError('BAD_FRAME', 'the server received a response frame; only requests are accepted'),
      );
      return;
    }
    if (frame.flags & FLAG_ONEWAY) {
      this.dispatchOneWay(conn, frame);
      return;
    }
    if (this.closing) {
      this.sendError(
        conn,
        frame.msgType,
        frame.requestId,
        new BasaltError('SHUTTING_DOWN', 'the dnode is stopping; retry on another dnode or after restart'),
      );
      return;
    }
    if (conn.inFlight >= this.maxInFlight) {
      this.sendError(
        conn,
        frame.msgType,
        frame.requestId,
        new BasaltError(
          'QUEUE_FULL',
          `more than ${this.maxInFlight} requests in flight on one connection; wait for replies before sending more`,
        ),
      );
      return;
    }
    conn.inFlight++;
    this.inFlightTotal++;
    assert(
      conn.inFlight <= this.maxInFlight && conn.inFlight <= this.inFlightTotal,
      'connection in-flight count above its limit or the server total',
    );
    let p: Promise<RpcReply>;
    try {
      p = this.opts.handler(conn, frame);
    } catch (e) {
      p = Promise.reject(e);
    }
    p.then(
      (reply) => this.sendReply(conn, frame, reply),
      (e: unknown) => {
        if (!(e instanceof BasaltError))
          this.opts.log?.(
            'error',
            `rpc handler failed on ${conn.remote}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`,
          );
        this.sendError(conn, frame.msgType, frame.requestId, toBasaltError(e));
      },
    ).finally(() => {
      conn.inFlight--;
      this.inFlightTotal--;
      assert(
        conn.inFlight >= 0 && this.inFlightTotal >= conn.inFlight,
        'in-flight count went negative or above the server total',
      );
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
    try {
      p = this.opts.handler(conn, frame);
    } catch (e) {
      p = Promise.reject(e);
    }
    p.catch((e: unknown) => {
      if (!(e instanceof BasaltError))
        this.opts.log?.(
          'error',
          `rpc one-way handler failed on ${conn.remote}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`,
        );
    });
  }

  private sendReply(conn: ConnState, frame: Frame, reply: RpcReply): void {
    let buf: Buffer;
    try {
      buf = encodeFrame(
        FLAG_RESPONSE,
        frame.msgType,
        frame.requestId,
        reply.control,
        reply.payload ?? [],
        this.maxFrameBytes,
      );
    } catch (e) {
      this.sendError(conn, frame.msgType, frame.requestId, toBasaltError(e));
      return;
    }
    this.write(conn, buf);
  }

  private sendError(conn: ConnState, msgType: number, requestId: number, err: BasaltError): void {
    const body: ErrorReply = { code: err.code, message: err.message.slice(0, Limits.rpcErrorMessageMaxChars) };
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
