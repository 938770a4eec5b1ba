// The parser's entry: statement dispatch on the first keyword, statement separation by ';',
// and the guarantee that anything other than a BasaltError escaping is a bug.
import { assert } from '../common/assert.js';
import { BasaltError } from '../common/errors.js';
import { Limits } from '../common/limits.js';
import type { Statement } from './ast.js';
import {
  parseBalance,
  parseAlterDnode,
  parseCreateDnode,
  parseCreateJoinToken,
  parseDropDnode,
  parseGrant,
  parseMnode,
  parseRedistribute,
  parseUser,
} from './cluster.js';
import { Cursor } from './cursor.js';
import {
  parseAlterDatabase,
  parseCreateDatabase,
  parseDropDatabase,
  parseFlushOrCompact,
  parseUse,
} from './database.js';
import { parseDelete, parseInsert } from './insert.js';
import type { Token } from './lexer.js';
import { parseSelect } from './select.js';
import { parseShow } from './show.js';
import { parseAlterTable, parseCreateTable, parseDescribe, parseDropTable } from './table.js';

const STATEMENT_START =
  'a statement (SELECT, INSERT, CREATE, DROP, ALTER, USE, SHOW, DESCRIBE, DELETE, BALANCE, REDISTRIBUTE, GRANT, REVOKE)';

let parseCalls = 0;

/**
 * How many times parse() ran in this process. Every layer above hands the parsed statement
 * on rather than its text; a test holds the count to one per statement executed.
 */
export function parserCalls(): number {
  return parseCalls;
}

/** Parses every statement in `sql` (separated by ';'; empty statements are skipped). */
export function parse(sql: string): Statement[] {
  parseCalls++;
  if (sql.length > Limits.maxSqlBytes) {
    throw new BasaltError(
      'STATEMENT_TOO_LONG',
      `${sql.length} characters; the limit is ${Limits.maxSqlBytes}; split the statement (e.g. fewer rows per INSERT)`,
    );
  }
  const c = new Cursor(sql);
  const out: Statement[] = [];
  for (;;) {
    while (c.acceptOp(';'));
    if (c.peek().kind === 'eof') break;
    const before = c.lastEnd;
    out.push(parseStatement(c));
    // A statement that consumed nothing would make this loop spin; an unbalanced enter()
    // would charge its nesting to the next statement.
    assert(c.lastEnd > before, `statement at offset ${before} consumed no input`);
    assert(c.nestingDepth === 0, `statement ended ${c.nestingDepth} levels deep`);
    if (!c.atEnd()) c.fail("';' or the end of the statement");
  }
  return out;
}

/** Parses exactly one statement (a trailing ';' is allowed). */
export function parseOne(sql: string): Statement {
  const list = parse(sql);
  if (list.length === 0) throw new BasaltError('SYNTAX_ERROR', 'empty statement: there is no SQL to run');
  if (list.length > 1) {
    throw new BasaltError(
      'SYNTAX_ERROR',
      `found ${list.length} statements where one was expected; send them one at a time or use a multi-statement call`,
    );
  }
  return list[0]!;
}

function parseStatement(c: Cursor): Statement {
  const t = c.peek();
  if (t.kind !== 'ident') c.fail(STATEMENT_START);
  switch (t.value) {
    case 'select':
      return parseSelect(c);
    case 'insert':
      return parseInsert(c, c.next());
    case 'delete':
      return parseDelete(c, c.next());
    case 'create':
      return parseCreate(c, c.next());
    case 'drop':
      return parseDrop(c, c.next());
    case 'alter':
      return parseAlter(c, c.next());
    case 'use':
      return parseUse(c, c.next());
    case 'show':
      return parseShow(c, c.next());
    case 'describe':
    case 'desc':
      return parseDescribe(c, c.next());
    case 'balance':
      return parseBalance(c, c.next());
    case 'redistribute':
      return parseRedistribute(c, c.next());
    case 'grant':
    case 'revoke':
      return parseGrant(c, c.next());
    case 'flush':
    case 'compact':
      return parseFlushOrCompact(c, c.next());
    default:
      return c.fail(STATEMENT_START);
  }
}

function parseCreate(c: Cursor, start: Token): Statement {
  if (c.isKw('database')) return parseCreateDatabase(c, start);
  if (c.isKw('table') || c.isKw('stable')) return parseCreateTable(c, start);
  if (c.acceptKw('dnode')) return parseCreateDnode(c, start);
  if (c.acceptKw('mnode')) return parseMnode(c, start);
  if (c.acceptKw('user')) return parseUser(c, start);
  if (c.acceptKw('join')) return parseCreateJoinToken(c, start);
  return c.fail('DATABASE, TABLE, STABLE, DNODE, MNODE, USER or JOIN TOKEN after CREATE');
}

function parseDrop(c: Cursor, start: Token): Statement {
  if (c.isKw('database')) return parseDropDatabase(c, start);
  if (c.isKw('table') || c.isKw('stable')) return parseDropTable(c, start);
  if (c.acceptKw('dnode')) return parseDropDnode(c, start);
  if (c.acceptKw('mnode')) return parseMnode(c, start);
  if (c.acceptKw('user')) return parseUser(c, start);
  return c.fail('DATABASE, TABLE, STABLE, DNODE, MNODE or USER after DROP');
}

function parseAlter(c: Cursor, start: Token): Statement {
  if (c.isKw('database')) return parseAlterDatabase(c, start);
  if (c.isKw('table') || c.isKw('stable')) return parseAlterTable(c, start);
  if (c.isKw('dnode') || c.isKw('all')) return parseAlterDnode(c, start);
  if (c.acceptKw('user')) return parseUser(c, start);
  return c.fail('DATABASE, TABLE, STABLE, DNODE, ALL DNODES or USER after ALTER');
}

/**
 * `use <name>` as a statement, for a database named outside SQL text (CONNECT's database):
 * the name is read as the parser reads a database name, so quoting and case rules match.
 */
export function useStatement(name: string): Statement {
  const c = new Cursor(name);
  const start = c.peek();
  const db = c.name('a database name');
  if (!c.atEnd()) c.fail('the end of the database name');
  return { kind: 'useDatabase', name: db, pos: c.pos(start) };
}
