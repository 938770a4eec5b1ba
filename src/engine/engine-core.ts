// The state every statement handler works on: the catalog, the open vnodes, the clock and
// the dnode description. Handlers live in their own files (ddl-*.ts, insert.ts, show*.ts)
// and receive this core; engine.ts only dispatches.
import { BasaltError } from '../common/errors.js';
import { Limits } from '../common/limits.js';
import type { VnodeOptions, VnodeStore, VnodeTables, TableInfo } from '../storage/api.js';
import { Catalog, SYSTEM_DBS, type DbRecord, type VgroupRecord } from './catalog.js';
import type { DbOptions } from '../common/db-options.js';
import { vgroupIndexForTable } from '../common/routing.js';
import { VnodeSet } from '../vnode/vnode-set.js';
import type { EngineOptions, RemoteStore, ReplicatedStore, Session } from './engine-api.js';
import { databasesNamed, type Statement } from '../sql/index.js';
import type { DbHandle, RemoteSubplans } from '../query/select-api.js';
import { RwLock } from './rw-lock.js';
import { catalogAccess } from './ddl-user.js';
import type { AccessControl } from './privileges.js';

export interface TableLoc {
  readonly db: DbRecord;
  readonly vg: VgroupRecord;
  readonly store: VnodeTables;
  readonly info: TableInfo;
}

export function vnodeOptionsOf(o: DbOptions): VnodeOptions {
  return {
    precision: o.precision,
    bufferBytes: o.bufferMb * 1024 * 1024,
    durationMs: o.durationMinutes * 60_000,
    keepMs: o.keepMinutes[2] * 60_000,
    walLevel: o.walLevel,
    walFsyncPeriodMs: o.walFsyncPeriodMs,
    maxRows: o.maxRows,
    minRows: o.minRows,
  };
}

/** The databases a statement touches: the session's and every one it names (sql/statement-dbs.ts). */
export function touchedDbs(s: Statement, session: Session): Set<string> {
  const out = new Set(databasesNamed(s));
  if (session.db !== null) out.add(session.db);
  return out;
}

export class EngineCore {
  readonly lock = new RwLock();
  /** Where users and grants come from: the dnode's cluster users, else this engine's catalog. */
  get access(): AccessControl {
    return this.options.access ?? catalogAccess(this.catalog);
  }
  /** Single-dnode server: replica and placement checks see one dnode. */
  readonly dnodeCount = 1;
  /** Views of replicated vgroups with no replica here (their replicas are on other dnodes). */
  private readonly remotes = new Map<number, RemoteStore>();

  constructor(
    readonly options: EngineOptions,
    readonly catalog: Catalog,
    readonly vnodes: VnodeSet,
    /** The replicated vnodes among `vnodes` (what openReplicated returned), by store. */
    private readonly replicas: WeakMap<VnodeStore, ReplicatedStore> = new WeakMap(),
  ) {}

  nowMs(): number {
    return this.options.nowMs ? this.options.nowMs() : Date.now();
  }

  /** The database a statement means: explicit, else the session's, else DB_NOT_SPECIFIED. */
  dbName(explicit: string | null, session: Session): string {
    const name = explicit ?? session.db;
    if (name === null) {
      throw new BasaltError('DB_NOT_SPECIFIED', "no database selected; run 'use <db>' or qualify the name as db.table");
    }
    return name;
  }

  db(name: string): DbRecord {
    if ((SYSTEM_DBS as readonly string[]).includes(name)) {
      throw new BasaltError(
        'NOT_SUPPORTED',
        `system database '${name}' has no tables to query in this version; use the show commands`,
      );
    }
    const d = this.catalog.requireDb(name);
    // A replicated database's super tables are part of its vgroups' Raft state (DDL reaches
    // every replica through the log), not of this dnode's catalog, which only the dnode that
    // ran the DDL updates: read them from a local replica (every vgroup holds them all).
    const vg =
      d.vgroups.find((v) => v.dnodeIds !== undefined && this.vnodes.has(v.vgId)) ??
      d.vgroups.find((v) => this.remotes.get(v.vgId)?.synced === true);
    if (vg === undefined) return d;
    const stables = this.store(vg.vgId)
      .listTables({ kind: 'super' })
      .map((t) => ({ name: t.name, columns: t.columns, tags: t.tags, createdAtMs: t.createdAtMs }));
    return { ...d, stables };
  }

  /** A vgroup's tables and writes: its vnode here, or its remote view (vgroups hosted elsewhere). */
  store(vgId: number): VnodeTables {
    if (this.vnodes.has(vgId)) return this.vnodes.get(vgId);
    return this.remotes.get(vgId) ?? this.vnodes.get(vgId);
  }

