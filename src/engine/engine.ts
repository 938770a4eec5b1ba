// The statement engine of a dnode: runs each statement — parsed by the dnode's gateway and
// handed over (executeStatement), or parsed here for SQL text (execute) — DDL against the
// catalog and vnodes, inserts against the vnodes, show commands against both, and hands
// SELECT to the select path. Statement handlers live in ddl-*.ts, insert.ts, show-*.ts.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { assert } from '../common/assert.js';
import { BasaltError } from '../common/errors.js';
import { Limits } from '../common/limits.js';
import { Catalog, type DbRecord } from './catalog.js';
import { openVnodeStore } from '../storage/index.js';
import type { VnodeStore } from '../storage/api.js';
import { parseOne, splitStatements, useStatement, type Statement } from '../sql/index.js';
import { vgIdOfDir } from '../vnode/replicated-open.js';
import { VnodeSet, type OpenStore } from '../vnode/vnode-set.js';
import {
  alterDatabase,
  compactDatabase,
  createDatabase,
  dropDatabase,
  flushDatabase,
  useDatabase,
} from './ddl-database.js';
import { alterTable, createChildTables, createStable, createTable, dropStable, dropTables } from './ddl-table.js';
import { alterUser, createUser, dropUser } from './ddl-user.js';
import { authorizeInsert, authorizeStatement } from './privileges.js';
import type {
  BulkTable,
  CreateEngine,
  EngineOptions,
  LocalEngine,
  Login,
  ReplicatedStore,
  Session,
  StatementResult,
} from './engine-api.js';
import { EngineCore, touchedDbs } from './engine-core.js';
import { insert, insertColumnar } from './insert.js';
import { reconcile } from './reconcile.js';
import { execResult } from './result-rows.js';
import { select } from './select-bridge.js';
import { showDatabases, showUsers, showVariables, showVgroups, showVnodes } from './show-cluster.js';
import { describe, showCreateDatabase, showCreateTable, showStables, showTables } from './show-schema.js';

/**
 * Cluster statements are the mnode leader's (src/mnode/cluster-statements.ts): a dnode's
 * gateway routes them there. An engine used on its own (tests, benchmarks) has no mnode.
 */
function onMnodeLeader(what: string): never {
  throw new BasaltError(
    'NOT_SUPPORTED',
    `'${what}' is a cluster statement that the mnode leader runs; send it through a dnode (basalt sql, REST), which routes it there`,
  );
}

/** DELETE parses but does not run yet. */
function deleteNotSupported(): never {
  throw new BasaltError('NOT_SUPPORTED', "'delete' is not supported yet; drop the table or let keep expire old data");
}

