// The contract between the SQL engine (src/engine/engine.ts) and its front ends: the RPC
// server, the REST adapter, the shell and the tests. One engine per dnode; sessions carry
// the current database.
import type { ColumnBlock } from '../common/block.js';
import type { DbOptions } from '../common/db-options.js';
import type { TagValue, VnodeOptions, VnodeStore, VnodeTables } from '../storage/api.js';

import type { Session, StatementResult } from '../query/select-api.js';
import type { Statement } from '../sql/index.js';
import type { PartialState, SubPlan } from '../query/select/index.js';
import type { AccessControl } from './privileges.js';

export type { ResultColumn, Session, StatementResult } from '../query/select-api.js';

/** One table of a columnar bulk insert; the block holds every column in schema order. */
export interface BulkTable {
  readonly table: string;
  /** Create the child table first if it does not exist. */
  readonly using?: { readonly stable: string; readonly tags: readonly TagValue[] };
  readonly block: ColumnBlock;
}

/**
 * A verified login: the user and its credential generation then (src/mnode/users.ts
 * `authVersion`). Requests compare generations only; the slow password check runs once.
 */
export interface Login {
  readonly user: string;
  readonly generation: number;
}

export interface Engine {
  /** Verifies a user's password; AUTH_FAILURE naming why (wrong password, disabled user). */
  login(user: string, password: string): Promise<Login>;
  /**
   * Per request: AUTH_FAILURE naming why when the session has ended (the user was dropped or
   * disabled, or its password changed since `login`).
   */
  checkLogin(login: Login): void;
  /** Runs exactly one statement (a trailing ';' is allowed). Errors are BasaltError with codes. */
  execute(sql: string, session: Session): Promise<StatementResult>;
  /** Runs statements separated by ';' in order, stopping at the first error. */
  executeMany(sql: string, session: Session): AsyncIterable<StatementResult>;
  /**
   * Runs one statement its caller parsed (the gateway parses once and hands it on); `text`
   * is its SQL, for a statement forwarded to another dnode and for messages.
   */
  executeStatement(stmt: Statement, session: Session, text: string): Promise<StatementResult>;
  /**
   * `use <name>` without SQL text (CONNECT's database): the database name as the session
   * keeps it, or DB_NOT_EXIST.
   */
  useDatabase(name: string, session: Session): Promise<string>;
  /**
   * The columnar bulk path: no SQL text. Returns rows written. `user` needs write on `db`
   * (src/engine/privileges.ts); only an engine used alone (tests) may omit it.
   */
  insertColumnar(db: string, tables: readonly BulkTable[], user?: string): Promise<number>;
  /**
   * The database's vgroups (sorted by hash range) with the endpoint of each one's leader as
   * this dnode knows it (null while unknown), so a client can send each table's rows there.
   */
  vgroupMap(db: string): Array<{ vgId: number; hashBegin: number; hashEnd: number; leader: string | null }>;
  close(): Promise<void>;
}

/** The engine a dnode hosts: the front-end calls, plus the mnode's placement orders. */
export interface LocalEngine extends Engine {
  /** Checks a password against this engine's own catalog (an engine used alone; a dnode's users are the cluster's). */
  authenticate(user: string, password: string): boolean;
  /**
   * Records a database the mnode placed with replica > 1 and opens this dnode's replicas of
   * its vgroups (`vgroups`: only the ones this dnode hosts are opened). Repeating it with
   * the same vgroups is a no-op (the mnode retries).
   */
  hostPlacedDatabase(name: string, options: Partial<DbOptions>, vgroups: readonly PlacedVgroup[]): Promise<void>;
  /**
   * Drops this dnode's copy of a replicated database: the mnode no longer places it (dropped
   * while this dnode was away) or its placement was undone. No user runs it: it follows the
   * mnode's decision, so no privilege applies.
   */
  dropPlacedDatabase(name: string): Promise<void>;
  /** Replicated databases this engine records, with when it recorded them. */
  placedDatabases(): Array<{ name: string; createdAtMs: number; vgroups: readonly PlacedVgroup[] }>;
}

