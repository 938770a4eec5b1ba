// The RPC client side: one TCP connection to one endpoint, many requests in flight over it,
// each matched to its response by requestId, each with its own timeout. The connection is
// opened lazily and reopened on the next request after it drops (the `onConnect` hook runs
// first, so a session can re-authenticate); requests in flight when it drops fail with
// CONNECTION_FAILED rather than hang. With `inProcess`, a server of this same process
// listening on host:port is reached over an in-process link instead of a socket (server.ts).
// Over TCP a large request payload is written by reference after the frame head (frame.ts
// encodeFrameParts), not copied into one frame buffer: a caller must not change the payload
// buffers it passed until the request settles.
import { connect as netConnect, isIP, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { assert } from '../common/assert.js';
import { BasaltError } from '../common/errors.js';
import { Limits } from '../common/limits.js';
import {
  decodeFrame,
  encodeFrame,
  encodeFrameParts,
  FLAG_ERROR,
  FrameDecoder,
  writeFrameParts,
  type DecodeEvent,
  type Frame,
} from './frame.js';
import { msgTypeName, parseErrorReply } from './messages.js';
import { remoteError } from './remote-error.js';
import { inProcessServer } from './server.js';

export interface RpcResponse {
  readonly control: unknown;
  readonly payload: Uint8Array;
}

export type RawRequest = (
  msgType: number,
  control: unknown,
  payload?: readonly Uint8Array[],
  timeoutMs?: number,
) => Promise<RpcResponse>;

export interface RpcClientOptions {
  readonly host: string;
  readonly port: number;
  readonly maxFrameBytes?: number;
  readonly requestTimeoutMs?: number;
  readonly connectTimeoutMs?: number;
  readonly maxInFlight?: number;
  /**
   * Reach an RpcServer of this process listening on host:port without a socket (same frames,
   * same handler; TCP when there is none). For a component embedded beside its dnode.
   */
  readonly inProcess?: boolean;
  /** Connect over TLS (the dnode has sslCert set); never over the in-process link. */
  readonly tls?: RpcClientTls;
  /** Runs after every (re)connect, before queued requests; may send requests via `raw`. */
  readonly onConnect?: (raw: RawRequest) => Promise<void>;
}

export interface RpcClientTls {
  /** PEM CA certificate(s) the server's certificate must chain to; default: the system's CAs. */
  readonly ca?: string | Buffer;
  /** Name the certificate must carry (default: host, when it is a name rather than an address). */
  readonly servername?: string;
  /** false accepts any certificate (testing only: the connection is then open to interception). */
  readonly rejectUnauthorized?: boolean;
}

/**
 * A failed TLS connect as the user should read it: a plain server (it answered our
 * ClientHello with an alert or non-TLS bytes) or a certificate problem.
 */
export function tlsConnectError(e: Error, endpoint: string): BasaltError {
  const code = (e as NodeJS.ErrnoException).code ?? '';
  const text = `${code} ${e.message}`;
  if (
    /WRONG_VERSION_NUMBER|ALERT_PROTOCOL_VERSION|UNSUPPORTED_PROTOCOL|ECONNRESET|PACKET_LENGTH_TOO_LONG|socket disconnected/i.test(
      text,
    )
  )
    return new BasaltError(
      'TLS_MISMATCH',
      `${endpoint} does not serve TLS (the dnode has no sslCert set); connect without --tls, or set sslCert and sslKey on the dnode`,
    );
  return new BasaltError(
    'TLS_HANDSHAKE_FAILED',
    `${endpoint}: ${e.message}${code ? ` (${code})` : ''}; pass the CA that signed the dnode's sslCert (--ca <file>) and connect by a name or address the certificate holds`,
  );
}

interface Pending {
  resolve: (r: RpcResponse) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
  msgType: number;
}

/** Where requests go: a TCP socket or an in-process link. */
interface Link {
  /** The in-process link takes each frame as one buffer; a socket takes encodeFrameParts' parts. */
  readonly whole: boolean;
  write(parts: readonly Uint8Array[]): void;
  destroy(): void;
}

export class RpcClient {
  private socket: Link | null = null;
  private connecting: Promise<void> | null = null;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private closed = false;
  private readonly maxFrameBytes: number;
  private readonly timeoutMs: number;
  private readonly connectTimeoutMs: number;
  private readonly maxInFlight: number;

  constructor(private readonly opts: RpcClientOptions) {
    this.maxFrameBytes = opts.maxFrameBytes ?? Limits.maxFrameBytes;
    this.timeoutMs = opts.requestTimeoutMs ?? Limits.rpcTimeoutMs;
    this.connectTimeoutMs = opts.connectTimeoutMs ?? Limits.rpcConnectTimeoutMs;
    this.maxInFlight = opts.maxInFlight ?? Limits.maxInFlightPerConnection;
  }

  get endpoint(): string {
    return `${this.opts.host}:${this.opts.port}`;
  }

  get connected(): boolean {
    return this.socket !== null && this.connecting === null;
  }

  /** Opens the connection now (otherwise the first request does). */
  async connect(): Promise<void> {
    await this.ensureConnected();
  }

  async request(
    msgType: number,
    control: unknown,
    payload: readonly Uint8Array[] = [],
    timeoutMs?: number,
  ): Promise<RpcResponse> {
    await this.ensureConnected();
    return this.send(msgType, control, payload, timeoutMs);
  }

  close(): void {
    this.closed = true;
    this.failAll(new BasaltError('CONNECTION_FAILED', `connection to ${this.endpoint} was closed by this client`));
    this.socket?.destroy();
    this.socket = null;
  }

  private ensureConnected(): Promise<void> {
    if (this.closed)
      return Promise.reject(
        new BasaltError('CONNECTION_FAILED', `the connection to ${this.endpoint} is closed; connect again`),
      );
    if (this.connecting) return this.connecting;
    if (this.socket) return Promise.resolve();
    this.connecting = this.open().finally(() => {
      this.connecting = null;
    });
    return this.connecting;
  }

  /** Whether the current connection is an in-process link (tests, diagnostics). */
  get inProcessLink(): boolean {
    return this.socket !== null && this.linkIsLocal;
  }

  private linkIsLocal = false;

  /** Handles one decoded event of the current link; false when the link must be dropped. */
  private onDecoded(ev: DecodeEvent): boolean {
    if (ev.kind === 'frame') this.onFrame(ev.frame);
    else if (ev.kind === 'bad') this.settle(ev.requestId, null, ev.error);
    else {
      this.failAll(ev.error);
      return false;
    }
    return true;
  }

  private linkClosed(link: Link): void {
    if (this.socket === link) this.socket = null;
    this.failAll(
      new BasaltError(
        'CONNECTION_FAILED',
        `connection to ${this.endpoint} lost; the request may or may not have been applied`,
      ),
    );
  }

  private async open(): Promise<void> {
    const link = (this.opts.inProcess && !this.opts.tls ? this.openInProcess() : null) ?? (await this.openTcp());
    this.socket = link;
    if (this.opts.onConnect) {
      try {
        await this.opts.onConnect((t, c, p = [], to) => this.send(t, c, p, to));
      } catch (e) {
        link.destroy();
        if (this.socket === link) this.socket = null;
        throw e;
      }
    }
  }

  private openInProcess(): Link | null {
    const server = inProcessServer(this.opts.host, this.opts.port);
    if (!server) return null;
    let link: Link | null = null;
    let open = true;
    const end = server.connectInProcess({
      deliver: (frame) => {
        if (!open) return;
        if (!this.onDecoded(decodeFrame(frame, this.maxFrameBytes))) link!.destroy();
      },
      closed: () => {
        open = false;
        this.linkClosed(link!);
      },
    });
    if (end === null) return null;
    link = {
      whole: true,
      write: (parts) => {
        const f = parts[0]!;
        end.send(Buffer.isBuffer(f) ? f : Buffer.from(f.buffer, f.byteOffset, f.byteLength));
      },
      destroy: () => end.close(),
    };
    this.linkIsLocal = true;
    return link;
  }

  private async openTcp(): Promise<Link> {
    const socket = await new Promise<Socket>((resolve, reject) => {
      const tls = this.opts.tls;
      const s = tls
        ? tlsConnect({
            host: this.opts.host,
            port: this.opts.port,
            ...(tls.ca !== undefined ? { ca: tls.ca } : {}),
            // SNI takes names only; an address is checked against the certificate's IP entries.
            ...(tls.servername !== undefined
              ? { servername: tls.servername }
              : isIP(this.opts.host) === 0
                ? { servername: this.opts.host }
                : {}),
            rejectUnauthorized: tls.rejectUnauthorized ?? true,
          })
        : netConnect({ host: this.opts.host, port: this.opts.port });
      const timer = setTimeout(() => {
        s.destroy();
        reject(
          new BasaltError(
            'CONNECTION_FAILED',
            `no answer from ${this.endpoint} within ${this.connectTimeoutMs} ms; check that the dnode runs and the host/port are right`,
          ),
        );
      }, this.connectTimeoutMs);
      s.once(tls ? 'secureConnect' : 'connect', () => {
        clearTimeout(timer);
        s.off('error', onErr);
        resolve(s);
      });
      let tcpUp = false;
      s.once('connect', () => {
        tcpUp = true;
      });
      const onErr = (e: Error): void => {
        clearTimeout(timer);
        if (tls && tcpUp) {
          reject(tlsConnectError(e, this.endpoint));
          return;
        }
        reject(
          new BasaltError(
            'CONNECTION_FAILED',
            `cannot connect to ${this.endpoint} (${(e as NodeJS.ErrnoException).code ?? e.message}); check that the dnode runs and the host/port are right`,
          ),
        );
      };
      s.once('error', onErr);
    });
    socket.setNoDelay(true);
    const decoder = new FrameDecoder(this.maxFrameBytes);
    const link: Link = {
      whole: false,
      write: (parts) => {
        writeFrameParts(socket, parts);
      },
      destroy: () => socket.destroy(),
    };
    socket.on('data', (chunk: Buffer) => {
      for (const ev of decoder.push(chunk))
        if (!this.onDecoded(ev)) {
          socket.destroy();
          return;
        }
    });
    socket.on('error', () => {
      /* 'close' follows */
    });
    socket.on('close', () => this.linkClosed(link));
    this.linkIsLocal = false;
    return link;
  }

  private send(
    msgType: number,
    control: unknown,
    payload: readonly Uint8Array[],
    timeoutMs?: number,
  ): Promise<RpcResponse> {
    const socket = this.socket;
    if (!socket) return Promise.reject(new BasaltError('CONNECTION_FAILED', `not connected to ${this.endpoint}`));
    if (this.pending.size >= this.maxInFlight) {
      return Promise.reject(
        new BasaltError(
          'QUEUE_FULL',
          `more than ${this.maxInFlight} requests in flight to ${this.endpoint}; wait for replies first`,
        ),
      );
    }
    const id = this.nextId;
    // 0 is the server's id for errors about the connection itself (onFrame fails everything on
    // it); a live id cannot come round again while at most maxInFlight requests are pending.
    assert(id >= 1 && id <= 0xffffffff && !this.pending.has(id), 'request id is 0, out of u32 range or still pending');
    this.nextId = this.nextId >= 0xffffffff ? 1 : this.nextId + 1;
    let parts: readonly Uint8Array[];
    try {
      parts = socket.whole
        ? [encodeFrame(0, msgType, id, control, payload, this.maxFrameBytes)]
        : encodeFrameParts(0, msgType, id, control, payload, this.maxFrameBytes);
    } catch (e) {
      return Promise.reject(e);
    }
    return new Promise<RpcResponse>((resolve, reject) => {
      const ms = timeoutMs ?? this.timeoutMs;
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new BasaltError('TIMEOUT', `no reply to ${msgTypeName(msgType)} from ${this.endpoint} within ${ms} ms`));
      }, ms);
      this.pending.set(id, { resolve, reject, timer, msgType });
      assert(this.pending.size <= this.maxInFlight, 'more requests pending than maxInFlight');
      socket.write(parts);
    });
  }

  private onFrame(f: Frame): void {
    if (f.flags & FLAG_ERROR) {
      const er = parseErrorReply(f.control);
      if (f.requestId === 0) {
        this.failAll(remoteError(er.code, er.message, er.data));
        return;
      }
      this.settle(f.requestId, null, remoteError(er.code, er.message, er.data));
      return;
    }
    this.settle(f.requestId, { control: f.control, payload: f.payload }, null);
  }

  private settle(id: number, r: RpcResponse | null, e: Error | null): void {
    const p = this.pending.get(id);
    if (!p) return; // late reply after a timeout
    this.pending.delete(id);
    clearTimeout(p.timer);
    if (e) p.reject(e);
    else p.resolve(r!);
  }

  private failAll(e: Error): void {
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      this.pending.delete(id);
      p.reject(e);
    }
    assert(this.pending.size === 0, 'failAll left requests pending');
  }
}