  /** This dnode's replica of a replicated vgroup, if it hosts one (a remote view is not one). */
  replicaOf(vgId: number): ReplicatedStore | undefined {
    return this.vnodes.has(vgId) ? this.replicas.get(this.vnodes.get(vgId)) : undefined;
  }

  /** The remote view of a vgroup with no replica here, if any. */
  remoteOf(vgId: number): RemoteStore | undefined {
    return this.vnodes.has(vgId) ? undefined : this.remotes.get(vgId);
  }

  /** True when this dnode holds a vgroup's data itself (a local or replicated vnode). */
  hostsVgroup(vgId: number): boolean {
    return this.vnodes.has(vgId);
  }

  /**
   * Before a statement on `dbName`: brings the table meta of its remote vgroups up to date
   * (one small round trip each, in parallel), so the synchronous lookups of the statement
   * handlers see every table created anywhere. No-op for a database hosted wholly here.
   */
  async prepare(dbName: string): Promise<void> {
    const d = this.catalog.getDb(dbName);
    if (!d) return;
    const pending: Promise<void>[] = [];
    for (const vg of d.vgroups) {
      if (this.vnodes.has(vg.vgId)) continue;
      const r = this.remotes.get(vg.vgId);
      if (r) pending.push(r.sync());
    }
    // A vgroup that cannot be reached does not stop statements that do not need it: its
    // lookups fail with the reason (RemoteVnode keeps the error) when a statement uses it.
    if (pending.length > 0) await Promise.allSettled(pending);
  }

  /** Closes (and for a local vnode deletes) this dnode's part of a vgroup (drop database, a replica moved away). */
  async dropVgroup(vgId: number): Promise<void> {
    const r = this.remotes.get(vgId);
    this.remotes.delete(vgId);
    if (r) await r.close();
    await this.vnodes.drop(vgId);
  }

  /**
   * A replicated vgroup's replica dnodes changed (balance, drop dnode): open a replica that
   * is to join (empty: the leader adds it and it catches up by snapshot and log), or drop one
   * that was removed and look at the vgroup from afar instead.
   */
  async rehost(db: DbRecord, vgId: number): Promise<void> {
    const vg = db.vgroups.find((v) => v.vgId === vgId);
    if (!vg || vg.dnodeIds === undefined) return;
    const vo = vnodeOptionsOf(db.options);
    if (this.hostsHere(vg)) {
      const r = this.remotes.get(vgId);
      this.remotes.delete(vgId);
      if (r) await r.close();
      if (!this.vnodes.has(vgId)) await this.vnodes.open(vgId, vo);
      return;
    }
    if (this.vnodes.has(vgId)) await this.vnodes.drop(vgId);
    this.openRemote(db.name, vg, vo);
  }

  private openRemote(dbName: string, vg: VgroupRecord, vo: VnodeOptions): void {
    if (this.remotes.has(vg.vgId) || vg.dnodeIds === undefined || !this.options.openRemote) return;
    this.remotes.set(vg.vgId, this.options.openRemote(dbName, vg.vgId, vo, vg.dnodeIds));
  }

  async closeAll(): Promise<void> {
    const rs = [...this.remotes.values()];
    this.remotes.clear();
    for (const r of rs) await r.close();
    await this.vnodes.closeAll();
  }

  /** The vgroup and store that own `table` in `db` (whether or not it exists). */
  route(db: DbRecord, table: string): { vg: VgroupRecord; store: VnodeTables } {
    const vg = db.vgroups[vgroupIndexForTable(db.vgroups, table)]!;
    return { vg, store: this.store(vg.vgId) };
  }

  /** A child or normal table, or a super table (looked up in its first vgroup). */
  findTable(db: DbRecord, name: string): TableLoc | undefined {
    const st = db.stables.find((s) => s.name === name);
    if (st) {
      const vg = db.vgroups[0]!;
      const store = this.store(vg.vgId);
      const info = store.getTable(name);
      if (info) return { db, vg, store, info };
    }
    const { vg, store } = this.route(db, name);
    const info = store.getTable(name);
    return info ? { db, vg, store, info } : undefined;
  }

  requireTable(db: DbRecord, name: string): TableLoc {
    const t = this.findTable(db, name);
    if (!t) throw new BasaltError('TABLE_NOT_EXIST', `table '${db.name}.${name}' does not exist`);
    return t;
  }

  dbHandle(name: string): DbHandle {
    const d = this.db(name);
    return {
      name: d.name,
      precision: d.options.precision,
      vgroups: d.vgroups.map((vg) => {
        const base = { vgId: vg.vgId, hashBegin: vg.hashBegin, hashEnd: vg.hashEnd };
        const r = this.remoteOf(vg.vgId);
        if (r === undefined) return { ...base, store: this.vnodes.get(vg.vgId), remote: null };
        const remote: RemoteSubplans = { agg: (p) => r.remoteAgg(p), rows: (p) => r.remoteRows(p) };
        return { ...base, store: r, remote };
      }),
    };
  }