// Flat dispatch: after the remote meta refresh, each case maps one statement kind to its
// handler under the statement lock (`ex` exclusive for DDL, `sh` shared for reads and inserts)
// or to the mnode-leader refusal; the handlers live in ddl-*.ts, insert.ts, select-bridge.ts, show-*.ts.
// biome-ignore lint/complexity/noExcessiveLinesPerFunction: flat dispatch switch over 42 statement kinds, each case one handler call under the statement lock; split, the kind-to-handler table would be scattered over several functions
async function run(core: EngineCore, s: Statement, session: Session): Promise<StatementResult> {
  // Every statement this engine runs, from any interface or another dnode, passes here.
  authorizeStatement(core.access, session, s);
  // Vgroups hosted on other dnodes: refresh their table meta first (src/vnode/remote-vnode.ts).
  if (s.kind !== 'dropDatabase' && s.kind !== 'createDatabase') {
    for (const name of touchedDbs(s, session)) await core.prepare(name);
  }
  const ex = <T>(fn: () => Promise<T>): Promise<T> => core.lock.exclusive(fn);
  const sh = <T>(fn: () => Promise<T> | T): Promise<T> => core.lock.shared(async () => fn());
  switch (s.kind) {
    case 'createDatabase':
      return ex(() => createDatabase(core, s));
    case 'dropDatabase':
      return ex(() => dropDatabase(core, s));
    case 'alterDatabase':
      return ex(() => alterDatabase(core, s));
    case 'useDatabase':
      if (s.name === 'information_schema' || s.name === 'performance_schema') return execResult('Use', 0, s.name);
      return sh(() => useDatabase(core, s));
    case 'flushDatabase':
      return ex(() => flushDatabase(core, s));
    case 'compactDatabase':
      return ex(() => compactDatabase(core, s));
    case 'createStable':
      return ex(() => createStable(core, s, session));
    case 'createTable':
      return ex(() => createTable(core, s, session));
    case 'createChildTables':
      return ex(() => createChildTables(core, s, session));
    case 'dropTable':
      return ex(() => dropTables(core, s, session));
    case 'dropStable':
      return ex(() => dropStable(core, s, session));
    case 'alterTable':
      return ex(() => alterTable(core, s, session));
    case 'describe':
      return sh(() => describe(core, s, session));
    case 'insert':
      return sh(() => insert(core, s, session));
    case 'delete':
      return deleteNotSupported();
    case 'select':
      return sh(() => select(core, s, session));
    case 'showDatabases':
      return sh(() => showDatabases(core));
    case 'showTables':
      return sh(() => showTables(core, s, session));
    case 'showStables':
      return sh(() => showStables(core, s, session));
    case 'showCreateTable':
    case 'showCreateStable':
      return sh(() => showCreateTable(core, s, session));
    case 'showCreateDatabase':
      return sh(() => showCreateDatabase(core, s));
    case 'showDnodes':
      return onMnodeLeader('show dnodes');
    case 'showMnodes':
      return onMnodeLeader('show mnodes');
    case 'showVgroups':
      return sh(() => showVgroups(core, s, session));
    case 'showVnodes':
      return sh(() => showVnodes(core, s));
    case 'showCluster':
      return onMnodeLeader('show cluster');
    case 'showVariables':
      return sh(() => showVariables(core, s));
    case 'showDnodeVariables':
      return onMnodeLeader('show dnode variables');
    case 'showTransactions':
      return onMnodeLeader('show transactions');
    case 'showUsers':
      return sh(() => showUsers(core));
    case 'createUser':
      return ex(() => createUser(core, s));
    case 'alterUser':
      return ex(() => alterUser(core, s, session));
    case 'dropUser':
      return ex(() => dropUser(core, s));
    case 'showUserPrivileges':
      return onMnodeLeader('show user privileges');
    case 'showAudit':
      throw new BasaltError('NOT_SUPPORTED', 'show audit is answered by a dnode (its audit log); connect to one');
    case 'grant':
    case 'revoke':
      return onMnodeLeader(s.kind);
    case 'createDnode':
      return onMnodeLeader('create dnode');
    case 'createJoinToken':
      return onMnodeLeader('create join token');
    case 'dropDnode':
      return onMnodeLeader('drop dnode');
    case 'createMnode':
      return onMnodeLeader('create mnode');
    case 'dropMnode':
      return onMnodeLeader('drop mnode');
    case 'balanceVgroup':
      return onMnodeLeader('balance vgroup');
    case 'balanceVgroupLeader':
      return onMnodeLeader('balance vgroup leader');
    case 'redistributeVgroup':
      return onMnodeLeader('redistribute vgroup');
    case 'alterDnode':
      return onMnodeLeader('alter dnode');
  }
}

function checkLength(sql: string): void {
  if (sql.length > Limits.maxSqlBytes || Buffer.byteLength(sql, 'utf8') > Limits.maxSqlBytes) {
    throw new BasaltError(
      'STATEMENT_TOO_LONG',
      `statement is longer than ${Limits.maxSqlBytes} bytes; split it into several`,
    );
  }
}

/** Test seam: the store opener (defaults to the storage engine's openVnodeStore). */
export interface EngineInternals {
  readonly openStore?: OpenStore;
}

