// Client-side routing of bulk writes (TDengine's client does the same): each table's rows go
// straight to the dnode that leads the table's vgroup, found by hash range in a cached map
// (VGROUP_MAP), instead of through the dnode the connection happens to talk to, which would
// forward them — one network hop, one copy and one decode fewer per row on the cluster.
//
// Routing is only an optimisation: every dnode accepts any write and forwards it to the
// leader itself. So a stale map costs a forward, never an error; a routed send that cannot
// reach its dnode is sent through the home connection instead, and the map is refetched.
// Rows are idempotent (a repeated timestamp keeps the latest write), so that resend is safe.
import { splitEndpoint } from '../common/endpoint.js';
import { BasaltError } from '../common/errors.js';
import { Limits } from '../common/limits.js';
import type { VgroupRoute } from '../rpc/messages.js';
import { vgroupIndexForTable } from '../common/routing.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export interface RoutedTarget<T> {
  /** Endpoint (`host:port`) the items go to, or null for the home connection. */
  readonly endpoint: string | null;
  readonly items: T[];
}

interface CachedMap {
  readonly fetchedAtMs: number;
  /** Null: the server has no map for this database (routing off until it expires). */
  readonly self: string | null;
  readonly vgroups: readonly VgroupRoute[];
}

export interface WriteRouterDeps<C> {
  /** Fetches the map through the home connection. */
  fetchMap(db: string): Promise<{ self: string; vgroups: VgroupRoute[] }>;
  /** Opens an authenticated connection to a dnode (no routing of its own). */
  open(host: string, port: number): Promise<C>;
  close(conn: C): void;
}

export class WriteRouter<C> {
  private readonly maps = new Map<string, CachedMap>();
  private readonly conns = new Map<string, Promise<C>>();
  private readonly downUntilMs = new Map<string, number>();
  private closed = false;

  constructor(private readonly deps: WriteRouterDeps<C>) {}

  /**
   * Groups `tables` by the endpoint leading their vgroup (null = home: no map, leader
   * unknown, the home dnode itself, or a dnode recently unreachable).
   */
  async split<T>(db: string, tables: readonly T[], nameOf: (t: T) => string): Promise<RoutedTarget<T>[]> {
    const map = await this.mapOf(db);
    const byEp = new Map<string | null, RoutedTarget<T>>();
    const now = Date.now();
    for (let i = 0; i < tables.length; i++) {
      const t = tables[i]!;
      let ep: string | null = null;
      if (map && map.vgroups.length > 0) {
        // validRoutes() made sure the ranges cover the whole hash space.
        ep = map.vgroups[vgroupIndexForTable(map.vgroups, nameOf(t))]!.leader ?? null;
        if (ep === map.self || (ep !== null && (this.downUntilMs.get(ep) ?? 0) > now)) ep = null;
      }
      let g = byEp.get(ep);
      if (!g) {
        g = { endpoint: ep, items: [] };
        byEp.set(ep, g);
      }
      g.items.push(t);
    }
    return [...byEp.values()];
  }

  /** The connection to a routed dnode (opened once, shared by later writes). */
  connection(endpoint: string): Promise<C> {
    let c = this.conns.get(endpoint);
    if (c) return c;
    if (this.closed) return Promise.reject(new BasaltError('CONNECTION_FAILED', 'the connection is closed'));
    if (this.conns.size >= Limits.clientMaxRoutedDnodes)
      return Promise.reject(
        new BasaltError('CONNECTION_FAILED', `more than ${Limits.clientMaxRoutedDnodes} routed dnodes`),
      );
    let hp: { host: string; port: number };
    try {
      hp = splitEndpoint(endpoint);
    } catch (e) {
      return Promise.reject(new BasaltError('CONNECTION_FAILED', (e as Error).message));
    }
    c = this.deps.open(hp.host, hp.port);
    this.conns.set(endpoint, c);
    c.catch(() => {
      if (this.conns.get(endpoint) === c) this.conns.delete(endpoint);
    });
    return c;
  }

