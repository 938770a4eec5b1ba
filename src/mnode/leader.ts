// The mnode leader's decisions about dnodes: which status reports it accepts (a dnode joins
// by its first accepted report), the soft liveness view behind `show dnodes`, and its
// housekeeping each status round (cluster init, offline transitions, probing created dnodes
// that never reported). Runs on the dnode that hosts the leading mnode replica; any other
// dnode answers status reports with a redirect (src/dnode/cluster-node.ts).
import { RepeatGate } from '../common/repeat-gate.js';
import { BasaltError, Errors, toBasaltError } from '../common/errors.js';
import { Limits } from '../common/limits.js';
import {
  dnodeByEndpoint,
  dnodeById,
  joinTokenById,
  mnodeEndpoints,
  type ClusterState,
  type DnodeRecord,
} from './cluster-state.js';
import { assert } from '../common/assert.js';
import {
  bytesField,
  equalProof,
  joinProof,
  newSecret,
  NONCE_BYTES,
  sealJoinSecrets,
  statusProof,
} from '../rpc/peer-auth.js';
import {
  asMap,
  ClusterMsg,
  MATCHED_KEYS,
  type EpEntry,
  type HelloReply,
  type HelloRequest,
  type ReachReply,
  type ReachRequest,
  type ReachState,
  type JoinReply,
  type JoinRequest,
  type PlacementEntry,
  type StatusReply,
  type StatusReport,
} from './cluster-messages.js';
import type { LeaderHost } from './leader-host.js';
import { Liveness, type LivenessView } from './liveness.js';
import { DEFAULT_ROOT_PASSWORD, planUsersInit } from './users.js';

/** The hosted mnode replica while it leads and has caught up. */
type ServingMnode = NonNullable<LeaderHost['mnode']>;

export class MnodeLeader {
  readonly liveness: Liveness;
  private readonly gates = new Map<string, RepeatGate>();
  private readonly probing = new Set<number>();
  /**
   * Per dnode, whether this leader reached it at its endpoint, for which process (bootId): a
   * dnode is ready only once the leader has connected back to it, so a dnode whose fqdn does
   * not resolve from the cluster, or whose port the others cannot reach, is not shown ready.
   */
  private readonly reach = new Map<number, { bootId: string; state: 'checking' | 'ok' | 'failed'; atMs: number }>();
  private readonly reachProbing = new Set<number>();
  private readonly loggedStatus = new Map<number, 'ready' | 'offline'>();
  private initProposed = false;
  private usersInitProposed = false;

  constructor(
    private readonly host: LeaderHost,
    private readonly offlineAfterMs: () => number,
  ) {
    this.liveness = new Liveness(offlineAfterMs);
  }

  /** The hosted mnode replica, when it leads and has caught up. */
  private serving(): ServingMnode | null {
    const m = this.host.mnode;
    return m && m.serving ? m : null;
  }

  /** This dnode's mnode replica became the leader. */
  onBecameLeader(): void {
    const m = this.host.mnode;
    if (!m) return;
    this.liveness.grace(
      m.state.dnodes.filter((d) => d.joined).map((d) => d.id),
      Date.now(),
    );
    this.maybeInit();
  }

  /** A dnode as the leader sees it (this dnode is always ready). */
  status(id: number): LivenessView {
    if (id === this.host.selfId()) return { status: 'ready', note: '' };
    return this.liveness.view(id, Date.now());
  }

  /** A dnode's vnode capacity as it last reported it. */
  supportVnodes(id: number): number {
    if (id === this.host.selfId()) return this.host.supportVnodes;
    return this.liveness.get(id)?.supportVnodes ?? 0;
  }

  /** Dnodes the leader shows offline (for status replies and the vgroup link). */
  offlineDnodes(): number[] {
    const m = this.host.mnode;
    if (!m) return [];
    const now = Date.now();
    const self = this.host.selfId();
    return m.state.dnodes
      .filter((d) => d.id !== self && this.liveness.view(d.id, now).status !== 'ready')
      .map((d) => d.id);
  }

