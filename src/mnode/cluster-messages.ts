// Intra-cluster RPC messages (dnode ↔ dnode), on the same port and framing as the client
// messages of src/rpc/messages.ts, numbered from 40 so the two sets never collide. A dnode
// reads them only on a connection that proved it holds the cluster secret (PEER_AUTH,
// rpc/peer-auth.ts); JOIN alone needs no secret, only a join token's proof.
import { BasaltError } from '../common/errors.js';
import type { WireColumn } from '../rpc/messages.js';
import type { UsersState } from './users.js';

export const ClusterMsg = {
  /** dnode → mnode leader every statusInterval; also how a new dnode joins. */
  STATUS_REPORT: 40,
  // 41 was the mnode's own Raft message; Raft now travels as src/rpc MsgType.RAFT (src/replica).
  /** A statement forwarded by a gateway dnode (to the mnode leader, or to a database's dnode). */
  FORWARD: 42,
  /** Who are you: cluster id and dnode id (the leader probes created dnodes that never reported). */
  HELLO: 43,
  /** Leader → dnode: start (as an empty learner) or stop the local mnode replica. */
  MNODE_CTL: 44,
  /** Leader/gateway → dnode: read variables or change a run-time config key. */
  DNODE_CFG: 45,
  /** A follower replica → its vgroup leader's dnode: propose this mutation payload ({ vgId }). */
  VNODE_PROPOSE: 46,
  /** A dnode without a replica of a vgroup → a replica: its table meta after a read barrier ({ vgId, epoch?, version? }). */
  VNODE_META: 47,
  /** → a replica: run this select subplan after a read barrier ({ vgId, kind }, payload: v8-serialized subplan). */
  VNODE_SUBPLAN: 48,
  /** mnode leader → a dnode: host / stop hosting a replica of a vgroup, or update a vgroup's placement. */
  VNODE_CTL: 49,
  /** A new dnode with a join token → the mnode leader: admit me, seal me the cluster secret. */
  JOIN: 50,
  /** Mnode leader → a dnode: users or grants changed (version); ask for them now, not at the next status. */
  USERS_CHANGED: 51,
  /**
   * Mnode leader → a ready dnode: connect to this dnode endpoint ({ ep }) and say whether it
   * answers (ReachReply), so a new dnode is ready only once another dnode than the leader reaches it.
   */
  REACH: 52,
} as const;

/**
 * The leader is checking that it (and one other dnode) reaches the dnode at its endpoint, or
 * could not: `note` is what `show dnodes` shows, with the cause and the fix.
 */
export interface ReachState {
  checking: boolean;
  note: string;
}

export interface ReachRequest {
  ep: string;
}
/** `note` (when not ok): why, in the words `show dnodes` shows (rpc/reachability.ts unreachableNote). */
export interface ReachReply {
  ok: boolean;
  note?: string;
}

/** Every cluster message type is at least this (client message types are below). */
export const CLUSTER_MSG_FIRST = 40;

export function clusterMsgName(t: number): string {
  for (const [k, v] of Object.entries(ClusterMsg)) if (v === t) return k;
  return `type ${t}`;
}

/** The config keys that must be equal on every dnode (TDengine's cluster-cfg check). */
export const MATCHED_KEYS = ['statusInterval', 'timezone', 'locale', 'charset', 'ttlChangeOnWrite', 'version'] as const;
export type MatchedKey = (typeof MATCHED_KEYS)[number];

export interface StatusReport {
  dnodeId: number;
  clusterId: string;
  endpoint: string;
  rebootTimeMs: number;
  supportVnodes: number;
  cfg: Record<MatchedKey, string>;
  /** Random per process start: two processes reporting as one dnode differ here. */
  bootId?: string;
  /** rpc/peer-auth.ts statusProof with the dnode's own secret (absent before it has one). */
  proof?: Uint8Array;
  /** The users version this dnode caches (src/dnode/user-cache.ts); absent from older dnodes. */
  usersVersion?: number;
}

/** A new dnode asks to join (after PEER_CHALLENGE on the same connection). */
export interface JoinRequest {
  /** rpc/peer-auth.ts joinTokenId of the token it holds. */
  tokenId: string;
  nonce: Uint8Array;
  /** joinProof(token, server nonce, nonce, report.endpoint). */
  proof: Uint8Array;
  report: StatusReport;
}

