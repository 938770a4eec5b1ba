// One remote node as seen by the Raft transport: a lazily opened TCP connection to its RPC
// port carrying one-way RAFT frames (no response per frame: Raft has its own
// acknowledgements, and a reply per frame would double the writes on the commit path).
// Bounds: frames queued while connecting, and bytes buffered in the socket when the peer
// reads slower than we write. Raft tolerates loss, so under pressure a frame is dropped
// and the caller told (the leader marks the follower unreachable and probes again), never
// buffered without bound. A failed connection backs off (doubling, capped) before retrying.
// A frame goes out as its head plus the entry buffers themselves (frame.ts encodeFrameParts),
// written in one corked batch: the entry data is never copied on the send side.
import { connect as netConnect, isIP, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { assert } from '../common/assert.js';
import { Limits } from '../common/limits.js';
import { encodeFrameParts, FLAG_ONEWAY, writeFrameParts } from '../rpc/frame.js';
import { MsgType } from '../rpc/messages.js';
import type { HandshakeRequest } from '../rpc/peer-auth.js';
import { socketRequester } from '../rpc/socket-handshake.js';

export interface PeerOptions {
  readonly maxQueuedFrames: number;
  readonly maxBufferedBytes: number;
  readonly connectTimeoutMs: number;
  readonly backoffMinMs: number;
  readonly backoffMaxMs: number;
  readonly maxFrameBytes: number;
  /**
   * Proves who we are before the first Raft frame (rpc/peer-auth.ts), over request/response
   * frames on the fresh connection; a rejection closes it and counts as a failed connect.
   */
  readonly handshake?: (request: HandshakeRequest, endpoint: string) => Promise<void>;
  /** Connect over TLS, verifying the peer's certificate against `ca` (peerTls). */
  readonly tls?: { readonly ca?: string | Buffer };
}

export interface PeerStats {
  framesSent: number;
  framesDropped: number;
  connectFailures: number;
  disconnects: number;
}

export interface OutFrame {
  readonly control: unknown;
  /** Payload parts, written by reference: they must not change after send(). */
  readonly payload: readonly Uint8Array[];
  /** Called when the frame is dropped before it reached the socket. */
  readonly onFail: () => void;
}

export class Peer {
  private socket: Socket | null = null;
  private connecting = false;
  private queue: { parts: readonly Uint8Array[]; onFail: () => void }[] = [];
  private backoffMs: number;
  private retryAtMs = 0;
  private closed = false;
  readonly stats: PeerStats = { framesSent: 0, framesDropped: 0, connectFailures: 0, disconnects: 0 };

  constructor(
    readonly id: number,
    readonly host: string,
    readonly port: number,
    private readonly opts: PeerOptions,
    private readonly log: (level: 'info' | 'warn', msg: string) => void,
    /** The connection to the peer failed or dropped: frames written to it may be lost. */
    private readonly onDown: () => void,
  ) {
    this.backoffMs = opts.backoffMinMs;
  }

  get endpoint(): string {
    return `${this.host}:${this.port}`;
  }

  get connected(): boolean {
    return this.socket !== null && !this.connecting;
  }

  send(f: OutFrame): void {
    if (this.closed || Date.now() < this.retryAtMs) return this.drop(f.onFail);
    let parts: readonly Uint8Array[];
    try {
      parts = encodeFrameParts(FLAG_ONEWAY, MsgType.RAFT, 0, f.control, f.payload, this.opts.maxFrameBytes);
    } catch (e) {
      this.log('warn', `raft frame for node ${this.id} not sent: ${(e as Error).message}`);
      return this.drop(f.onFail);
    }
    if (this.socket && !this.connecting) {
      if (this.socket.writableLength > this.opts.maxBufferedBytes) return this.drop(f.onFail);
      writeFrameParts(this.socket, parts);
      this.stats.framesSent++;
      return;
    }
    if (this.queue.length >= this.opts.maxQueuedFrames) return this.drop(f.onFail);
    this.queue.push({ parts, onFail: f.onFail });
    assert(this.queue.length <= this.opts.maxQueuedFrames, 'raft peer queue beyond maxQueuedFrames');
    if (!this.connecting) this.open();
  }

  /** Drops an open connection (the next frame reconnects at once); false if none was up. */
  reset(): boolean {
    if (!this.socket || this.connecting) return false;
    this.socket.destroy();
    return true;
  }

  close(): void {
    this.closed = true;
    this.dropQueue();
    this.socket?.destroy();
    this.socket = null;
  }

  private drop(onFail: () => void): void {
    this.stats.framesDropped++;
    onFail();
  }

  private open(): void {
    this.connecting = true;
    const tls = this.opts.tls;
    const s = tls
      ? tlsConnect({
          host: this.host,
          port: this.port,
          ...(tls.ca ? { ca: tls.ca } : {}),
          ...(isIP(this.host) === 0 ? { servername: this.host } : {}),
        })
      : netConnect({ host: this.host, port: this.port });
    this.socket = s;
    s.setNoDelay(true);
    const timer = setTimeout(
      () => s.destroy(new Error(`no answer within ${this.opts.connectTimeoutMs} ms`)),
      this.opts.connectTimeoutMs,
    );
    timer.unref();
    s.once(tls ? 'secureConnect' : 'connect', () => {
      const hs = this.opts.handshake;
      if (!hs) {
        this.up(s, timer);
        return;
      }
      const r = socketRequester(s, this.endpoint, this.opts.connectTimeoutMs);
      hs(r.request, this.endpoint).then(
        () => {
          r.detach();
          if (this.socket === s && !s.destroyed) this.up(s, timer);
        },
        (e: Error) => {
          r.detach();
          s.destroy(e);
        },
      );
    });
    // The peer answers one-way frames only when it cannot read them (an error frame before
    // it closes the connection); the close that follows is what matters.
    s.on('data', () => undefined);
    s.on('error', (e) => {
      clearTimeout(timer);
      if (this.connecting) {
        this.stats.connectFailures++;
        if (this.backoffMs >= this.opts.backoffMaxMs || e.name === 'BasaltError')
          this.log('warn', `raft peer ${this.id} (${this.endpoint}) unreachable: ${e.message}`);
      }
    });
    s.on('close', () => {
      clearTimeout(timer);
      if (this.socket !== s) return;
      const wasUp = !this.connecting;
      this.socket = null;
      this.connecting = false;
      if (this.closed) return;
      if (wasUp) this.stats.disconnects++;
      // Back off before the next attempt; frames meanwhile are dropped.
      this.retryAtMs = Date.now() + (wasUp ? 0 : this.backoffMs);
      if (!wasUp) this.backoffMs = Math.min(this.backoffMs * 2, this.opts.backoffMaxMs);
      this.dropQueue();
      this.onDown();
    });
  }

  /** The connection is ready for Raft frames: send what queued while it opened. */
  private up(s: Socket, timer: NodeJS.Timeout): void {
    clearTimeout(timer);
    this.connecting = false;
    this.backoffMs = this.opts.backoffMinMs;
    // Keepalive notices a peer host that vanished without closing the connection.
    s.setKeepAlive(true, Limits.raftPeerKeepAliveMs);
    s.cork();
    for (const q of this.queue.splice(0)) {
      writeFrameParts(s, q.parts);
      this.stats.framesSent++;
    }
    s.uncork();
  }

  private dropQueue(): void {
    for (const q of this.queue.splice(0)) this.drop(q.onFail);
  }
}