  private log(key: string, level: 'info' | 'warn', msg: string, fields: Record<string, unknown>): void {
    let g = this.gates.get(key);
    if (!g) {
      g = new RepeatGate();
      this.gates.set(key, g);
    }
    if (g.pass(msg, Date.now())) this.host.log.log(level, msg, fields);
  }

  private maybeInit(): void {
    const m = this.host.mnode;
    if (m?.isLeader && m.state.clusterId !== '') this.maybeInitUsers();
    if (!m || !m.isLeader || m.state.clusterId !== '' || this.initProposed) return;
    this.initProposed = true;
    const id = this.host.clusterIdentity();
    m.propose({
      op: 'init',
      clusterId: id.clusterId,
      createdAtMs: id.createdAtMs,
      endpoint: this.host.endpoint,
      ...(id.dnodeSecret ? { dnodeSecret: id.dnodeSecret } : {}),
      ...(id.joinToken ? { joinToken: id.joinToken } : {}),
    })
      .then(() => {
        this.host.log.info('cluster initialised', { clusterId: id.clusterId });
        this.maybeInitUsers();
      })
      .catch((e: unknown) => {
        this.initProposed = false;
        this.host.log.warn('cluster init not committed yet', { error: toBasaltError(e).message });
      });
  }

  /**
   * A cluster without users (new, or created before users were cluster state) gets root, with
   * the password this dnode was given for it; until then no one can log in anywhere.
   */
  private maybeInitUsers(): void {
    const m = this.host.mnode;
    if (!m || !m.isLeader || m.state.users.version !== 0 || this.usersInitProposed) return;
    this.usersInitProposed = true;
    const password = this.host.rootPassword?.() ?? DEFAULT_ROOT_PASSWORD;
    planUsersInit(password, Date.now())
      .then((op) => m.propose(op))
      .then(() =>
        this.host.log.info('users initialised', {
          root: password === DEFAULT_ROOT_PASSWORD ? 'default password' : 'password as configured',
        }),
      )
      .catch((e: unknown) => {
        this.usersInitProposed = false;
        this.host.log.warn('users init not committed yet', { error: toBasaltError(e).message });
      });
  }

  /** Decides on one status report; null when this dnode's mnode is not a serving leader. */
  handleStatus(req: StatusReport): StatusReply | null {
    const m = this.serving();
    if (!m) return null;
    const s = m.state;
    const now = Date.now();
    const rec = this.reporter(req, s, now);
    if ('kind' in rec) return rec;
    const mismatch = this.configMismatch(req, rec.id, now);
    if (mismatch) return mismatch;
    this.checkReach(rec, req, now);
    this.markSeen(m, req, rec, now);
    const reply = this.okReply(m, s, rec.id, req.usersVersion);
    const note = this.liveness.get(rec.id)?.reach ?? '';
    if (note === '' || reply.kind !== 'ok') return reply;
    return { ...reply, reach: { checking: this.reach.get(rec.id)?.state !== 'failed', note } };
  }

  /**
   * Starts a connection back to a reporting dnode at its endpoint when this leader has not
   * reached that process yet (or failed to, at most once per dnodeReachRecheckMs). A dnode that
   * was ready stays ready while a new leader checks it; one that was not (new, restarted)
   * waits for the check, which on loopback takes about a millisecond.
   */
  private checkReach(rec: DnodeRecord, req: StatusReport, now: number): void {
    if (rec.id === this.host.selfId()) return;
    const bootId = typeof req.bootId === 'string' ? req.bootId : String(req.rebootTimeMs);
    const cur = this.reach.get(rec.id);
    if (cur && cur.bootId === bootId && (cur.state !== 'failed' || now - cur.atMs < Limits.dnodeReachRecheckMs)) return;
    if (this.reachProbing.has(rec.id)) return;
    if (!cur || cur.bootId !== bootId) {
      const wasReady = this.liveness.get(rec.id) ? this.liveness.view(rec.id, now).status === 'ready' : false;
      this.reach.set(rec.id, { bootId, state: 'checking', atMs: now });
      if (!wasReady) this.liveness.setReach(rec.id, checkingNote(this.host.selfId(), rec.endpoint), now);
    }
    void this.probeReach(rec.id, rec.endpoint, bootId);
  }

