// This dnode's membership in the cluster: its identity (dataDir/dnode/dnode.json), the
// mnode replica it may host, the status loop to the mnode leader (which is also how a new
// dnode joins), and the intra-cluster messages. Protocol (see cluster-messages.ts):
//   - A dnode without an id sends STATUS_REPORT to firstEp, then secondEp. A dnode that is
//     not the mnode leader answers `redirect` with the mnode endpoints and the leader if known.
//   - The leader admits a dnode only if its endpoint was created (`create dnode`), it is not
//     from another cluster, and its cluster config matches; the reply carries the dnode id,
//     cluster id, every dnode endpoint and the mnode set, which the dnode saves and uses from
//     then on instead of firstEp.
//   - A dnode whose id no longer exists is told `dropped`: it records that in dnode.json,
//     logs how to wipe its dataDir, and exits; later starts refuse.
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { BasaltConfig } from '../common/config.js';
import { BasaltError, toBasaltError } from '../common/errors.js';
import { Limits } from '../common/limits.js';
import { dnodeByEndpoint, dnodeById, mnodeEndpoints, newClusterId, type ClusterState } from '../mnode/cluster-state.js';
import { Mnode } from '../mnode/mnode.js';
import { ReplicaRuntime, RaftTransport } from '../replica/index.js';
import type { VnodeOptions, VnodeStore } from '../storage/api.js';
import { ReplicatedVnode } from '../vnode/replicated-vnode.js';
import type { Frame } from '../rpc/frame.js';
import type { RpcReply } from '../rpc/server.js';
import {
  asMap, ClusterMsg, MATCHED_KEYS,
  type DnodeCfgReply, type DnodeCfgRequest, type EpEntry, type HelloReply, type HelloRequest, type MnodeCtlRequest,
  type PlacementEntry, type StatusReply, type StatusReport,
} from './cluster-messages.js';
import { blankIdentity, readIdentity, writeIdentity, type DnodeIdentity } from './data-dir.js';
import { Liveness } from './liveness.js';
import { VgroupLinkClient, VgroupService } from './vgroup-link.js';
import { RemoteVnode } from '../vnode/remote-vnode.js';
import type { Logger } from './logger.js';
import { splitEndpoint } from '../common/endpoint.js';
import { PeerPool } from './peer-pool.js';

export interface ClusterNodeOptions {
  readonly config: BasaltConfig;
  readonly version: string;
  readonly logger: Logger;
  readonly startedAtMs: number;
  /** Effective variables for `show dnode N variables`. */
  readonly variables: () => Array<{ name: string; value: string; scope: string }>;
  /** Applies a run-time config change (`alter dnode`); throws for keys that cannot change. */
  readonly setVariable: (key: string, value: string) => void;
  /** The mnode said this dnode was dropped: the process must exit non-zero. */
  readonly onDropped: (message: string) => void;
}

/** Logs a repeating problem once, then at most every 30 s (a retry loop must not flood the log). */
class RepeatGate {
  private last = '';
  private lastAtMs = 0;
  pass(key: string, nowMs: number): boolean {
    if (key !== this.last || nowMs - this.lastAtMs >= 30_000) { this.last = key; this.lastAtMs = nowMs; return true; }
    return false;
  }
  reset(): void { this.last = ''; }
}

export class ClusterNode {
  identity: DnodeIdentity;
  readonly endpoint: string;
  readonly peers: PeerPool;
  mnode: Mnode | null = null;
  private mnodeStarting: Promise<void> | null = null;
  /** Raft I/O of this dnode (created once it has an id; hosts the mnode group). */
  private transport: RaftTransport | null = null;
  private runtime: ReplicaRuntime | null = null;
  readonly liveness: Liveness;
  /** The mnode leader's endpoint as last learned (status replies, redirects). */
  leaderEp: string | null = null;
  /** Database placement as last told by the leader (for gateway routing). */
  placement: PlacementEntry[] = [];
  private readonly peerEps = new Map<number, string>();
  private statusTimer: NodeJS.Timeout | null = null;
  private statusInFlight: Promise<void> | null = null;
  private closed = false;
  private readonly gate = new RepeatGate();
  private readonly leaderGate = new Map<string, RepeatGate>();
  private probing = new Set<number>();
  private readonly loggedStatus = new Map<number, 'ready' | 'offline'>();
  private initProposed = false;

