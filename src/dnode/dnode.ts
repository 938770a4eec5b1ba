// The dnode process: checks dataDir, reads or creates its cluster identity (refusing a
// dropped one), binds the RPC port first (so a port in use fails in milliseconds, and status
// probes see "network ok" while the engine opens), opens the engine, puts the cluster
// gateway in front of it, then starts reporting status to the mnode leader. stop() answers
// what is in flight, refuses new work, and closes the engine so a restart finds everything.
import { watchStalls, type StallWatch } from './stall-watch.js';
import { BasaltError } from '../common/errors.js';
import { Limits } from '../common/limits.js';
import type { BasaltConfig } from '../common/config.js';
import { configVariables, readTlsFiles } from '../common/config.js';
import type { CreateEngine, Engine, LocalEngine } from '../engine/engine-api.js';
import type { DbOptions } from '../common/db-options.js';
import type { PlacementEntry } from '../mnode/cluster-messages.js';
import { MsgType, STATUS_TEXT, type StatusResponse } from '../rpc/messages.js';
import { RpcServer } from '../rpc/server.js';
import { ClusterNode } from './cluster-node.js';
import { DEFAULT_ROOT_PASSWORD } from '../mnode/users.js';
import { ClusterMsg } from '../mnode/cluster-messages.js';
import { ensureWritableDir, type DnodeIdentity } from './data-dir.js';
import { Gateway } from './gateway.js';
import { levelFromDebugFlag } from './logger.js';
import type { Logger } from './logger.js';
import { createRpcHandler } from './rpc-handler.js';
import { AuditLog } from './audit.js';

export interface DnodeOptions {
  readonly config: BasaltConfig;
  readonly serverVersion: string;
  readonly createEngine: CreateEngine;
  readonly logger: Logger;
  /** Clock for `now` (tests). */
  readonly nowMs?: () => number;
  /** The mnode said this dnode was dropped; the process should exit non-zero. */
  readonly onDropped?: (message: string) => void;
}

type Phase = 'starting' | 'running' | 'stopping' | 'stopped';

/** Turns a listen error into the one-line message an operator needs. */
export function listenError(e: unknown, port: number, setting: string, host: string): BasaltError {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'EADDRINUSE') {
    return new BasaltError(
      'PORT_IN_USE',
      `${setting} ${port} on ${host} is already in use; stop the process using it or set ${setting} to a free port`,
    );
  }
  if (code === 'EACCES') {
    return new BasaltError(
      'PORT_IN_USE',
      `${setting} ${port} on ${host} needs privileges this process lacks; choose a port above 1023`,
    );
  }
  if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') {
    return new BasaltError(
      'CONFIG_BAD_VALUE',
      `listenHost ${host} is not an address of this machine; set listenHost to 0.0.0.0 or one of its addresses`,
    );
  }
  return new BasaltError('CONNECTION_FAILED', `cannot listen on ${host}:${port} (${(e as Error).message})`);
}

/**
 * Brings the engine in line with the mnode's placement of replicated databases: a database
 * with a replica here is recorded and its replicas follow moves this dnode missed; one the
 * mnode no longer has (dropped while this dnode was offline) is dropped here too. A database
 * this dnode dropped a moment ago is not brought back by a reply that predates the drop.
 */
function placementFollower(
  engine: LocalEngine,
  selfId: () => number,
  logger: Logger,
): (placement: readonly PlacementEntry[]) => Promise<void> {
  const heldBefore = new Set<string>();
  const droppedHereAtMs = new Map<string, number>();
  return async (placement) => {
    const self = selfId();
    if (self <= 0) return;
    const nowMs = Date.now();
    const held = new Set(engine.placedDatabases().map((d) => d.name));
    for (const name of heldBefore) if (!held.has(name)) droppedHereAtMs.set(name, nowMs);
    heldBefore.clear();
    for (const name of held) heldBefore.add(name);
    for (const [name, at] of droppedHereAtMs) if (nowMs - at > Limits.dropTombstoneMs) droppedHereAtMs.delete(name);
    const placed = new Set<string>();
    for (const e of placement) {
      if (!e.vgroups) continue;
      placed.add(e.db);
      const here = held.has(e.db);
      if (!here && (!e.vgroups.some((v) => v.dnodeIds.includes(self)) || droppedHereAtMs.has(e.db))) continue;
      await engine.hostPlacedDatabase(
        e.db,
        (e.options ?? {}) as Partial<DbOptions>,
        e.vgroups.map((v) => ({ vgId: v.vgId, dnodeIds: v.dnodeIds, moved: true })),
      );
    }
    for (const d of engine.placedDatabases()) {
      if (placed.has(d.name) || nowMs - d.createdAtMs < Limits.orphanDbAgeMs) continue;
      logger.info('dropping a replicated database the mnode no longer has (dropped while this dnode was away)', {
        db: d.name,
      });
      await engine.dropPlacedDatabase(d.name);
    }
  };
}