export async function createEngineWith(options: EngineOptions, internals: EngineInternals = {}): Promise<LocalEngine> {
  mkdirSync(options.dataDir, { recursive: true });
  const nowMs = options.nowMs ? options.nowMs() : Date.now();
  const catalog = Catalog.open(join(options.dataDir, 'mnode'), nowMs);
  // Keyed by the store object, so a vnode closed and dropped from the VnodeSet is not kept.
  const replicas = new WeakMap<VnodeStore, ReplicatedStore>();
  const log = options.log;
  // The store's lines name its directory already.
  const openLocal: OpenStore = (dir, vo) => openVnodeStore(dir, vo, log ? { log } : {});
  const openStore = storeOpener(options, catalog, internals.openStore ?? openLocal, replicas);
  const core = new EngineCore(options, catalog, new VnodeSet(options.dataDir, openStore), replicas);
  await reconcile(core);
  let closed = false;
  const alive = (): void => {
    if (closed) throw new BasaltError('SHUTTING_DOWN', 'the engine is closed');
  };

  const engine: LocalEngine = {
    async execute(sql: string, session: Session): Promise<StatementResult> {
      alive();
      checkLength(sql);
      return run(core, parseOne(sql), session);
    },
    async executeStatement(stmt: Statement, session: Session): Promise<StatementResult> {
      alive();
      return run(core, stmt, session);
    },
    async useDatabase(name: string, session: Session): Promise<string> {
      alive();
      const r = await run(core, useStatement(name), session);
      assert(r.useDb !== undefined, 'use sets the session database');
      return r.useDb;
    },
    async *executeMany(sql: string, session: Session): AsyncIterable<StatementResult> {
      alive();
      checkLength(sql);
      yield* runMany(core, sql, session);
    },
    async insertColumnar(db: string, tables: readonly BulkTable[], user?: string): Promise<number> {
      alive();
      // Only an engine used alone (tests) may leave the user out: a dnode always says who writes.
      assert(user !== undefined || options.access === undefined, 'a dnode names the user of a bulk insert');
      if (user !== undefined) authorizeInsert(core.access, user, db, tables);
      await core.prepare(db);
      return core.lock.shared(() => insertColumnar(core, db, tables));
    },
    vgroupMap(db: string) {
      alive();
      return vgroupMap(core, db);
    },
    placedDatabases: () => placedDatabases(core),
    async dropPlacedDatabase(name: string): Promise<void> {
      alive();
      await core.lock.exclusive(() =>
        dropDatabase(core, { kind: 'dropDatabase', ifExists: true, name, pos: { offset: 0, line: 1, column: 1 } }),
      );
    },
    async hostPlacedDatabase(name, given, vgroups): Promise<void> {
      alive();
      await hostPlacedDatabase(core, name, given, vgroups);
    },
    authenticate(user: string, password: string): boolean {
      return core.catalog.checkPassword(user, password);
    },
    async login(user: string, password: string): Promise<Login> {
      if (!core.catalog.checkPassword(user, password))
        throw new BasaltError('AUTH_FAILURE', `wrong user name or password for '${user}'`);
      return { user, generation: catalogGeneration(core, user) };
    },
    checkLogin(login: Login): void {
      if (catalogGeneration(core, login.user) !== login.generation)
        throw new BasaltError(
          'AUTH_FAILURE',
          `the password of user '${login.user}' changed or the user was dropped; reconnect with the new password`,
        );
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      await core.lock.exclusive(() => core.closeAll());
    },
  };
  return engine;
}

/** A catalog user's credential generation: its salt changes with every password set; -1 when gone. */
function catalogGeneration(core: EngineCore, user: string): number {
  const u = core.catalog.state.users.find((x) => x.name === user);
  return u ? Number.parseInt(u.salt.slice(0, 12), 16) : -1;
}

/**
 * A vgroup whose catalog record names replica dnodes is one replica of a Raft group (opened
 * through options.openReplicated and recorded in `replicas`); every other vgroup is a local
 * (replica-1) store.
 */
function storeOpener(
  options: EngineOptions,
  catalog: Catalog,
  openLocal: OpenStore,
  replicas: WeakMap<VnodeStore, ReplicatedStore>,
): OpenStore {
  return async (dir, vo) => {
    const vgId = vgIdOfDir(dir);
    const rec = catalog.state.dbs.flatMap((d) => d.vgroups).find((v) => v.vgId === vgId);
    if (rec?.dnodeIds === undefined) return openLocal(dir, vo);
    if (!options.openReplicated) {
      throw new BasaltError(
        'NOT_SUPPORTED',
        `vgroup ${vgId} is replicated (dnodes ${rec.dnodeIds.join(', ')}) and this server runs no cluster runtime; start it as a cluster dnode`,
      );
    }
    // A replica that joins after a move has no founders: it waits for the leader to add it.
    const r = await options.openReplicated(vgId, dir, vo, rec.moved ? [] : rec.dnodeIds);
    replicas.set(r, r);
    return r;
  };
}

