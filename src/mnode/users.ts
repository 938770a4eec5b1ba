// Users and grants as replicated cluster state: part of ClusterState (cluster-state.ts), changed
// only by committed ops, so every mnode holds the same users and every dnode caches them by
// `version` from its status replies (src/dnode/user-cache.ts). Passwords are kept as salted
// scrypt hashes computed by the leader when it plans a change, so applying an op is pure and
// never slow. The checks of who may run what live in src/engine/privileges.ts.
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { assert } from '../common/assert.js';
import { BasaltError } from '../common/errors.js';
import { DataType } from '../common/types.js';
import { col, finished, rows, varcharCol, type ClusterResult } from './leader-host.js';

/**
 * scrypt's cost, stored with each hash so it can be raised later without breaking old hashes.
 * N = 2^14 costs tens of milliseconds: too slow to guess at, too slow to run per request, so
 * dnodes verify once per (user, password) and sessions compare generations afterwards.
 */
export interface ScryptCost {
  readonly N: number;
  readonly r: number;
  readonly p: number;
}
export const SCRYPT_COST: ScryptCost = { N: 1 << 14, r: 8, p: 1 };
const HASH_BYTES = 32;

export const DEFAULT_ROOT_PASSWORD = 'taosdata';

export type Privilege = 'read' | 'write' | 'all';

export interface UserRecord {
  readonly name: string;
  /** Hex. */
  readonly salt: string;
  /** Hex scrypt(password, salt) with `cost`. */
  readonly hash: string;
  readonly cost: ScryptCost;
  readonly superUser: boolean;
  readonly sysinfo: 0 | 1;
  readonly enabled: boolean;
  readonly createdAtMs: number;
  /**
   * The users version at which this user's credentials last changed (created, password,
   * enable): a session opened before it has ended. Dnodes compare it per request.
   */
  readonly authVersion: number;
}

export interface GrantRecord {
  readonly user: string;
  readonly privilege: Privilege;
  readonly db: string;
  /** A table name, or '*' for every table of `db`. */
  readonly table: string;
}

export interface UsersState {
  /** Increases with every change; 0 until the users were initialised (no one can log in). */
  readonly version: number;
  readonly users: readonly UserRecord[];
  readonly grants: readonly GrantRecord[];
}

export const EMPTY_USERS: UsersState = { version: 0, users: [], grants: [] };

/** The user part of ClusterOp: every generated value (hash, salt, time) is in the op. */
export type UserOp =
  | { readonly op: 'usersInit'; readonly root: Omit<UserRecord, 'authVersion'> }
  | { readonly op: 'createUser'; readonly user: Omit<UserRecord, 'authVersion'> }
  | {
      readonly op: 'alterUser';
      readonly name: string;
      readonly password?: { readonly salt: string; readonly hash: string; readonly cost: ScryptCost };
      readonly enabled?: boolean;
      readonly sysinfo?: 0 | 1;
    }
  | { readonly op: 'dropUser'; readonly name: string }
  | {
      readonly op: 'grant';
      readonly user: string;
      readonly privilege: Privilege;
      readonly db: string;
      readonly table: string;
    }
  | {
      readonly op: 'revoke';
      readonly user: string;
      readonly privilege: Privilege;
      readonly db: string;
      readonly table: string;
    };

export const USER_OPS: ReadonlySet<string> = new Set([
  'usersInit',
  'createUser',
  'alterUser',
  'dropUser',
  'grant',
  'revoke',
]);

/** Applies one committed user op; pure. An op that finds nothing to change still bumps nothing. */
export function applyUserOp(s: UsersState, o: UserOp): UsersState {
  const v = s.version + 1;
  switch (o.op) {
    case 'usersInit':
      // Replayed or raced: the first init wins on every replica.
      if (s.version !== 0) return s;
      return { version: v, users: [{ ...o.root, authVersion: v }], grants: [] };
    case 'createUser':
      if (s.users.some((u) => u.name === o.user.name)) return s;
      return { ...s, version: v, users: [...s.users, { ...o.user, authVersion: v }] };
    case 'alterUser': {
      const u = s.users.find((x) => x.name === o.name);
      if (!u) return s;
      const credentials = o.password !== undefined || (o.enabled !== undefined && o.enabled !== u.enabled);
      const next: UserRecord = {
        ...u,
        ...(o.password ?? {}),
        ...(o.enabled !== undefined ? { enabled: o.enabled } : {}),
        ...(o.sysinfo !== undefined ? { sysinfo: o.sysinfo } : {}),
        authVersion: credentials ? v : u.authVersion,
      };
      return { ...s, version: v, users: s.users.map((x) => (x.name === o.name ? next : x)) };
    }
    case 'dropUser':
      if (!s.users.some((u) => u.name === o.name)) return s;
      return {
        version: v,
        users: s.users.filter((u) => u.name !== o.name),
        grants: s.grants.filter((g) => g.user !== o.name),
      };
    case 'grant':
      return { ...s, version: v, grants: applyGrant(s.grants, o) };
    case 'revoke':
      return { ...s, version: v, grants: applyRevoke(s.grants, o) };
  }
}

