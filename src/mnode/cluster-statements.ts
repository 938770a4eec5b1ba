// Cluster statements as the mnode leader runs them: create/drop dnode, create/drop mnode,
// alter dnode, database placement, and the show commands whose rows only the leader knows
// (status and notes are its soft state). Changes run one at a time, each committed through
// the mnode Raft group before it is acknowledged.
import { assert } from '../common/assert.js';
import { BasaltError } from '../common/errors.js';
import { Limits } from '../common/limits.js';
import { DataType } from '../common/types.js';
import {
  dnodeById,
  isDbPlaced,
  type ClusterOp,
  normalizeEndpoint,
  planCreateDnode,
  DNODE_JOIN_TOKEN_TTL_MS,
  planReplicatedPlacement,
  requireDnode,
  vnodesOn,
  dnodeByEndpoint,
} from './cluster-state.js';
import { DEFAULT_DB_OPTIONS } from '../common/db-options.js';
import type { Mnode } from './mnode.js';
import { likeToRegExp } from '../common/like.js';
import {
  asMap,
  ClusterMsg,
  type DnodeCfgReply,
  type DnodeCfgRequest,
  type HostDatabase,
  type MnodeCtlRequest,
} from './cluster-messages.js';
import type { MnodeLeader } from './leader.js';
import {
  col,
  finished,
  rows as rowsResult,
  varcharCol,
  type Cell,
  type ClusterRequest,
  type ClusterResult,
  type HostOnDnode,
  type LeaderHost,
  type RunOnDnode,
  type UnhostOnDnode,
} from './leader-host.js';
import { Reconciler } from './reconciler.js';
import { joinTokenId, newJoinToken } from '../rpc/peer-auth.js';
import { planBalance, planDrain, planLeaders, planRedistribute, type PlannedMove } from './rebalance.js';
import { runUserRequest } from './users.js';

const T = DataType;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Keys `alter dnode` may change while the dnode runs. */
export const RUNTIME_KEYS = ['debugFlag'] as const;

export class ClusterStatements {
  private chain: Promise<unknown> = Promise.resolve();
  readonly reconciler: Reconciler;

  constructor(
    private readonly host: LeaderHost,
    private readonly leaderView: MnodeLeader,
    private readonly hostOnDnode: HostOnDnode,
    private readonly unhostOnDnode: UnhostOnDnode,
  ) {
    this.reconciler = new Reconciler(host, leaderView.liveness, hostOnDnode);
    this.reconciler.start();
  }

  private leader(): Mnode {
    const m = this.host.mnode;
    if (!m || !m.isLeader)
      throw m ? m.notLeader() : new BasaltError('NOT_MNODE_LEADER', `dnode ${this.host.selfId()} hosts no mnode`);
    if (!m.serving)
      throw new BasaltError(
        'NOT_MNODE_LEADER',
        `the mnode on dnode ${this.host.selfId()} was just elected and is catching up; retry in a moment (${this.host.endpoint})`,
      );
    return m;
  }

