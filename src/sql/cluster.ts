// Cluster and user statements: dnodes, mnodes, vgroup balancing and moves, dnode config,
// users. Values are only shape-checked; the mnode validates endpoints, ids and keys.
import type { Statement } from './ast.js';
import type { Cursor } from './cursor.js';
import type { Token } from './lexer.js';

/**
 * `create dnode "fqdn:port"`, `create dnode fqdn [port p]`; cursor after DNODE.
 * An unquoted fqdn is the run of adjacent tokens (`h1.example.com`, `10.0.0.2`, `db-1`).
 */
export function parseCreateDnode(c: Cursor, start: Token): Statement {
  const pos = c.pos(start);
  let endpoint: string;
  const t = c.peek();
  if (t.kind === 'string') {
    endpoint = c.next().value;
  } else if (t.kind === 'ident' || t.kind === 'qident' || t.kind === 'integer' || t.kind === 'float') {
    endpoint = adjacentRun(c);
  } else {
    return c.fail('a dnode endpoint, e.g. "h2.example.com:6030" or h2.example.com PORT 6030');
  }
  if (c.acceptKw('port')) {
    const p = c.peek();
    if (p.kind !== 'integer') c.fail('a port number');
    c.next();
    endpoint = `${endpoint}:${p.value}`;
  }
  return { kind: 'createDnode', endpoint, pos };
}

