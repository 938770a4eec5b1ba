// Names shared by several statements: `[db.]table`, database names, name lists.
import type { TableName } from './ast.js';
import type { Cursor } from './cursor.js';

/** `[db.]name`. */
export function parseTableName(c: Cursor, what: string): TableName {
  const pos = c.pos();
  const first = c.name(what);
  if (c.acceptOp('.')) {
    const name = c.name(`${what} after '${first}.'`);
    return { db: first, name, pos };
  }
  return { db: null, name: first, pos };
}

/** `(a, b, c)`: a parenthesized list of names. */
export function parseNameList(c: Cursor, what: string): string[] {
  c.expectOp('(', `'(' and a list of ${what}s`);
  const names: string[] = [];
  do names.push(c.name(`a ${what}`));
  while (c.acceptOp(','));
  c.expectOp(')', `',' or ')' to close the list of ${what}s`);
  return names;
}
