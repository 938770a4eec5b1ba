// One remote node as seen by the Raft transport: a lazily (re)connected RpcClient, a bounded
// queue of frames, a bound on frames in flight, and reconnect backoff. Raft tolerates loss,
// so the rule under pressure is simple: when the queue is full or the peer is backing off,
// the frame is dropped and the caller is told (so the leader can mark the follower as
// unreachable and probe again), never buffered without bound.
import { BasaltError } from '../common/errors.js';
import { MsgType } from '../rpc/messages.js';
import { RpcClient } from '../rpc/client.js';

export interface PeerOptions {
  readonly maxQueuedFrames: number;
  readonly maxInFlightFrames: number;
  readonly connectTimeoutMs: number;
  readonly requestTimeoutMs: number;
  readonly backoffMinMs: number;
  readonly backoffMaxMs: number;
  readonly maxFrameBytes: number;
}

export interface PeerStats {
  framesSent: number;
  framesDropped: number;
  sendErrors: number;
  connectFailures: number;
}

export interface OutFrame {
  readonly control: unknown;
  /** Called when the frame is dropped or its send fails. */
  readonly onFail: () => void;
}

export class Peer {
  private client: RpcClient;
  private readonly queue: OutFrame[] = [];
  private inFlight = 0;
  private backoffMs: number;
  private retryAtMs = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private closed = false;
  readonly stats: PeerStats = { framesSent: 0, framesDropped: 0, sendErrors: 0, connectFailures: 0 };

  constructor(readonly id: number, readonly host: string, readonly port: number, private readonly opts: PeerOptions,
    private readonly log: (level: 'info' | 'warn', msg: string) => void) {
    this.backoffMs = opts.backoffMinMs;
    this.client = this.newClient();
  }

  get endpoint(): string { return `${this.host}:${this.port}`; }

  /** True while the last attempt failed and the backoff has not elapsed. */
  backingOff(nowMs = Date.now()): boolean { return nowMs < this.retryAtMs; }

  send(f: OutFrame): void {
    if (this.closed || this.backingOff() || this.queue.length >= this.opts.maxQueuedFrames) {
      this.stats.framesDropped++;
      f.onFail();
      return;
    }
    this.queue.push(f);
    this.pump();
  }

  close(): void {
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.dropQueue();
    this.client.close();
  }

  private newClient(): RpcClient {
    return new RpcClient({
      host: this.host, port: this.port, maxFrameBytes: this.opts.maxFrameBytes,
      connectTimeoutMs: this.opts.connectTimeoutMs, requestTimeoutMs: this.opts.requestTimeoutMs,
      maxInFlight: this.opts.maxInFlightFrames,
    });
  }

  private pump(): void {
    while (!this.closed && this.inFlight < this.opts.maxInFlightFrames && this.queue.length > 0 && !this.backingOff()) {
      const f = this.queue.shift()!;
      this.inFlight++;
      this.client.request(MsgType.RAFT, f.control, []).then(
        () => {
          this.inFlight--;
          this.stats.framesSent++;
          this.backoffMs = this.opts.backoffMinMs;
          this.pump();
        },
        (e: unknown) => {
          this.inFlight--;
          this.stats.sendErrors++;
          f.onFail();
          this.onError(e);
        },
      );
    }
  }

  private onError(e: unknown): void {
    if (this.closed) return;
    const be = e instanceof BasaltError ? e : undefined;
    // A peer that answered with an error (it rejected the frame) is reachable: no backoff.
    const unreachable = !be || be.errorName === 'CONNECTION_FAILED' || be.errorName === 'TIMEOUT' || be.errorName === 'SHUTTING_DOWN';
    if (!unreachable) {
      this.log('warn', `raft peer ${this.id} (${this.endpoint}) refused a frame: ${be.message}`);
      this.pump();
      return;
    }
    if (!this.backingOff()) {
      this.stats.connectFailures++;
      this.retryAtMs = Date.now() + this.backoffMs;
      if (this.backoffMs >= this.opts.backoffMaxMs) this.log('warn', `raft peer ${this.id} (${this.endpoint}) unreachable: ${(e as Error).message}`);
      this.backoffMs = Math.min(this.backoffMs * 2, this.opts.backoffMaxMs);
      this.dropQueue();
      if (this.retryTimer) clearTimeout(this.retryTimer);
      this.retryTimer = setTimeout(() => { this.retryTimer = undefined; this.pump(); }, this.retryAtMs - Date.now());
      this.retryTimer.unref();
    }
  }

  private dropQueue(): void {
    for (const f of this.queue.splice(0)) { this.stats.framesDropped++; f.onFail(); }
  }
}