  private async probeReach(id: number, ep: string, bootId: string): Promise<void> {
    this.reachProbing.add(id);
    try {
      const own = await this.host.reach(ep);
      const note = own.ok ? await this.reachFromOther(id, ep) : (own.note ?? `${ep} did not answer`);
      const prev = this.reach.get(id);
      if (prev?.bootId !== bootId) return;
      const now = Date.now();
      const was = this.liveness.view(id, now).status;
      this.reach.set(id, { bootId, state: note === null ? 'ok' : 'failed', atMs: now });
      this.liveness.setReach(id, note ?? '', now);
      if (note !== null) {
        this.log(`reach ${id}`, 'warn', 'cannot reach a dnode at its endpoint; it stays offline until fixed', {
          dnodeId: id,
          endpoint: ep,
          note,
        });
        return;
      }
      if (prev.state === 'failed')
        this.host.log.info('reached the dnode at its endpoint again', { dnodeId: id, endpoint: ep });
      if (was !== 'ready' && this.liveness.view(id, now).status === 'ready')
        this.host.log.info('dnode is ready', { dnodeId: id, endpoint: ep });
    } finally {
      this.reachProbing.delete(id);
    }
  }

  /**
   * Asks one other ready dnode (the lowest id other than this one and dnode `id`) whether it
   * reaches `ep` too: the note when it does not; null when it does, or when no other dnode is
   * ready or it did not answer (a third dnode's trouble must not hold this one back).
   */
  private async reachFromOther(id: number, ep: string): Promise<string | null> {
    const m = this.host.mnode;
    if (!m) return null;
    const self = this.host.selfId();
    const now = Date.now();
    const other = m.state.dnodes.find(
      (d) =>
        d.id !== self && d.id !== id && this.liveness.get(d.id) && this.liveness.view(d.id, now).status === 'ready',
    );
    if (!other) return null;
    try {
      const req: ReachRequest = { ep };
      const r = asMap<ReachReply>(
        (await this.host.peers.request(other.endpoint, ClusterMsg.REACH, req, [], Limits.dnodeProbeTimeoutMs * 2))
          .control,
        'REACH reply',
      );
      return r.ok === false && typeof r.note === 'string' ? r.note.slice(0, 512) : null;
    } catch {
      return null;
    }
  }