export interface PlacedVgroup {
  readonly vgId: number;
  readonly dnodeIds: readonly number[];
  /** The placement changed since creation: `dnodeIds` are not founders (see VgroupRecord.moved). */
  readonly moved?: boolean;
}

/** What the engine needs to know about the dnode it runs in (for show dnodes/cluster/variables). */
export interface LocalDnodeInfo {
  readonly dnodeId: number;
  /** `fqdn:serverPort` */
  readonly endpoint: string;
  readonly supportVnodes: number;
  readonly startedAtMs: number;
  /** Effective configuration, for `show variables` / `show dnode N variables`. */
  readonly variables: ReadonlyArray<{ name: string; value: string; scope: string }>;
  /** Cluster dnodes currently offline (replica roles in show vgroups); absent on a single node. */
  readonly offlineDnodes?: () => readonly number[];
  /** `fqdn:serverPort` of a cluster dnode, if known; absent on a single node. */
  readonly endpointOf?: (dnodeId: number) => string | undefined;
}

/** Raft roles of a replicated vgroup as one replica sees them. */
export interface ReplicaView {
  readonly leader: number;
  readonly role: string;
  readonly voters: readonly number[];
  readonly learners: readonly number[];
}

/** One replica of a replicated vgroup on this dnode (src/vnode/replicated-vnode.ts). */
export interface ReplicatedStore extends VnodeStore {
  /** Waits until this replica may serve a linearizable read (ReadIndex, also on a follower). */
  readBarrier(opts: { readonly allowFollower: boolean }): Promise<void>;
  status(): ReplicaView;
}

/** A replicated vgroup seen from a dnode without a replica of it (src/vnode/remote-vnode.ts). */
export interface RemoteStore extends VnodeTables {
  /** Refreshes the cached table meta from a replica (linearizable). */
  sync(): Promise<void>;
  /** True once a sync succeeded (the cached meta may be read). */
  readonly synced: boolean;
  /** The roles as the replica that answered the last sync reported them (role 'none' here). */
  status(): ReplicaView;
  /** Ships an aggregate subplan to a replica; resolves to its exported partial state. */
  remoteAgg(plan: SubPlan): Promise<PartialState>;
  /** Ships a rows subplan to a replica; resolves to its blocks. */
  remoteRows(plan: SubPlan): Promise<ColumnBlock[]>;
}

export interface EngineOptions {
  /** The dnode's dataDir; the engine keeps its catalog and vnodes below it. */
  readonly dataDir: string;
  readonly serverVersion: string;
  readonly dnode: LocalDnodeInfo;
  /** Clock for `now` (tests may pin it). */
  readonly nowMs?: () => number;
  /** The dnode's log, for what the local vnodes report themselves (a full disk and its end). */
  readonly log?: (level: 'info' | 'warn' | 'error', msg: string) => void;
  /**
   * Users and grants every statement is checked against: a dnode's cache of the cluster's
   * users. Absent for an engine used alone, which uses its own catalog's users.
   */
  readonly access?: AccessControl;
  /**
   * Opens one replica of a replicated vgroup (a vgroup whose catalog record names its
   * replica dnodes) on the dnode's Raft runtime; absent on a single-node server, where such
   * a vgroup cannot be hosted. `founders` are the placement's dnode ids.
   */
  readonly openReplicated?: (
    vgId: number,
    dir: string,
    options: VnodeOptions,
    founders: readonly number[],
  ) => Promise<ReplicatedStore>;
  /**
   * A view of a replicated vgroup this dnode holds no replica of (`dnodeIds`: its replicas
   * as the catalog has them); absent on a single-node server.
   */
  readonly openRemote?: (db: string, vgId: number, options: VnodeOptions, dnodeIds: readonly number[]) => RemoteStore;
}

/** Implemented by src/engine/engine.ts as `export const createEngine: CreateEngine`. */
export type CreateEngine = (options: EngineOptions) => Promise<LocalEngine>;
