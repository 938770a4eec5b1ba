// The contract between the statement engine (engine.ts: DDL, insert, show, catalog) and the
// select path (select/: planning per vgroup, execution, merge). The engine resolves
// databases and hands the select path the vgroups' stores; the select path never writes.
import type { Precision } from '../common/types.js';
import type { VnodeStore } from '../storage/api.js';
import type { Session, StatementResult } from './engine-api.js';

export interface VgroupHandle {
  readonly vgId: number;
  /** Inclusive range of hash32(tableName) that this vgroup owns. */
  readonly hashBegin: number;
  readonly hashEnd: number;
  readonly store: VnodeStore;
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
