// The per-dnode catalog of one dnode's engine: databases with their options and vgroups,
// super-table schemas, users. It is not the replicated cluster state (dnodes, mnodes,
// database placement), which is src/mnode/cluster-state.ts; a replicated database the mnode
// placed is recorded here too (planCreatePlacedDb), with each vgroup's replica dnodes.
// A small state machine: every change is an explicit CatalogOp, checked against the current
// state by `plan*` (which may throw BasaltError), then applied by the deterministic `applyOp`
// and persisted atomically in dataDir/mnode/catalog.json. It is not replicated: each dnode
// keeps its own.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { assert } from '../common/assert.js';
import { BasaltError } from '../common/errors.js';
import { hashRanges } from '../common/hash.js';
import { Limits } from '../common/limits.js';
import type { ColumnSchema } from '../common/types.js';
import { writeFileAtomicSync } from '../common/atomic-file.js';
import { DEFAULT_DB_OPTIONS, type DbOptions, validateDbOptions } from '../common/db-options.js';

export const CATALOG_FORMAT_VERSION = 1;

export interface VgroupRecord {
  readonly vgId: number;
  readonly hashBegin: number;
  readonly hashEnd: number;
  /**
   * Replicated databases only: the dnodes of the vgroup's replicas as the mnode placed them,
   * which are also its founding Raft voters (kept so a dnode that crashed between recording
   * the database and opening its vnodes founds the group with the same list at restart).
   */
  readonly dnodeIds?: readonly number[];
  /**
   * Set once the placement changed after creation (balance, drop dnode): `dnodeIds` are then
   * the current replicas, not founders, and a replica opened here for the first time must
   * start empty and wait to be added by the leader, never found a group of its own.
   */
  readonly moved?: boolean;
}

export interface StableRecord {
  readonly name: string;
  readonly columns: readonly ColumnSchema[];
  readonly tags: readonly ColumnSchema[];
  readonly createdAtMs: number;
}

export interface DbRecord {
  readonly name: string;
  readonly createdAtMs: number;
  readonly options: DbOptions;
  readonly vgroups: readonly VgroupRecord[];
  readonly stables: readonly StableRecord[];
}

export interface UserRecord {
  readonly name: string;
  readonly salt: string;
  /** sha256(salt + ':' + password), hex. */
  readonly passHash: string;
  readonly superUser: boolean;
  readonly createdAtMs: number;
}

export interface CatalogState {
  readonly formatVersion: number;
  readonly clusterId: string;
  readonly createdAtMs: number;
  /** Next data vgroup id; vgId 1 is the mnode group, data vgroups start at 2, never reused. */
  readonly nextVgId: number;
  readonly dbs: readonly DbRecord[];
  readonly users: readonly UserRecord[];
}

export type CatalogOp =
  | { readonly op: 'createDb'; readonly db: DbRecord; readonly nextVgId: number }
  | { readonly op: 'dropDb'; readonly name: string }
  | { readonly op: 'alterDb'; readonly name: string; readonly options: DbOptions }
  | { readonly op: 'putStable'; readonly db: string; readonly stable: StableRecord }
  | { readonly op: 'setVgroupDnodes'; readonly db: string; readonly vgId: number; readonly dnodeIds: readonly number[] }
  | { readonly op: 'dropStable'; readonly db: string; readonly name: string }
  | { readonly op: 'putUser'; readonly user: UserRecord }
  | { readonly op: 'dropUser'; readonly name: string };

/** Applies one op to a state; pure and deterministic (ops carry every generated value). */
export function applyOp(s: CatalogState, o: CatalogOp): CatalogState {
  switch (o.op) {
    case 'createDb':
      assert(!s.dbs.some((d) => d.name === o.db.name), `createDb of existing '${o.db.name}'`);
      assert(o.nextVgId > s.nextVgId - 1, 'vgIds must never be reused');
      return { ...s, nextVgId: o.nextVgId, dbs: [...s.dbs, o.db] };
    case 'dropDb':
      return { ...s, dbs: s.dbs.filter((d) => d.name !== o.name) };
    case 'alterDb':
      return { ...s, dbs: s.dbs.map((d) => (d.name === o.name ? { ...d, options: o.options } : d)) };
    case 'setVgroupDnodes':
      return {
        ...s,
        dbs: s.dbs.map((d) =>
          d.name !== o.db
            ? d
            : {
                ...d,
                vgroups: d.vgroups.map((v) =>
                  v.vgId === o.vgId ? { ...v, dnodeIds: [...o.dnodeIds], moved: true } : v,
                ),
              },
        ),
      };
    case 'putStable':
      return {
        ...s,
        dbs: s.dbs.map((d) =>
          d.name === o.db ? { ...d, stables: [...d.stables.filter((t) => t.name !== o.stable.name), o.stable] } : d,
        ),
      };
    case 'dropStable':
      return {
        ...s,
        dbs: s.dbs.map((d) => (d.name === o.db ? { ...d, stables: d.stables.filter((t) => t.name !== o.name) } : d)),
      };
    case 'putUser':
      return { ...s, users: [...s.users.filter((u) => u.name !== o.user.name), o.user] };
    case 'dropUser':
      return { ...s, users: s.users.filter((u) => u.name !== o.name) };
  }
}

