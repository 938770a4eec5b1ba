// Which databases a statement names: the one a database statement is about (`use db`,
// `alter database db` …) and every `db` of a `db.table` anywhere in its AST, in AST order.
// The gateway routes by the first; the engine refreshes remote meta and passes read barriers
// for all of them (plus the session's database, which only the caller knows).
import { Limits } from '../common/limits.js';
import type { Statement } from './ast.js';

/** Statements that name a database by `name` rather than by `db` fields. */
const NAMES_A_DB = new Set<Statement['kind']>([
  'useDatabase',
  'alterDatabase',
  'flushDatabase',
  'compactDatabase',
  'showCreateDatabase',
]);

/**
 * The parser bounds nesting (Limits.maxSqlNestingDepth levels of parentheses, calls,
 * subqueries); each level is a few AST objects deep, so this bound never cuts a real statement
 * short — it only keeps the recursion bounded.
 */
const MAX_WALK_DEPTH = 8 * Limits.maxSqlNestingDepth;

// Leaves of an expression tree: they never name a database, and an IN list or VALUES clause
// can hold millions of them.
const LITERAL_KINDS = new Set(['integer', 'float', 'string', 'bool', 'null', 'now', 'duration']);

export function databasesNamed(s: Statement): string[] {
  const out = new Set<string>();
  if (NAMES_A_DB.has(s.kind)) out.add((s as unknown as { name: string }).name);
  const walk = (v: unknown, depth: number): void => {
    if (depth > MAX_WALK_DEPTH || v === null || typeof v !== 'object') return;
    if (Array.isArray(v)) {
      for (const x of v) walk(x, depth + 1);
      return;
    }
    const o = v as Record<string, unknown>;
    if (typeof o['kind'] === 'string' && LITERAL_KINDS.has(o['kind'])) return;
    if (typeof o['db'] === 'string') out.add(o['db']);
    for (const k of Object.keys(o)) if (k !== 'pos') walk(o[k], depth + 1);
  };
  walk(s, 0);
  return [...out];
}