/** Runs the statements of a script in order; `use` in one applies to the ones after it. */
async function* runMany(core: EngineCore, sql: string, session: Session): AsyncIterable<StatementResult> {
  let current: Session = { ...session };
  for (const text of splitStatements(sql)) {
    const r = await run(core, parseOne(text), current);
    if (r.useDb !== undefined) current = { ...current, db: r.useDb };
    yield r;
  }
}

function vgroupMap(core: EngineCore, db: string): ReturnType<LocalEngine['vgroupMap']> {
  const d = core.catalog.requireDb(db);
  const self = core.options.dnode;
  return d.vgroups.map((vg) => {
    let leader: string | null = self.endpoint;
    if (vg.dnodeIds !== undefined) {
      const id = (core.replicaOf(vg.vgId) ?? core.remoteOf(vg.vgId))?.status().leader ?? 0;
      leader = id === 0 ? null : id === self.dnodeId ? self.endpoint : (self.endpointOf?.(id) ?? null);
    }
    return { vgId: vg.vgId, hashBegin: vg.hashBegin, hashEnd: vg.hashEnd, leader };
  });
}

function placedDatabases(core: EngineCore): ReturnType<LocalEngine['placedDatabases']> {
  return core.catalog.state.dbs
    .filter((d) => d.vgroups.some((v) => v.dnodeIds !== undefined))
    .map((d) => ({
      name: d.name,
      createdAtMs: d.createdAtMs,
      vgroups: d.vgroups.map((v) => ({ vgId: v.vgId, dnodeIds: v.dnodeIds ?? [] })),
    }));
}

type HostPlaced = LocalEngine['hostPlacedDatabase'];

async function hostPlacedDatabase(core: EngineCore, ...[name, given, vgroups]: Parameters<HostPlaced>): Promise<void> {
  // Nothing changed (the usual case when a status reply is followed): no lock taken.
  const known = core.catalog.getDb(name);
  if (
    known &&
    known.vgroups.length === vgroups.length &&
    vgroups.every(
      (v, i) =>
        known.vgroups[i]!.vgId === v.vgId && (known.vgroups[i]!.dnodeIds ?? []).join(',') === v.dnodeIds.join(','),
    ) &&
    known.vgroups.every((v) => !core.hostsHere(v) || core.hostsVgroup(v.vgId))
  )
    return;
  await core.lock.exclusive(async () => {
    const have = core.catalog.getDb(name);
    if (have) await followPlacement(core, name, have, vgroups);
    else {
      core.catalog.commit(core.catalog.planCreatePlacedDb(name, given, vgroups, core.nowMs()));
      // Recorded for the first time after a move (this dnode joins): no vgroup is founded here.
      for (const v of vgroups)
        if (v.moved) core.catalog.commit({ op: 'setVgroupDnodes', db: name, vgId: v.vgId, dnodeIds: v.dnodeIds });
    }
    await core.openDb(core.catalog.requireDb(name));
  });
}

/** The mnode moved replicas of a database recorded here (balance, drop dnode): follow the new placement. */
async function followPlacement(
  core: EngineCore,
  name: string,
  have: DbRecord,
  vgroups: Parameters<HostPlaced>[2],
): Promise<void> {
  const same = have.vgroups.length === vgroups.length && have.vgroups.every((v, i) => v.vgId === vgroups[i]!.vgId);
  if (!same)
    throw new BasaltError(
      'DB_ALREADY_EXISTS',
      `database '${name}' already exists on dnode ${core.options.dnode.dnodeId} with other vgroups; drop it there first`,
    );
  for (const v of vgroups) {
    const rec = have.vgroups.find((x) => x.vgId === v.vgId)!;
    if (rec.dnodeIds !== undefined && rec.dnodeIds.join(',') === v.dnodeIds.join(',')) continue;
    core.catalog.commit({ op: 'setVgroupDnodes', db: name, vgId: v.vgId, dnodeIds: v.dnodeIds });
    await core.rehost(core.catalog.requireDb(name), v.vgId);
  }
}

export const createEngine: CreateEngine = (options) => createEngineWith(options);
