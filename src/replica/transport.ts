// RaftTransport: moves MultiRaft envelopes between nodes over the framed RPC layer. Outgoing:
// one envelope per peer per Ready round (MultiRaft already coalesced the heartbeats of every
// group into it), split into frames of bounded size, sent one-way per peer (peer.ts).
// Incoming: an RPC frame of type RAFT is decoded and validated (wire.ts; entry data are views
// into the frame payload), then handed to the runtime; one-way frames get no reply, ordinary requests a `nil` receipt. A frame that fails validation is answered with
// BAD_FRAME and counted; the Raft state never sees it.
import { BasaltError } from '../common/errors.js';
import { Limits } from '../common/limits.js';
import type { NodeEnvelope } from '../raft/multi-raft.js';
import type { NodeId } from '../raft/index.js';
import type { Frame } from '../rpc/frame.js';
import { MsgType } from '../rpc/messages.js';
import type { RpcHandler, RpcReply } from '../rpc/server.js';
import { decodeEnvelope, encodeEnvelope, envelopeDataBytes } from './wire.js';
import { Peer, type PeerOptions, type PeerStats } from './peer.js';

export interface RaftTransportOptions {
  readonly nodeId: NodeId;
  readonly maxQueuedFramesPerPeer?: number;
  readonly maxBufferedBytesPerPeer?: number;
  readonly frameTargetBytes?: number;
  readonly connectTimeoutMs?: number;
  readonly backoffMinMs?: number;
  readonly backoffMaxMs?: number;
  readonly maxFrameBytes?: number;
  /** TLS to peers (peerTls) and the one-way frame each new connection starts with: see PeerOptions. */
  readonly tls?: PeerOptions['tls'];
  readonly log?: (level: 'info' | 'warn' | 'error', msg: string) => void;
  /** Run on each new connection before its first frame (peer authentication, see peer.ts). */
  readonly handshake?: PeerOptions['handshake'];
}

export interface TransportSink {
  /** A validated envelope addressed to this node. */
  deliver(env: NodeEnvelope): void;
  /** `env` (or part of it) could not be sent to `env.to`. */
  undelivered(env: NodeEnvelope): void;
  /** The connection to `peer` failed or dropped; what was written to it may be lost. */
  peerDown(peer: NodeId): void;
}

export class RaftTransport {
  private readonly peers = new Map<NodeId, Peer>();
  private readonly peerOpts: PeerOptions;
  private readonly frameTargetBytes: number;
  private readonly log: (level: 'info' | 'warn' | 'error', msg: string) => void;
  private sink: TransportSink | undefined;
  private closed = false;
  readonly stats = { framesReceived: 0, badFrames: 0, envelopesSent: 0 };

  constructor(readonly opts: RaftTransportOptions) {
    this.peerOpts = {
      maxQueuedFrames: opts.maxQueuedFramesPerPeer ?? Limits.maxRaftPeerQueuedFrames,
      maxBufferedBytes: opts.maxBufferedBytesPerPeer ?? Limits.maxRaftPeerBufferedBytes,
      connectTimeoutMs: opts.connectTimeoutMs ?? Limits.raftPeerConnectTimeoutMs,
      backoffMinMs: opts.backoffMinMs ?? Limits.raftPeerBackoffMinMs,
      backoffMaxMs: opts.backoffMaxMs ?? Limits.raftPeerBackoffMaxMs,
      maxFrameBytes: opts.maxFrameBytes ?? Limits.maxFrameBytes,
      ...(opts.handshake ? { handshake: opts.handshake } : {}),
      ...(opts.tls ? { tls: opts.tls } : {}),
    };
    this.frameTargetBytes = Math.min(
      opts.frameTargetBytes ?? Limits.raftFrameTargetBytes,
      this.peerOpts.maxFrameBytes / 2,
    );
    this.log = opts.log ?? (() => undefined);
  }

  get nodeId(): NodeId {
    return this.opts.nodeId;
  }

  /** The runtime that receives envelopes; set once. */
  attach(sink: TransportSink): void {
    if (this.sink) throw new BasaltError('INTERNAL', 'a RaftTransport serves one runtime');
    this.sink = sink;
  }

  /** Sets (or changes) where node `id` listens. */
  setPeer(id: NodeId, host: string, port: number): void {
    if (id === this.opts.nodeId) return;
    const cur = this.peers.get(id);
    if (cur && cur.host === host && cur.port === port) return;
    cur?.close();
    this.peers.set(id, new Peer(id, host, port, this.peerOpts, this.log, () => this.sink?.peerDown(id)));
  }

