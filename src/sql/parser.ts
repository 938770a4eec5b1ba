// Recursive-descent parser (in progress): SQL text -> Statement[].
import { BasaltError } from '../common/errors.js';
import type { Statement } from './ast.js';

/** Parses every statement in `sql` (separated by ';'). Errors are BasaltError SYNTAX_ERROR. */
export function parse(sql: string): Statement[] {
  throw new BasaltError('NOT_SUPPORTED', `parser not written yet: ${sql.slice(0, 20)}`);
}

/** Parses exactly one statement (a trailing ';' is allowed). */
export function parseOne(sql: string): Statement {
  const list = parse(sql);
  if (list.length !== 1) throw new BasaltError('SYNTAX_ERROR', `expected exactly one statement, found ${list.length}`);
  return list[0]!;
}
