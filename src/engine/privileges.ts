// Who may run what: the one check every statement and bulk insert passes, whatever interface
// it came through (RPC, REST, line protocol, a statement forwarded between dnodes). The engine
// runs it at its entry for what it executes; the dnode's gateway runs the same function for
// cluster statements, which never reach an engine. Users and grants come from an
// `AccessControl` — on a dnode its cache of the cluster's users (src/dnode/user-cache.ts), on
// an engine used alone its own catalog.
//
// The matrix: read → select, and seeing the schema; write → insert (SQL, columnar, line
// protocol); all → read + write + table DDL; any grant on a database → describe / show tables /
// show create / use on it. Super users run everything, including database DDL, users, grants
// and cluster statements. sysinfo 0 hides the cluster's system information (dnodes, mnodes,
// cluster, variables, vnodes, transactions, users). Anyone may change their own password.
import { assert } from '../common/assert.js';
import { BasaltError } from '../common/errors.js';
import type { Statement } from '../sql/index.js';
import type { Session } from './engine-api.js';

export type Privilege = 'read' | 'write' | 'all';

export interface AccessGrant {
  readonly privilege: Privilege;
  readonly db: string;
  /** A table, or '*' for every table of `db`. */
  readonly table: string;
}

export interface AccessUser {
  readonly superUser: boolean;
  readonly sysinfo: boolean;
  readonly grants: readonly AccessGrant[];
}

export interface AccessControl {
  /** The user as it is now; undefined for a user that does not exist (dropped). */
  user(name: string): AccessUser | undefined;
}

/** What a statement needs: `see` is any grant on the database (its schema, `use`). */
type Level = 'see' | 'read' | 'write' | 'all';
type Need =
  | { readonly kind: 'none' }
  | { readonly kind: 'super' }
  | { readonly kind: 'sysinfo' }
  | { readonly kind: 'db'; readonly level: Level };

const NONE: Need = { kind: 'none' };
const SUPER: Need = { kind: 'super' };
const SYSINFO: Need = { kind: 'sysinfo' };
const db = (level: Level): Need => ({ kind: 'db', level });

const SYSTEM_DBS = new Set(['information_schema', 'performance_schema']);

function needOf(s: Statement, session: Session): Need {
  switch (s.kind) {
    case 'select':
      return db('read');
    case 'insert':
    case 'delete':
      return db('write');
    case 'createTable':
    case 'createStable':
    case 'createChildTables':
    case 'dropTable':
    case 'dropStable':
    case 'alterTable':
      return db('all');
    case 'describe':
    case 'showTables':
    case 'showStables':
    case 'showCreateTable':
    case 'showCreateStable':
    case 'showCreateDatabase':
    case 'showVgroups':
    case 'useDatabase':
      return db('see');
    case 'showDatabases':
      return NONE;
    case 'showDnodes':
    case 'showMnodes':
    case 'showCluster':
    case 'showVariables':
    case 'showDnodeVariables':
    case 'showVnodes':
    case 'showTransactions':
    case 'showUsers':
    case 'showUserPrivileges':
      return SYSINFO;
    case 'alterUser':
      // Changing one's own password needs nothing else; enable and sysinfo are a super user's.
      return s.user === session.user && s.password !== null ? NONE : SUPER;
    case 'createDatabase':
    case 'dropDatabase':
    case 'alterDatabase':
    case 'flushDatabase':
    case 'compactDatabase':
    case 'createUser':
    case 'dropUser':
    case 'showAudit':
    case 'grant':
    case 'revoke':
    case 'createDnode':
    case 'createJoinToken':
    case 'dropDnode':
    case 'alterDnode':
    case 'createMnode':
    case 'dropMnode':
    case 'balanceVgroup':
    case 'balanceVgroupLeader':
    case 'redistributeVgroup':
      return SUPER;
  }
}

/** `createTable` → `create table`, for messages. */
function words(kind: string): string {
  return kind.replace(/[A-Z]/g, (c) => ` ${c.toLowerCase()}`);
}