  /** Serialises changes so that each plan sees the state its predecessor committed. */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const p = this.chain.then(fn, fn);
    this.chain = p.catch(() => undefined);
    return p;
  }

  private status(id: number): { status: 'ready' | 'offline'; note: string } {
    return this.leaderView.status(id);
  }

  private supportVnodes(id: number): number {
    return this.leaderView.supportVnodes(id);
  }

  /**
   * Runs one cluster statement. `runOnDnode` runs the statement itself (create or drop
   * database) on a dnode's engine, as its user.
   */
  async run(s: ClusterRequest, runOnDnode: RunOnDnode): Promise<ClusterResult> {
    switch (s.kind) {
      case 'showDnodes':
        return this.showDnodes();
      case 'showMnodes':
        return this.showMnodes();
      case 'showCluster':
        return this.showCluster();
      case 'showDnodeVariables':
        return this.showDnodeVariables(s.dnodeId, s.like);
      case 'createDnode':
        return this.exclusive(() => this.createDnode(s.endpoint));
      case 'createJoinToken':
        return this.exclusive(() => this.createJoinToken(s.expireMs));
      case 'dropDnode':
        return this.exclusive(() => this.dropDnode(s.dnodeId, s.endpoint, s.force, s.unsafe));
      case 'balanceVgroup':
        return this.exclusive(() => this.balanceVgroup());
      case 'redistributeVgroup':
        return this.exclusive(() => this.redistributeVgroup(s.vgId, s.dnodeIds));
      case 'balanceVgroupLeader':
        return this.exclusive(() => this.balanceLeaders(s.vgId, s.db));
      case 'showTransactions':
        return this.showTransactions();
      case 'createMnode':
        return this.exclusive(() => this.createMnode(s.dnodeId));
      case 'dropMnode':
        return this.exclusive(() => this.dropMnode(s.dnodeId));
      case 'alterDnode':
        return this.alterDnode(s.dnodeId, s.key, s.value);
      case 'createDatabase':
        return this.exclusive(() => this.createDatabase(s));
      case 'dropDatabase':
        return this.exclusive(() => this.dropDatabase(s, runOnDnode));
      case 'showUsers':
      case 'showUserPrivileges':
      case 'createUser':
      case 'alterUser':
      case 'dropUser':
      case 'grant':
      case 'revoke': {
        const run = (): Promise<ClusterResult> => {
          const m = this.leader();
          return runUserRequest({ users: () => m.state.users, propose: (op) => m.propose(op) }, s, Date.now());
        };
        // Shows read the applied state; changes queue behind each other like every other change.
        if (s.kind === 'showUsers' || s.kind === 'showUserPrivileges') return run();
        return this.exclusive(run).then((r) => {
          this.nudgeUsers();
          return r;
        });
      }
    }
  }

  /**
   * Tells every other dnode that users or grants changed, so a dropped user or an old password
   * stops working there now rather than at its next status (at most statusInterval later).
   * Best effort: a dnode that misses it catches up at its next status.
   */
  private nudgeUsers(): void {
    const m = this.host.mnode;
    if (!m) return;
    const version = m.state.users.version;
    for (const d of m.state.dnodes) {
      if (d.id === this.host.selfId() || !d.joined) continue;
      void this.host.peers
        .request(d.endpoint, ClusterMsg.USERS_CHANGED, { version }, [], Limits.usersNudgeTimeoutMs)
        .catch(() => undefined);
    }
  }

  // ---- dnodes

  private async createDnode(ep: string): Promise<ClusterResult> {
    const m = this.leader();
    const now = Date.now();
    const planned = planCreateDnode(m.state, ep, now);
    assert(planned.op === 'createDnode', 'planCreateDnode plans a createDnode op');
    // The new dnode needs a token to receive the cluster secret: one made for it alone.
    const token = newJoinToken();
    const expiresAtMs = now + DNODE_JOIN_TOKEN_TTL_MS;
    const op: ClusterOp = {
      ...planned,
      joinToken: { id: joinTokenId(token), token, endpoint: planned.endpoint, expiresAtMs, createdAtMs: now },
    };
    await m.propose(op);
    this.host.log.info('dnode created; it joins when it starts with the join token and reports', {
      endpoint: planned.endpoint,
      dnodeId: planned.id,
    });
    return rowsResult(
      [varcharCol('endpoint', 272), varcharCol('join_token', 64), col('expire_time', DataType.TIMESTAMP)],
      [[planned.endpoint, token, expiresAtMs]],
    );
  }

  /** A multi-use token for new dnodes (Kubernetes mounts one as a Secret); each still needs create dnode. */
  private async createJoinToken(expireMs: number): Promise<ClusterResult> {
    const m = this.leader();
    const now = Date.now();
    const token = newJoinToken();
    const expiresAtMs = expireMs === 0 ? 0 : now + expireMs;
    await m.propose({
      op: 'addJoinToken',
      token: { id: joinTokenId(token), token, endpoint: null, expiresAtMs, createdAtMs: now },
    });
    this.host.log.info('join token created', {
      expires: expiresAtMs === 0 ? 'never' : new Date(expiresAtMs).toISOString(),
    });
    return rowsResult(
      [varcharCol('join_token', 64), col('expire_time', DataType.TIMESTAMP)],
      [[token, expiresAtMs === 0 ? null : expiresAtMs]],
    );
  }

  private async dropDnode(
    id: number | null,
    ep: string | null,
    force: boolean,
    unsafe: boolean,
  ): Promise<ClusterResult> {
    const m = this.leader();
    const s = m.state;
    const rec = id !== null ? requireDnode(s, id) : dnodeByEndpoint(s, normalizeEndpoint(ep ?? ''));
    if (!rec) throw new BasaltError('DNODE_NOT_EXIST', `no dnode has endpoint ${ep}; see 'show dnodes'`);
    if (s.mnodes.some((x) => x.dnodeId === rec.id)) {
      throw new BasaltError(
        'INVALID_PARA',
        `dnode ${rec.id} hosts an mnode; run 'drop mnode on dnode ${rec.id}' first${rec.id === this.host.selfId() ? ' (it is the leader: that needs another mnode leading)' : ''}`,
      );
    }
    const alive = this.status(rec.id).status === 'ready';
    if (!alive && !force) {
      throw new BasaltError(
        'DNODE_OFFLINE',
        `dnode ${rec.id} is offline, so its vnodes cannot be copied from it; start it and retry, or if it is gone for good run 'drop dnode ${rec.id} force' (its replicas are rebuilt from the other replicas)`,
      );
    }
    // Databases whose only copy of some data is on this dnode: replica-1 databases placed
    // whole on one dnode by an older Basalt (never moved), and, when the dnode is dead,
    // vgroups whose only replica it holds (a live one is copied away like any other).
    const legacy = Object.entries(s.dbPlacement)
      .filter(([, p]) => p.dnodeId === rec.id)
      .map(([n]) => n);
    const stranded = alive
      ? []
      : Object.entries(s.replicatedDbs)
          .filter(([, p]) => p.vgroups.some((v) => v.dnodeIds.length === 1 && v.dnodeIds[0] === rec.id))
          .map(([n]) => n);
    if (legacy.length > 0 && !force)
      throw new BasaltError(
        'NOT_SUPPORTED',
        `dnode ${rec.id} holds replica-1 database(s) ${legacy.join(', ')} created by an older Basalt, placed whole on it and not movable; drop them first (or copy their data into a new database)`,
      );
    const lost = [...legacy, ...stranded];
    if (lost.length > 0) {
      if (!unsafe)
        throw new BasaltError(
          'INVALID_PARA',
          `dnode ${rec.id} is offline and holds the only copy of data of replica-1 database(s) ${lost.join(', ')}: start it so 'drop dnode ${rec.id}' can move them; if it is gone for good, 'drop dnode ${rec.id} force unsafe' drops those databases with it`,
        );
      for (const name of lost) await this.dropLostDb(m, name, rec.id);
      this.host.log.warn('drop dnode force unsafe: databases with their only copy on the dnode dropped with it', {
        dnodeId: rec.id,
        dbs: lost.join(','),
      });
    }
    // Moves still running through this dnode (a balance vgroup just before) finish first.
    const through = (x: { from: readonly number[]; to: readonly number[] }): boolean =>
      x.from.includes(rec.id) || x.to.includes(rec.id);
    await this.waitFor(m, () => !m.state.moves.some(through));
    const ready = this.readyDnodes().filter((d) => d.id !== rec.id);
    const moves = planDrain(m.state, rec.id, ready, Date.now());
    if (moves.length === 0 && vnodesOn(m.state, rec.id) === 0) {
      await m.propose({ op: 'dropDnode', id: rec.id });
      this.leaderView.liveness.forget(rec.id);
      this.host.log.info('dnode dropped; if it still runs it will be told and exit', {
        dnodeId: rec.id,
        endpoint: rec.endpoint,
      });
      return finished('Drop');
    }
    await this.startMoves(m, moves, rec.id);
    this.host.log.info('drop dnode: moving its vnodes away first', {
      dnodeId: rec.id,
      moves: moves.map((x) => `${x.vgId}:${x.from.join('/')}->${x.to.join('/')}`).join(' '),
    });
    await this.waitFor(m, () => !m.state.dnodes.some((d) => d.id === rec.id));
    return finished('Drop');
  }

  /** Drops a database whose only copy of some data was on dead dnode `lostOn`: its other dnodes let go of it. */
  private async dropLostDb(m: Mnode, name: string, lostOn: number): Promise<void> {
    const p = m.state.replicatedDbs[name];
    const others = p ? [...new Set(p.vgroups.flatMap((v) => v.dnodeIds))].filter((id) => id !== lostOn) : [];
    for (const id of others) {
      await this.unhostOnDnode(id, name).catch((e: unknown) =>
        this.host.log.warn('drop dnode force unsafe: a dnode did not drop its part of a lost database', {
          db: name,
          dnodeId: id,
          error: (e as Error).message,
        }),
      );
    }
    await m.propose({ op: 'unplaceDb', name });
  }

  /** Ready dnodes with their vnode capacity (placement and moves only go to these). */
  private readyDnodes(): { id: number; supportVnodes: number }[] {
    return this.leader()
      .state.dnodes.filter((d) => this.status(d.id).status === 'ready')
      .map((d) => ({ id: d.id, supportVnodes: this.supportVnodes(d.id) }));
  }

  private refuseIfOffline(what: string): void {
    const s = this.leader().state;
    const off = s.dnodes.filter((d) => this.status(d.id).status !== 'ready').map((d) => d.id);
    if (off.length > 0)
      throw new BasaltError(
        'OFFLINE_DNODE_EXISTS',
        `${what} is refused while dnode(s) ${off.join(', ')} are offline (moves need every replica reachable); start them, or drop a dead one with 'drop dnode N force'`,
      );
  }

  private async startMoves(m: Mnode, moves: readonly PlannedMove[], dropDnode?: number): Promise<void> {
    await m.propose(dropDnode === undefined ? { op: 'startMoves', moves } : { op: 'startMoves', moves, dropDnode });
    void this.reconciler.tick();
  }

  /**
   * Waits (bounded) until `done()`: moves copy data, so a statement returns when they finish
   * or after Limits.clusterStatementWaitMs, whichever is first; the rest goes on in the background and
   * 'show transactions' shows it.
   */
  private async waitFor(m: Mnode, done: () => boolean): Promise<void> {
    const deadline = Date.now() + Limits.clusterStatementWaitMs;
    while (!done() && Date.now() < deadline && m.isLeader) await sleep(100);
  }

  private async balanceVgroup(): Promise<ClusterResult> {
    const m = this.leader();
    this.refuseIfOffline('balance vgroup');
    const moves = planBalance(m.state, this.readyDnodes(), Date.now());
    if (moves.length === 0) return finished('Balance');
    const first = m.state.nextMoveId;
    await this.startMoves(m, moves);
    this.host.log.info('balance vgroup: moving replicas', {
      moves: moves.map((x) => `${x.vgId}:${x.from.join('/')}->${x.to.join('/')}`).join(' '),
    });
    await this.waitFor(m, () => !m.state.moves.some((x) => x.id >= first));
    return finished('Balance');
  }

  private async redistributeVgroup(vgId: number, dnodeIds: readonly number[]): Promise<ClusterResult> {
    const m = this.leader();
    this.refuseIfOffline(`redistribute vgroup ${vgId}`);
    const mv = planRedistribute(m.state, vgId, dnodeIds, this.readyDnodes(), Date.now());
    if (!mv) return finished('Redistribute');
    const first = m.state.nextMoveId;
    await this.startMoves(m, [mv]);
    await this.waitFor(m, () => !m.state.moves.some((x) => x.id >= first));
    return finished('Redistribute');
  }

  /** Best effort at create database: hand leaderships over so that each dnode leads its share. */
  private async spreadLeaders(vgIds: readonly number[]): Promise<void> {
    const link = this.host.vgroups;
    try {
      const groups = await Promise.all(
        vgIds.map(async (vgId) => {
          const st = await link.ctl(vgId, { action: 'status' });
          return { vgId, voters: st.voters, leader: st.leader };
        }),
      );
      const want = planLeaders(groups);
      await Promise.all(
        [...want].map(([vgId, to]) => link.ctl(vgId, { action: 'transfer', node: to }, 3_000).catch(() => undefined)),
      );
    } catch (e) {
      this.host.log.debug('create database: leaders not spread (they still serve)', { error: (e as Error).message });
    }
  }

  /** `balance vgroup leader [on vgId | database db]`: spreads leaders over each vgroup's voters. */
  private async balanceLeaders(vgId: number | null, db: string | null): Promise<ClusterResult> {
    const m = this.leader();
    this.refuseIfOffline('balance vgroup leader');
    const s = m.state;
    if (db !== null && !s.replicatedDbs[db])
      throw new BasaltError('DB_NOT_EXIST', `database '${db}' is not a replicated database; see 'show databases'`);
    const link = this.host.vgroups;
    const groups: { vgId: number; voters: number[]; leader: number }[] = [];
    for (const [name, p] of Object.entries(s.replicatedDbs)) {
      for (const v of p.vgroups) {
        link.note(v.vgId, name, v.dnodeIds);
        const st = await link.ctl(v.vgId, { action: 'status' });
        groups.push({ vgId: v.vgId, voters: st.voters, leader: st.leader });
      }
    }
    if (vgId !== null && !groups.some((g) => g.vgId === vgId))
      throw new BasaltError(
        'VGROUP_NOT_EXIST',
        `vgroup ${vgId} is not a vgroup of a replicated database; see 'show <db>.vgroups'`,
      );
    const want = planLeaders(groups);
    const scope = (id: number): boolean =>
      (vgId === null || id === vgId) && (db === null || s.replicatedDbs[db]!.vgroups.some((v) => v.vgId === id));
    for (const [id, to] of want) {
      if (!scope(id)) continue;
      await link.ctl(id, { action: 'transfer', node: to }, 5_000).catch((e: unknown) =>
        this.host.log.warn('balance vgroup leader: a transfer did not finish', {
          vgId: id,
          to,
          error: (e as Error).message,
        }),
      );
    }
    return finished('Balance');
  }

  private showTransactions(): ClusterResult {
    const m = this.leader();
    const rows = m.state.moves.map((mv): Cell[] => {
      const p = this.reconciler.progressOf(mv.id);
      return [
        mv.id,
        mv.createdAtMs,
        p?.stage ?? 'prepare',
        mv.db,
        '',
        p?.failedTimes ?? 0,
        p?.lastExecMs ?? null,
        `${mv.reason}: vgroup ${mv.vgId} dnodes ${mv.from.join(',')} -> ${mv.to.join(',')}${p?.lastInfo ? `; ${p.lastInfo}` : ''}`.slice(
          0,
          511,
        ),
      ];
    });
    return rowsResult(
      [
        col('id', T.INT),
        col('create_time', T.TIMESTAMP),
        varcharCol('stage', 12),
        varcharCol('db1', 64),
        varcharCol('db2', 64),
        col('failed_times', T.INT),
        col('last_exec_time', T.TIMESTAMP),
        varcharCol('last_action_info', 511),
      ],
      rows,
    );
  }

  // ---- mnodes

  private async createMnode(id: number): Promise<ClusterResult> {
    const m = this.leader();
    const s = m.state;
    const rec = requireDnode(s, id);
    if (s.mnodes.some((x) => x.dnodeId === id) || m.voters.includes(id) || m.learners.includes(id)) {
      throw new BasaltError(
        'MNODE_ALREADY_EXISTS',
        `dnode ${id} already hosts an mnode; each dnode hosts at most one (see 'show mnodes')`,
      );
    }
    if (s.mnodes.length >= 3) {
      throw new BasaltError(
        'MNODE_TOO_MANY',
        `the cluster already has ${s.mnodes.length} mnodes (on dnodes ${s.mnodes.map((x) => x.dnodeId).join(', ')}); drop one first`,
      );
    }
    const st = this.status(id);
    if (st.status !== 'ready') {
      throw new BasaltError(
        'DNODE_OFFLINE',
        `dnode ${id} (${rec.endpoint}) is offline (${st.note}); start it, wait until 'show dnodes' shows it ready, then retry`,
      );
    }
    const ctl: MnodeCtlRequest = {
      action: 'start',
      clusterId: s.clusterId,
      dnodeId: id,
      peers: s.dnodes.map((d) => ({ id: d.id, ep: d.endpoint })),
    };
    await this.host.peers.request(rec.endpoint, ClusterMsg.MNODE_CTL, ctl);
    this.host.log.info('create mnode: adding a learner', { dnodeId: id });
    await m.proposeConfChange({ type: 'addLearner', node: id });
    const deadline = Date.now() + Limits.mnodeCatchUpTimeoutMs;
    while (m.matchOf(id) < m.commitIndex) {
      if (Date.now() > deadline || !m.isLeader) {
        await m.proposeConfChange({ type: 'remove', node: id }).catch(() => undefined);
        throw new BasaltError(
          'TIMEOUT',
          `the new mnode on dnode ${id} did not catch up within ${Limits.mnodeCatchUpTimeoutMs} ms; check the network between the dnodes and retry`,
        );
      }
      await sleep(50);
    }
    this.host.log.info('create mnode: learner caught up, promoting to voter', { dnodeId: id, index: m.commitIndex });
    await m.proposeConfChange({ type: 'addVoter', node: id });
    await m.propose({ op: 'addMnode', dnodeId: id, createdAtMs: Date.now() });
    this.host.log.info('mnode created', { dnodeId: id, voters: m.voters.join(',') });
    return finished('Create');
  }

  private async dropMnode(id: number): Promise<ClusterResult> {
    const m = this.leader();
    const s = m.state;
    requireDnode(s, id);
    if (!s.mnodes.some((x) => x.dnodeId === id))
      throw new BasaltError('MNODE_NOT_EXIST', `dnode ${id} hosts no mnode; see 'show mnodes'`);
    if (s.mnodes.length <= 1)
      throw new BasaltError(
        'MNODE_TOO_FEW',
        `the mnode on dnode ${id} is the only one; create another before dropping it`,
      );
    if (id === this.host.selfId())
      throw new BasaltError(
        'CANNOT_DROP_LEADER',
        `the mnode on dnode ${id} is the leader; connect while another mnode leads, or stop dnode ${id} so that another takes over`,
      );
    await m.proposeConfChange({ type: 'remove', node: id });
    await m.propose({ op: 'dropMnode', dnodeId: id });
    const ep = dnodeById(s, id)!.endpoint;
    const ctl: MnodeCtlRequest = { action: 'stop', clusterId: s.clusterId, dnodeId: id, peers: [] };
    await this.host.peers.request(ep, ClusterMsg.MNODE_CTL, ctl).catch((e: unknown) =>
      this.host.log.warn('could not tell the dnode to remove its mnode log; it is ignored by the group anyway', {
        dnodeId: id,
        error: String(e),
      }),
    );
    this.host.log.info('mnode dropped', { dnodeId: id });
    return finished('Drop');
  }

  // ---- config

  private async dnodeCfg(id: number, req: DnodeCfgRequest): Promise<DnodeCfgReply> {
    const m = this.leader();
    const rec = requireDnode(m.state, id);
    if (id === this.host.selfId()) return this.host.localDnodeCfg(req);
    const st = this.status(id);
    if (st.status !== 'ready')
      throw new BasaltError('DNODE_OFFLINE', `dnode ${id} (${rec.endpoint}) is offline (${st.note})`);
    return asMap<DnodeCfgReply>(
      (await this.host.peers.request(rec.endpoint, ClusterMsg.DNODE_CFG, req)).control,
      'DNODE_CFG reply',
    );
  }

  private async showDnodeVariables(id: number, like: string | null): Promise<ClusterResult> {
    const r = await this.dnodeCfg(id, { action: 'get' });
    const re = like === null ? null : likeToRegExp(like);
    const rows = r.variables
      .filter((v) => re === null || re.test(v.name))
      .map((v): Cell[] => [id, v.name, v.value, v.scope, '']);
    return rowsResult(
      [
        col('dnode_id', T.INT),
        varcharCol('name', 64),
        varcharCol('value', 128),
        varcharCol('scope', 10),
        varcharCol('info', 128),
      ],
      rows,
    );
  }

  private async alterDnode(id: number | null, key: string, value: string | null): Promise<ClusterResult> {
    const m = this.leader();
    const k = RUNTIME_KEYS.find((x) => x.toLowerCase() === key.toLowerCase());
    if (!k) {
      throw new BasaltError(
        'INVALID_OPTION',
        `'${key}' cannot be changed at run time (keys: ${RUNTIME_KEYS.join(', ')}); set it in basalt.cfg of each dnode and restart them${['statusinterval', 'timezone', 'locale', 'charset', 'ttlchangeonwrite'].includes(key.toLowerCase()) ? ', all with the same value' : ''}`,
      );
    }
    if (value === null)
      throw new BasaltError('INVALID_OPTION', `alter dnode '${k}' needs a value, e.g. alter dnode 1 '${k}' '135'`);
    const ids = id === null ? m.state.dnodes.map((d) => d.id) : [requireDnode(m.state, id).id];
    for (const d of ids) {
      if (id === null && this.status(d).status !== 'ready') continue;
      await this.dnodeCfg(d, { action: 'set', key: k, value });
    }
    return finished('Alter');
  }

  // ---- databases (every replica placed per vgroup)

  private async createDatabase(req: Extract<ClusterRequest, { kind: 'createDatabase' }>): Promise<ClusterResult> {
    const { name, ifNotExists } = req;
    const m = this.leader();
    const s = m.state;
    if (isDbPlaced(s, name)) {
      if (ifNotExists) return finished('Create');
      throw new BasaltError('DB_ALREADY_EXISTS', `database '${name}' already exists; use 'if not exists' to ignore`);
    }
    const asked = req.options();
    const vgroups = asked.vgroups ?? DEFAULT_DB_OPTIONS.vgroups;
    const replica = asked.replica ?? DEFAULT_DB_OPTIONS.replica;
    // Explicit, so a dnode that hosts a vgroup mid-move (listed with old and new replicas) knows it.
    const given = { ...asked, replica };
    // Each vgroup on `replica` distinct ready dnodes, replica 1 too: a Raft group of one voter,
    // which balance vgroup, redistribute vgroup and drop dnode move like any other (the new
    // replica joins as a learner, catches up, is promoted, then the old one leaves). Every
    // placed dnode hosts its replicas as ReplicatedVnodes (src/vnode/REPLICATED.md) and
    // reaches the vgroups it does not host through RemoteVnodes.
    const ready = s.dnodes
      .filter((d) => this.status(d.id).status === 'ready')
      .map((d) => ({ id: d.id, supportVnodes: this.supportVnodes(d.id) }));
    const op = planReplicatedPlacement(s, name, replica, vgroups, ready, 'per-vgroup');
    return this.createReplicatedDb(m, name, given, op.op === 'placeReplicatedDb' ? { ...op, options: given } : op);
  }

  /**
   * Commits the placement, then has every placed dnode record the database and open its
   * replicas (founders = each vgroup's dnodes). If a dnode cannot, the placement is undone
   * and the dnodes that did are told to drop it.
   */
  private async createReplicatedDb(
    m: Mnode,
    name: string,
    given: Record<string, unknown>,
    op: ClusterOp,
  ): Promise<ClusterResult> {
    assert(op.op === 'placeReplicatedDb', 'a replicated placement');
    await m.propose(op);
    const host: HostDatabase = {
      name,
      options: given,
      vgroups: op.vgroups.map((v) => ({ vgId: v.vgId, dnodeIds: [...v.dnodeIds] })),
      index: m.commitIndex,
    };
    const dnodes = [...new Set(op.vgroups.flatMap((v) => v.dnodeIds))].sort((a, b) => a - b);
    const done: number[] = [];
    try {
      // All at once, so that each vgroup's founders are up together and elect quickly.
      const results = await Promise.allSettled(
        dnodes.map(async (id) => {
          await this.hostOnDnode(id, host);
          done.push(id);
        }),
      );
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
    } catch (e) {
      for (const id of done) await this.unhostOnDnode(id, name).catch(() => undefined);
      await m.propose({ op: 'unplaceDb', name }).catch(() => undefined);
      throw e;
    }
    // The statement returns once every vgroup has a leader (a read barrier through it). A
    // vgroup of one replica elected itself while its dnode opened it (leadFirst).
    for (const v of op.vgroups) this.host.vgroups.note(v.vgId, name, v.dnodeIds);
    const leaderless: number[] = [];
    await Promise.all(
      op.vgroups
        .filter((v) => v.dnodeIds.length > 1)
        .map((v) =>
          this.host.vgroups.meta(v.vgId, null).catch((e: unknown) => {
            leaderless.push(v.vgId);
            this.host.log.warn('create database: a vgroup has no leader yet', {
              db: name,
              vgId: v.vgId,
              error: (e as Error).message,
            });
          }),
        ),
    );
    if (leaderless.length > 0) {
      throw new BasaltError(
        'NO_LEADER',
        `database '${name}' is created but vgroup(s) ${leaderless.sort((a, b) => a - b).join(', ')} elected no leader in time; check 'show ${name}.vgroups' and 'show dnodes' (a dnode may have stopped), then retry the writes`,
      );
    }
    await this.spreadLeaders(op.vgroups.map((v) => v.vgId));
    this.host.log.info('replicated database created', {
      db: name,
      replica: op.replica,
      vgroups: op.vgroups.map((v) => `${v.vgId}@${v.dnodeIds.join('/')}`).join(' '),
    });
    return finished('Create');
  }

  private async dropDatabase(
    req: Extract<ClusterRequest, { kind: 'dropDatabase' }>,
    runOnDnode: RunOnDnode,
  ): Promise<ClusterResult> {
    const { name } = req;
    const m = this.leader();
    const rp = m.state.replicatedDbs[name];
    if (rp) {
      // Every replica's dnode drops its vnodes; an offline one keeps them until it is told
      // again (not yet: its vnode directories stay behind, see src/mnode/README.md).
      const dnodes = [...new Set(rp.vgroups.flatMap((v) => v.dnodeIds))];
      for (const id of dnodes) {
        try {
          await runOnDnode(id);
        } catch (e) {
          this.host.log.warn('drop database: a replica dnode did not answer', {
            db: name,
            dnodeId: id,
            error: (e as Error).message,
          });
        }
      }
      await m.propose({ op: 'unplaceDb', name });
      return finished('Drop');
    }
    const p = m.state.dbPlacement[name];
    if (!p) {
      await runOnDnode(this.host.selfId());
      return finished('Drop');
    }
    await runOnDnode(p.dnodeId);
    await m.propose({ op: 'unplaceDb', name });
    return finished('Drop');
  }

  // ---- show

  private showDnodes(): ClusterResult {
    const m = this.leader();
    const s = m.state;
    const rows = s.dnodes.map((d): Cell[] => {
      const st = this.status(d.id);
      const self = d.id === this.host.selfId();
      const reboot = self ? this.host.startedAtMs : this.leaderView.liveness.get(d.id)?.rebootTimeMs || null;
      return [d.id, d.endpoint, vnodesOn(s, d.id), this.supportVnodes(d.id), st.status, d.createdAtMs, reboot, st.note];
    });
    return rowsResult(
      [
        col('id', T.SMALLINT),
        varcharCol('endpoint', 134),
        col('vnodes', T.SMALLINT),
        col('support_vnodes', T.SMALLINT),
        varcharCol('status', 10),
        col('create_time', T.TIMESTAMP),
        col('reboot_time', T.TIMESTAMP),
        varcharCol('note', 256),
      ],
      rows,
    );
  }

  private showMnodes(): ClusterResult {
    const m = this.leader();
    const s = m.state;
    const now = Date.now();
    const selfId = this.host.selfId();
    const rows: Cell[][] = [];
    const listed = new Set<number>();
    for (const x of s.mnodes) {
      listed.add(x.dnodeId);
      const d = dnodeById(s, x.dnodeId);
      let role: string;
      let roleTime: number;
      if (x.dnodeId === selfId) {
        role = 'leader';
        roleTime = m.roleSinceMs;
      } else {
        // As TDengine: an mnode is offline exactly when its dnode is (status timeout), so
        // `show mnodes` and `show dnodes` never disagree.
        const live =
          this.status(x.dnodeId).status === 'ready' && (m.voters.includes(x.dnodeId) || m.learners.includes(x.dnodeId));
        role = live ? (m.learners.includes(x.dnodeId) ? 'learner' : 'follower') : 'offline';
        roleTime = this.leaderView.liveness.get(x.dnodeId)?.statusSinceMs ?? x.createdAtMs;
      }
      rows.push([
        x.dnodeId,
        d?.endpoint ?? '',
        role,
        role === 'offline' ? 'offline' : 'ready',
        x.createdAtMs,
        roleTime,
      ]);
    }
    for (const id of m.learners) {
      if (listed.has(id)) continue;
      rows.push([id, dnodeById(s, id)?.endpoint ?? '', 'learner', 'creating', now, now]);
    }
    return rowsResult(
      [
        col('id', T.INT),
        varcharCol('endpoint', 134),
        varcharCol('role', 12),
        varcharCol('status', 9),
        col('create_time', T.TIMESTAMP),
        col('role_time', T.TIMESTAMP),
      ],
      rows,
    );
  }

  private showCluster(): ClusterResult {
    const m = this.leader();
    const s = m.state;
    const uptimeS = Math.max(0, Math.floor((Date.now() - s.createdAtMs) / 1000));
    return rowsResult(
      [
        col('id', T.BIGINT),
        varcharCol('name', 134),
        col('uptime', T.INT),
        col('create_time', T.TIMESTAMP),
        varcharCol('version', 10),
        col('expire_time', T.TIMESTAMP),
      ],
      [[BigInt(s.clusterId), s.clusterId, uptimeS, s.createdAtMs, this.host.version, null]],
    );
  }
}
