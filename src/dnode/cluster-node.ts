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
import { reachability, unreachableNote } from '../rpc/reachability.js';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { BasaltConfig } from '../common/config.js';
import { BasaltError, Errors, toBasaltError } from '../common/errors.js';
import { Limits } from '../common/limits.js';
import { dnodeById, newClusterId, type ClusterState } from '../mnode/cluster-state.js';
import { Mnode } from '../mnode/mnode.js';
import { ReplicaRuntime, RaftTransport } from '../replica/index.js';
import type { VnodeOptions } from '../storage/api.js';
import { ReplicatedVnode } from '../vnode/replicated-vnode.js';
import type { Frame } from '../rpc/frame.js';
import type { RpcReply } from '../rpc/server.js';
import {
  asMap,
  ClusterMsg,
  type DnodeCfgReply,
  type DnodeCfgRequest,
  type HelloReply,
  type HelloRequest,
  type JoinReply,
  type JoinRequest,
  type MnodeCtlRequest,
  type PlacementEntry,
  type ReachReply,
  type ReachRequest,
  type ReachState,
  type StatusReply,
  type StatusReport,
} from '../mnode/cluster-messages.js';
import {
  blankIdentity,
  readIdentity,
  readSecrets,
  writeIdentity,
  writeJoinTokenFile,
  writeSecrets,
  JOIN_TOKEN_FILE,
  type DnodeIdentity,
  type DnodeSecrets,
} from './data-dir.js';
import {
  bytesField,
  joinProof,
  joinTokenId,
  joinTokenProblem,
  newJoinToken,
  newNonce,
  newSecret,
  NONCE_BYTES,
  openJoinSecrets,
  peerHandshake,
  statusProof,
  type PeerCredentials,
} from '../rpc/peer-auth.js';
import { MsgType } from '../rpc/messages.js';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { JoinTokenRecord } from '../mnode/cluster-state.js';
import { MnodeLeader } from '../mnode/leader.js';
import type { LeaderHost } from '../mnode/leader-host.js';
import { RepeatGate } from '../common/repeat-gate.js';
import { VgroupLinkClient, VgroupService } from './vgroup-link.js';
import { RemoteVnode } from '../vnode/remote-vnode.js';
import type { Logger } from './logger.js';
import { splitEndpoint } from '../common/endpoint.js';
import { PeerPool } from './peer-pool.js';
import { rootPasswordFrom, UserCache } from './user-cache.js';
import { peerTransportSecurity } from './peer-tls.js';

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

export class ClusterNode implements LeaderHost {
  identity: DnodeIdentity;
  readonly endpoint: string;
  readonly peers: PeerPool;
  mnode: Mnode | null = null;
  private mnodeStarting: Promise<void> | null = null;
  /** Raft I/O of this dnode (created once it has an id; hosts the mnode group). */
  private transport: RaftTransport | null = null;
  private runtime: ReplicaRuntime | null = null;
  /** The mnode leader's decisions about dnodes (used while this dnode's mnode leads). */
  readonly leader: MnodeLeader;
  /** The mnode leader's endpoint as last learned (status replies, redirects). */
  leaderEp: string | null = null;
  /** Database placement as last told by the leader (for gateway routing). */
  placement: PlacementEntry[] = [];
  private readonly peerEps = new Map<number, string>();
  private statusTimer: NodeJS.Timeout | null = null;
  private statusInFlight: Promise<void> | null = null;
  private closed = false;
  private readonly gate = new RepeatGate();
  /** The cluster secret and this dnode's own; null until it has joined. */
  private secrets: DnodeSecrets | null;
  /** Random per process: the leader tells two processes claiming one dnode apart by it. */
  readonly bootId = randomBytes(8).toString('hex');
  /** The cluster's users and grants as this dnode knows them (logins and privilege checks). */
  readonly users: UserCache;
  private readonly peerSecurity: ReturnType<typeof peerTransportSecurity>;

