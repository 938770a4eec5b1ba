// One RPC connection per remote dnode endpoint, opened lazily and kept (RpcClient reconnects
// after a drop). Used for status, raft, forwarding and control messages between dnodes.
// With `tls` (peerTls) the connections are TLS; `greet` runs first on each new connection
// (the receiving dnode reads large frames only from a connection that has logged in).
import { splitEndpoint } from '../common/endpoint.js';
import { BasaltError } from '../common/errors.js';
import { Limits } from '../common/limits.js';
import { RpcClient, type RawRequest, type RpcClientTls, type RpcResponse } from '../rpc/client.js';

export interface PeerPoolOptions {
  readonly tls?: RpcClientTls;
  readonly greet?: (raw: RawRequest) => Promise<void>;
}

export class PeerPool {
  private readonly clients = new Map<string, RpcClient>();
  private closed = false;

  constructor(
    private readonly maxFrameBytes: number,
    private readonly opts: PeerPoolOptions = {},
  ) {}

  request(
    ep: string,
    msgType: number,
    control: unknown,
    payload: readonly Uint8Array[] = [],
    timeoutMs: number = Limits.clusterRpcTimeoutMs,
  ): Promise<RpcResponse> {
    if (this.closed) return Promise.reject(new BasaltError('SHUTTING_DOWN', 'the dnode is stopping'));
    let c = this.clients.get(ep);
    if (!c) {
      const { host, port } = splitEndpoint(ep);
      c = new RpcClient({
        host,
        port,
        maxFrameBytes: this.maxFrameBytes,
        requestTimeoutMs: timeoutMs,
        connectTimeoutMs: Math.min(timeoutMs, Limits.rpcConnectTimeoutMs),
        ...(this.opts.tls ? { tls: this.opts.tls } : {}),
        ...(this.opts.greet ? { onConnect: this.opts.greet } : {}),
      });
      this.clients.set(ep, c);
    }
    return c.request(msgType, control, payload, timeoutMs);
  }

  close(): void {
    this.closed = true;
    for (const c of this.clients.values()) c.close();
    this.clients.clear();
  }
}