  /**
   * Decides on a JOIN: the dnode proves it holds a join token in force (for its endpoint, or
   * a cluster-wide one), was created and has not joined yet; it then receives the cluster
   * secret and its own new secret, sealed under the token. Null when not a serving leader.
   */
  async handleJoin(req: JoinRequest, serverNonce: Buffer, remote: string): Promise<JoinReply | null> {
    const m = this.serving();
    if (!m) return null;
    const now = Date.now();
    const report = asMap<StatusReport>(req.report, 'JOIN report');
    const ep = typeof report.endpoint === 'string' ? report.endpoint.slice(0, 300) : '';
    const nc = bytesField(req, 'nonce', NONCE_BYTES, 'JOIN');
    const refused = (why: string, message: string, code = 0x80000357): JoinReply => {
      this.log(`join ${ep} ${why}`, 'warn', `refused a dnode's join: ${why}`, { endpoint: ep, from: remote });
      return { kind: 'refused', code, message };
    };
    const s = m.state;
    const token = typeof req.tokenId === 'string' ? joinTokenById(s, req.tokenId, now) : undefined;
    if (!token || !equalProof(joinProof(token.token, serverNonce, nc, ep), req.proof))
      return refused(
        'unknown or expired join token',
        `the join token is not one of this cluster's tokens in force (mistyped, expired, used by a dnode that joined, or from another cluster); get a new one: create dnode "${ep}" on the cluster prints one`,
      );
    if (token.endpoint !== null && token.endpoint !== ep)
      return refused(
        'token made for another dnode',
        `this join token was made for dnode ${token.endpoint}, not ${ep}; run create dnode "${ep}" for a token of its own`,
      );
    const rec = dnodeByEndpoint(s, ep);
    if (!rec)
      return refused(
        'not created',
        `dnode ${ep} is not created in this cluster; run create dnode "${ep}" on the cluster`,
        0x80000331,
      );
    if (rec.joined)
      return refused(
        `a second process claims the endpoint of dnode ${rec.id}`,
        `dnode ${rec.id} (${ep}) has already joined; a second process with its endpoint and an empty dataDir is refused. If dnode ${rec.id}'s dataDir was lost for good: drop dnode ${rec.id} force, then create dnode "${ep}" and start this one with the new token`,
        0x80000331,
      );
    if (report.cfg === null || typeof report.cfg !== 'object')
      throw new BasaltError('BAD_FRAME', "JOIN field 'report.cfg' must be a map of the dnode's cluster settings");
    const mismatch = this.configMismatch(report, rec.id, now);
    if (mismatch) return mismatch;
    const clusterSecret = this.host.clusterSecret();
    if (!clusterSecret) return refused('leader without a secret', 'the mnode leader holds no cluster secret; retry');
    const dnodeSecret = newSecret();
    await m.propose({ op: 'dnodeSecret', id: rec.id, secret: dnodeSecret.toString('hex') });
    this.host.log.info('a dnode proved its join token; it joins at its first status', {
      dnodeId: rec.id,
      endpoint: ep,
      from: remote,
    });
    const ok = this.okReply(m, m.state, rec.id);
    assert(ok.kind === 'ok', 'okReply answers ok');
    // Not ready yet: its first status starts the check that this leader reaches it.
    const reach: ReachState = { checking: true, note: checkingNote(this.host.selfId(), ep) };
    return { ...ok, reach, sealed: sealJoinSecrets(token.token, serverNonce, nc, { clusterSecret, dnodeSecret }) };
  }

  /**
   * The record of the dnode that sent `req`, or the reply refusing it: a dnode of another
   * cluster, an unknown or dropped id, an id reported from another endpoint, or a dnode never created.
   */
  private reporter(req: StatusReport, s: ClusterState, now: number): DnodeRecord | StatusReply {
    const self = this.host.endpoint;
    const byEp = dnodeByEndpoint(s, req.endpoint);
    if (req.clusterId !== '' && req.clusterId !== s.clusterId) {
      if (byEp) this.liveness.refuse(byEp.id, 'clusterId not match', now);
      this.log(req.endpoint, 'warn', 'refused a dnode of another cluster', {
        endpoint: req.endpoint,
        itsCluster: req.clusterId,
        thisCluster: s.clusterId,
      });
      return {
        kind: 'refused',
        code: 0x8000033b,
        message: `this dnode belongs to cluster ${req.clusterId}, not to cluster ${s.clusterId} of mnode ${self}; two clusters never merge. To move it, stop it, wipe its dataDir and start it with firstEp ${self}`,
      };
    }
    if (req.dnodeId > 0) return this.reporterById(req, s, now);
    if (!byEp) {
      this.log(req.endpoint, 'info', 'a dnode asked to join but was not created; ignoring it', {
        endpoint: req.endpoint,
        fix: `create dnode "${req.endpoint}"`,
      });
      return {
        kind: 'refused',
        code: 0x80000331,
        message: `dnode ${req.endpoint} is not created in cluster ${s.clusterId}; run create dnode "${req.endpoint}" on the cluster`,
      };
    }
    return byEp;
  }

