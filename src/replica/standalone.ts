// A Raft node that owns its RPC listener: RpcServer + RaftTransport + ReplicaRuntime wired
// together. Tests and the raft-net benchmark use it; a dnode instead serves RAFT frames on
// its own RpcServer (transport.rpcHandler(next)) and builds the runtime the same way.
import { BasaltError } from '../common/errors.js';
import type { NodeId } from '../raft/index.js';
import { RpcClient, type RpcClientOptions } from '../rpc/client.js';
import { MsgType } from '../rpc/messages.js';
import { newNonce, peerHandshake, verifyPeerAuth } from '../rpc/peer-auth.js';
import type { RpcHandler, RpcServerConnection } from '../rpc/server.js';
import { RpcServer } from '../rpc/server.js';
import { ReplicaRuntime, type LogFn } from './runtime.js';
import { RaftTransport, type RaftTransportOptions } from './transport.js';

export interface RaftNodeOptions {
  readonly nodeId: NodeId;
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  readonly tickMs?: number;
  readonly transport?: Omit<RaftTransportOptions, 'nodeId' | 'log'>;
  /** Serves every frame type other than RAFT (for example a benchmark's client requests). */
  readonly next?: RpcHandler;
  readonly log?: LogFn;
  /**
   * The secret every connection proves before its first RAFT or `next` frame, as dnodes do
   * (rpc/peer-auth.ts). Defaults to STANDALONE_TEST_SECRET: standalone nodes are for tests
   * and benchmarks only; a dnode authenticates its peers with its cluster's secret.
   */
  readonly clusterSecret?: Buffer;
}

/** The default secret of standalone nodes (tests, benchmarks): never a dnode's. */
export const STANDALONE_TEST_SECRET = Buffer.alloc(32, 0x5a);

const HANDSHAKE_TYPES = { challenge: MsgType.PEER_CHALLENGE, auth: MsgType.PEER_AUTH };

/**
 * An RpcClient for a standalone node's `next` messages (a benchmark's client): it proves the
 * secret on each connection, as node `asId`.
 */
export function standaloneClient(
  o: RpcClientOptions,
  asId = 1_000_000,
  secret: Buffer = STANDALONE_TEST_SECRET,
): RpcClient {
  return new RpcClient({
    ...o,
    onConnect: (raw) =>
      peerHandshake(
        async (t, c) => (await raw(t, c)).control,
        { dnodeId: asId, clusterSecret: secret },
        `${o.host}:${o.port}`,
        HANDSHAKE_TYPES,
      ),
  });
}

/** Serves PEER_CHALLENGE and PEER_AUTH, then RAFT and `next` only on proven connections. */
function gatedHandler(transport: RaftTransport, secret: Buffer, next: RpcHandler | undefined): RpcHandler {
  const challenges = new WeakMap<RpcServerConnection, Buffer>();
  const proven = new WeakMap<RpcServerConnection, number>();
  return async (conn, frame) => {
    if (frame.msgType === MsgType.PEER_CHALLENGE) {
      const nonce = newNonce();
      challenges.set(conn, nonce);
      return { control: { nonce } };
    }
    if (frame.msgType === MsgType.PEER_AUTH) {
      const ns = challenges.get(conn);
      challenges.delete(conn);
      if (!ns) throw new BasaltError('AUTH_FAILURE', 'send PEER_CHALLENGE before PEER_AUTH');
      const p = verifyPeerAuth(secret, ns, frame.control);
      proven.set(conn, p.dnodeId);
      conn.markAuthenticated();
      return { control: p.reply };
    }
    const peer = proven.get(conn);
    if (peer === undefined)
      throw new BasaltError('AUTH_FAILURE', `message type ${frame.msgType} needs a connection that proved the secret`);
    if (frame.msgType === MsgType.RAFT) return transport.handleFrame(frame, peer);
    if (next) return next(conn, frame);
    throw new BasaltError('BAD_FRAME', `unknown message type ${frame.msgType} on a raft-only endpoint`);
  };
}

export interface RaftNode {
  readonly runtime: ReplicaRuntime;
  readonly transport: RaftTransport;
  readonly server: RpcServer;
  readonly port: number;
  close(): Promise<void>;
}

export async function startRaftNode(o: RaftNodeOptions): Promise<RaftNode> {
  const secret = o.clusterSecret ?? STANDALONE_TEST_SECRET;
  const transport = new RaftTransport({
    ...o.transport,
    nodeId: o.nodeId,
    ...(o.log ? { log: o.log } : {}),
    handshake: (request, ep) =>
      peerHandshake(request, { dnodeId: o.nodeId, clusterSecret: secret }, ep, HANDSHAKE_TYPES),
  });
  const server = new RpcServer({
    host: o.host,
    port: o.port,
    handler: gatedHandler(transport, secret, o.next),
    ...(o.log ? { log: (level: 'warn' | 'error', m: string) => o.log!(level, m) } : {}),
  });
  const port = await server.listen();
  const runtime = new ReplicaRuntime({
    nodeId: o.nodeId,
    transport,
    ...(o.tickMs ? { tickMs: o.tickMs } : {}),
    ...(o.log ? { log: o.log } : {}),
  });
  let closed = false;
  return {
    runtime,
    transport,
    server,
    port,
    async close() {
      if (closed) return;
      closed = true;
      await runtime.close();
      await server.close(0);
    },
  };
}
