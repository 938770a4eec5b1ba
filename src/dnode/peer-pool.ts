// One RPC connection per remote dnode endpoint, opened lazily and kept (RpcClient reconnects
// after a drop). Used for status, raft, forwarding and control messages between dnodes.
// Every connection proves this dnode holds the cluster secret before its first request
// (rpc/peer-auth.ts); before this dnode has joined there is no secret and connections carry
// only what needs none (PEER_CHALLENGE, JOIN).
import { splitEndpoint } from '../common/endpoint.js';
import { BasaltError } from '../common/errors.js';
import { Limits } from '../common/limits.js';
import { RpcClient, type RpcClientTls, type RpcResponse } from '../rpc/client.js';
import { MsgType } from '../rpc/messages.js';
import { peerHandshake, type PeerCredentials } from '../rpc/peer-auth.js';

export interface PeerPoolOptions {
  /** Connect over TLS (peerTls). */
  readonly tls?: RpcClientTls;
}

export class PeerPool {
  private readonly clients = new Map<string, RpcClient>();
  private closed = false;

  constructor(
    private readonly maxFrameBytes: number,
    private readonly credentials: () => PeerCredentials | null = () => null,
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
        onConnect: async (raw) => {
          const creds = this.credentials();
          if (creds === null) return;
          await peerHandshake(async (t, ctl) => (await raw(t, ctl)).control, creds, ep, {
            challenge: MsgType.PEER_CHALLENGE,
            auth: MsgType.PEER_AUTH,
          });
        },
        ...(this.opts.tls ? { tls: this.opts.tls } : {}),
      });
      this.clients.set(ep, c);
    }
    return c.request(msgType, control, payload, timeoutMs);
  }

  /** Drops every connection, so the next requests open new ones (after joining: now with the secret). */
  reset(): void {
    for (const c of this.clients.values()) c.close();
    this.clients.clear();
  }

  close(): void {
    this.closed = true;
    this.reset();
  }
}