  private constructor(readonly opts: ClusterNodeOptions, identity: DnodeIdentity) {
    this.identity = identity;
    this.endpoint = `${opts.config.fqdn}:${opts.config.serverPort}`;
    this.peers = new PeerPool(opts.config.maxFrameBytes);
    this.vgroupLink = new VgroupLinkClient({
      peers: this.peers,
      selfId: () => this.identity.dnodeId,
      epOf: (id) => this.epOf(id),
      offline: () => this.offlineDnodes(),
      placedHosts: (vgId) => this.placedHosts(vgId),
    });
    this.liveness = new Liveness(() => Limits.dnodeOfflineIntervals * opts.config.statusInterval * 1000);
  }

  get log(): Logger { return this.opts.logger; }
  get config(): BasaltConfig { return this.opts.config; }
  private get mnodeDir(): string { return join(this.opts.config.dataDir, 'mnode', 'raft'); }

  /**
   * Reads or creates the identity. Refuses a dropped dataDir. The first dnode of a new
   * cluster (no firstEp, or firstEp = itself) founds the cluster and hosts mnode 1.
   */
  static async open(opts: ClusterNodeOptions): Promise<ClusterNode> {
    const { config, logger } = opts;
    const endpoint = `${config.fqdn}:${config.serverPort}`;
    let identity = readIdentity(config.dataDir);
    if (identity?.dropped) {
      throw new BasaltError('DNODE_DROPPED', `dnode ${identity.dnodeId} (${identity.endpoint}) was dropped from cluster ${identity.clusterId} and will not start; to join a cluster again, stop it, delete everything in dataDir ${config.dataDir} and start it with firstEp set`);
    }
    if (identity && identity.endpoint !== '' && identity.endpoint !== endpoint && identity.dnodeId > 0) {
      throw new BasaltError('CONFIG_BAD_VALUE', `dataDir ${config.dataDir} belongs to dnode ${identity.dnodeId} with endpoint ${identity.endpoint}, but this dnode is configured as ${endpoint}; set fqdn/serverPort back, or wipe dataDir to join as a new dnode`);
    }
    if (identity === null) {
      if (config.firstEp === endpoint) {
        identity = { ...blankIdentity(endpoint), dnodeId: 1, clusterId: newClusterId(), mnodeEps: [endpoint], dnodeEps: [{ id: 1, ep: endpoint }] };
        writeIdentity(config.dataDir, identity);
        logger.info('founding a new cluster: this dnode is dnode 1 and hosts mnode 1', { clusterId: identity.clusterId, endpoint });
      } else {
        identity = blankIdentity(endpoint);
        writeIdentity(config.dataDir, identity);
        logger.info('new dnode: will join the cluster through firstEp once it is created there', { firstEp: config.firstEp, secondEp: config.secondEp || undefined, endpoint });
      }
    }
    const node = new ClusterNode(opts, identity);
    for (const e of identity.dnodeEps) node.peerEps.set(e.id, e.ep);
    const hosted = existsSync(node.mnodeDir);
    const founding = identity.dnodeId === 1 && !hosted && identity.mnodeEps.length === 1 && identity.mnodeEps[0] === endpoint;
    if (founding || hosted) {
      try { await node.startMnode(founding); }
      catch (e) { await node.close(); throw e; }
    }
    return node;
  }