function hashPassword(salt: string, password: string): string {
  return createHash('sha256').update(`${salt}:${password}`).digest('hex');
}

function makeUser(name: string, password: string, superUser: boolean, nowMs: number): UserRecord {
  const salt = randomBytes(8).toString('hex');
  return { name, salt, passHash: hashPassword(salt, password), superUser, createdAtMs: nowMs };
}

function checkPasswordText(user: string, password: string): void {
  if (password.length === 0 || password.length > 128) {
    throw new BasaltError('INVALID_PASS', `password for '${user}' must be 1 to 128 characters`);
  }
}

function initialState(nowMs: number): CatalogState {
  // Cluster id: a positive 63-bit number, shown by `show cluster` as BIGINT.
  const id = randomBytes(8).readBigUInt64BE() & 0x7fffffffffffffffn;
  return {
    formatVersion: CATALOG_FORMAT_VERSION,
    clusterId: id.toString(),
    createdAtMs: nowMs,
    nextVgId: 2,
    dbs: [],
    users: [makeUser('root', 'taosdata', true, nowMs)],
  };
}

/** Names reserved for the system databases `show databases` always lists. */
export const SYSTEM_DBS = ['information_schema', 'performance_schema'] as const;

export class Catalog {
  private stateValue: CatalogState;
  private readonly file: string;

  private constructor(file: string, state: CatalogState) {
    this.file = file;
    this.stateValue = state;
  }

  /** Opens (or creates) the catalog under `mnodeDir`, recovering the last persisted state. */
  static open(mnodeDir: string, nowMs: number): Catalog {
    mkdirSync(mnodeDir, { recursive: true });
    const file = join(mnodeDir, 'catalog.json');
    if (!existsSync(file)) {
      const c = new Catalog(file, initialState(nowMs));
      c.persist();
      return c;
    }
    let state: CatalogState;
    try {
      state = JSON.parse(readFileSync(file, 'utf8')) as CatalogState;
    } catch (e) {
      throw new BasaltError(
        'FILE_CORRUPTED',
        `${file} is not valid JSON (${(e as Error).message}); restore it from a backup`,
      );
    }
    if (state.formatVersion !== CATALOG_FORMAT_VERSION) {
      throw new BasaltError(
        'DATA_DIR_INCOMPATIBLE',
        `${file} has catalog format ${String(state.formatVersion)}, this build reads format ${CATALOG_FORMAT_VERSION}`,
      );
    }
    return new Catalog(file, state);
  }

  get state(): CatalogState {
    return this.stateValue;
  }

  private persist(): void {
    writeFileAtomicSync(this.file, JSON.stringify(this.stateValue));
  }

  /** Applies and persists one op (the single write path of the catalog). */
  commit(o: CatalogOp): void {
    this.stateValue = applyOp(this.stateValue, o);
    this.persist();
  }

  getDb(name: string): DbRecord | undefined {
    return this.stateValue.dbs.find((d) => d.name === name);
  }

  /** The db or DB_NOT_EXIST naming it. */
  requireDb(name: string): DbRecord {
    const d = this.getDb(name);
    if (!d)
      throw new BasaltError(
        'DB_NOT_EXIST',
        `database '${name}' does not exist; create it with 'create database ${name}'`,
      );
    return d;
  }

  getStable(db: string, name: string): StableRecord | undefined {
    return this.getDb(db)?.stables.find((t) => t.name === name);
  }

  // --- planning: check a request against the state, return the op to commit ---

  /**
   * `vnodeCapacity`: vnodes the dnodes can host in total (their supportVnodes); a database
   * whose vgroups do not fit is refused rather than placed on an overloaded dnode.
   */
  planCreateDb(
    name: string,
    given: Partial<DbOptions>,
    dnodeCount: number,
    vnodeCapacity: number,
    nowMs: number,
  ): CatalogOp {
    const nameBytes = Buffer.byteLength(name, 'utf8');
    if (nameBytes === 0 || nameBytes > Limits.maxDbNameBytes) {
      throw new BasaltError(
        'INVALID_IDENTIFIER',
        `database name '${name}' must be 1 to ${Limits.maxDbNameBytes} bytes`,
      );
    }
    if ((SYSTEM_DBS as readonly string[]).includes(name)) {
      throw new BasaltError('DB_ALREADY_EXISTS', `'${name}' is a system database; choose another name`);
    }
    if (this.getDb(name))
      throw new BasaltError('DB_ALREADY_EXISTS', `database '${name}' already exists; use 'if not exists' to ignore`);
    const options: DbOptions = { ...DEFAULT_DB_OPTIONS, ...given };
    // keep given as a single value applies to all three tiers; duration alone keeps default keep.
    validateDbOptions(name, options, dnodeCount);
    const used = this.stateValue.dbs.reduce((n, d) => n + d.vgroups.length * d.options.replica, 0);
    if (used + options.vgroups * options.replica > vnodeCapacity) {
      throw new BasaltError(
        'VNODES_EXHAUSTED',
        `database '${name}' needs ${options.vgroups * options.replica} vnodes but only ${Math.max(0, vnodeCapacity - used)} of ${vnodeCapacity} are free (supportVnodes); use fewer vgroups, drop a database or raise supportVnodes`,
      );
    }
    const ranges = hashRanges(options.vgroups);
    const first = this.stateValue.nextVgId;
    const vgroups = ranges.map((r, i) => ({ vgId: first + i, hashBegin: r.begin, hashEnd: r.end }));
    return {
      op: 'createDb',
      db: { name, createdAtMs: nowMs, options, vgroups, stables: [] },
      nextVgId: first + options.vgroups,
    };
  }

