// INSERT (multi-row, multi-table, auto-create via USING, explicit columns) and DELETE.
import type { Expr, InsertTarget, InsertUsing, Statement } from './ast.js';
import type { Cursor } from './cursor.js';
import { parseExpr } from './expr.js';
import type { Token } from './lexer.js';
import { parseNameList, parseTableName } from './names.js';
import { parseValueList } from './table.js';

/** `insert into t [using st [(tags)] tags (..)] [(cols)] values (..)(..) [t2 ...]`; cursor after INSERT. */
export function parseInsert(c: Cursor, start: Token): Statement {
  c.expectKw('into', 'INTO after INSERT');
  const targets: InsertTarget[] = [];
  do targets.push(parseTarget(c, targets.length === 0));
  while (!c.atEnd());
  return { kind: 'insert', targets, pos: c.pos(start) };
}

function parseTarget(c: Cursor, first: boolean): InsertTarget {
  const table = parseTableName(
    c,
    first ? 'a table name' : "another table name, another row '(...)' or the end of the statement",
  );
  let using: InsertUsing | null = null;
  if (c.isKw('using')) {
    const u = c.next();
    const stable = parseTableName(c, 'a super table name after USING');
    const tagNames = c.isOp('(') ? parseNameList(c, 'tag name') : null;
    c.expectKw('tags', tagNames ? 'TAGS (...)' : "TAGS (...) or '(' and tag names");
    const tagValues = parseValueList(c, 'tag value');
    using = { stable, tagNames, tagValues, pos: c.pos(u) };
  }
  const columns = c.isOp('(') ? parseNameList(c, 'column name') : null;
  if (!c.isKw('values')) c.fail(columns || using ? 'VALUES' : "VALUES, USING or '(' and column names");
  c.next();
  const rows: Expr[][] = [];
  do {
    rows.push(parseRow(c));
    // Rows may be separated by commas: values (..), (..).
    if (c.isOp(',') && c.isOp('(', 1)) c.next();
  } while (c.isOp('('));
  return { table, using, columns, rows, pos: table.pos };
}

function parseRow(c: Cursor): Expr[] {
  c.expectOp('(', "'(' and a row of values");
  const values: Expr[] = [];
  do values.push(parseValue(c));
  while (c.acceptOp(','));
  c.expectOp(')', "',' or ')' to close the row");
  return values;
}

/**
 * One insert value. Rows are mostly plain literals, so a literal directly followed by ','
 * or ')' skips the precedence chain (a large share of insert parsing time); anything else
 * is a full expression. Both paths build the same nodes.
 */
function parseValue(c: Cursor): Expr {
  const t = c.peek();
  const after = c.peek(1);
  if (after.kind === 'op' && (after.value === ',' || after.value === ')')) {
    if (t.kind === 'integer') {
      c.next();
      return { kind: 'integer', value: BigInt(t.value), text: t.text, pos: c.pos(t) };
    }
    if (t.kind === 'float') {
      c.next();
      return { kind: 'float', value: Number(t.value), text: t.text, pos: c.pos(t) };
    }
    if (t.kind === 'string') {
      c.next();
      return { kind: 'string', value: t.value, pos: c.pos(t) };
    }
  }
  return parseExpr(c);
}

/** `delete from t [where ...]`; cursor after DELETE. */
export function parseDelete(c: Cursor, start: Token): Statement {
  c.expectKw('from', 'FROM after DELETE');
  const table = parseTableName(c, 'a table name');
  const where = c.acceptKw('where') ? parseExpr(c) : null;
  return { kind: 'delete', table, where, pos: c.pos(start) };
}