  private constructor(
    readonly opts: ClusterNodeOptions,
    identity: DnodeIdentity,
    secrets: DnodeSecrets | null,
  ) {
    this.identity = identity;
    this.secrets = secrets;
    this.endpoint = `${opts.config.fqdn}:${opts.config.serverPort}`;
    this.peerSecurity = peerTransportSecurity(opts.config);
    this.peers = new PeerPool(opts.config.maxFrameBytes, () => this.credentials(), this.peerSecurity.pool);
    this.users = UserCache.inDataDir(opts.config.dataDir, (u) =>
      opts.logger.info('users updated', { version: u.version, users: u.users.length }),
    );
    this.vgroupLink = new VgroupLinkClient({
      peers: this.peers,
      selfId: () => this.identity.dnodeId,
      epOf: (id) => this.epOf(id),
      offline: () => this.offlineDnodes(),
      placedHosts: (vgId) => this.placedHosts(vgId),
    });
    this.leader = new MnodeLeader(this, () => Limits.dnodeOfflineIntervals * opts.config.statusInterval * 1000);
  }

  get log(): Logger {
    return this.opts.logger;
  }
  get config(): BasaltConfig {
    return this.opts.config;
  }

  // LeaderHost (src/mnode/leader-host.ts): what the mnode leader's code uses of this dnode.
  selfId(): number {
    return this.identity.dnodeId;
  }
  clusterIdentity(): { clusterId: string; createdAtMs: number; dnodeSecret?: string; joinToken?: JoinTokenRecord } {
    const out = { clusterId: this.identity.clusterId, createdAtMs: this.identity.createdAtMs };
    const file = join(this.opts.config.dataDir, 'dnode', JOIN_TOKEN_FILE);
    if (!this.secrets || !existsSync(file)) return out;
    const token = readFileSync(file, 'utf8').trim();
    return {
      ...out,
      dnodeSecret: this.secrets.dnodeSecret.toString('hex'),
      joinToken: { id: joinTokenId(token), token, endpoint: null, expiresAtMs: 0, createdAtMs: out.createdAtMs },
    };
  }
  clusterSecret(): Buffer | null {
    return this.secrets?.clusterSecret ?? null;
  }
  /** What this dnode proves itself with to peers; null before it has joined. */
  credentials(): PeerCredentials | null {
    const s = this.secrets;
    return s && this.identity.dnodeId > 0 ? { dnodeId: this.identity.dnodeId, clusterSecret: s.clusterSecret } : null;
  }
  get startedAtMs(): number {
    return this.opts.startedAtMs;
  }
  get version(): string {
    return this.opts.version;
  }
  get supportVnodes(): number {
    return this.opts.config.supportVnodes;
  }
  get vgroups(): VgroupLinkClient {
    return this.vgroupLink;
  }
  rootPassword(): string {
    return rootPasswordFrom(this.opts.config, process.env);
  }
  matchedConfig(): Record<string, string> {
    return this.report().cfg;
  }
  async localDnodeCfg(req: DnodeCfgRequest): Promise<DnodeCfgReply> {
    const r = await this.handle(ClusterMsg.DNODE_CFG, req);
    return r!.control as DnodeCfgReply;
  }
  private get mnodeDir(): string {
    return join(this.opts.config.dataDir, 'mnode', 'raft');
  }

