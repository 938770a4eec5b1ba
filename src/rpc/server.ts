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
// Before login (CONNECT, or a peer dnode's authentication: the owner's handler calls
// markAuthenticated) a connection is on probation: it must log in within loginTimeoutMs,
// only frames up to preAuthMaxFrameBytes are read (a larger length field is refused before
// any of the body is buffered), and at most maxPreAuthConnections such connections exist
// (a new one closes the oldest, so a flood of idle sockets cannot lock legitimate clients
// out, and the rest of maxRpcConnections stays for logged-in ones). Every connection holds
// at most maxConnectionsPerSourceIp per source address, and a frame once started must be
// complete within frameReadTimeoutMs. Each refusal or close is counted by reason (stats())
// and logged at most once per rpcCloseLogIntervalMs per reason.
//
// TLS (options.tls): the port serves TLS and plain connections side by side, told apart by
// the first bytes (a TLS ClientHello); a plain connection may send only the message types
// plainAllowed admits (peers without peerTls, status probes) and gets TLS_MISMATCH for the
// rest. Without tls, a ClientHello gets a TLS alert and a logged TLS_MISMATCH.
//
// In-process link: a client in the same process that asks for it (RpcClientOptions.inProcess,
// the embedded REST adapter) reaches a listening server without a socket. The frames are the
// same bytes, decoded with the same checks and handled by the same handler; only the TCP
// round trip (two syscalls per message, a copy into the decoder, a wake-up) is skipped.
import { createServer, type Server, type Socket } from 'node:net';
import { createSecureContext, type SecureContext, TLSSocket } from 'node:tls';
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
  looksLikeTlsHello,
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
  /** Logged in (markAuthenticated was called): the pre-login limits no longer apply. */
  readonly authenticated: boolean;
  /** Per-connection state owned by the handler (session, cursors). */
  state: unknown;
  /** Called once when the connection closes (to release cursors). */
  onClose(fn: () => void): void;
  /** The handler accepted this connection's credentials (a client's CONNECT, a peer's proof). */
  markAuthenticated(): void;
}

/** Why the server refused or closed a connection (stats() counts each). */
export type RpcCloseReason =
  | 'loginTimeout'
  | 'preAuthFrameTooLarge'
  | 'frameReadTimeout'
  | 'perSourceIpLimit'
  | 'preAuthPoolFull'
  | 'connectionLimit'
  | 'tlsRequired'
  | 'tlsNotEnabled'
  | 'tlsHandshakeFailed'
  | 'badFraming'
  | 'wrongPort';

const CLOSE_REASONS: readonly RpcCloseReason[] = [
  'loginTimeout',
  'preAuthFrameTooLarge',
  'frameReadTimeout',
  'perSourceIpLimit',
  'preAuthPoolFull',
  'connectionLimit',
  'tlsRequired',
  'tlsNotEnabled',
  'tlsHandshakeFailed',
  'badFraming',
  'wrongPort',
];

export type RpcServerStats = Record<RpcCloseReason, number> & {
  /** Connections open now, and how many of them have not logged in. */
  readonly open: number;
  readonly preAuth: number;
};

/** PEM key material of a TLS listener (sslCert, sslKey, sslCa). */
export interface RpcServerTls {
  readonly cert: string | Buffer;
  readonly key: string | Buffer;
  readonly ca?: string | Buffer;
}

export type RpcHandler = (conn: RpcServerConnection, frame: Frame) => Promise<RpcReply>;

export interface RpcServerOptions {
  readonly host: string;
  readonly port: number;
  readonly handler: RpcHandler;
  readonly maxFrameBytes?: number;
  readonly maxInFlightPerConnection?: number;
  readonly maxConnections?: number;
  /** Serve TLS with this key material (plain connections still reach plainAllowed's message types). */
  readonly tls?: RpcServerTls;
  /** With tls: the message types a plain (non-TLS) TCP connection may send; default none. */
  readonly plainAllowed?: (msgType: number) => boolean;
  readonly loginTimeoutMs?: number;
  readonly preAuthMaxFrameBytes?: number;
  readonly frameReadTimeoutMs?: number;
  readonly maxConnectionsPerSourceIp?: number;
  readonly maxPreAuthConnections?: number;
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
  /** Sends what was written, then closes (at once if the peer does not read it). */
  closeAfterFlush(): void;
  destroy(): unknown;
}

