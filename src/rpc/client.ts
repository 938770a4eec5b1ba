// The RPC client side: one TCP connection to one endpoint, many requests in flight over it,
// each matched to its response by requestId, each with its own timeout. The connection is
// opened lazily and reopened on the next request after it drops (the `onConnect` hook runs
// first, so a session can re-authenticate); requests in flight when it drops fail with
// CONNECTION_FAILED rather than hang.
import { connect as netConnect, type Socket } from 'node:net';
import { BasaltError } from '../common/errors.js';
import { Limits } from '../common/limits.js';
import { encodeFrame, FLAG_ERROR, FrameDecoder, type Frame } from './frame.js';
import { msgTypeName, parseErrorReply } from './messages.js';
import { remoteError } from './remote-error.js';

export interface RpcResponse {
  readonly control: unknown;
  readonly payload: Uint8Array;
}

export type RawRequest = (msgType: number, control: unknown, payload?: readonly Uint8Array[], timeoutMs?: number) => Promise<RpcResponse>;

export interface RpcClientOptions {
  readonly host: string;
  readonly port: number;
  readonly maxFrameBytes?: number;
  readonly requestTimeoutMs?: number;
  readonly connectTimeoutMs?: number;
  readonly maxInFlight?: number;
  /** Runs after every (re)connect, before queued requests; may send requests via `raw`. */
  readonly onConnect?: (raw: RawRequest) => Promise<void>;
}

interface Pending {
  resolve: (r: RpcResponse) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
  msgType: number;
}

export class RpcClient {
  private socket: Socket | null = null;
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

  async request(msgType: number, control: unknown, payload: readonly Uint8Array[] = [], timeoutMs?: number): Promise<RpcResponse> {
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
    if (this.closed) return Promise.reject(new BasaltError('CONNECTION_FAILED', `the connection to ${this.endpoint} is closed; connect again`));
    if (this.connecting) return this.connecting;
    if (this.socket) return Promise.resolve();
    this.connecting = this.open().finally(() => { this.connecting = null; });
    return this.connecting;
  }

  private async open(): Promise<void> {
    const socket = await new Promise<Socket>((resolve, reject) => {
      const s = netConnect({ host: this.opts.host, port: this.opts.port });
      const timer = setTimeout(() => {
        s.destroy();
        reject(new BasaltError('CONNECTION_FAILED', `no answer from ${this.endpoint} within ${this.connectTimeoutMs} ms; check that the dnode runs and the host/port are right`));
      }, this.connectTimeoutMs);
      s.once('connect', () => { clearTimeout(timer); s.off('error', onErr); resolve(s); });
      const onErr = (e: Error): void => {
        clearTimeout(timer);
        reject(new BasaltError('CONNECTION_FAILED', `cannot connect to ${this.endpoint} (${(e as NodeJS.ErrnoException).code ?? e.message}); check that the dnode runs and the host/port are right`));
      };
      s.once('error', onErr);
    });
    socket.setNoDelay(true);
    const decoder = new FrameDecoder(this.maxFrameBytes);
    socket.on('data', (chunk: Buffer) => {
      for (const ev of decoder.push(chunk)) {
        if (ev.kind === 'frame') this.onFrame(ev.frame);
        else if (ev.kind === 'bad') this.settle(ev.requestId, null, ev.error);
        else { this.failAll(ev.error); socket.destroy(); return; }
      }
    });
    socket.on('error', () => { /* 'close' follows */ });
    socket.on('close', () => {
      if (this.socket === socket) this.socket = null;
      this.failAll(new BasaltError('CONNECTION_FAILED', `connection to ${this.endpoint} lost; the request may or may not have been applied`));
    });
    this.socket = socket;
    if (this.opts.onConnect) {
      try {
        await this.opts.onConnect((t, c, p = [], to) => this.send(t, c, p, to));
      } catch (e) {
        socket.destroy();
        if (this.socket === socket) this.socket = null;
        throw e;
      }
    }
  }

  private send(msgType: number, control: unknown, payload: readonly Uint8Array[], timeoutMs?: number): Promise<RpcResponse> {
    const socket = this.socket;
    if (!socket) return Promise.reject(new BasaltError('CONNECTION_FAILED', `not connected to ${this.endpoint}`));
    if (this.pending.size >= this.maxInFlight) {
      return Promise.reject(new BasaltError('QUEUE_FULL', `more than ${this.maxInFlight} requests in flight to ${this.endpoint}; wait for replies first`));
    }
    const id = this.nextId;
    this.nextId = this.nextId >= 0xffffffff ? 1 : this.nextId + 1;
    let buf: Buffer;
    try { buf = encodeFrame(0, msgType, id, control, payload, this.maxFrameBytes); }
    catch (e) { return Promise.reject(e); }
    return new Promise<RpcResponse>((resolve, reject) => {
      const ms = timeoutMs ?? this.timeoutMs;
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new BasaltError('TIMEOUT', `no reply to ${msgTypeName(msgType)} from ${this.endpoint} within ${ms} ms`));
      }, ms);
      this.pending.set(id, { resolve, reject, timer, msgType });
      socket.write(buf);
    });
  }

  private onFrame(f: Frame): void {
    if (f.flags & FLAG_ERROR) {
      const er = parseErrorReply(f.control);
      if (f.requestId === 0) { this.failAll(remoteError(er.code, er.message, er.data)); return; }
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
    if (e) p.reject(e); else p.resolve(r!);
  }

  private failAll(e: Error): void {
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      this.pending.delete(id);
      p.reject(e);
    }
  }
}