  /** A report that names its dnode id: that dnode's record if it exists and has the reporting endpoint. */
  private reporterById(req: StatusReport, s: ClusterState, now: number): DnodeRecord | StatusReply {
    const rec = dnodeById(s, req.dnodeId);
    if (!rec) {
      if (req.dnodeId < s.nextDnodeId) {
        this.log(req.endpoint, 'warn', 'a dropped dnode reported; told it so', {
          dnodeId: req.dnodeId,
          endpoint: req.endpoint,
        });
        return { kind: 'dropped', message: `removed with 'drop dnode ${req.dnodeId}'` };
      }
      return {
        kind: 'refused',
        code: 0x80000331,
        message: `dnode ${req.dnodeId} does not exist in cluster ${s.clusterId}`,
      };
    }
    if (rec.secret !== undefined) {
      const proofOk =
        typeof req.bootId === 'string' &&
        equalProof(statusProof(Buffer.from(rec.secret, 'hex'), s.clusterId, rec.id, req.bootId), req.proof);
      if (!proofOk) {
        this.log(`proof ${rec.id}`, 'warn', 'refused a status that did not prove its dnode identity', {
          dnodeId: rec.id,
          endpoint: req.endpoint,
        });
        return {
          kind: 'refused',
          code: 0x80000357,
          message: `this process reports as dnode ${rec.id} but does not hold dnode ${rec.id}'s key (dataDir/dnode/dnode.key): it is not that dnode; restore that dnode's dataDir, or drop dnode ${rec.id} and join anew`,
        };
      }
      const dup = this.duplicateBoot(rec.id, req, now);
      if (dup) return dup;
    }
    if (rec.endpoint !== req.endpoint) {
      this.liveness.refuse(rec.id, 'dnodeId not match', now);
      return {
        kind: 'refused',
        code: 0x80000331,
        message: `dnode ${rec.id} is registered as ${rec.endpoint}, but reports endpoint ${req.endpoint}; restore its fqdn/serverPort`,
      };
    }
    return rec;
  }

  /** The process last accepted as each dnode, and processes found to be copies of one. */
  private readonly boots = new Map<number, { bootId: string; rebootTimeMs: number; lastMs: number; prev?: string }>();
  private readonly bannedBoots = new Set<string>();

  /**
   * Refuses a second live process reporting as dnode `id` (a copy of its dataDir): a new
   * boot is a restart when the previous one has gone quiet or the new one started after its
   * last report; if the previous boot reports again afterwards, both are running, and the
   * one that started later is the copy.
   */
  private duplicateBoot(id: number, req: StatusReport, now: number): StatusReply | null {
    const bootId = String(req.bootId);
    const cur = this.boots.get(id);
    const refuse = (): StatusReply => {
      this.log(`dup ${id}`, 'warn', 'refused a second process reporting as the same dnode', {
        dnodeId: id,
        endpoint: req.endpoint,
        fix: 'stop the copy; a dataDir must run in one process',
      });
      return {
        kind: 'refused',
        code: Errors.DNODE_CONFLICT.code,
        message: `dnode ${id} is already running as another process (started ${new Date(cur?.rebootTimeMs ?? 0).toISOString()}); this process is a copy of its dataDir and is refused: stop it, and never run one dataDir twice`,
      };
    };
    if (this.bannedBoots.has(bootId)) return refuse();
    if (!cur || cur.bootId === bootId) {
      this.boots.set(id, {
        bootId,
        rebootTimeMs: req.rebootTimeMs,
        lastMs: now,
        ...(cur?.prev ? { prev: cur.prev } : {}),
      });
      return null;
    }
    if (cur.prev === bootId) {
      // The boot we took for replaced is alive: the later-started one is the copy.
      const copyIsCur = cur.rebootTimeMs >= req.rebootTimeMs;
      if (this.bannedBoots.size > 1024) this.bannedBoots.clear();
      this.bannedBoots.add(copyIsCur ? cur.bootId : bootId);
      if (!copyIsCur) return refuse();
      this.boots.set(id, { bootId, rebootTimeMs: req.rebootTimeMs, lastMs: now });
      return null;
    }
    const quiet = now - cur.lastMs > this.offlineAfterMs();
    if (quiet || req.rebootTimeMs > cur.lastMs) {
      this.boots.set(id, { bootId, rebootTimeMs: req.rebootTimeMs, lastMs: now, prev: cur.bootId });
      return null;
    }
    return refuse();
  }