/** `ok` is a status `ok` plus the secrets sealed under the token (openJoinSecrets). */
export type JoinReply =
  | (Extract<StatusReply, { kind: 'ok' }> & { sealed: Uint8Array })
  | Exclude<StatusReply, { kind: 'ok' }>;

export interface EpEntry {
  id: number;
  ep: string;
}
export interface PlacementEntry {
  db: string;
  dnodeId: number;
  ep: string;
  /** Replicated databases: every dnode with a replica (any of them can run a statement). */
  hosts?: EpEntry[];
  /** Replicated databases: each vgroup's replica dnodes, as the mnode has them now. */
  vgroups?: Array<{ vgId: number; dnodeIds: number[] }>;
  /** Replicated databases: the options of create database (for a dnode that records it late). */
  options?: Record<string, unknown>;
}

export type StatusReply =
  | {
      kind: 'ok';
      dnodeId: number;
      clusterId: string;
      dnodeEps: EpEntry[];
      mnodeEps: string[];
      leaderEp: string;
      placement: PlacementEntry[];
      /** Dnodes the leader shows offline (for replica roles in show vgroups); absent from older leaders. */
      offline?: number[];
      /** The mnode commit index the placement is as of. */
      placementIndex?: number;
      /** Users and grants, when newer than the reporter's `usersVersion`. */
      users?: UsersState;
      /** Present while the dnode is not ready although its status was accepted (see ReachState). */
      reach?: ReachState;
    }
  | { kind: 'redirect'; mnodeEps: string[]; leaderEp: string | null }
  | { kind: 'refused'; code: number; message: string }
  | { kind: 'dropped'; message: string };

export interface ForwardRequest {
  sql: string;
  db: string | null;
  user: string;
  /**
   * 'mnode': run on the mnode leader (cluster statements); 'data': run on this dnode's engine;
   * 'host': the leader tells this dnode to record a replicated database and open its replicas;
   * 'unhost': the leader undoes that (a placement that failed): `db` names the database;
   * 'vnodes': this dnode's rows of `show vnodes` (a gateway gathering every dnode's);
   * 'insert': columnar rows for a database this dnode holds (`insert`: an INSERT_COLUMNAR
   * request; the payload carries its blocks).
   */
  target: 'mnode' | 'data' | 'host' | 'unhost' | 'vnodes' | 'insert';
  host?: HostDatabase;
  insert?: unknown;
  /** Hops so far; a forward loop stops at Limits.maxMnodeLeaderHops. */
  hops: number;
}
export interface HostDatabase {
  name: string;
  /** The options given to create database (JSON of Partial<DbOptions>). */
  options: Record<string, unknown>;
  /** `moved`: the placement changed after creation, so a replica first opened now founds nothing. */
  vgroups: { vgId: number; dnodeIds: number[]; moved?: boolean }[];
  /** The mnode commit index this placement is as of (orders it against status replies). */
  index?: number;
}

export interface ForwardReply {
  kind: 'query' | 'exec';
  verb: string;
  columns: WireColumn[];
  precision: 'ms' | 'us' | 'ns';
  affectedRows: number;
  useDb: string | null;
  numBlocks: number;
}

export interface HelloRequest {
  askerClusterId: string;
  askerEp: string;
}
export interface HelloReply {
  clusterId: string;
  dnodeId: number;
  endpoint: string;
}

export interface MnodeCtlRequest {
  action: 'start' | 'stop';
  clusterId: string;
  dnodeId: number;
  peers: EpEntry[];
}

export type DnodeCfgRequest = { action: 'get' } | { action: 'set'; key: string; value: string };
export interface DnodeCfgReply {
  variables: Array<{ name: string; value: string; scope: string }>;
}

/** Control parts arrive as untrusted msgpack maps; anything not a map is a BAD_FRAME. */
export function asMap<T>(c: unknown, what: string): T {
  if (c === null || typeof c !== 'object' || Array.isArray(c))
    throw new BasaltError('BAD_FRAME', `${what} control part must be a map`);
  return c as T;
}

/** VNODE_CTL: what the mnode's reconciler asks of a vgroup's leader. */
export interface VnodeCtl {
  readonly action: 'status' | 'addLearner' | 'promote' | 'remove' | 'transfer';
  /** The replica (dnode id) the action is about. */
  readonly node?: number;
}

export interface VnodeCtlReply {
  readonly leader: number;
  readonly voters: number[];
  readonly learners: number[];
  readonly commit: number;
  /** [dnodeId, match index] for every replica the leader tracks. */
  readonly match: Array<[number, number]>;
}
