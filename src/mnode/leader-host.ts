// What the mnode leader's code (status handling, cluster statements, reconciler) needs of the
// dnode that hosts it, and the typed requests and results of cluster statements. The dnode
// (src/dnode/cluster-node.ts, src/dnode/gateway.ts) implements the host and turns parsed
// statements into requests; mnode/ never imports dnode/, engine/ or sql/.
import type { JoinTokenRecord } from './cluster-state.js';
import type { DbOptions } from '../common/db-options.js';
import { DataType, TYPE_BYTES } from '../common/types.js';
import type { RpcResponse } from '../rpc/client.js';
import type {
  DnodeCfgReply,
  DnodeCfgRequest,
  HostDatabase,
  ReachReply,
  VnodeCtl,
  VnodeCtlReply,
} from './cluster-messages.js';
import type { Mnode } from './mnode.js';
import type { UserRequest } from './users.js';

export type LogLevel = 'error' | 'warn' | 'info' | 'debug' | 'trace';

export interface LeaderLog {
  log(level: LogLevel, message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  debug(message: string, fields?: Record<string, unknown>): void;
}

/** Requests to other dnodes at their endpoints (the dnode's peer connections). */
export interface PeerRequests {
  request(
    ep: string,
    msgType: number,
    control: unknown,
    payload?: readonly Uint8Array[],
    timeoutMs?: number,
  ): Promise<RpcResponse>;
}

/** Reaching a replicated vgroup's leader wherever it runs (the dnode's vgroup link). */
export interface VgroupControl {
  /** Records a vgroup's database and replica dnodes (where to look for its leader). */
  note(vgId: number, db: string, dnodeIds: readonly number[]): void;
  ctl(vgId: number, control: VnodeCtl, timeoutMs?: number): Promise<VnodeCtlReply>;
  /** A linearizable read through the vgroup's leader: resolves once the vgroup has one. */
  meta(vgId: number, have: null): Promise<unknown>;
}

export interface LeaderHost {
  /** This dnode's id (0 until it joined). */
  selfId(): number;
  /** The cluster id and creation time this dnode was started with (its identity). */
  /** The founder's: also its own secret (hex) and the cluster's multi-use join token, for the init op. */
  clusterIdentity(): {
    readonly clusterId: string;
    readonly createdAtMs: number;
    readonly dnodeSecret?: string;
    readonly joinToken?: JoinTokenRecord;
  };
  /** The cluster secret a joining dnode receives; null if this dnode has none. */
  clusterSecret(): Buffer | null;
  /** `fqdn:serverPort`. */
  readonly endpoint: string;
  readonly startedAtMs: number;
  readonly version: string;
  readonly supportVnodes: number;
  /** The mnode replica this dnode hosts, if any. */
  readonly mnode: Mnode | null;
  readonly log: LeaderLog;
  readonly peers: PeerRequests;
  readonly vgroups: VgroupControl;
  /** This dnode's values of the config keys every dnode of a cluster must share. */
  matchedConfig(): Record<string, string>;
  /** DNODE_CFG answered by this dnode itself (get or set a run-time key). */
  localDnodeCfg(req: DnodeCfgRequest): Promise<DnodeCfgReply>;
  /** Connects to a dnode endpoint (HELLO over an authenticated peer connection): whether it answers, else why. */
  reach(ep: string): Promise<ReachReply>;
  /** `fqdn:serverPort` of dnode `id`, if known. */
  epOf(id: number): string | undefined;
  /** root's password for a cluster's first users (BASALT_ROOT_PASSWORD, rootPasswordFile, else taosdata). */
  rootPassword?(): string;
}

/** Has dnode `dnodeId` record a replicated database and open its replicas (FORWARD host). */
export type HostOnDnode = (dnodeId: number, h: HostDatabase) => Promise<void>;
/** Has dnode `dnodeId` drop its copy of a replicated database whose placement was undone. */
export type UnhostOnDnode = (dnodeId: number, name: string) => Promise<void>;
/**
 * Runs the statement being executed (create or drop database) on dnode `dnodeId`'s engine:
 * the gateway that parsed it holds the statement and its text.
 */
export type RunOnDnode = (dnodeId: number) => Promise<void>;

/** A cluster statement as the mnode leader runs it (the gateway maps the parsed statement). */
export type ClusterRequest =
  | { readonly kind: 'showDnodes' }
  | { readonly kind: 'showMnodes' }
  | { readonly kind: 'showCluster' }
  | { readonly kind: 'showTransactions' }
  | { readonly kind: 'showDnodeVariables'; readonly dnodeId: number; readonly like: string | null }
  | { readonly kind: 'createDnode'; readonly endpoint: string }
  /** A multi-use join token good for `expireMs` (0: never). */
  | { readonly kind: 'createJoinToken'; readonly expireMs: number }
  | {
      readonly kind: 'dropDnode';
      readonly dnodeId: number | null;
      readonly endpoint: string | null;
      readonly force: boolean;
      readonly unsafe: boolean;
    }
  | {
      readonly kind: 'alterDnode';
      readonly dnodeId: number | null;
      readonly key: string;
      readonly value: string | null;
    }
  | { readonly kind: 'createMnode'; readonly dnodeId: number }
  | { readonly kind: 'dropMnode'; readonly dnodeId: number }
  | { readonly kind: 'balanceVgroup' }
  | { readonly kind: 'balanceVgroupLeader'; readonly vgId: number | null; readonly db: string | null }
  | { readonly kind: 'redistributeVgroup'; readonly vgId: number; readonly dnodeIds: readonly number[] }
  | {
      readonly kind: 'createDatabase';
      readonly name: string;
      readonly ifNotExists: boolean;
      /** The options given, checked only once the database is known not to exist. */
      readonly options: () => Partial<DbOptions>;
    }
  | { readonly kind: 'dropDatabase'; readonly name: string; readonly ifExists: boolean }
  | UserRequest;

export type Cell = number | bigint | string | boolean | null;

export interface ClusterColumn {
  readonly name: string;
  readonly type: DataType;
  readonly bytes: number;
}

/** What a cluster statement answers: done (with the shell's verb), or rows. */
export type ClusterResult =
  | { readonly kind: 'exec'; readonly verb: string }
  | { readonly kind: 'rows'; readonly columns: readonly ClusterColumn[]; readonly rows: readonly (readonly Cell[])[] };

export function col(name: string, type: DataType): ClusterColumn {
  return { name, type, bytes: TYPE_BYTES[type] };
}

export function varcharCol(name: string, bytes: number): ClusterColumn {
  return { name, type: DataType.VARCHAR, bytes };
}

export function finished(verb: string): ClusterResult {
  return { kind: 'exec', verb };
}

export function rows(columns: readonly ClusterColumn[], rowList: readonly (readonly Cell[])[]): ClusterResult {
  return { kind: 'rows', columns, rows: rowList };
}