export class Dnode {
  private phase: Phase = 'starting';
  private engine: LocalEngine | null = null;
  private sweepTimer: NodeJS.Timeout | null = null;
  private stalls: StallWatch | null = null;
  private readonly rpc: RpcServer;
  private cluster: ClusterNode | null = null;
  private gateway: Gateway | null = null;
  private readonly overrides = new Map<string, string>();
  readonly startedAtMs = Date.now();

  get identity(): DnodeIdentity | null {
    return this.cluster?.identity ?? null;
  }

  private readonly audit: AuditLog;

  private constructor(private readonly opts: DnodeOptions) {
    const { config, logger } = opts;
    this.audit = new AuditLog(
      config.logDir,
      () => this.cluster?.identity.dnodeId ?? 0,
      (m) => logger.warn(m),
    );
    const handler = createRpcHandler({
      engine: {
        // Until the engine is open only STATUS/PING answer; everything else is NOT_READY.
        execute: (sql, s) => this.routed().execute(sql, s),
        executeMany: (sql, s) => this.routed().executeMany(sql, s),
        executeStatement: (stmt, s, text) => this.routed().executeStatement(stmt, s, text),
        useDatabase: (name, s) => this.routed().useDatabase(name, s),
        insertColumnar: (db, t, user) => this.routed().insertColumnar(db, t, user),
        vgroupMap: (db) => this.ready().vgroupMap(db),
        login: (u, p) => this.routed().login(u, p),
        checkLogin: (l) => this.routed().checkLogin(l),
        close: async () => undefined,
      },
      serverVersion: opts.serverVersion,
      selfEndpoint: `${config.fqdn}:${config.serverPort}`,
      status: () => this.status(),
      maxFrameBytes: config.maxFrameBytes,
      log: (level, m) => logger.log(level, m),
      onAuthFailure: (user, source, e) =>
        this.audit.record({
          user,
          source,
          operation: 'login',
          statement: '',
          result: `0x${(e.code >>> 0).toString(16)} ${e.message}`,
        }),
      peerAuth: {
        credentials: () => this.cluster?.credentials() ?? null,
        join: (control, ns, remote) => {
          if (!this.cluster) throw new BasaltError('NOT_READY', 'this dnode is starting; retry');
          return this.cluster.handleJoin(control, ns, remote);
        },
        preAuthTypes: [ClusterMsg.JOIN],
        peerOpened: (id) => this.cluster?.peerConnectionOpened(id),
        peerClosed: (id) => this.cluster?.peerConnectionLost(id),
      },
      cluster: async (f, peerId) => {
        if (f.msgType === ClusterMsg.FORWARD) return this.routedGateway().handleForward(f.control, f.payload);
        if (!this.cluster) return null;
        if (f.msgType === MsgType.RAFT) return this.cluster.handleRaft(f, peerId);
        if (f.msgType === ClusterMsg.VNODE_PROPOSE) return this.cluster.vgroupService.propose(f.control, f.payload);
        if (f.msgType === ClusterMsg.VNODE_META) return this.cluster.vgroupService.meta(f.control);
        if (f.msgType === ClusterMsg.VNODE_CTL) return this.cluster.vgroupService.ctl(f.control);
        if (f.msgType === ClusterMsg.VNODE_SUBPLAN) return this.cluster.vgroupService.subplan(f.control, f.payload);
        return this.cluster.handle(f.msgType, f.control, peerId);
      },
    });
    const tls = readTlsFiles(config);
    const peerMessages = new Set<number>([
      MsgType.RAFT,
      MsgType.PEER_CHALLENGE,
      MsgType.PEER_AUTH,
      ...Object.values(ClusterMsg),
    ]);
    this.rpc = new RpcServer({
      host: config.listenHost,
      port: config.serverPort,
      handler: handler.handle,
      maxFrameBytes: config.maxFrameBytes,
      maxConnectionsPerSourceIp: config.maxConnectionsPerSourceIp,
      ...(tls ? { tls: { cert: tls.cert, key: tls.key, ...(tls.ca ? { ca: tls.ca } : {}) } } : {}),
      // Status probes (basalt check, Kubernetes) stay plain; peers too unless peerTls.
      plainAllowed: (t) => t === MsgType.STATUS || t === MsgType.PING || (config.peerTls === 0 && peerMessages.has(t)),
      log: (level, m) => logger.log(level, m),
    });
    this.handler = handler;
  }