  /** Starts the periodic status loop (also sends the first status at once). */
  start(): void {
    const tick = (): void => { void this.statusRound(); };
    this.statusTimer = setInterval(tick, this.opts.config.statusInterval * 1000);
    this.statusTimer.unref();
    tick();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.statusTimer) clearInterval(this.statusTimer);
    await this.mnodeStarting?.catch(() => undefined);
    await this.mnode?.close();
    await this.runtime?.close();
    this.transport?.close();
    this.peers.close();
  }

  // ---------------------------------------------------------------- mnode replica

  /** The Raft runtime of this dnode, created on first need (it needs the dnode id). */
  private ensureRuntime(): ReplicaRuntime {
    if (this.runtime) return this.runtime;
    const id = this.identity.dnodeId;
    if (id <= 0) throw new BasaltError('NOT_READY', 'this dnode has no id yet; it cannot host an mnode before it joins');
    // Raft's routine chatter is debug; a repeating warning (a dead peer) at most every 30 s.
    const gates = new Map<string, RepeatGate>();
    const log = (level: 'info' | 'warn' | 'error', m: string): void => {
      if (level === 'info') { this.log.debug(`raft: ${m}`); return; }
      if (gates.size > 256) gates.clear();
      const key = m.replace(/\d+ ms/g, '');
      let g = gates.get(key);
      if (!g) { g = new RepeatGate(); gates.set(key, g); }
      if (g.pass(key, Date.now())) this.log.log(level, `raft: ${m}`);
    };
    this.transport = new RaftTransport({ nodeId: id, maxFrameBytes: this.opts.config.maxFrameBytes, log });
    this.runtime = new ReplicaRuntime({ nodeId: id, transport: this.transport, log });
    for (const [peer, ep] of this.peerEps) this.setPeer(peer, ep);
    return this.runtime;
  }

  /**
   * Opens this dnode's replica of a replicated vgroup on the dnode's runtime (the engine's
   * openReplicated). Founders are passed only when this dnode is one of them: a replica
   * that joined later must start empty, never bootstrap a rival membership.
   */
  async openVnodeReplica(vgId: number, dir: string, options: VnodeOptions, founders: readonly number[]): Promise<VnodeStore> {
    const runtime = this.ensureRuntime();
    const self = this.identity.dnodeId;
    let opened: ReplicatedVnode | undefined;
    const v = await ReplicatedVnode.open({
      runtime, vgId, dir, options,
      // A dropped or moved-away replica must not stay reachable (VNODE_PROPOSE, status) nor
      // keep its memtable and log cache alive.
      onClosed: () => { if (opened !== undefined && this.vnodeReplicas.get(vgId) === opened) this.vnodeReplicas.delete(vgId); },
      ...(founders.includes(self) ? { founders, leadFirst: founders[vgId % founders.length] === self } : {}),
      followerReads: true,
      forward: async (leader, payload) => {
        const ep = this.epOf(leader);
        if (!ep) throw new BasaltError('NO_LEADER', `vgroup ${vgId}: the endpoint of leader dnode ${leader} is not known yet; retry`);
        await this.peers.request(ep, ClusterMsg.VNODE_PROPOSE, { vgId }, [payload], Limits.clusterRpcTimeoutMs);
      },
      leaderEndpoint: (n) => (n === self ? this.endpoint : this.epOf(n)),
      log: (level, m) => {
        if (level === 'info') this.log.debug(`vnode ${vgId}: ${m}`);
        else this.log.log(level, `vnode ${vgId}: ${m}`);
      },
    });
    opened = v;
    this.vnodeReplicas.set(vgId, v);
    return v;
  }

  private offlineFromLeader: number[] = [];

  /**
   * Dnodes shown offline: the leader's own liveness view, elsewhere as of the last status
   * reply (at most one statusInterval old).
   */
  offlineDnodes(): number[] {
    const m = this.mnode;
    if (!m || !m.isLeader) return this.offlineFromLeader;
    const now = Date.now();
    return m.state.dnodes.filter((d) => d.id !== this.identity.dnodeId && this.liveness.view(d.id, now).status !== 'ready').map((d) => d.id);
  }

  /** This dnode's open replicas of replicated vgroups (for VNODE_PROPOSE and status). */
  readonly vnodeReplicas = new Map<number, ReplicatedVnode>();
  /** The replica side of VNODE_PROPOSE / VNODE_META / VNODE_SUBPLAN. */
  readonly vgroupService = new VgroupService(this.vnodeReplicas, () => this.identity.dnodeId);
  /** How this dnode reaches vgroups it has no replica of. */
  readonly vgroupLink: VgroupLinkClient;

  /** The engine's view of a vgroup with no replica here (EngineOptions.openRemote). */
  openRemoteVnode(db: string, vgId: number, options: VnodeOptions, dnodeIds: readonly number[]): RemoteVnode {
    this.vgroupLink.note(vgId, db, dnodeIds);
    return new RemoteVnode(vgId, options, this.vgroupLink);
  }

  /** A vgroup's replica dnodes as the mnode last said (status replies), if known. */
  placedHosts(vgId: number): readonly number[] | undefined {
    for (const p of this.placement) {
      const v = p.vgroups?.find((x) => x.vgId === vgId);
      if (v) return v.dnodeIds;
    }
    return undefined;
  }

  private setPeer(id: number, ep: string): void {
    this.peerEps.set(id, ep);
    if (!this.transport || id === this.identity.dnodeId) return;
    try {
      const { host, port } = splitEndpoint(ep);
      this.transport.setPeer(id, host, port);
    } catch (e) { this.log.warn('bad peer endpoint', { dnodeId: id, endpoint: ep, error: toBasaltError(e).message }); }
  }

  private async startMnode(bootstrap: boolean): Promise<void> {
    if (this.mnode) return;
    if (this.mnodeStarting) return this.mnodeStarting;
    this.mnodeStarting = (async () => {
      const runtime = this.ensureRuntime();
      this.mnode = await Mnode.open({
        dir: this.mnodeDir,
        dnodeId: this.identity.dnodeId,
        bootstrap,
        runtime,
        log: (level, m, f) => this.log.log(level, m, f),
        onRoleChange: (role) => this.onMnodeRole(role),
        onApplied: (s) => this.onMnodeApplied(s),
      });
      this.log.info('mnode started', { dnodeId: this.identity.dnodeId, bootstrap });
    })().finally(() => { this.mnodeStarting = null; });
    return this.mnodeStarting;
  }

  private async stopMnode(): Promise<void> {
    await this.mnodeStarting?.catch(() => undefined);
    if (!this.mnode) return;
    const m = this.mnode;
    this.mnode = null;
    await m.close();
    rmSync(this.mnodeDir, { recursive: true, force: true });
    this.log.info('mnode stopped and its log removed (dropped from the mnode group)');
  }

  private onMnodeRole(role: string): void {
    const m = this.mnode;
    if (!m) return;
    if (role === 'leader') {
      this.leaderEp = this.endpoint;
      const s = m.state;
      this.liveness.grace(s.dnodes.filter((d) => d.joined).map((d) => d.id), Date.now());
      this.log.info('this dnode is now the mnode leader', { dnodeId: this.identity.dnodeId });
      this.maybeInit();
    } else if (m.leaderId > 0) {
      const ep = this.epOf(m.leaderId);
      if (ep) this.leaderEp = ep;
    }
  }

  private maybeInit(): void {
    const m = this.mnode;
    if (!m || !m.isLeader || m.state.clusterId !== '' || this.initProposed) return;
    this.initProposed = true;
    m.propose({ op: 'init', clusterId: this.identity.clusterId, createdAtMs: this.identity.createdAtMs, endpoint: this.endpoint })
      .then(() => this.log.info('cluster initialised', { clusterId: this.identity.clusterId }))
      .catch((e: unknown) => { this.initProposed = false; this.log.warn('cluster init not committed yet', { error: toBasaltError(e).message }); });
  }

  private onMnodeApplied(s: ClusterState): void {
    for (const d of s.dnodes) if (this.peerEps.get(d.id) !== d.endpoint) this.setPeer(d.id, d.endpoint);
  }

  epOf(id: number): string | undefined {
    const s = this.mnode?.state;
    return (s ? dnodeById(s, id)?.endpoint : undefined) ?? this.peerEps.get(id);
  }

  // ---------------------------------------------------------------- status loop (every dnode)

  private report(): StatusReport {
    const c = this.opts.config;
    return {
      dnodeId: this.identity.dnodeId,
      clusterId: this.identity.clusterId,
      endpoint: this.endpoint,
      rebootTimeMs: this.opts.startedAtMs,
      supportVnodes: c.supportVnodes,
      cfg: {
        statusInterval: String(c.statusInterval), timezone: c.timezone, locale: c.locale, charset: c.charset,
        ttlChangeOnWrite: String(c.ttlChangeOnWrite), version: this.opts.version,
      },
    };
  }

  /** Where to send status: the leader if known, then the saved mnode set (joined) or firstEp/secondEp. */
  private targets(): string[] {
    const list: string[] = [];
    if (this.leaderEp) list.push(this.leaderEp);
    if (this.identity.dnodeId > 0) list.push(...this.identity.mnodeEps);
    else list.push(this.opts.config.firstEp, this.opts.config.secondEp);
    return [...new Set(list.filter((e) => e !== ''))];
  }

  /**
   * One status exchange with the mnode leader. `fresh`: the caller needs an answer sent
   * after now (e.g. the placement right after create database), so a round already under
   * way is waited for and another one sent.
   */
  async statusRound(fresh = false): Promise<void> {
    if (this.closed) return;
    if (this.statusInFlight) {
      if (!fresh) return this.statusInFlight;
      await this.statusInFlight.catch(() => undefined);
      if (this.statusInFlight) return this.statusInFlight;
    }
    this.statusInFlight = (async () => {
      this.leaderTick();
      await this.sendStatus();
    })().finally(() => { this.statusInFlight = null; });
    return this.statusInFlight;
  }

  private async sendStatus(): Promise<void> {
    const queue = this.targets();
    const tried = new Set<string>();
    const failures: string[] = [];
    for (let hop = 0; hop < Limits.maxMnodeLeaderHops && queue.length > 0; hop++) {
      const ep = queue.shift()!;
      if (tried.has(ep)) continue;
      tried.add(ep);
      let reply: StatusReply;
      try {
        reply = ep === this.endpoint
          ? this.handleStatus(this.report())
          : asMap<StatusReply>((await this.peers.request(ep, ClusterMsg.STATUS_REPORT, this.report())).control, 'STATUS_REPORT reply');
      } catch (e) {
        failures.push(`${ep} (${reachability(e)})`);
        continue;
      }
      if (reply.kind === 'redirect') {
        if (reply.leaderEp && !tried.has(reply.leaderEp)) queue.unshift(reply.leaderEp);
        for (const m of reply.mnodeEps) if (!tried.has(m)) queue.push(m);
        failures.push(`${ep} (not the mnode leader)`);
        continue;
      }
      if (reply.kind === 'ok') { this.accept(reply); return; }
      if (reply.kind === 'dropped') { this.dropped(reply.message); return; }
      if (this.gate.pass(`refused ${reply.message}`, Date.now())) {
        // Not created yet is the normal state of a new dnode before `create dnode`.
        if (this.identity.dnodeId === 0 && reply.code === 0x80000331) this.log.info('waiting to be created in the cluster', { leader: ep, reason: reply.message });
        else this.log.warn('the mnode leader refused this dnode; it stays offline until fixed', { leader: ep, reason: reply.message });
      }
      return;
    }
    this.leaderEp = this.mnode?.isLeader ? this.endpoint : null;
    const joined = this.identity.dnodeId > 0;
    const msg = joined
      ? `cannot reach the mnode leader; tried ${failures.join(', ')}; retrying every ${this.opts.config.statusInterval} s`
      : `cannot join the cluster: firstEp/secondEp unreachable or not ready: ${failures.join(', ')}; check that firstEp names a running dnode of the cluster and that its host name resolves from here; retrying every ${this.opts.config.statusInterval} s`;
    // While this dnode's own mnode is still electing itself at start-up, that is expected.
    const settling = this.mnode !== null && Date.now() - this.opts.startedAtMs < 5_000;
    if (settling) this.log.debug(msg);
    else if (this.gate.pass(msg, Date.now())) this.log.warn(msg);
  }

  /**
   * Set by the dnode: brings its engine in line with the mnode's placement (a move this dnode
   * missed while down, a database dropped while it was offline). Called after status replies.
   */
  placementHook: ((placement: readonly PlacementEntry[]) => Promise<void>) | null = null;
  private following = false;
  /**
   * The newest mnode index of a placement this dnode acted on (host messages, status
   * replies): an older status reply (sent before a move finished, delivered after) is not
   * followed, or it would undo what a newer host message did.
   */
  private placementIndexSeen = 0;

  notePlacementIndex(index: number | undefined): void {
    if (typeof index === 'number' && index > this.placementIndexSeen) this.placementIndexSeen = index;
  }

  private followPlacement(p: readonly PlacementEntry[]): void {
    if (!this.placementHook || this.following || this.closed) return;
    this.following = true;
    this.placementHook(p)
      .catch((e: unknown) => { if (this.gate.pass(`placement ${toBasaltError(e).message}`, Date.now())) this.log.warn('could not follow the placement of a database; retrying at the next status', { error: toBasaltError(e).message }); })
      .finally(() => { this.following = false; });
  }

  private accept(r: Extract<StatusReply, { kind: 'ok' }>): void {
    this.gate.reset();
    this.leaderEp = r.leaderEp;
    this.placement = r.placement;
    const index = r.placementIndex ?? 0;
    if (index >= this.placementIndexSeen) {
      this.placementIndexSeen = index;
      this.followPlacement(r.placement);
    }
    this.offlineFromLeader = r.offline ?? [];
    const id = this.identity;
    const changed = id.dnodeId !== r.dnodeId || id.clusterId !== r.clusterId
      || JSON.stringify(id.mnodeEps) !== JSON.stringify(r.mnodeEps) || JSON.stringify(id.dnodeEps) !== JSON.stringify(r.dnodeEps);
    if (!changed) return;
    if (id.dnodeId === 0) this.log.info('joined the cluster', { dnodeId: r.dnodeId, clusterId: r.clusterId, mnodes: r.mnodeEps.join(',') });
    else if (JSON.stringify(id.mnodeEps) !== JSON.stringify(r.mnodeEps)) this.log.info('mnode endpoint set changed', { mnodes: r.mnodeEps.join(',') });
    this.identity = { ...id, dnodeId: r.dnodeId, clusterId: r.clusterId, mnodeEps: r.mnodeEps, dnodeEps: r.dnodeEps };
    for (const e of r.dnodeEps) if (this.peerEps.get(e.id) !== e.ep) this.setPeer(e.id, e.ep);
    writeIdentity(this.opts.config.dataDir, this.identity);
  }

  private dropped(message: string): void {
    if (this.identity.dropped) return;
    this.identity = { ...this.identity, dropped: true };
    writeIdentity(this.opts.config.dataDir, this.identity);
    const text = `dnode ${this.identity.dnodeId} was dropped from cluster ${this.identity.clusterId} (${message}); it stops now and will refuse to start. To join a cluster again: stop it, delete everything in dataDir ${this.opts.config.dataDir}, and start it with firstEp set`;
    // The host (basalt start) prints it on stderr itself before exiting.
    this.log.fileOnly('error', text);
    this.opts.onDropped(text);
  }

  // ---------------------------------------------------------------- mnode leader side

  private leaderLog(key: string, level: 'info' | 'warn', msg: string, fields: Record<string, unknown>): void {
    let g = this.leaderGate.get(key);
    if (!g) { g = new RepeatGate(); this.leaderGate.set(key, g); }
    if (g.pass(msg, Date.now())) this.log.log(level, msg, fields);
  }

  /** Decides on one status report; runs on every dnode, answers `redirect` unless mnode leader. */
  handleStatus(req: StatusReport): StatusReply {
    const m = this.mnode;
    if (!m || !m.serving) {
      const leader = m && m.leaderId > 0 ? this.epOf(m.leaderId) ?? null : this.leaderEp;
      return { kind: 'redirect', mnodeEps: this.identity.mnodeEps.slice(), leaderEp: leader === this.endpoint ? null : leader };
    }
    const s = m.state;
    const now = Date.now();
    const byEp = dnodeByEndpoint(s, req.endpoint);
    if (req.clusterId !== '' && req.clusterId !== s.clusterId) {
      if (byEp) this.liveness.refuse(byEp.id, 'clusterId not match', now);
      this.leaderLog(req.endpoint, 'warn', 'refused a dnode of another cluster', { endpoint: req.endpoint, itsCluster: req.clusterId, thisCluster: s.clusterId });
      return { kind: 'refused', code: 0x8000033b, message: `this dnode belongs to cluster ${req.clusterId}, not to cluster ${s.clusterId} of mnode ${this.endpoint}; two clusters never merge. To move it, stop it, wipe its dataDir and start it with firstEp ${this.endpoint}` };
    }
    let rec = byEp;
    if (req.dnodeId > 0) {
      rec = dnodeById(s, req.dnodeId);
      if (!rec) {
        if (req.dnodeId < s.nextDnodeId) {
          this.leaderLog(req.endpoint, 'warn', 'a dropped dnode reported; told it so', { dnodeId: req.dnodeId, endpoint: req.endpoint });
          return { kind: 'dropped', message: `removed with 'drop dnode ${req.dnodeId}'` };
        }
        return { kind: 'refused', code: 0x80000331, message: `dnode ${req.dnodeId} does not exist in cluster ${s.clusterId}` };
      }
      if (rec.endpoint !== req.endpoint) {
        this.liveness.refuse(rec.id, 'dnodeId not match', now);
        return { kind: 'refused', code: 0x80000331, message: `dnode ${rec.id} is registered as ${rec.endpoint}, but reports endpoint ${req.endpoint}; restore its fqdn/serverPort` };
      }
    } else if (!rec) {
      this.leaderLog(req.endpoint, 'info', 'a dnode asked to join but was not created; ignoring it', { endpoint: req.endpoint, fix: `create dnode "${req.endpoint}"` });
      return { kind: 'refused', code: 0x80000331, message: `dnode ${req.endpoint} is not created in cluster ${s.clusterId}; run create dnode "${req.endpoint}" on the cluster` };
    }
    const mine = this.report().cfg;
    for (const k of MATCHED_KEYS) {
      if (req.cfg[k] !== mine[k]) {
        this.liveness.refuse(rec.id, `${k} not match`, now);
        this.leaderLog(req.endpoint, 'warn', 'refused a dnode whose config differs from the cluster', { dnodeId: rec.id, key: k, its: req.cfg[k], cluster: mine[k] });
        return { kind: 'refused', code: 0x80000335, message: `${k} is '${req.cfg[k]}' on this dnode but '${mine[k]}' in the cluster; set ${k} ${mine[k]} in its basalt.cfg and restart it` };
      }
    }
    const before = this.liveness.get(rec.id);
    const wasReady = before ? this.liveness.view(rec.id, now).status === 'ready' : false;
    this.liveness.seen(rec.id, now, req.rebootTimeMs, req.supportVnodes);
    if (!wasReady && rec.id !== this.identity.dnodeId) this.log.info('dnode is ready', { dnodeId: rec.id, endpoint: rec.endpoint });
    if (!rec.joined) {
      const id = rec.id;
      m.propose({ op: 'dnodeJoined', id }).then(
        () => this.log.info('dnode joined the cluster', { dnodeId: id, endpoint: req.endpoint }),
        (e: unknown) => this.log.warn('could not record a join; will retry at the next status', { dnodeId: id, error: toBasaltError(e).message }),
      );
    }
    return {
      kind: 'ok', dnodeId: rec.id, clusterId: s.clusterId,
      dnodeEps: s.dnodes.map((d): EpEntry => ({ id: d.id, ep: d.endpoint })),
      mnodeEps: mnodeEndpoints(s), leaderEp: this.endpoint,
      offline: this.offlineDnodes(),
      placementIndex: m.commitIndex,
      placement: [
        ...Object.entries(s.dbPlacement).map(([db, p]) => ({ db, dnodeId: p.dnodeId, ep: dnodeById(s, p.dnodeId)?.endpoint ?? '' })),
        // A replicated database: any dnode with a replica can run its statements (followers
        // forward mutations to each vgroup's leader); gateways elsewhere pick one of them.
        ...Object.entries(s.replicatedDbs).map(([db, p]) => {
          const hosts = [...new Set(p.vgroups.flatMap((v) => v.dnodeIds))].sort((a, b) => a - b);
          return {
            db, dnodeId: hosts[0]!, ep: dnodeById(s, hosts[0]!)?.endpoint ?? '', hosts: hosts.map((id) => ({ id, ep: dnodeById(s, id)?.endpoint ?? '' })),
            vgroups: p.vgroups.map((v) => ({ vgId: v.vgId, dnodeIds: [...v.dnodeIds] })),
            ...(p.options ? { options: p.options } : {}),
          };
        }),
      ],
    };
  }

  /** Leader housekeeping each status round: log offline transitions, probe never-heard dnodes. */
  leaderTick(): void {
    const m = this.mnode;
    if (!m || !m.isLeader) return;
    this.maybeInit();
    const now = Date.now();
    for (const d of m.state.dnodes) {
      if (d.id === this.identity.dnodeId) continue;
      const v = this.liveness.view(d.id, now);
      // Logged from this loop's own memory: `show dnodes` also evaluates liveness.
      const prev = this.loggedStatus.get(d.id);
      this.loggedStatus.set(d.id, v.status);
      if (prev === 'ready' && v.status === 'offline') this.log.warn('dnode is offline', { dnodeId: d.id, endpoint: d.endpoint, note: v.note });
      if (!d.joined && !this.liveness.get(d.id)?.everSeen && !this.probing.has(d.id)) void this.probe(d.id, d.endpoint, m.state.clusterId);
    }
  }

  /** Asks a created-but-silent dnode who it is, so one of another cluster shows why. */
  private async probe(id: number, ep: string, clusterId: string): Promise<void> {
    this.probing.add(id);
    try {
      const req: HelloRequest = { askerClusterId: clusterId, askerEp: this.endpoint };
      const r = asMap<HelloReply>((await this.peers.request(ep, ClusterMsg.HELLO, req, [], 2_000)).control, 'HELLO reply');
      if (r.clusterId !== '' && r.clusterId !== clusterId) {
        this.liveness.refuse(id, 'clusterId not match', Date.now());
        this.leaderLog(ep, 'warn', 'a created dnode belongs to another cluster and cannot join', { dnodeId: id, endpoint: ep, itsCluster: r.clusterId });
      }
    } catch { /* not running yet: stays 'status not received' */ }
    finally { this.probing.delete(id); }
  }

  // ---------------------------------------------------------------- intra-cluster messages

  /** RAFT frames (src/replica transport) for the mnode group. */
  handleRaft(frame: Frame): RpcReply {
    if (!this.transport) throw new BasaltError('NOT_READY', `dnode ${this.identity.dnodeId || '(not joined)'} hosts no mnode replica yet`);
    return this.transport.handleFrame(frame);
  }

  async handle(msgType: number, control: unknown): Promise<RpcReply | null> {
    switch (msgType) {
      case ClusterMsg.STATUS_REPORT:
        return { control: this.handleStatus(asMap<StatusReport>(control, 'STATUS_REPORT')) };
      case ClusterMsg.HELLO: {
        const h = asMap<HelloRequest>(control, 'HELLO');
        if (this.identity.clusterId !== '' && h.askerClusterId !== this.identity.clusterId) {
          if (this.gate.pass(`hello ${h.askerClusterId}`, Date.now())) {
            this.log.warn('another cluster tried to add this dnode; it belongs to its own cluster and will not join', { askedBy: h.askerEp, askerCluster: h.askerClusterId, thisCluster: this.identity.clusterId, fix: 'stop this dnode, wipe its dataDir, start it with firstEp set to the other cluster' });
          }
        }
        const r: HelloReply = { clusterId: this.identity.clusterId, dnodeId: this.identity.dnodeId, endpoint: this.endpoint };
        return { control: r };
      }
      case ClusterMsg.MNODE_CTL: {
        const c = asMap<MnodeCtlRequest>(control, 'MNODE_CTL');
        if (c.clusterId !== this.identity.clusterId || c.dnodeId !== this.identity.dnodeId) {
          throw new BasaltError('CLUSTER_ID_MISMATCH', `this dnode is dnode ${this.identity.dnodeId} of cluster ${this.identity.clusterId || '(none)'}, not dnode ${c.dnodeId} of cluster ${c.clusterId}`);
        }
        if (c.action === 'start') {
          this.ensureRuntime();
          for (const p of c.peers) this.setPeer(p.id, p.ep);
          await this.startMnode(false);
        } else {
          await this.stopMnode();
        }
        return { control: {} };
      }
      case ClusterMsg.DNODE_CFG: {
        const c = asMap<DnodeCfgRequest>(control, 'DNODE_CFG');
        if (c.action === 'set') {
          this.opts.setVariable(String(c.key), String(c.value));
          this.log.info('config changed at run time', { key: c.key, value: c.value });
        }
        const r: DnodeCfgReply = { variables: this.opts.variables() };
        return { control: r };
      }
      default:
        return null;
    }
  }
}

/** A short reason an endpoint could not be reached, for the retry log line. */
export function reachability(e: unknown): string {
  const m = toBasaltError(e).message;
  const code = /\((E[A-Z]+)\)/.exec(m)?.[1];
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'host name does not resolve';
  if (code === 'ECONNREFUSED') return 'connection refused: nothing listens there';
  if (code) return code;
  if (/within \d+ ms/.test(m)) return 'no answer (timeout)';
  return m;
}