/** Default lifetime of `create join token` without EXPIRE. */
export const JOIN_TOKEN_DEFAULT_EXPIRE_MS = 24 * 3600 * 1000;
const EXPIRE_UNIT_MS: Readonly<Record<string, number>> = {
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/** `create join token [expire 7d | expire 3600 | expire 0]`; cursor after JOIN. A bare number is seconds; 0 never expires. */
export function parseCreateJoinToken(c: Cursor, start: Token): Statement {
  const pos = c.pos(start);
  if (!c.acceptKw('token')) return c.fail('TOKEN after CREATE JOIN');
  let expireMs = JOIN_TOKEN_DEFAULT_EXPIRE_MS;
  if (c.acceptKw('expire')) {
    const t = c.peek();
    const unitMs = t.kind === 'duration' ? EXPIRE_UNIT_MS[t.unit ?? ''] : undefined;
    if (unitMs !== undefined) {
      c.next();
      expireMs = Number(t.value) * unitMs;
    } else if (t.kind === 'integer') {
      c.next();
      expireMs = Number(t.value) * 1000;
    } else return c.fail('a lifetime after EXPIRE, such as 7d, 12h, 30m, 3600 (seconds) or 0 (never)');
  }
  return { kind: 'createJoinToken', expireMs, pos };
}

/** Joins tokens written without whitespace between them, e.g. `h1` `.` `example` `.` `com`. */
function adjacentRun(c: Cursor): string {
  const first = c.next();
  let end = first.end;
  for (;;) {
    const n = c.peek();
    if (n.kind === 'eof' || n.offset !== end || (n.kind === 'op' && n.value === ';')) break;
    if (n.kind === 'op' && n.value !== '.' && n.value !== '-') break;
    end = c.next().end;
  }
  return c.sql.slice(first.offset, end);
}

/** `drop dnode N|"ep" [force] [unsafe]`; cursor after DNODE. */
export function parseDropDnode(c: Cursor, start: Token): Statement {
  const pos = c.pos(start);
  let dnodeId: number | null = null;
  let endpoint: string | null = null;
  if (c.peek().kind === 'string') endpoint = c.next().value;
  else dnodeId = c.integer('a dnode id or a quoted endpoint');
  let force = false;
  let unsafe = false;
  for (;;) {
    if (!force && c.acceptKw('force')) force = true;
    else if (!unsafe && c.acceptKw('unsafe')) unsafe = true;
    else break;
  }
  if (!c.atEnd()) c.fail(force || unsafe ? 'the end of the statement' : 'FORCE, UNSAFE or the end of the statement');
  return { kind: 'dropDnode', dnodeId, endpoint, force, unsafe, pos };
}

/** `create|drop mnode on dnode N`; cursor after MNODE. */
export function parseMnode(c: Cursor, start: Token): Statement {
  c.expectKw('on', 'ON DNODE n');
  c.expectKw('dnode', 'DNODE after ON');
  const dnodeId = c.integer('a dnode id');
  const pos = c.pos(start);
  return start.value === 'create' ? { kind: 'createMnode', dnodeId, pos } : { kind: 'dropMnode', dnodeId, pos };
}

/** `balance vgroup [leader [on N | database db]]`; cursor after BALANCE. */
export function parseBalance(c: Cursor, start: Token): Statement {
  const pos = c.pos(start);
  c.expectKw('vgroup', 'VGROUP after BALANCE');
  if (!c.acceptKw('leader')) return { kind: 'balanceVgroup', pos };
  let vgId: number | null = null;
  let db: string | null = null;
  if (c.acceptKw('on')) vgId = c.integer('a vgroup id after ON');
  else if (c.acceptKw('database')) db = c.name('a database name');
  return { kind: 'balanceVgroupLeader', vgId, db, pos };
}

/** `redistribute vgroup N dnode a [dnode b] [dnode c]`; cursor after REDISTRIBUTE. */
export function parseRedistribute(c: Cursor, start: Token): Statement {
  c.expectKw('vgroup', 'VGROUP after REDISTRIBUTE');
  const vgId = c.integer('a vgroup id');
  const dnodeIds: number[] = [];
  do {
    c.expectKw('dnode', dnodeIds.length === 0 ? 'DNODE n' : 'DNODE n or the end of the statement');
    dnodeIds.push(c.integer('a dnode id'));
  } while (!c.atEnd());
  return { kind: 'redistributeVgroup', vgId, dnodeIds, pos: c.pos(start) };
}

/** `alter dnode N 'key' ['value']` / `alter all dnodes 'key' ['value']`; cursor at DNODE or ALL. */
export function parseAlterDnode(c: Cursor, start: Token): Statement {
  let dnodeId: number | null = null;
  if (c.acceptKw('all')) {
    c.expectKw('dnodes', 'DNODES after ALL');
  } else {
    c.expectKw('dnode');
    dnodeId = c.integer('a dnode id');
  }
  const key = configWord(c, "a quoted config key, e.g. 'debugFlag'");
  const value = c.atEnd() ? null : configWord(c, "a quoted value, e.g. '143'");
  return { kind: 'alterDnode', dnodeId, key, value, pos: c.pos(start) };
}

/** A config key or value: quoted, or a bare word or number (case kept). */
function configWord(c: Cursor, what: string): string {
  const t = c.peek();
  if (t.kind === 'string' || t.kind === 'qident') return c.next().value;
  if (t.kind === 'ident' || t.kind === 'integer' || t.kind === 'float' || t.kind === 'duration') return c.next().text;
  return c.fail(what);
}

/**
 * `create user u pass 'p' [sysinfo 0|1]`, `alter user u pass 'p' | enable 0|1 | sysinfo 0|1`,
 * `drop user u`; cursor after USER.
 */
export function parseUser(c: Cursor, start: Token): Statement {
  const pos = c.pos(start);
  const user = c.name('a user name');
  if (start.value === 'drop') return { kind: 'dropUser', user, pos };
  if (start.value === 'create') {
    c.expectKw('pass', "PASS and a quoted password, e.g. PASS 'secret'");
    const password = c.string("a quoted password, e.g. PASS 'secret'");
    const sysinfo = c.acceptKw('sysinfo') ? zeroOrOne(c, 'SYSINFO') : 1;
    return { kind: 'createUser', user, password, sysinfo, pos };
  }
  if (c.acceptKw('pass')) {
    const password = c.string("a quoted password, e.g. PASS 'secret'");
    return { kind: 'alterUser', user, password, enable: null, sysinfo: null, pos };
  }
  if (c.acceptKw('enable'))
    return { kind: 'alterUser', user, password: null, enable: zeroOrOne(c, 'ENABLE'), sysinfo: null, pos };
  if (c.acceptKw('sysinfo'))
    return { kind: 'alterUser', user, password: null, enable: null, sysinfo: zeroOrOne(c, 'SYSINFO'), pos };
  return c.fail("PASS 'password', ENABLE 0|1 or SYSINFO 0|1");
}

function zeroOrOne(c: Cursor, after: string): 0 | 1 {
  const t = c.peek();
  const n = c.integer(`0 or 1 after ${after}`);
  if (n !== 0 && n !== 1) c.fail(`0 or 1 after ${after}`, t);
  return n as 0 | 1;
}

/** `grant read|write|all [privileges] on db.*|db.table to u`, `revoke … from u`; cursor after GRANT/REVOKE. */
export function parseGrant(c: Cursor, start: Token): Statement {
  const pos = c.pos(start);
  const kind = start.value === 'grant' ? 'grant' : 'revoke';
  const t = c.peek();
  const word = t.kind === 'ident' ? t.value : '';
  if (word !== 'read' && word !== 'write' && word !== 'all') return c.fail('ALL, READ or WRITE');
  c.next();
  if (word === 'all') c.acceptKw('privileges');
  c.expectKw('on', 'ON db.* or ON db.table');
  const db = c.name('a database name');
  c.expectOp('.', "'.' and * or a table name, e.g. power.*");
  const table = c.acceptOp('*') ? '*' : c.name('* or a table name');
  c.expectKw(kind === 'grant' ? 'to' : 'from', kind === 'grant' ? 'TO user' : 'FROM user');
  const user = c.name('a user name');
  return { kind, privilege: word, db, table, user, pos };
}