  /**
   * Reads or creates the identity. Refuses a dropped dataDir. The first dnode of a new
   * cluster (no firstEp, or firstEp = itself) founds the cluster and hosts mnode 1.
   */
  static async open(opts: ClusterNodeOptions): Promise<ClusterNode> {
    const { config, logger } = opts;
    const endpoint = `${config.fqdn}:${config.serverPort}`;
    let identity = readIdentity(config.dataDir);
    let secrets = readSecrets(config.dataDir);
    if (identity?.dropped) {
      throw new BasaltError(
        'DNODE_DROPPED',
        `dnode ${identity.dnodeId} (${identity.endpoint}) was dropped from cluster ${identity.clusterId} and will not start; to join a cluster again, stop it, delete everything in dataDir ${config.dataDir} and start it with firstEp set`,
      );
    }
    if (identity && identity.endpoint !== '' && identity.endpoint !== endpoint && identity.dnodeId > 0) {
      throw new BasaltError(
        'CONFIG_BAD_VALUE',
        `dataDir ${config.dataDir} belongs to dnode ${identity.dnodeId} with endpoint ${identity.endpoint}, but this dnode is configured as ${endpoint}; set fqdn/serverPort back, or wipe dataDir to join as a new dnode`,
      );
    }
    if (identity === null) {
      if (config.firstEp === endpoint) {
        identity = {
          ...blankIdentity(endpoint),
          dnodeId: 1,
          clusterId: newClusterId(),
          mnodeEps: [endpoint],
          dnodeEps: [{ id: 1, ep: endpoint }],
        };
        // The secrets before the identity: a crash in between leaves a dataDir that founds again.
        secrets = { clusterSecret: newSecret(), dnodeSecret: newSecret() };
        writeSecrets(config.dataDir, secrets);
        const given = configuredJoinToken(config) ?? '';
        const problem = given === '' ? null : joinTokenProblem(given);
        if (problem)
          throw new BasaltError(
            'CONFIG_BAD_VALUE',
            `joinToken is unusable: ${problem}; use at least 16 printable characters`,
          );
        const tokenFile = writeJoinTokenFile(config.dataDir, given === '' ? newJoinToken() : given);
        writeIdentity(config.dataDir, identity);
        logger.info('founding a new cluster: this dnode is dnode 1 and hosts mnode 1', {
          clusterId: identity.clusterId,
          endpoint,
          joinToken: given === '' ? `new dnodes join with the token in ${tokenFile}` : 'the joinToken given',
        });
      } else {
        identity = blankIdentity(endpoint);
        writeIdentity(config.dataDir, identity);
        logger.info('new dnode: will join the cluster through firstEp once it is created there', {
          firstEp: config.firstEp,
          secondEp: config.secondEp || undefined,
          endpoint,
        });
      }
    }
    if (identity.dnodeId > 0 && secrets === null)
      throw new BasaltError(
        'FILE_CORRUPTED',
        `dataDir ${config.dataDir} belongs to dnode ${identity.dnodeId} but its keys (dnode/cluster.key, dnode/dnode.key) are missing; restore them from a backup of this dnode, or drop the dnode on the cluster, wipe dataDir and join again`,
      );
    const node = new ClusterNode(opts, identity, identity.dnodeId > 0 ? secrets : null);
    for (const e of identity.dnodeEps) node.peerEps.set(e.id, e.ep);
    const hosted = existsSync(node.mnodeDir);
    const founding =
      identity.dnodeId === 1 && !hosted && identity.mnodeEps.length === 1 && identity.mnodeEps[0] === endpoint;
    if (founding || hosted) {
      try {
        await node.startMnode(founding);
      } catch (e) {
        await node.close();
        throw e;
      }
    }
    return node;
  }

  /** Starts the periodic status loop (also sends the first status at once). */
  start(): void {
    const tick = (): void => {
      void this.statusRound();
    };
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
    if (id <= 0)
      throw new BasaltError('NOT_READY', 'this dnode has no id yet; it cannot host an mnode before it joins');
    // Raft's routine chatter is debug; a repeating warning (a dead peer) at most every 30 s.
    const gates = new Map<string, RepeatGate>();
    const log = (level: 'info' | 'warn' | 'error', m: string): void => {
      if (level === 'info') {
        this.log.debug(`raft: ${m}`);
        return;
      }
      if (gates.size > 256) gates.clear();
      const key = m.replace(/\d+ ms/g, '');
      let g = gates.get(key);
      if (!g) {
        g = new RepeatGate();
        gates.set(key, g);
      }
      if (g.pass(key, Date.now())) this.log.log(level, `raft: ${m}`);
    };
    this.transport = new RaftTransport({
      nodeId: id,
      maxFrameBytes: this.opts.config.maxFrameBytes,
      log,
      handshake: async (request, ep) => {
        const creds = this.credentials();
        if (!creds) throw new BasaltError('NOT_READY', 'this dnode has no cluster secret yet');
        await peerHandshake(request, creds, ep, { challenge: MsgType.PEER_CHALLENGE, auth: MsgType.PEER_AUTH });
      },
      ...this.peerSecurity.raft,
    });
    this.runtime = new ReplicaRuntime({ nodeId: id, transport: this.transport, log });
    for (const [peer, ep] of this.peerEps) this.setPeer(peer, ep);
    return this.runtime;
  }