// Grants as bits per (user, db, table): read 1, write 2, all = read + write + table DDL.
const BITS: Record<Privilege, number> = { read: 1, write: 2, all: 7 };

function bitsOf(gs: readonly GrantRecord[], user: string, db: string, table: string): number {
  let b = 0;
  for (const g of gs) if (g.user === user && g.db === db && g.table === table) b |= BITS[g.privilege];
  return b;
}

function withBits(gs: readonly GrantRecord[], user: string, db: string, table: string, bits: number): GrantRecord[] {
  const rest = gs.filter((g) => !(g.user === user && g.db === db && g.table === table));
  if (bits === 7) return [...rest, { user, privilege: 'all', db, table }];
  const out = [...rest];
  if (bits & 1) out.push({ user, privilege: 'read', db, table });
  if (bits & 2) out.push({ user, privilege: 'write', db, table });
  return out;
}

function applyGrant(gs: readonly GrantRecord[], o: Omit<GrantRecord, never>): GrantRecord[] {
  return withBits(gs, o.user, o.db, o.table, bitsOf(gs, o.user, o.db, o.table) | BITS[o.privilege]);
}

function applyRevoke(gs: readonly GrantRecord[], o: Omit<GrantRecord, never>): GrantRecord[] {
  // Revoking read or write from `all` also takes table DDL away: what is left is plain write or read.
  const have = bitsOf(gs, o.user, o.db, o.table);
  return withBits(gs, o.user, o.db, o.table, have & ~BITS[o.privilege] & 3);
}

// ---------------------------------------------------------------- hashing

function scryptHex(password: string, salt: string, cost: ScryptCost): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(
      password,
      Buffer.from(salt, 'hex'),
      HASH_BYTES,
      { N: cost.N, r: cost.r, p: cost.p, maxmem: 256 * cost.N * cost.r },
      (err, key) => (err ? reject(err) : resolve(key)),
    ),
  );
}

export async function hashPassword(
  password: string,
): Promise<{ readonly salt: string; readonly hash: string; readonly cost: ScryptCost }> {
  const salt = randomBytes(16).toString('hex');
  const key = await scryptHex(password, salt, SCRYPT_COST);
  return { salt, hash: key.toString('hex'), cost: SCRYPT_COST };
}

/** True when `password` is the user's (scrypt with the user's own salt and cost; slow by design). */
export async function verifyPassword(
  u: Pick<UserRecord, 'salt' | 'hash' | 'cost'>,
  password: string,
): Promise<boolean> {
  const want = Buffer.from(u.hash, 'hex');
  const got = await scryptHex(password, u.salt, u.cost);
  return want.length === got.length && timingSafeEqual(want, got);
}

export function checkPasswordText(user: string, password: string): void {
  if (password.length === 0 || password.length > 128)
    throw new BasaltError('INVALID_PASS', `the password of '${user}' must be 1 to 128 characters`);
}

function checkUserName(name: string): void {
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,22}$/.test(name))
    throw new BasaltError(
      'INVALID_USER_FORMAT',
      `'${name.slice(0, 40)}' is not a user name: 1 to 23 letters, digits or '_', not starting with a digit`,
    );
}

/** The root user a new cluster starts with (the password from BASALT_ROOT_PASSWORD / rootPasswordFile, else taosdata). */
export async function planUsersInit(rootPassword: string, nowMs: number): Promise<UserOp> {
  checkPasswordText('root', rootPassword);
  const h = await hashPassword(rootPassword);
  return {
    op: 'usersInit',
    root: { name: 'root', ...h, superUser: true, sysinfo: 1, enabled: true, createdAtMs: nowMs },
  };
}

// ---------------------------------------------------------------- statements

/** User and grant statements as the mnode leader runs them (the gateway maps the parsed statement). */
export type UserRequest =
  | { readonly kind: 'showUsers' }
  | { readonly kind: 'showUserPrivileges' }
  | { readonly kind: 'createUser'; readonly user: string; readonly password: string; readonly sysinfo: 0 | 1 }
  | {
      readonly kind: 'alterUser';
      readonly user: string;
      readonly password: string | null;
      readonly enable: 0 | 1 | null;
      readonly sysinfo: 0 | 1 | null;
    }
  | { readonly kind: 'dropUser'; readonly user: string }
  | {
      readonly kind: 'grant' | 'revoke';
      readonly privilege: Privilege;
      readonly db: string;
      readonly table: string;
      readonly user: string;
    };