/** Time a closing socket gets to flush its last error reply to a peer that may not read. */
const CLOSE_FLUSH_MS = 1_000;

function socketTransport(s: Socket): ConnTransport {
  return {
    get destroyed() {
      return s.destroyed;
    },
    get writable() {
      return s.writable;
    },
    write: (buf) => s.write(buf),
    pause: () => s.pause(),
    resume: () => s.resume(),
    closeAfterFlush: () => {
      s.pause();
      // end() alone would keep the descriptor until the peer closes its side.
      s.end(() => s.destroy());
      setTimeout(() => s.destroy(), CLOSE_FLUSH_MS).unref();
    },
    destroy: () => s.destroy(),
  };
}

/** `::ffff:127.0.0.2` → `127.0.0.2`, so IPv4 clients of a dual-stack listener count once. */
function sourceAddress(s: Socket): string {
  const a = s.remoteAddress ?? '?';
  return a.startsWith('::ffff:') ? a.slice(7) : a;
}

/** A fatal TLS alert (protocol_version): a TLS client reaching a plain port fails its handshake at once. */
const TLS_ALERT_PROTOCOL_VERSION = Buffer.from([0x15, 0x03, 0x01, 0x00, 0x02, 0x02, 0x46]);

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
  authenticated: boolean;
  /** '' for the in-process link (no limits apply to it). */
  readonly sourceIp: string;
  readonly openedAtMs: number;
  /** The TCP byte stream's decoder (null for the in-process link, which gets whole frames). */
  decoder: FrameDecoder | null;
  /** When the partly received frame (or the first bytes) started arriving; 0: none pending. */
  partialSinceMs: number;
  /** Plain TCP on a server that serves TLS: only plainAllowed's message types. */
  plain: boolean;
  /** Reading stopped because the peer does not read our replies: its frame cannot complete meanwhile. */
  writePaused: boolean;
  closing: boolean;
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
  private readonly loginTimeoutMs: number;
  private readonly preAuthMaxFrameBytes: number;
  private readonly frameReadTimeoutMs: number;
  private readonly maxPerSourceIp: number;
  private readonly maxPreAuth: number;
  private readonly tlsContext: SecureContext | null;
  /** Connections not logged in, oldest first (a Set keeps insertion order). */
  private readonly preAuth = new Set<ConnState>();
  private readonly perSourceIp = new Map<string, number>();
  private readonly counters = Object.fromEntries(CLOSE_REASONS.map((r) => [r, 0])) as Record<RpcCloseReason, number>;
  private readonly lastLoggedMs = new Map<RpcCloseReason, number>();
  private sweepTimer: NodeJS.Timeout | null = null;

  constructor(private readonly opts: RpcServerOptions) {
    this.maxFrameBytes = opts.maxFrameBytes ?? Limits.maxFrameBytes;
    this.maxInFlight = opts.maxInFlightPerConnection ?? Limits.maxInFlightPerConnection;
    this.maxConnections = opts.maxConnections ?? Limits.maxRpcConnections;
    this.loginTimeoutMs = opts.loginTimeoutMs ?? Limits.loginTimeoutMs;
    this.preAuthMaxFrameBytes = Math.min(this.maxFrameBytes, opts.preAuthMaxFrameBytes ?? Limits.preAuthMaxFrameBytes);
    this.frameReadTimeoutMs = opts.frameReadTimeoutMs ?? Limits.frameReadTimeoutMs;
    this.maxPerSourceIp = opts.maxConnectionsPerSourceIp ?? Limits.maxConnectionsPerSourceIp;
    this.maxPreAuth = Math.min(this.maxConnections, opts.maxPreAuthConnections ?? Limits.maxPreAuthConnections);
    this.tlsContext = opts.tls
      ? createSecureContext({ cert: opts.tls.cert, key: opts.tls.key, ...(opts.tls.ca ? { ca: opts.tls.ca } : {}) })
      : null;
  }

  /** Refusals and closes by reason since start, and the connections open now. */
  stats(): RpcServerStats {
    return { ...this.counters, open: this.conns.size, preAuth: this.preAuth.size };
  }

  /** Starts listening; rejects with the raw listen error (EADDRINUSE...) for the caller to name. */
  listen(): Promise<number> {
    return new Promise((resolve, reject) => {
      const server = createServer((s) => this.accept(s));
      server.once('error', reject);
      server.listen(this.opts.port, this.opts.host, () => {
        server.off('error', reject);
        server.on('error', (e) => this.opts.log?.('error', `rpc server error: ${e.message}`));
        this.server = server;
        const addr = server.address();
        this.listenPort = typeof addr === 'object' && addr ? addr.port : this.opts.port;
        inProcessServers.set(this.listenPort, { host: this.opts.host, server: this });
        // One timer for every connection's deadlines; its period bounds how late a deadline acts.
        const period = Math.max(
          20,
          Math.min(1_000, Math.floor(Math.min(this.loginTimeoutMs, this.frameReadTimeoutMs) / 5)),
        );
        this.sweepTimer = setInterval(() => this.sweep(Date.now()), period);
        this.sweepTimer.unref();
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
    if (this.sweepTimer) clearInterval(this.sweepTimer);
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

  private accept(raw: Socket): void {
    raw.on('error', () => {
      /* reset by peer etc.: 'close' follows and cleans up */
    });
    const ip = sourceAddress(raw);
    const remote = `${ip}:${raw.remotePort ?? 0}`;
    if (this.closing) {
      raw.destroy();
      return;
    }
    if ((this.perSourceIp.get(ip) ?? 0) >= this.maxPerSourceIp) {
      this.refuse(
        raw,
        'perSourceIpLimit',
        `${remote}: ${this.maxPerSourceIp} connections from ${ip} are open (maxConnectionsPerSourceIp)`,
      );
      return;
    }
    // Room for the newcomer: the oldest connection that has not logged in goes first.
    if (this.preAuth.size >= this.maxPreAuth) this.evictOldestPreAuth('preAuthPoolFull');
    if (this.conns.size >= this.maxConnections && !this.evictOldestPreAuth('connectionLimit')) {
      this.refuse(raw, 'connectionLimit', `${remote}: ${this.maxConnections} connections are open (maxRpcConnections)`);
      return;
    }
    raw.setNoDelay(true);
    // Detects peers that vanished without a FIN (host crash, cable pulled) so their cursors are freed.
    raw.setKeepAlive(true, Limits.rpcKeepAliveIdleMs);
    const conn = this.newConn(socketTransport(raw), remote, ip);
    conn.decoder = new FrameDecoder(this.preAuthMaxFrameBytes, {
      limit: 'preAuthMaxFrameBytes',
      fix: 'only small frames are read before login; send CONNECT first',
    });
    this.perSourceIp.set(ip, (this.perSourceIp.get(ip) ?? 0) + 1);
    this.preAuth.add(conn);
    raw.on('close', () => this.connClosed(conn));
    // The first bytes say TLS or plain; at most 4 are held before they do.
    let head: Buffer | null = Buffer.alloc(0);
    const onData = (chunk: Buffer): void => {
      if (head === null) {
        this.feed(conn, chunk);
        return;
      }
      head = head.length === 0 ? chunk : Buffer.concat([head, chunk]);
      const hello = looksLikeTlsHello(head);
      if (hello === null) {
        if (conn.partialSinceMs === 0) conn.partialSinceMs = Date.now();
        return;
      }
      const first = head;
      head = null;
      if (!hello) {
        conn.plain = this.tlsContext !== null;
        raw.on('drain', () => this.resumeReading(conn));
        this.feed(conn, first);
        return;
      }
      raw.off('data', onData);
      if (this.tlsContext === null) {
        conn.socket.write(TLS_ALERT_PROTOCOL_VERSION);
        this.closeConn(
          conn,
          'tlsNotEnabled',
          `${remote}: a TLS client reached this plain port; set sslCert and sslKey on the dnode to serve TLS, or connect without --tls`,
          null,
        );
        return;
      }
      raw.pause();
      raw.unshift(first);
      this.startTls(conn, raw);
    };
    raw.on('data', onData);
  }

  /** Wraps an accepted socket whose first bytes were a ClientHello (they were put back). */
  private startTls(conn: ConnState, raw: Socket): void {
    const t = new TLSSocket(raw, { isServer: true, secureContext: this.tlsContext!, requestCert: false });
    let secured = false;
    conn.socket = socketTransport(t);
    conn.partialSinceMs = 0;
    t.on('secure', () => {
      secured = true;
    });
    t.on('data', (chunk: Buffer) => this.feed(conn, chunk));
    t.on('drain', () => this.resumeReading(conn));
    t.on('error', (e: Error) => {
      if (!secured && !conn.closing)
        this.count('tlsHandshakeFailed', `${conn.remote}: TLS handshake failed (${e.message})`);
    });
    t.on('close', () => this.connClosed(conn));
  }

  private resumeReading(conn: ConnState): void {
    conn.writePaused = false;
    // The frame-read clock restarts: the wait was ours, not the sender's.
    if (conn.partialSinceMs !== 0) conn.partialSinceMs = Date.now();
    conn.socket.resume();
  }

  /** Bytes of a connection's stream (after the TLS layer, if any) into its decoder. */
  private feed(conn: ConnState, chunk: Buffer): void {
    const dec = conn.decoder;
    if (dec === null || conn.closing) return;
    const events = dec.pushEach(chunk, (ev) => this.onDecoded(conn, ev));
    if (conn.closing) return;
    if (dec.pendingBytes === 0) conn.partialSinceMs = 0;
    else if (events > 0 || conn.partialSinceMs === 0) conn.partialSinceMs = Date.now();
  }

  /** Closes connections past their login or frame-read deadline. */
  private sweep(nowMs: number): void {
    for (const c of this.preAuth) {
      // Oldest first: the rest are younger.
      if (nowMs - c.openedAtMs < this.loginTimeoutMs) break;
      this.closeConn(
        c,
        'loginTimeout',
        `${c.remote}: not logged in within loginTimeoutMs ${this.loginTimeoutMs}`,
        new BasaltError('CONNECTION_LIMIT', `not logged in within ${this.loginTimeoutMs} ms; send CONNECT first`),
      );
    }
    for (const c of this.conns) {
      if (c.partialSinceMs === 0 || c.writePaused || nowMs - c.partialSinceMs < this.frameReadTimeoutMs) continue;
      this.closeConn(
        c,
        'frameReadTimeout',
        `${c.remote}: a frame was not complete within frameReadTimeoutMs ${this.frameReadTimeoutMs}`,
        new BasaltError('CONNECTION_LIMIT', `a frame was not complete within ${this.frameReadTimeoutMs} ms`),
      );
    }
  }

  /** Closes the oldest connection that has not logged in; false when there is none. */
  private evictOldestPreAuth(reason: RpcCloseReason): boolean {
    const oldest = this.preAuth.values().next();
    if (oldest.done) return false;
    this.closeConn(
      oldest.value,
      reason,
      `${oldest.value.remote}: closed (not logged in) to make room for a new connection`,
      new BasaltError('CONNECTION_LIMIT', 'closed before login to make room for new connections; log in sooner'),
    );
    return true;
  }

  /** Refuses a connection not yet registered: one error frame, then close. */
  private refuse(raw: Socket, reason: RpcCloseReason, why: string): void {
    this.count(reason, why);
    const t = socketTransport(raw);
    t.write(this.errorFrame(0, 0, new BasaltError('CONNECTION_LIMIT', why.slice(why.indexOf(': ') + 2))));
    t.closeAfterFlush();
  }

  /** Ends a connection for `reason`: counted, logged (rate-limited), an error reply when given. */
  private closeConn(conn: ConnState, reason: RpcCloseReason, why: string, err: BasaltError | null): void {
    if (conn.closing) return;
    this.count(reason, why);
    if (err) this.sendError(conn, 0, 0, err);
    this.stopReading(conn);
  }

  /** No more bytes are parsed; a partly received frame's memory is dropped now. */
  private stopReading(conn: ConnState): void {
    conn.closing = true;
    conn.partialSinceMs = 0;
    conn.decoder?.release();
    this.preAuth.delete(conn);
    conn.socket.closeAfterFlush();
  }

  private count(reason: RpcCloseReason, why: string): void {
    const n = ++this.counters[reason];
    const now = Date.now();
    if (now - (this.lastLoggedMs.get(reason) ?? -Infinity) < Limits.rpcCloseLogIntervalMs) return;
    this.lastLoggedMs.set(reason, now);
    this.opts.log?.(
      'warn',
      `rpc: ${reason}: ${why} (${n} since start; logged at most every ${Limits.rpcCloseLogIntervalMs / 1000} s)`,
    );
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
      closeAfterFlush: close,
      destroy: close,
    };
    conn = this.newConn(transport, 'in-process', '');
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

  private newConn(socket: ConnTransport, remote: string, sourceIp: string): ConnState {
    const conn: ConnState = {
      id: this.nextConnId++,
      remote,
      state: undefined,
      socket,
      inFlight: 0,
      closeHooks: [],
      authenticated: false,
      sourceIp,
      openedAtMs: Date.now(),
      decoder: null,
      partialSinceMs: 0,
      plain: false,
      writePaused: false,
      closing: false,
      onClose(fn) {
        this.closeHooks.push(fn);
      },
      markAuthenticated: () => this.authenticate(conn),
    };
    this.conns.add(conn);
    return conn;
  }

  private authenticate(conn: ConnState): void {
    if (conn.authenticated) return;
    conn.authenticated = true;
    this.preAuth.delete(conn);
    conn.decoder?.setMaxFrameBytes(this.maxFrameBytes);
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
      this.closeConn(conn, 'wrongPort', `${conn.remote}: ${ev.error.message}`, null);
      return false;
    } else {
      const preAuthLimit = ev.error.errorName === 'FRAME_TOO_LARGE' && !conn.authenticated;
      this.closeConn(
        conn,
        preAuthLimit ? 'preAuthFrameTooLarge' : 'badFraming',
        `${conn.remote}: ${ev.error.message}`,
        ev.error,
      );
      return false;
    }
    return true;
  }

  private connClosed(conn: ConnState): void {
    if (!this.conns.delete(conn)) return;
    conn.closing = true;
    conn.decoder?.release();
    conn.decoder = null;
    this.preAuth.delete(conn);
    if (conn.sourceIp !== '') {
      const n = (this.perSourceIp.get(conn.sourceIp) ?? 1) - 1;
      if (n <= 0) this.perSourceIp.delete(conn.sourceIp);
      else this.perSourceIp.set(conn.sourceIp, n);
    }
    for (const fn of conn.closeHooks) {
      try {
        fn();
      } catch (e) {
        this.opts.log?.('error', `rpc close hook failed: ${(e as Error).message}`);
      }
    }
  }

  /** A request over plain TCP to a TLS server that plainAllowed does not admit. */
  private refusePlain(conn: ConnState, frame: Frame): void {
    if (!(frame.flags & FLAG_ONEWAY))
      this.sendError(
        conn,
        frame.msgType,
        frame.requestId,
        new BasaltError(
          'TLS_MISMATCH',
          'this dnode serves TLS (sslCert is set) and refuses this request over plain TCP; connect with TLS: basalt sql --tls --ca <CA file>, or the client option tls',
        ),
      );
    this.closeConn(conn, 'tlsRequired', `${conn.remote}: a plain connection sent message type ${frame.msgType}`, null);
  }

  private dispatch(conn: ConnState, frame: Frame): void {
    if (conn.plain && !(this.opts.plainAllowed?.(frame.msgType) ?? false)) {
      this.refusePlain(conn, frame);
      return;
    }
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
    this.write(conn, this.errorFrame(msgType, requestId, err));
  }

  private errorFrame(msgType: number, requestId: number, err: BasaltError): Buffer {
    const body: ErrorReply = { code: err.code, message: err.message.slice(0, Limits.rpcErrorMessageMaxChars) };
    if (err.data) {
      const data: Record<string, number | string> = {};
      for (const [k, v] of Object.entries(err.data)) if (typeof v === 'number' || typeof v === 'string') data[k] = v;
      body.data = data;
    }
    return encodeFrame(FLAG_RESPONSE | FLAG_ERROR, msgType, requestId, body, [], Number.MAX_SAFE_INTEGER);
  }

  private write(conn: ConnState, buf: Buffer): void {
    if (conn.closing || conn.socket.destroyed || !conn.socket.writable) return;
    if (!conn.socket.write(buf)) {
      conn.writePaused = true;
      conn.socket.pause();
    }
  }
}