  /**
   * Before a query plans against a replicated database's local replicas: a best-effort
   * ReadIndex on all of them, so the table meta it plans with is current. It waits at most
   * Limits.planBarrierWaitMs: a vgroup without a leader must not hold up queries that do not read
   * it; the vgroups a query does read pass readBarrierOf() before they are read. True when
   * every barrier passed in time (the meta is current), false when one did not.
   */
  async readBarrier(dbName: string): Promise<boolean> {
    const d = this.catalog.getDb(dbName);
    if (!d) return true;
    const pending: Promise<boolean>[] = [];
    for (const vg of d.vgroups) {
      if (vg.dnodeIds === undefined || !this.vnodes.has(vg.vgId)) continue;
      const r = this.replicaOf(vg.vgId);
      if (r !== undefined)
        pending.push(
          r.readBarrier({ allowFollower: true }).then(
            () => true,
            () => false,
          ),
        );
    }
    if (pending.length === 0) return true;
    let timer: NodeJS.Timeout | undefined;
    const passed = await Promise.race([
      Promise.all(pending).then((all) => all.every((x) => x)),
      new Promise<boolean>((res) => {
        timer = setTimeout(() => res(false), Limits.planBarrierWaitMs);
      }),
    ]);
    clearTimeout(timer);
    return passed;
  }

  /** Waits for every local replica of `dbName` to pass readBarrierOf (bounded; NO_QUORUM naming a leaderless vgroup). */
  async readBarrierAll(dbName: string): Promise<void> {
    const d = this.catalog.getDb(dbName);
    if (!d) return;
    for (const vg of d.vgroups) await this.readBarrierOf(vg.vgId);
  }

  /**
   * Before reading vgroup `vgId`'s local replica: waits until it may serve a linearizable
   * read (ReadIndex, also on a follower), so the read sees every acknowledged write. A vgroup
   * electing a leader is waited for (bounded); with no quorum the error names the vgroup.
   * No-op for a replica-1 vgroup.
   */
  async readBarrierOf(vgId: number): Promise<void> {
    const d = this.catalog.state.dbs.find((x) => x.vgroups.some((v) => v.vgId === vgId));
    const vg = d?.vgroups.find((v) => v.vgId === vgId);
    if (!d || !vg || vg.dnodeIds === undefined || !this.vnodes.has(vgId)) return;
    const r = this.replicaOf(vgId);
    if (r === undefined) return;
    // A vgroup between leaders (an election after a dnode died takes about a second) is
    // waited for, bounded: with no quorum the last error comes back after the wait.
    const deadline = Date.now() + Limits.readLeaderWaitMs;
    for (;;) {
      try {
        await r.readBarrier({ allowFollower: true });
        return;
      } catch (e) {
        const retry = e instanceof BasaltError && (e.errorName === 'NO_QUORUM' || e.errorName === 'NOT_LEADER');
        if (!retry) throw e;
        if (Date.now() >= deadline) {
          const offline = new Set(this.options.dnode.offlineDnodes?.() ?? []);
          const down = vg.dnodeIds.filter((id) => offline.has(id));
          const head = `vgroup ${vgId} of db ${d.name} has no leader${down.length > 0 ? `: dnode${down.length > 1 ? 's' : ''} ${down.join(', ')} unreachable` : ''}`;
          throw new BasaltError(
            e.errorName,
            `${head} (waited ${Limits.readLeaderWaitMs} ms; ${e.message}); a vgroup of replica 3 needs 2 of its dnodes running: start the stopped ones ('show dnodes')`,
            e.data,
          );
        }
        await new Promise((res) => setTimeout(res, 100));
      }
    }
  }

  /** Opens every vgroup of `db` with its options. */
  async openDb(db: DbRecord): Promise<void> {
    const vo = vnodeOptionsOf(db.options);
    for (const vg of db.vgroups) {
      if (this.hostsHere(vg)) await this.vnodes.open(vg.vgId, vo);
      else this.openRemote(db.name, vg, vo);
    }
  }

  /** True for a local vgroup, or a replicated one with a replica on this dnode. */
  hostsHere(vg: VgroupRecord): boolean {
    return vg.dnodeIds === undefined || vg.dnodeIds.includes(this.options.dnode.dnodeId);
  }

  /** Child + normal tables of a database (what `show databases` calls ntables). */
  tableCount(db: DbRecord): number {
    let n = 0;
    for (const vg of db.vgroups) {
      if (!this.vnodes.has(vg.vgId)) {
        n += this.remotes.get(vg.vgId)?.stats().tables ?? 0;
        continue;
      }
      const s = this.store(vg.vgId);
      n += s.listTables({ kind: 'child' }).length + s.listTables({ kind: 'normal' }).length;
    }
    return n;
  }
}