  /** Closes the connection to node `id` so the next frame opens a new one; false if none was up. */
  resetPeer(id: NodeId): boolean {
    return this.peers.get(id)?.reset() ?? false;
  }

  removePeer(id: NodeId): void {
    this.peers.get(id)?.close();
    this.peers.delete(id);
  }

  hasPeer(id: NodeId): boolean {
    return this.peers.has(id);
  }

  /** `host:port` of a peer, if known (leader hints in NOT_LEADER errors). */
  endpointOf(id: NodeId): string | undefined {
    return this.peers.get(id)?.endpoint;
  }

  send(envs: readonly NodeEnvelope[]): void {
    for (const env of envs) {
      const peer = this.peers.get(env.to);
      if (!peer || this.closed) {
        this.sink?.undelivered(env);
        continue;
      }
      this.stats.envelopesSent++;
      for (const part of this.split(env)) {
        const w = encodeEnvelope(part);
        peer.send({ control: w.control, payload: w.payload, onFail: () => this.sink?.undelivered(part) });
      }
    }
  }

  /**
   * The RPC handler part for frames of type RAFT. `fromPeer`: the node the connection
   * authenticated as; an envelope claiming another sender is refused.
   */
  handleFrame(frame: Frame, fromPeer?: NodeId): RpcReply {
    return this.handleControl(frame.control, frame.payload, fromPeer);
  }

  /** The same for a dispatcher that hands over the decoded control part and the frame payload. */
  handleControl(control: unknown, payload: Uint8Array, fromPeer?: NodeId): RpcReply {
    if (this.closed) throw new BasaltError('SHUTTING_DOWN', `raft on node ${this.opts.nodeId} is stopping`);
    let env: NodeEnvelope;
    try {
      env = decodeEnvelope(control, payload);
    } catch (e) {
      this.stats.badFrames++;
      throw e;
    }
    if (env.to !== this.opts.nodeId) {
      this.stats.badFrames++;
      throw new BasaltError(
        'BAD_FRAME',
        `RAFT envelope for node ${env.to} reached node ${this.opts.nodeId}; check the peer endpoints`,
      );
    }
    if (fromPeer !== undefined && env.from !== fromPeer) {
      this.stats.badFrames++;
      throw new BasaltError(
        'AUTH_FAILURE',
        `RAFT envelope from node ${env.from} arrived on the connection of node ${fromPeer}; a node speaks only for itself`,
      );
    }
    this.stats.framesReceived++;
    this.sink?.deliver(env);
    return { control: null };
  }

  /** An RpcHandler that serves RAFT frames and passes every other type to `next`. */
  rpcHandler(next?: RpcHandler): RpcHandler {
    return async (conn, frame) => {
      if (frame.msgType === MsgType.RAFT) return this.handleFrame(frame);
      if (next) return next(conn, frame);
      throw new BasaltError('BAD_FRAME', `unknown message type ${frame.msgType} on a raft-only endpoint`);
    };
  }

  peerStats(): Record<NodeId, PeerStats & { endpoint: string }> {
    const out: Record<NodeId, PeerStats & { endpoint: string }> = {};
    for (const [id, p] of this.peers) out[id] = { ...p.stats, endpoint: p.endpoint };
    return out;
  }

  close(): void {
    this.closed = true;
    for (const p of this.peers.values()) p.close();
    this.peers.clear();
  }

  /** Splits an envelope whose entries would exceed the frame target into several. */
  private split(env: NodeEnvelope): NodeEnvelope[] {
    if (envelopeDataBytes(env) <= this.frameTargetBytes) return [env];
    const out: NodeEnvelope[] = [];
    let cur: NodeEnvelope['messages'][number][] = [];
    let bytes = 0;
    const flush = (first: boolean): void => {
      out.push({
        from: env.from,
        to: env.to,
        heartbeats: first ? env.heartbeats : [],
        heartbeatResps: first ? env.heartbeatResps : [],
        messages: cur,
      });
      cur = [];
      bytes = 0;
    };
    for (const m of env.messages) {
      const b = envelopeDataBytes({ from: 0, to: 0, heartbeats: [], heartbeatResps: [], messages: [m] });
      if (cur.length > 0 && bytes + b > this.frameTargetBytes) flush(out.length === 0);
      cur.push(m);
      bytes += b;
    }
    flush(out.length === 0);
    return out;
  }
}