  /** The reply refusing dnode `id` when a setting that must match the cluster's differs; null when all match. */
  /**
   * Refuses a dnode whose cluster-wide settings differ from this one's, naming every key that
   * differs at once (one restart fixes them all) — the note reads like TDengine's
   * (`timezone not match`), with the keys comma-separated when several differ.
   */
  private configMismatch(req: StatusReport, id: number, now: number): Extract<StatusReply, { kind: 'refused' }> | null {
    const mine = this.host.matchedConfig();
    const keys = MATCHED_KEYS.filter((k) => req.cfg[k] !== mine[k]);
    if (keys.length === 0) return null;
    this.liveness.refuse(id, `${keys.join(', ')} not match`, now);
    this.log(req.endpoint, 'warn', 'refused a dnode whose config differs from the cluster', {
      dnodeId: id,
      keys: keys.join(','),
      its: keys.map((k) => req.cfg[k]).join(','),
      cluster: keys.map((k) => mine[k]).join(','),
    });
    const each = keys.map((k) => `${k} is '${req.cfg[k]}' on this dnode but '${mine[k]}' in the cluster`).join('; ');
    const fix = keys.map((k) => `${k} ${mine[k]}`).join(', ');
    return { kind: 'refused', code: 0x80000335, message: `${each}; set ${fix} in its basalt.cfg and restart it` };
  }

  /** An accepted report: the dnode is seen now (logged when it becomes ready), and joins if it had not yet. */
  private markSeen(m: ServingMnode, req: StatusReport, rec: DnodeRecord, now: number): void {
    const before = this.liveness.get(rec.id);
    const wasReady = before ? this.liveness.view(rec.id, now).status === 'ready' : false;
    this.liveness.seen(rec.id, now, req.rebootTimeMs, req.supportVnodes);
    if (!wasReady && rec.id !== this.host.selfId() && this.liveness.view(rec.id, now).status === 'ready')
      this.host.log.info('dnode is ready', { dnodeId: rec.id, endpoint: rec.endpoint });
    if (!rec.joined) {
      const id = rec.id;
      m.propose({ op: 'dnodeJoined', id }).then(
        () => this.host.log.info('dnode joined the cluster', { dnodeId: id, endpoint: req.endpoint }),
        (e: unknown) =>
          this.host.log.warn('could not record a join; will retry at the next status', {
            dnodeId: id,
            error: toBasaltError(e).message,
          }),
      );
    }
  }

  /** The reply accepting dnode `dnodeId`: the cluster's endpoints and where every database lives, as of `s`. */
  private okReply(m: ServingMnode, s: ClusterState, dnodeId: number, usersVersion?: number): StatusReply {
    // Users travel only when the reporter's copy is older (a change reaches it within one status interval).
    const users = typeof usersVersion === 'number' && usersVersion >= s.users.version ? {} : { users: s.users };
    return {
      ...users,
      kind: 'ok',
      dnodeId,
      clusterId: s.clusterId,
      dnodeEps: s.dnodes.map((d): EpEntry => ({ id: d.id, ep: d.endpoint })),
      mnodeEps: mnodeEndpoints(s),
      leaderEp: this.host.endpoint,
      offline: this.offlineDnodes(),
      placementIndex: m.commitIndex,
      placement: placementOf(s),
    };
  }