/** The (database, table) pairs a statement is about; table null: the database itself. */
function targets(s: Statement, session: Session): Array<{ db: string | null; table: string | null }> {
  const out: Array<{ db: string | null; table: string | null }> = [];
  if (s.kind === 'useDatabase' || s.kind === 'showCreateDatabase') out.push({ db: s.name, table: null });
  if (s.kind === 'showTables' || s.kind === 'showStables' || s.kind === 'showVgroups')
    out.push({ db: s.db ?? session.db, table: null });
  // Every table reference ({ db, name }) anywhere in the AST, subqueries included.
  const walk = (v: unknown, depth: number): void => {
    if (depth > 256 || v === null || typeof v !== 'object') return;
    if (Array.isArray(v)) {
      for (const x of v) walk(x, depth + 1);
      return;
    }
    const o = v as Record<string, unknown>;
    if ('db' in o && (typeof o['db'] === 'string' || o['db'] === null) && typeof o['name'] === 'string')
      out.push({ db: (o['db'] as string | null) ?? session.db, table: o['name'] });
    for (const k of Object.keys(o)) if (k !== 'pos') walk(o[k], depth + 1);
  };
  if (s.kind !== 'useDatabase' && s.kind !== 'showCreateDatabase') walk(s, 0);
  return out;
}

function grants(u: AccessUser, level: Level, dbName: string, table: string | null): boolean {
  return u.grants.some((g) => {
    if (g.db !== dbName) return false;
    if (level === 'see') return true;
    if (g.table !== '*' && g.table !== table) return false;
    if (level === 'all') return g.privilege === 'all';
    return g.privilege === 'all' || g.privilege === level;
  });
}

const PRIVILEGE_FOR: Record<Level, Privilege> = { see: 'read', read: 'read', write: 'write', all: 'all' };

function denied(user: string, what: string, level: Level, dbName: string, table: string | null): BasaltError {
  const p = PRIVILEGE_FOR[level];
  const on = table !== null && level !== 'see' ? `${dbName}.* (or ${dbName}.${table})` : `${dbName}.*`;
  const why = level === 'see' ? 'no privilege there' : `no ${p} privilege there`;
  return new BasaltError(
    'PERMISSION_DENIED',
    `user '${user}' may not run ${what} on database '${dbName}': it has ${why}; a super user (root) can allow it with: grant ${p} on ${on} to ${user}`,
  );
}

function requireUser(access: AccessControl, user: string): AccessUser {
  const u = access.user(user);
  if (!u)
    throw new BasaltError(
      'AUTH_FAILURE',
      `user '${user}' does not exist (dropped?); this session has ended — log in as another user`,
    );
  return u;
}

/** Throws PERMISSION_DENIED (or AUTH_FAILURE for a user that no longer exists) unless `session.user` may run `s`. */
export function authorizeStatement(access: AccessControl, session: Session, s: Statement): void {
  const u = requireUser(access, session.user);
  if (u.superUser) return;
  const need = needOf(s, session);
  const what = words(s.kind);
  switch (need.kind) {
    case 'none':
      return;
    case 'super':
      throw new BasaltError(
        'PERMISSION_DENIED',
        `user '${session.user}' may not run ${what}: only a super user may; connect as root (or another super user)`,
      );
    case 'sysinfo':
      if (u.sysinfo) return;
      throw new BasaltError(
        'PERMISSION_DENIED',
        `user '${session.user}' has sysinfo 0 and may not run ${what}; a super user can allow it with: alter user ${session.user} sysinfo 1`,
      );
    case 'db':
      for (const t of targets(s, session)) {
        // Not named and no session database: the engine answers DB_NOT_SPECIFIED.
        if (t.db === null) continue;
        if (SYSTEM_DBS.has(t.db) && (need.level === 'see' || need.level === 'read') && u.sysinfo) continue;
        if (!grants(u, need.level, t.db, t.table)) throw denied(session.user, what, need.level, t.db, t.table);
      }
      return;
  }
}

/** The columnar bulk path (INSERT_COLUMNAR, line protocol): write on the database, or on each table (or its super table). */
export function authorizeInsert(
  access: AccessControl,
  user: string,
  dbName: string,
  tables: ReadonlyArray<{ readonly table: string; readonly using?: { readonly stable: string } }>,
): void {
  assert(user !== '', 'a bulk insert names the user it runs as');
  const u = requireUser(access, user);
  if (u.superUser || grants(u, 'write', dbName, null)) return;
  for (const t of tables) {
    if (grants(u, 'write', dbName, t.table)) continue;
    if (t.using && grants(u, 'write', dbName, t.using.stable)) continue;
    throw denied(user, 'insert', 'write', dbName, t.table);
  }
}