  /**
   * Opens this dnode's replica of a replicated vgroup on the dnode's runtime (the engine's
   * openReplicated). Founders are passed only when this dnode is one of them: a replica
   * that joined later must start empty, never bootstrap a rival membership.
   */
  async openVnodeReplica(
    vgId: number,
    dir: string,
    options: VnodeOptions,
    founders: readonly number[],
  ): Promise<ReplicatedVnode> {
    const runtime = this.ensureRuntime();
    const self = this.identity.dnodeId;
    let opened: ReplicatedVnode | undefined;
    const v = await ReplicatedVnode.open({
      runtime,
      vgId,
      dir,
      options,
      // A dropped or moved-away replica must not stay reachable (VNODE_PROPOSE, status) nor
      // keep its memtable and log cache alive.
      onClosed: () => {
        if (opened !== undefined && this.vnodeReplicas.get(vgId) === opened) this.vnodeReplicas.delete(vgId);
      },
      ...(founders.includes(self) ? { founders, leadFirst: founders[vgId % founders.length] === self } : {}),
      followerReads: true,
      forward: async (leader, payload) => {
        const ep = this.epOf(leader);
        if (!ep)
          throw new BasaltError(
            'NO_LEADER',
            `vgroup ${vgId}: the endpoint of leader dnode ${leader} is not known yet; retry`,
          );
        await this.peers.request(ep, ClusterMsg.VNODE_PROPOSE, { vgId }, [payload], Limits.clusterRpcTimeoutMs);
      },
      leaderEndpoint: (n) => (n === self ? this.endpoint : this.epOf(n)),
      // As the mnode's role changes are logged (TDengine logs "become leader" per vgroup).
      onRoleChange: (role, leader, term) => this.log.info('vgroup role changed', { vgId, role, leader, term }),
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
    return this.leader.offlineDnodes();
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
    } catch (e) {
      this.log.warn('bad peer endpoint', { dnodeId: id, endpoint: ep, error: toBasaltError(e).message });
    }
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
    })().finally(() => {
      this.mnodeStarting = null;
    });
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
      this.log.info('this dnode is now the mnode leader', { dnodeId: this.identity.dnodeId });
      this.leader.onBecameLeader();
      // A dnode whose connections closed before this one led (the old leader, killed) is
      // offline now, not after the grace of a status timeout.
      for (const id of this.lostPeers) this.leader.connectionLost(id);
    } else if (m.leaderId > 0) {
      const ep = this.epOf(m.leaderId);
      if (ep) this.leaderEp = ep;
    }
  }

  private onMnodeApplied(s: ClusterState): void {
    // A dnode hosting an mnode replica sees user changes as they apply, before any status reply.
    this.users.update(s.users);
    for (const d of s.dnodes) if (this.peerEps.get(d.id) !== d.endpoint) this.setPeer(d.id, d.endpoint);
  }

  epOf(id: number): string | undefined {
    const s = this.mnode?.state;
    return (s ? dnodeById(s, id)?.endpoint : undefined) ?? this.peerEps.get(id);
  }

  // ---------------------------------------------------------------- status loop (every dnode)

  private report(): StatusReport {
    const c = this.opts.config;
    const sec = this.secrets;
    const id = this.identity;
    return {
      bootId: this.bootId,
      ...(sec && id.dnodeId > 0 ? { proof: statusProof(sec.dnodeSecret, id.clusterId, id.dnodeId, this.bootId) } : {}),
      dnodeId: this.identity.dnodeId,
      clusterId: this.identity.clusterId,
      endpoint: this.endpoint,
      rebootTimeMs: this.opts.startedAtMs,
      supportVnodes: c.supportVnodes,
      cfg: {
        statusInterval: String(c.statusInterval),
        timezone: c.timezone,
        locale: c.locale,
        charset: c.charset,
        ttlChangeOnWrite: String(c.ttlChangeOnWrite),
        version: this.opts.version,
      },
      usersVersion: this.users.version,
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
      this.leader.tick();
      await this.sendStatus();
    })().finally(() => {
      this.statusInFlight = null;
    });
    return this.statusInFlight;
  }

  /** The join token: joinToken, else joinTokenFile, read at each attempt (a Secret mounted later works). */
  private joinToken(): string | null {
    return configuredJoinToken(this.opts.config);
  }

  /**
   * Asks `ep` to admit this dnode with its join token (a challenge, then JOIN on the same
   * connection). An `ok` answer's sealed secrets are opened and saved before it is returned.
   */
  private async joinVia(ep: string, token: string): Promise<StatusReply> {
    const ch = await this.peers.request(ep, MsgType.PEER_CHALLENGE, {});
    const ns = bytesField(ch.control, 'nonce', NONCE_BYTES, 'PEER_CHALLENGE reply');
    const nc = newNonce();
    const req: JoinRequest = {
      tokenId: joinTokenId(token),
      nonce: nc,
      proof: joinProof(token, ns, nc, this.endpoint),
      report: this.report(),
    };
    const reply = asMap<JoinReply>((await this.peers.request(ep, ClusterMsg.JOIN, req)).control, 'JOIN reply');
    if (reply.kind !== 'ok') return reply;
    const secrets = openJoinSecrets(token, ns, nc, reply.sealed);
    writeSecrets(this.opts.config.dataDir, secrets);
    this.secrets = secrets;
    const { sealed: _sealed, ...ok } = reply;
    return ok;
  }

  private async sendStatus(): Promise<void> {
    const joining = this.identity.dnodeId === 0;
    const token = joining ? this.joinToken() : null;
    if (joining && token === null) {
      const msg = `it has no join token: set joinToken in basalt.cfg, BASALT_JOIN_TOKEN or joinTokenFile; create dnode "${this.endpoint}" on the cluster at firstEp ${this.opts.config.firstEp} prints one, and dnode 1 keeps a multi-use one in its dataDir/dnode/join-token`;
      this.joinProblem = msg;
      if (this.gate.pass(msg, Date.now())) this.log.warn(`this dnode cannot join the cluster: ${msg}`);
      return;
    }
    const queue = this.targets();
    const tried = new Set<string>();
    const failures: string[] = [];
    for (let hop = 0; hop < Limits.maxMnodeLeaderHops && queue.length > 0; hop++) {
      const ep = queue.shift()!;
      if (tried.has(ep)) continue;
      tried.add(ep);
      let reply: StatusReply;
      try {
        if (token !== null) {
          if (ep === this.endpoint) continue;
          reply = await this.joinVia(ep, token);
        } else
          reply =
            ep === this.endpoint
              ? this.handleStatus(this.report())
              : asMap<StatusReply>(
                  (await this.peers.request(ep, ClusterMsg.STATUS_REPORT, this.report())).control,
                  'STATUS_REPORT reply',
                );
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
      if (reply.kind === 'ok') {
        this.accept(reply);
        return;
      }
      if (reply.kind === 'dropped') {
        this.dropped(reply.message);
        return;
      }
      if (joining) this.joinProblem = reply.code === 0x80000331 ? null : reply.message;
      else this.refusedBecause = reply.message;
      if (reply.code === Errors.DNODE_CONFLICT.code) {
        // A copy of a running dnode's dataDir must not go on (its replicas would vote as that dnode).
        this.log.fileOnly('error', reply.message);
        this.opts.onDropped(reply.message);
        return;
      }
      if (this.gate.pass(`refused ${reply.message}`, Date.now())) {
        // Not created yet is the normal state of a new dnode before `create dnode`.
        if (this.identity.dnodeId === 0 && reply.code === 0x80000331)
          this.log.info('waiting to be created in the cluster', { leader: ep, reason: reply.message });
        else
          this.log.warn('the mnode leader refused this dnode; it stays offline until fixed', {
            leader: ep,
            reason: reply.message,
          });
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
      .catch((e: unknown) => {
        if (this.gate.pass(`placement ${toBasaltError(e).message}`, Date.now()))
          this.log.warn('could not follow the placement of a database; retrying at the next status', {
            error: toBasaltError(e).message,
          });
      })
      .finally(() => {
        this.following = false;
      });
  }

  /** Why the mnode leader last refused this member's status (a setting changed at a restart); null once accepted. */
  refusedBecause: string | null = null;

  /** Why this not-yet-joined dnode cannot join, beyond waiting to be created (no token, a refused token). */
  joinProblem: string | null = null;

  /**
   * Why the mnode leader, which accepted this dnode's status, does not show it ready: it is
   * checking, or failed, to connect back to this dnode's endpoint (null: it reached it).
   */
  reachProblem: ReachState | null = null;

  /** When the mnode leader last accepted this dnode's status (0: never since start). */
  lastAcceptedMs = 0;

  private accept(r: Extract<StatusReply, { kind: 'ok' }>): void {
    this.gate.reset();
    this.refusedBecause = null;
    this.lastAcceptedMs = Date.now();
    this.leaderEp = r.leaderEp;
    this.placement = r.placement;
    const index = r.placementIndex ?? 0;
    if (index >= this.placementIndexSeen) {
      this.placementIndexSeen = index;
      this.followPlacement(r.placement);
    }
    this.offlineFromLeader = r.offline ?? [];
    const reach = r.reach ?? null;
    if (reach !== null && !reach.checking && reach.note !== this.reachProblem?.note)
      this.log.warn(`the mnode leader cannot reach this dnode: ${reach.note}`);
    else if (reach === null && this.reachProblem !== null && !this.reachProblem.checking)
      this.log.info('the mnode leader reaches this dnode now');
    this.reachProblem = reach;
    this.users.update(r.users);
    const id = this.identity;
    const changed =
      id.dnodeId !== r.dnodeId ||
      id.clusterId !== r.clusterId ||
      JSON.stringify(id.mnodeEps) !== JSON.stringify(r.mnodeEps) ||
      JSON.stringify(id.dnodeEps) !== JSON.stringify(r.dnodeEps);
    if (!changed) return;
    if (id.dnodeId === 0) {
      this.log.info('joined the cluster', { dnodeId: r.dnodeId, clusterId: r.clusterId, mnodes: r.mnodeEps.join(',') });
      // Connections opened while joining carry no peer proof: open new ones with it.
      queueMicrotask(() => this.peers.reset());
    } else if (JSON.stringify(id.mnodeEps) !== JSON.stringify(r.mnodeEps))
      this.log.info('mnode endpoint set changed', { mnodes: r.mnodeEps.join(',') });
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

  // ---------------------------------------------------------------- intra-cluster messages

  /** Where a status report or a JOIN sent to a dnode that does not lead should go instead. */
  private redirect(): Extract<StatusReply, { kind: 'redirect' }> {
    const m = this.mnode;
    const leader = m && m.leaderId > 0 ? (this.epOf(m.leaderId) ?? null) : this.leaderEp;
    return {
      kind: 'redirect',
      mnodeEps: this.identity.mnodeEps.slice(),
      leaderEp: leader === this.endpoint ? null : leader,
    };
  }

  /** A status report: the leader decides (src/mnode/leader.ts); any other dnode redirects. */
  handleStatus(req: StatusReport): StatusReply {
    const decided = this.leader.handleStatus(req);
    if (decided !== null) return decided;
    return this.redirect();
  }

  /** Open connections each peer dnode proved itself on, and the peers that have none left. */
  private readonly peerConns = new Map<number, number>();
  private readonly lostPeers = new Set<number>();

  /** Peer dnode `id` proved itself on a connection. */
  peerConnectionOpened(id: number): void {
    this.peerConns.set(id, (this.peerConns.get(id) ?? 0) + 1);
    this.lostPeers.delete(id);
  }

  /**
   * A connection peer dnode `id` had proven itself on closed; with none left (its process died,
   * its host or the network went away) the leader shows it offline until it reports again.
   */
  peerConnectionLost(id: number): void {
    const n = (this.peerConns.get(id) ?? 1) - 1;
    if (n > 0) {
      this.peerConns.set(id, n);
      return;
    }
    this.peerConns.delete(id);
    if (this.lostPeers.size > 4096) this.lostPeers.clear();
    this.lostPeers.add(id);
    this.leader.connectionLost(id);
  }

  /** A JOIN (src/mnode/leader.ts decides on the leader); any other dnode redirects. */
  async handleJoin(control: unknown, serverNonce: Buffer, remote: string): Promise<JoinReply> {
    const decided = await this.leader.handleJoin(asMap<JoinRequest>(control, 'JOIN'), serverNonce, remote);
    if (decided !== null) return decided;
    return this.redirect();
  }

  /**
   * Does a dnode answer at `ep`, from here? The mnode leader asks itself (LeaderHost) and one
   * other dnode (REACH, from an authenticated peer only; the endpoint must be well formed).
   */
  async reach(ep: string): Promise<ReachReply> {
    try {
      splitEndpoint(ep);
      const hello: HelloRequest = { askerClusterId: this.identity.clusterId, askerEp: this.endpoint };
      await this.peers.request(ep, ClusterMsg.HELLO, hello, [], Limits.dnodeProbeTimeoutMs);
      return { ok: true };
    } catch (e) {
      return { ok: false, note: unreachableNote(ep, this.identity.dnodeId, e) };
    }
  }

  /** RAFT frames (src/replica transport) from authenticated dnode `peerId`. */
  handleRaft(frame: Frame, peerId: number): RpcReply {
    if (!this.transport)
      throw new BasaltError('NOT_READY', `dnode ${this.identity.dnodeId || '(not joined)'} hosts no mnode replica yet`);
    return this.transport.handleFrame(frame, peerId);
  }

  /** An intra-cluster message; `peerId`: the dnode its connection authenticated as (absent: this dnode). */
  async handle(msgType: number, control: unknown, peerId?: number): Promise<RpcReply | null> {
    switch (msgType) {
      case ClusterMsg.STATUS_REPORT: {
        const req = asMap<StatusReport>(control, 'STATUS_REPORT');
        if (peerId !== undefined && req.dnodeId !== peerId)
          throw new BasaltError(
            'AUTH_FAILURE',
            `a status report for dnode ${String(req.dnodeId)} on the connection of dnode ${peerId}; a dnode reports only for itself`,
          );
        return { control: this.handleStatus(req) };
      }
      case ClusterMsg.USERS_CHANGED: {
        const v = asMap<{ version?: unknown }>(control, 'USERS_CHANGED').version;
        // A status round now fetches them (the reply carries users newer than ours).
        if (typeof v === 'number' && v > this.users.version) void this.statusRound(true);
        return { control: {} };
      }
      case ClusterMsg.REACH: {
        const ep = asMap<ReachRequest>(control, 'REACH').ep;
        if (typeof ep !== 'string') throw new BasaltError('BAD_FRAME', "REACH field 'ep' must be an fqdn:port string");
        return { control: await this.reach(ep) };
      }
      case ClusterMsg.HELLO: {
        const h = asMap<HelloRequest>(control, 'HELLO');
        if (this.identity.clusterId !== '' && h.askerClusterId !== this.identity.clusterId) {
          if (this.gate.pass(`hello ${h.askerClusterId}`, Date.now())) {
            this.log.warn('another cluster tried to add this dnode; it belongs to its own cluster and will not join', {
              askedBy: h.askerEp,
              askerCluster: h.askerClusterId,
              thisCluster: this.identity.clusterId,
              fix: 'stop this dnode, wipe its dataDir, start it with firstEp set to the other cluster',
            });
          }
        }
        const r: HelloReply = {
          clusterId: this.identity.clusterId,
          dnodeId: this.identity.dnodeId,
          endpoint: this.endpoint,
        };
        return { control: r };
      }
      case ClusterMsg.MNODE_CTL: {
        const c = asMap<MnodeCtlRequest>(control, 'MNODE_CTL');
        if (c.clusterId !== this.identity.clusterId || c.dnodeId !== this.identity.dnodeId) {
          throw new BasaltError(
            'CLUSTER_ID_MISMATCH',
            `this dnode is dnode ${this.identity.dnodeId} of cluster ${this.identity.clusterId || '(none)'}, not dnode ${c.dnodeId} of cluster ${c.clusterId}`,
          );
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

/** joinToken, else the contents of joinTokenFile; null when neither gives one. */
function configuredJoinToken(c: BasaltConfig): string | null {
  if (c.joinToken !== '') return c.joinToken;
  if (c.joinTokenFile === '') return null;
  try {
    const t = readFileSync(c.joinTokenFile, 'utf8').trim();
    return t === '' ? null : t;
  } catch {
    return null;
  }
}