  /** A connection dnode `id` had proven itself on closed: show it offline until it reports again. */
  connectionLost(id: number): void {
    const m = this.host.mnode;
    if (!m || !m.isLeader || id === this.host.selfId()) return;
    const was = this.liveness.get(id) ? this.liveness.view(id, Date.now()).status : 'offline';
    this.liveness.connectionLost(id, Date.now());
    if (was === 'ready')
      this.log(`lost ${id}`, 'info', 'lost the connection to a dnode; offline until it reports again', { dnodeId: id });
  }

  /** Leader housekeeping each status round: log offline transitions, probe never-heard dnodes. */
  tick(): void {
    const m = this.host.mnode;
    if (!m || !m.isLeader) return;
    this.maybeInit();
    const now = Date.now();
    const self = this.host.selfId();
    for (const d of m.state.dnodes) {
      if (d.id === self) continue;
      const v = this.liveness.view(d.id, now);
      // Logged from this loop's own memory: `show dnodes` also evaluates liveness.
      const prev = this.loggedStatus.get(d.id);
      this.loggedStatus.set(d.id, v.status);
      if (prev === 'ready' && v.status === 'offline')
        this.host.log.warn('dnode is offline', { dnodeId: d.id, endpoint: d.endpoint, note: v.note });
      if (!d.joined && !this.liveness.get(d.id)?.everSeen && !this.probing.has(d.id))
        void this.probe(d.id, d.endpoint, m.state.clusterId);
    }
  }

  /** Asks a created-but-silent dnode who it is, so one of another cluster shows why. */
  private async probe(id: number, ep: string, clusterId: string): Promise<void> {
    this.probing.add(id);
    try {
      const req: HelloRequest = { askerClusterId: clusterId, askerEp: this.host.endpoint };
      const r = asMap<HelloReply>(
        (await this.host.peers.request(ep, ClusterMsg.HELLO, req, [], Limits.dnodeProbeTimeoutMs)).control,
        'HELLO reply',
      );
      if (r.clusterId !== '' && r.clusterId !== clusterId) {
        this.liveness.refuse(id, 'clusterId not match', Date.now());
        this.log(ep, 'warn', 'a created dnode belongs to another cluster and cannot join', {
          dnodeId: id,
          endpoint: ep,
          itsCluster: r.clusterId,
        });
      }
    } catch (e) {
      // The handshake fails both ways against a dnode holding another cluster's secret.
      const m = toBasaltError(e).message;
      if (/does not hold this cluster's secret|did not prove it holds this cluster's secret/.test(m)) {
        this.liveness.refuse(id, 'clusterId not match', Date.now());
        this.log(ep, 'warn', 'a created dnode belongs to another cluster and cannot join', {
          dnodeId: id,
          endpoint: ep,
        });
      }
      /* otherwise not running or not joined yet: stays 'status not received' */
    } finally {
      this.probing.delete(id);
    }
  }
}

/** Where each database lives, for status replies. */
function placementOf(s: ClusterState): PlacementEntry[] {
  return [
    ...Object.entries(s.dbPlacement).map(([db, p]) => ({
      db,
      dnodeId: p.dnodeId,
      ep: dnodeById(s, p.dnodeId)?.endpoint ?? '',
    })),
    // A replicated database: any dnode with a replica can run its statements (followers
    // forward mutations to each vgroup's leader); gateways elsewhere pick one of them.
    ...Object.entries(s.replicatedDbs).map(([db, p]) => {
      const hosts = [...new Set(p.vgroups.flatMap((v) => v.dnodeIds))].sort((a, b) => a - b);
      return {
        db,
        dnodeId: hosts[0]!,
        ep: dnodeById(s, hosts[0]!)?.endpoint ?? '',
        hosts: hosts.map((id) => ({ id, ep: dnodeById(s, id)?.endpoint ?? '' })),
        vgroups: p.vgroups.map((v) => ({ vgId: v.vgId, dnodeIds: [...v.dnodeIds] })),
        options: { ...(p.options ?? {}), replica: p.replica },
      };
    }),
  ];
}

function checkingNote(leader: number, ep: string): string {
  return `checking that dnode ${leader} reaches ${ep}`;
}