export const USER_REQUESTS: ReadonlySet<string> = new Set([
  'showUsers',
  'showUserPrivileges',
  'createUser',
  'alterUser',
  'dropUser',
  'grant',
  'revoke',
]);

/** What the statements need of the mnode: its users and a way to commit a change. */
export interface UsersMnode {
  users(): UsersState;
  propose(op: UserOp): Promise<void>;
}

function requireUser(s: UsersState, name: string): UserRecord {
  const u = s.users.find((x) => x.name === name);
  if (!u)
    throw new BasaltError(
      'USER_NOT_EXIST',
      `user '${name}' does not exist; 'show users' lists them, 'create user ${name} pass '…'' adds it`,
    );
  return u;
}

/**
 * Runs one user or grant statement on the mnode leader (the caller serialises changes). Who
 * may run it was checked by the gateway (src/engine/privileges.ts) before it was sent here.
 */
export async function runUserRequest(m: UsersMnode, r: UserRequest, nowMs: number): Promise<ClusterResult> {
  const s = m.users();
  switch (r.kind) {
    case 'showUsers':
      return showUsers(s);
    case 'showUserPrivileges':
      return showUserPrivileges(s);
    case 'createUser': {
      checkUserName(r.user);
      if (s.users.some((u) => u.name === r.user))
        throw new BasaltError('USER_ALREADY_EXISTS', `user '${r.user}' already exists; 'alter user' changes it`);
      checkPasswordText(r.user, r.password);
      const h = await hashPassword(r.password);
      await m.propose({
        op: 'createUser',
        user: { name: r.user, ...h, superUser: false, sysinfo: r.sysinfo, enabled: true, createdAtMs: nowMs },
      });
      return finished('Create');
    }
    case 'alterUser': {
      const u = requireUser(s, r.user);
      if (u.superUser && r.enable === 0)
        throw new BasaltError('INVALID_ALTER_OPER', `user '${r.user}' is a super user and cannot be disabled`);
      if (r.password !== null) checkPasswordText(r.user, r.password);
      const password = r.password !== null ? await hashPassword(r.password) : undefined;
      await m.propose({
        op: 'alterUser',
        name: r.user,
        ...(password ? { password } : {}),
        ...(r.enable !== null ? { enabled: r.enable === 1 } : {}),
        ...(r.sysinfo !== null ? { sysinfo: r.sysinfo } : {}),
      });
      return finished('Alter');
    }
    case 'dropUser': {
      const u = requireUser(s, r.user);
      if (u.superUser)
        throw new BasaltError('INVALID_ALTER_OPER', `user '${r.user}' is a super user and cannot be dropped`);
      await m.propose({ op: 'dropUser', name: r.user });
      return finished('Drop');
    }
    case 'grant':
    case 'revoke': {
      const u = requireUser(s, r.user);
      if (u.superUser)
        throw new BasaltError(
          'INVALID_ALTER_OPER',
          `user '${r.user}' is a super user and holds every privilege; grants apply to other users`,
        );
      assert(r.db !== '' && r.table !== '', 'a grant names a database and a table or *');
      await m.propose({ op: r.kind, user: r.user, privilege: r.privilege, db: r.db, table: r.table });
      return finished(r.kind === 'grant' ? 'Grant' : 'Revoke');
    }
  }
}

function showUsers(s: UsersState): ClusterResult {
  return rows(
    [
      varcharCol('name', 24),
      col('super', DataType.TINYINT),
      col('enable', DataType.TINYINT),
      col('sysinfo', DataType.TINYINT),
      col('create_time', DataType.TIMESTAMP),
    ],
    s.users.map((u) => [u.name, u.superUser ? 1 : 0, u.enabled ? 1 : 0, u.sysinfo, u.createdAtMs]),
  );
}

function showUserPrivileges(s: UsersState): ClusterResult {
  // A super user holds everything: one `all` row on `*`, as TDengine lists root.
  const supers = s.users.filter((u) => u.superUser).map((u) => [u.name, 'all', '*', '*']);
  const granted = [...s.grants]
    .sort((a, b) => a.user.localeCompare(b.user) || a.db.localeCompare(b.db) || a.table.localeCompare(b.table))
    .map((g) => [g.user, g.privilege, g.db, g.table]);
  return rows(
    [
      varcharCol('user_name', 24),
      varcharCol('privilege', 10),
      varcharCol('db_name', 65),
      varcharCol('table_name', 193),
    ],
    [...supers, ...granted],
  );
}