  /**
   * `attempt`, a routed send of `items` to `endpoint`; but once a fresh map from the home
   * dnode says none of their vgroups is led by `endpoint` any more while `attempt` is still
   * unanswered (a frozen or cut-off leader answers nothing; its successor is elected in
   * 0.5-1 s), a NOT_LEADER error, so the caller sends them through home at once instead of
   * waiting out the attempt. The abandoned send may still land: rows are idempotent.
   */
  async unlessMoved<T, R>(
    db: string,
    endpoint: string,
    items: readonly T[],
    nameOf: (t: T) => string,
    attempt: Promise<R>,
  ): Promise<R> {
    const watch = { done: false };
    try {
      const first = await Promise.race([
        attempt.then((r) => ({ r, moved: false })),
        this.leaderMoved(db, endpoint, items, nameOf, watch).then(() => ({ r: undefined, moved: true })),
      ]);
      if (!first.moved) return first.r as R;
      attempt.catch(() => undefined);
      throw new BasaltError(
        'NOT_LEADER',
        `${endpoint} did not answer within ${Limits.clientLeaderCheckMs} ms and no longer leads the vgroups of these tables`,
      );
    } finally {
      watch.done = true;
    }
  }

  /** Resolves once a fresh map names other leaders for all of `items`; pending otherwise (bounded in rounds). */
  private async leaderMoved<T>(
    db: string,
    endpoint: string,
    items: readonly T[],
    nameOf: (t: T) => string,
    watch: { done: boolean },
  ): Promise<void> {
    await sleep(Limits.clientLeaderCheckMs);
    const rounds = Math.ceil(Limits.rpcTimeoutMs / (Limits.clientLeaderCheckMs / 2)) + 1;
    for (let k = 0; k < rounds && !watch.done; k++) {
      try {
        const m = await this.deps.fetchMap(db);
        const routes = validRoutes(m.vgroups);
        if (routes.length > 0) {
          this.maps.set(db, { fetchedAtMs: Date.now(), self: m.self, vgroups: routes });
          if (items.every((t) => routes[vgroupIndexForTable(routes, nameOf(t))]!.leader !== endpoint)) return;
        }
      } catch {
        /* the home dnode did not answer: ask again */
      }
      if (!watch.done) await sleep(Limits.clientLeaderCheckMs / 2);
    }
    return new Promise<void>(() => undefined);
  }

  /** A routed send to `endpoint` failed at the connection level: use home for a while. */
  unreachable(db: string, endpoint: string): void {
    this.downUntilMs.set(endpoint, Date.now() + Limits.clientRouteDownHoldMs);
    this.maps.delete(db);
    const c = this.conns.get(endpoint);
    this.conns.delete(endpoint);
    c?.then(
      (x) => this.deps.close(x),
      () => undefined,
    );
  }

  close(): void {
    this.closed = true;
    for (const c of this.conns.values())
      c.then(
        (x) => this.deps.close(x),
        () => undefined,
      );
    this.conns.clear();
    this.maps.clear();
  }

  private async mapOf(db: string): Promise<CachedMap | null> {
    const now = Date.now();
    const cached = this.maps.get(db);
    if (cached && now - cached.fetchedAtMs < Limits.clientVgroupMapTtlMs) return cached.self === null ? null : cached;
    let next: CachedMap;
    try {
      const m = await this.deps.fetchMap(db);
      next = { fetchedAtMs: now, self: m.self, vgroups: validRoutes(m.vgroups) };
    } catch (e) {
      // A server without VGROUP_MAP, or a database it does not hold: write through home.
      if (!(e instanceof BasaltError)) throw e;
      next = { fetchedAtMs: now, self: null, vgroups: [] };
    }
    if (this.maps.size >= Limits.clientMaxCachedVgroupMaps) this.maps.delete(this.maps.keys().next().value!);
    this.maps.set(db, next);
    return next.self === null ? null : next;
  }
}

/** The routes if they are sorted, contiguous and cover [0, 2^32); else none (no routing). */
function validRoutes(vgroups: readonly VgroupRoute[]): VgroupRoute[] {
  if (!Array.isArray(vgroups) || vgroups.length === 0) return [];
  let next = 0;
  for (const v of vgroups) {
    if (
      !Number.isInteger(v.hashBegin) ||
      !Number.isInteger(v.hashEnd) ||
      v.hashBegin !== next ||
      v.hashEnd < v.hashBegin
    )
      return [];
    next = v.hashEnd + 1;
  }
  return next === 0x1_0000_0000 ? [...vgroups] : [];
}