  private readonly handler: ReturnType<typeof createRpcHandler>;

  static async start(opts: DnodeOptions): Promise<Dnode> {
    const { config, logger } = opts;
    ensureWritableDir(config.dataDir);
    const endpoint = `${config.fqdn}:${config.serverPort}`;
    const d = new Dnode(opts);
    const cluster = await ClusterNode.open({
      config,
      version: opts.serverVersion,
      logger,
      startedAtMs: d.startedAtMs,
      variables: () => d.variables(),
      setVariable: (k, v) => d.setVariable(k, v),
      onDropped: (m) => opts.onDropped?.(m),
    });
    d.cluster = cluster;
    const identity = cluster.identity;
    try {
      await d.rpc.listen();
    } catch (e) {
      await cluster.close();
      throw listenError(e, config.serverPort, 'serverPort', config.listenHost);
    }
    logger.info('rpc listening', { host: config.listenHost, port: d.rpc.port });
    const startedAtMs = Date.now();
    try {
      d.engine = await opts.createEngine({
        dataDir: config.dataDir,
        serverVersion: opts.serverVersion,
        dnode: {
          // A joining dnode learns its id after the engine opened: read it live.
          get dnodeId(): number {
            return cluster.identity.dnodeId;
          },
          endpoint,
          supportVnodes: config.supportVnodes,
          startedAtMs,
          get variables() {
            return d.variables();
          },
          offlineDnodes: () => cluster.offlineDnodes(),
          endpointOf: (id) => cluster.epOf(id),
        },
        ...(opts.nowMs ? { nowMs: opts.nowMs } : {}),
        log: (level, m) => logger.log(level, m),
        // Privileges are checked against the cluster's users, never the engine's own catalog.
        access: cluster.users,
        openReplicated: (vgId, dir, vo, founders) => cluster.openVnodeReplica(vgId, dir, vo, founders),
        openRemote: (db, vgId, vo, dnodeIds) => cluster.openRemoteVnode(db, vgId, vo, dnodeIds),
      });
    } catch (e) {
      await cluster.close();
      await d.rpc.close(0);
      throw e;
    }
    d.gateway = new Gateway(cluster, d.engine, d.audit);
    const engine = d.engine;
    cluster.placementHook = placementFollower(engine, () => cluster.identity.dnodeId, logger);
    d.phase = 'running';
    cluster.start();
    d.sweepTimer = setInterval(() => {
      const n = d.handler.sweepIdleCursors(Date.now());
      if (n > 0) logger.info('closed idle result cursors', { count: n });
    }, 10_000);
    d.sweepTimer.unref();
    d.stalls = watchStalls(logger);
    logger.info('dnode started', { endpoint, dnodeId: identity.dnodeId, version: opts.serverVersion });
    return d;
  }

  /**
   * True while root's password is the well-known default (`basalt start` warns), false when
   * changed, null while this dnode has not received the cluster's users yet.
   */
  async rootHasDefaultPassword(): Promise<boolean | null> {
    const users = this.cluster?.users;
    if (!users || users.version === 0) return null;
    return users.rootHasDefaultPassword(DEFAULT_ROOT_PASSWORD);
  }

  get rpcPort(): number {
    return this.rpc.port;
  }

  /** The RPC server's refusals and closes by reason (pre-login limits, TLS mismatches). */
  rpcStats(): ReturnType<RpcServer['stats']> {
    return this.rpc.stats();
  }

