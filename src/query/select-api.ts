// The contract between the statement engine (src/engine/: DDL, insert, show, catalog) and the
// select path (select/: planning per vgroup, execution, merge), and the result types both return. The engine resolves
// databases and hands the select path the vgroups' stores; the select path never writes.
import { assert } from '../common/assert.js';
import type { ColumnBlock } from '../common/block.js';
import type { DataType, Precision } from '../common/types.js';
import type { VnodeStore, VnodeTables } from '../storage/api.js';
import type { SubPlan } from './select/ir.js';
import type { PartialState } from './select/partial-state.js';

/**
 * A vgroup the select path reads: its data here (`remote` null: subplans run on `store`), or
 * on another dnode (src/vnode/remote-vnode.ts: subplans are shipped through `remote`, and
 * `store` holds its table meta only).
 */
export type VgroupHandle = VgroupRange &
  (
    | { readonly store: VnodeStore; readonly remote: null }
    | { readonly store: VnodeTables; readonly remote: RemoteSubplans }
  );

/** The store of a vgroup whose data is on this dnode (tests and benchmarks read it directly). */
export function localStoreOf(vg: VgroupHandle): VnodeStore {
  assert(vg.remote === null, `vgroup ${vg.vgId} has no replica here: its subplans are shipped`);
  return vg.store;
}

export interface VgroupRange {
  readonly vgId: number;
  /** Inclusive range of hash32(tableName) that this vgroup owns. */
  readonly hashBegin: number;
  readonly hashEnd: number;
}

/** Runs subplans on a replica of a vgroup elsewhere (after its ReadIndex barrier there). */
export interface RemoteSubplans {
  agg(plan: SubPlan): Promise<PartialState>;
  rows(plan: SubPlan): Promise<ColumnBlock[]>;
}

export interface DbHandle {
  readonly name: string;
  readonly precision: Precision;
  readonly vgroups: readonly VgroupHandle[];
}

export interface SelectContext {
  readonly session: Session;
  /** Throws BasaltError DB_NOT_EXIST (or DB_NOT_SPECIFIED for null) when unknown. */
  getDb(name: string | null): DbHandle;
  nowMs(): number;
  readonly serverVersion: string;
  /**
   * Called before a subplan reads a vgroup's local store: a replicated vgroup waits there
   * until it may serve a linearizable read (ReadIndex). Only the vgroups a query reads wait.
   */
  readonly beforeRead?: (vgId: number) => Promise<void>;
}

/**
 * Implemented by src/query/select/index.ts:
 *   export function runSelect(stmt: SelectStatement, ctx: SelectContext): Promise<StatementResult>
 * where SelectStatement is the AST node from src/sql/ast.ts.
 */
export type RunSelect<Stmt> = (stmt: Stmt, ctx: SelectContext) => Promise<StatementResult>;

export interface Session {
  user: string;
  /** Current database (`use db`, `-d db`, REST `/rest/sql/<db>`), or null. */
  db: string | null;
  /** Where the client is (`address:port`), for the audit log; absent: `internal`. */
  source?: string;
}

export interface ResultColumn {
  readonly name: string;
  readonly type: DataType;
  /** Byte length for column_meta: fixed width, or declared VARCHAR/NCHAR length. */
  readonly bytes: number;
}

export interface StatementResult {
  /** 'query': a result set (select/show/describe); 'exec': DDL, insert, use. */
  readonly kind: 'query' | 'exec';
  /** For the shell footers: Create | Insert | Drop | Alter | Delete | Query | Use. */
  readonly verb: string;
  readonly columns: readonly ResultColumn[];
  /** Precision of TIMESTAMP columns in the result (the database's, 'ms' for show commands). */
  readonly precision: Precision;
  /** The rows, streamed in blocks (empty for 'exec'). Each block's columns match `columns`. */
  readonly blocks: AsyncIterable<ColumnBlock>;
  /** Rows inserted / changed for 'exec' (0 for DDL). */
  readonly affectedRows: number;
  /** Set by `use db`: the session's new database. */
  readonly useDb?: string;
}
