// A Raft node that owns its RPC listener: RpcServer + RaftTransport + ReplicaRuntime wired
// together. Tests and the raft-net benchmark use it; a dnode instead serves RAFT frames on
// its own RpcServer (transport.rpcHandler(next)) and builds the runtime the same way.
import type { NodeId } from '../raft/index.js';
import type { RpcHandler } from '../rpc/server.js';
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
}

export interface RaftNode {
  readonly runtime: ReplicaRuntime;
  readonly transport: RaftTransport;
  readonly server: RpcServer;
  readonly port: number;
  close(): Promise<void>;
}

export async function startRaftNode(o: RaftNodeOptions): Promise<RaftNode> {
  const transport = new RaftTransport({ ...o.transport, nodeId: o.nodeId, ...(o.log ? { log: o.log } : {}) });
  const server = new RpcServer({
    host: o.host,
    port: o.port,
    handler: transport.rpcHandler(o.next),
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