  get running(): boolean {
    return this.phase === 'running';
  }

  /**
   * What `basalt check` (taos --check) reports. Service ok (2) means a member the mnode leader
   * accepted within the offline interval: a dnode still waiting to be created answers 1
   * (network ok: the process is up) with what it waits for, and a member that lost the leader
   * answers 3 (degraded), so a readiness probe can tell them apart.
   */
  status(): StatusResponse {
    const reply = (code: 0 | 1 | 2 | 3 | 4, detail: string): StatusResponse => ({
      code,
      text: STATUS_TEXT[code],
      detail,
    });
    if (this.phase === 'starting') return reply(1, 'opening the engine');
    if (this.phase === 'stopping') return reply(4, '');
    if (this.phase !== 'running') return reply(0, '');
    const c = this.cluster;
    if (c === null) return reply(2, '');
    const { config } = this.opts;
    if (c.identity.dnodeId === 0) {
      return reply(
        1,
        `not a cluster member yet: ${c.joinProblem ?? `waiting to be created; run create dnode "${c.endpoint}" on the cluster at firstEp ${config.firstEp}`}`,
      );
    }
    if (c.reachProblem !== null) return reply(1, `the cluster cannot reach this dnode yet: ${c.reachProblem.note}`);
    const offlineAfterMs = Limits.dnodeOfflineIntervals * config.statusInterval * 1000;
    const silentMs = Date.now() - c.lastAcceptedMs;
    if (c.refusedBecause !== null && (c.lastAcceptedMs === 0 || silentMs > offlineAfterMs))
      return reply(3, `dnode ${c.identity.dnodeId} is refused by the mnode leader: ${c.refusedBecause}`);
    if (c.lastAcceptedMs === 0 || silentMs > offlineAfterMs) {
      const since = c.lastAcceptedMs === 0 ? 'since it started' : `for ${Math.round(silentMs / 1000)} s`;
      return reply(
        3,
        `dnode ${c.identity.dnodeId} has had no status accepted by the mnode leader ${since}; see its log`,
      );
    }
    return reply(2, '');
  }

  /** Effective configuration with run-time changes (`show dnode N variables`). */
  variables(): Array<{ name: string; value: string; scope: string }> {
    return configVariables(this.opts.config).map((v) => ({ ...v, value: this.overrides.get(v.name) ?? v.value }));
  }

  /** `alter dnode N 'debugFlag' '135'`: the keys that can change while running. */
  setVariable(key: string, value: string): void {
    if (key === 'debugFlag') {
      const n = Number(value);
      if (!Number.isInteger(n) || n < 0 || n > 255)
        throw new BasaltError(
          'INVALID_OPTION',
          `debugFlag '${value}' must be an integer 0-255 (131 info, 135 debug, 143 trace)`,
        );
      this.opts.logger.setLevel(levelFromDebugFlag(n));
      this.overrides.set(key, String(n));
      return;
    }
    throw new BasaltError('INVALID_OPTION', `'${key}' cannot be changed at run time`);
  }

  private routed(): Engine {
    this.ready();
    return this.routedGateway().engine();
  }

  private routedGateway(): Gateway {
    this.ready();
    if (!this.gateway) throw new BasaltError('NOT_READY', 'the dnode is still starting; retry in a moment');
    return this.gateway;
  }

  private ready(): LocalEngine {
    if (this.phase === 'stopping' || this.phase === 'stopped')
      throw new BasaltError('SHUTTING_DOWN', 'the dnode is stopping; retry after it restarts');
    if (this.engine === null)
      throw new BasaltError('NOT_READY', 'the dnode is still opening its data; retry in a moment');
    return this.engine;
  }

  /** Refuses new work, answers what is in flight, closes the engine. Idempotent. */
  async stop(): Promise<void> {
    if (this.phase === 'stopping' || this.phase === 'stopped') return;
    this.phase = 'stopping';
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    this.stalls?.stop();
    this.opts.logger.info('dnode stopping');
    await this.cluster?.close();
    await this.rpc.close();
    if (this.engine) await this.engine.close();
    this.phase = 'stopped';
    this.opts.logger.info('dnode stopped');
  }
}