  /**
   * A database the mnode placed (replica > 1): vgIds and replica dnodes come from the
   * cluster state's placement, so every replica's dnode records the same vgroups. Capacity
   * was checked by the mnode's planner; the hash ranges are the usual split by vgroup count.
   */
  planCreatePlacedDb(
    name: string,
    given: Partial<DbOptions>,
    placed: readonly { vgId: number; dnodeIds: readonly number[] }[],
    nowMs: number,
  ): CatalogOp {
    assert(placed.length >= 1, `database '${name}' placed with no vgroups`);
    if (this.getDb(name))
      throw new BasaltError('DB_ALREADY_EXISTS', `database '${name}' already exists; use 'if not exists' to ignore`);
    // During a move a vgroup lists its old and new replicas, so only the given replica (or,
    // for a placement made before options were recorded, the smallest list) says the count.
    const replica =
      typeof given.replica === 'number' ? given.replica : Math.min(...placed.map((v) => v.dnodeIds.length));
    for (const v of placed) {
      assert(
        v.dnodeIds.length >= replica && new Set(v.dnodeIds).size === v.dnodeIds.length,
        `vgroup ${v.vgId} of '${name}' needs ${replica} or more distinct dnodes`,
      );
      assert(
        !this.stateValue.dbs.some((d) => d.vgroups.some((x) => x.vgId === v.vgId)),
        `vgId ${v.vgId} is already used`,
      );
    }
    const options: DbOptions = { ...DEFAULT_DB_OPTIONS, ...given, replica, vgroups: placed.length };
    validateDbOptions(name, options, replica);
    const ranges = hashRanges(placed.length);
    const vgroups = placed.map((v, i) => ({
      vgId: v.vgId,
      hashBegin: ranges[i]!.begin,
      hashEnd: ranges[i]!.end,
      dnodeIds: [...v.dnodeIds],
    }));
    return {
      op: 'createDb',
      db: { name, createdAtMs: nowMs, options, vgroups, stables: [] },
      nextVgId: this.stateValue.nextVgId,
    };
  }

  planAlterDb(name: string, changes: Partial<DbOptions>, dnodeCount: number): CatalogOp {
    const d = this.requireDb(name);
    for (const k of ['vgroups', 'precision', 'replica'] as const) {
      if (changes[k] !== undefined && changes[k] !== d.options[k]) {
        throw new BasaltError(
          'DB_OPTION_INVALID',
          `database '${name}': option ${k} cannot be altered; alter buffer, keep, wal_level, wal_fsync_period, minrows or maxrows`,
        );
      }
    }
    const options: DbOptions = { ...d.options, ...changes };
    validateDbOptions(name, options, dnodeCount);
    return { op: 'alterDb', name, options };
  }

  planSetPassword(user: string, password: string, nowMs: number): CatalogOp {
    const u = this.stateValue.users.find((x) => x.name === user);
    if (!u) throw new BasaltError('INVALID_PARA', `user '${user}' does not exist`);
    checkPasswordText(user, password);
    return { op: 'putUser', user: { ...makeUser(user, password, u.superUser, nowMs), createdAtMs: u.createdAtMs } };
  }

  planCreateUser(user: string, password: string, nowMs: number): CatalogOp {
    if (this.stateValue.users.some((x) => x.name === user)) {
      throw new BasaltError('INVALID_PARA', `user '${user}' already exists`);
    }
    checkPasswordText(user, password);
    return { op: 'putUser', user: makeUser(user, password, false, nowMs) };
  }

  planDropUser(user: string): CatalogOp {
    const u = this.stateValue.users.find((x) => x.name === user);
    if (!u) throw new BasaltError('INVALID_PARA', `user '${user}' does not exist`);
    if (u.superUser) throw new BasaltError('INVALID_PARA', `user '${user}' is the super user and cannot be dropped`);
    return { op: 'dropUser', name: user };
  }

  checkPassword(user: string, password: string): boolean {
    const u = this.stateValue.users.find((x) => x.name === user);
    if (!u) return false;
    const h = hashPassword(u.salt, password);
    return (
      h.length === u.passHash.length &&
      createHash('sha256').update(h).digest('hex') === createHash('sha256').update(u.passHash).digest('hex')
    );
  }
}
