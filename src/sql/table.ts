// Table statements: create table|stable (normal, super, child via USING), drop, alter,
// describe.
import type { AlterTableAction, ChildTableDef, ColumnDef, Expr, Statement, TableName } from './ast.js';
import type { Cursor } from './cursor.js';
import { parseIfExists, parseIfNotExists } from './database.js';
import { parseExpr } from './expr.js';
import type { Token } from './lexer.js';
import { parseNameList, parseTableName } from './names.js';
import { parseType } from './types.js';

/** After CREATE, at TABLE or STABLE. */
export function parseCreateTable(c: Cursor, start: Token): Statement {
  const kw = c.next();
  const stable = kw.value === 'stable';
  const pos = c.pos(start);
  const ifNotExists = parseIfNotExists(c);
  const table = parseTableName(c, stable ? 'a super table name' : 'a table name');
  if (!stable && c.isKw('using')) return parseChildTables(c, start, ifNotExists, table);

  if (!c.isOp('(')) c.fail(stable ? "'(' and the column definitions" : "'(' and the column definitions, or USING");
  const columns = parseColumnDefs(c, 'column');
  let tags: ColumnDef[] | null = null;
  if (c.acceptKw('tags')) tags = parseColumnDefs(c, 'tag');
  else if (stable) c.fail('TAGS (...): a super table needs at least one tag');
  const comment = parseTableOptions(c);
  if (tags !== null) return { kind: 'createStable', ifNotExists, table, columns, tags, comment, pos };
  return { kind: 'createTable', ifNotExists, table, columns, comment, pos };
}

/** `[comment '...']`; TDengine's other table options (ttl, rollup...) are not supported. */
function parseTableOptions(c: Cursor): string | null {
  let comment: string | null = null;
  while (!c.atEnd()) {
    if (c.acceptKw('comment')) comment = c.string("a quoted comment, e.g. COMMENT 'room sensors'");
    else c.fail('COMMENT or the end of the statement');
  }
  return comment;
}

function parseColumnDefs(c: Cursor, what: 'column' | 'tag'): ColumnDef[] {
  c.expectOp('(', `'(' and the ${what} definitions`);
  c.enter();
  const defs: ColumnDef[] = [];
  do defs.push(parseColumnDef(c, what));
  while (c.acceptOp(','));
  c.expectOp(')', `',' or ')' to close the ${what} definitions`);
  c.leave();
  return defs;
}

function parseColumnDef(c: Cursor, what: 'column' | 'tag'): ColumnDef {
  const pos = c.pos();
  const name = c.name(`a ${what} name`);
  const type = parseType(c, true);
  const comment = c.acceptKw('comment') ? c.string('a quoted comment') : null;
  return { name, type, comment, pos };
}

/** `d1 using st [(tag names)] tags (values) [[if not exists] d2 using ...]`; the cursor is at USING. */
function parseChildTables(c: Cursor, start: Token, firstIfNotExists: boolean, firstTable: TableName): Statement {
  const tables: ChildTableDef[] = [];
  let ifNotExists = firstIfNotExists;
  let table = firstTable;
  for (;;) {
    c.expectKw('using', 'USING and the super table name');
    const stable = parseTableName(c, 'a super table name');
    const tagNames = c.isOp('(') ? parseNameList(c, 'tag name') : null;
    c.expectKw('tags', tagNames ? 'TAGS (...)' : "TAGS (...) or '(' and tag names");
    const tagValues = parseValueList(c, 'tag value');
    tables.push({ ifNotExists, table, stable, tagNames, tagValues, pos: table.pos });
    if (c.atEnd()) break;
    ifNotExists = parseIfNotExists(c);
    table = parseTableName(c, 'another child table name or the end of the statement');
  }
  return { kind: 'createChildTables', tables, pos: c.pos(start) };
}

/** `(v1, v2, ...)`: tag values and insert rows. */
export function parseValueList(c: Cursor, what: string): Expr[] {
  c.expectOp('(', `'(' and the ${what}s`);
  c.enter();
  const values: Expr[] = [];
  do values.push(parseExpr(c));
  while (c.acceptOp(','));
  c.expectOp(')', `',' or ')' to close the ${what}s`);
  c.leave();
  return values;
}

/** After DROP, at TABLE or STABLE. */
export function parseDropTable(c: Cursor, start: Token): Statement {
  const kw = c.next();
  const ifExists = parseIfExists(c);
  if (kw.value === 'stable') {
    const table = parseTableName(c, 'a super table name');
    return { kind: 'dropStable', ifExists, table, pos: c.pos(start) };
  }
  const tables: TableName[] = [];
  do tables.push(parseTableName(c, 'a table name'));
  while (c.acceptOp(','));
  return { kind: 'dropTable', ifExists, tables, pos: c.pos(start) };
}

/** `describe t` / `desc t`. */
export function parseDescribe(c: Cursor, start: Token): Statement {
  const table = parseTableName(c, 'a table name');
  return { kind: 'describe', table, pos: c.pos(start) };
}

/** After ALTER, at TABLE or STABLE. */
export function parseAlterTable(c: Cursor, start: Token): Statement {
  const kw = c.next();
  const stable = kw.value === 'stable';
  const table = parseTableName(c, stable ? 'a super table name' : 'a table name');
  const action = parseAlterAction(c);
  return { kind: 'alterTable', stable, table, action, pos: c.pos(start) };
}

const ACTIONS =
  'ADD COLUMN, DROP COLUMN, MODIFY COLUMN, RENAME COLUMN, ADD TAG, DROP TAG, MODIFY TAG, RENAME TAG or SET TAG';

function parseAlterAction(c: Cursor): AlterTableAction {
  const t = c.peek();
  const pos = c.pos(t);
  if (t.kind !== 'ident' || !['add', 'drop', 'modify', 'rename', 'set'].includes(t.value)) c.fail(ACTIONS);
  c.next();
  const verb = t.value;
  const obj = c.peek();
  if (!(c.isKw('column') || c.isKw('tag')) || (verb === 'set' && !c.isKw('tag'))) {
    c.fail(verb === 'set' ? 'TAG after SET' : `COLUMN or TAG after ${verb.toUpperCase()}`);
  }
  c.next();
  const isTag = obj.value === 'tag';
  const what = isTag ? 'tag' : 'column';
  switch (verb) {
    case 'add':
      return { action: isTag ? 'addTag' : 'addColumn', column: parseColumnDef(c, what), pos };
    case 'modify':
      return { action: isTag ? 'modifyTag' : 'modifyColumn', column: parseColumnDef(c, what), pos };
    case 'drop':
      return { action: isTag ? 'dropTag' : 'dropColumn', name: c.name(`a ${what} name`), pos };
    case 'rename': {
      const oldName = c.name(`the ${what}'s current name`);
      const newName = c.name(`the ${what}'s new name`);
      return { action: isTag ? 'renameTag' : 'renameColumn', oldName, newName, pos };
    }
    default: {
      const name = c.name('a tag name');
      c.expectOp('=', "'=' and the new tag value");
      const value = parseExpr(c);
      return { action: 'setTag', name, value, pos };
    }
  }
}
