// The AST node types the statement handlers take, in one import.
export type {
  AlterTableStmt,
  CreateChildTablesStmt,
  CreateStableStmt,
  CreateTableStmt,
  DropStableStmt,
  DropTableStmt,
  Expr,
} from '../sql/ast.js';
export type { Session } from './engine-api.js';
