// ReplicaRuntime: the I/O half of Raft for one node (one dnode process). It owns a MultiRaft
// (hundreds of groups, heartbeats coalesced per peer), a timer that ticks every group, the
// transport, and the single Ready loop that, per round and in this order:
//   1. writes every group's snapshot, entries and hard state, then awaits one fsync per
//      touched log (all groups in parallel: a group commit);
//   2. sends the envelopes (nothing leaves before what it depends on is durable);
//   3. applies committed entries to each group's state machine;
//   4. advances, answers proposers and reads, takes snapshots when due.
// Proposals arriving while a round is on disk wait in their group and enter Raft together at
// the start of the next round, so load turns into batching instead of more fsyncs.
import { randomInt } from 'node:crypto';
import { assert } from '../common/assert.js';
import { BasaltError } from '../common/errors.js';
import { Limits } from '../common/limits.js';
import { Prng, type LogStore, type NodeId, type RaftConfig, type Ready } from '../raft/index.js';
import { isDiskFull } from '../storage/disk-space.js';
import { MultiRaft, type GroupId, type NodeEnvelope } from '../raft/multi-raft.js';
import { RaftGroupHost, type GroupHostLimits, type GroupStatus } from './group-host.js';
import type { StateMachine } from './state-machine.js';
import type { RaftTransport, TransportSink } from './transport.js';

export type LogFn = (level: 'info' | 'warn' | 'error', msg: string) => void;

export interface ReplicaRuntimeOptions {
  readonly nodeId: NodeId;
  readonly transport: RaftTransport;
  /** Timer period; Raft's election and heartbeat ticks count these. Default Limits.raftTickMs. */
  readonly tickMs?: number;
  /** Groups this node may host. Default Limits.maxRaftGroupsPerNode. */
  readonly maxGroups?: number;
  readonly log?: LogFn;
  /**
   * Let a leader send its appends and heartbeats while its own disk write of the same
   * entries is still running (Raft thesis §10.2.1; etcd's server does the same). Safe
   * because the leader counts itself toward commit only up to its durable index, and it is
   * never done in a round that changes term or vote. Default true.
   */
  readonly leaderSendsBeforeSync?: boolean;
  /**
   * A leader tells followers a new commit index with their next MsgApp instead of an empty
   * one at once (RaftConfig.lazyCommitBroadcast), or after commitFlushDelayMs when no MsgApp
   * went out meanwhile. Measured at 1 proposal in flight on loopback: follower Ready rounds
   * per commit 2 → 1, one fewer socket write on each follower and two on the leader. Default true.
   */
  readonly lazyCommitBroadcast?: boolean;
  /** How long a commit index may wait for a MsgApp to carry it. Default Limits.raftCommitFlushDelayMs. */
  readonly commitFlushDelayMs?: number;
}

export interface RaftGroupOptions extends Partial<GroupHostLimits> {
  readonly group: GroupId;
  readonly store: LogStore & {
    sync?: () => Promise<void>;
    close?: () => Promise<void>;
    persistCommit?: (commit: number) => Promise<void>;
  };
  readonly stateMachine: StateMachine;
  /** Raft timers and flow-control limits (id, prng and applied are set by the runtime). */
  readonly raft?: Partial<Omit<RaftConfig, 'id' | 'prng' | 'applied'>>;
}

const DEFAULT_GROUP_LIMITS: GroupHostLimits = {
  proposalTimeoutMs: Limits.raftProposalTimeoutMs,
  readTimeoutMs: Limits.raftReadIndexTimeoutMs,
  maxPendingProposals: Limits.maxRaftPendingProposals,
  snapshotEveryEntries: 0,
  keepEntriesAfterSnapshot: Limits.raftKeepEntriesAfterSnapshot,
};

export class ReplicaRuntime implements TransportSink {
  private readonly mr: MultiRaft;
  private readonly hosts = new Map<GroupId, RaftGroupHost>();
  private readonly transport: RaftTransport;
  private readonly log: LogFn;
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private loopDone: Promise<void> = Promise.resolve();
  private closed = false;
  private failure: BasaltError | undefined;
  /** A write met a full disk and no write has succeeded since (logged once). */
  private diskFull = false;
  readonly stats = { rounds: 0, syncs: 0, badEnvelopes: 0 };
  private readonly leaderSendsBeforeSync: boolean;
  private readonly lazyCommitBroadcast: boolean;
  private readonly commitFlushDelayMs: number;
  /** Armed while some group owes followers its commit index (at most one timer). */
  private commitFlushTimer: NodeJS.Timeout | undefined;

  constructor(readonly opts: ReplicaRuntimeOptions) {
    this.mr = new MultiRaft(opts.nodeId, opts.maxGroups ?? Limits.maxRaftGroupsPerNode);
    this.transport = opts.transport;
    this.log = opts.log ?? (() => undefined);
    this.leaderSendsBeforeSync = opts.leaderSendsBeforeSync ?? true;
    this.lazyCommitBroadcast = opts.lazyCommitBroadcast ?? true;
    this.commitFlushDelayMs = opts.commitFlushDelayMs ?? Limits.raftCommitFlushDelayMs;
    assert(
      this.commitFlushDelayMs >= 0 && this.commitFlushDelayMs < Limits.raftTickMs,
      'commitFlushDelayMs must be shorter than a tick',
    );
    if (opts.transport.nodeId !== opts.nodeId)
      throw new BasaltError(
        'RAFT_CONFIG_INVALID',
        `transport of node ${opts.transport.nodeId} given to node ${opts.nodeId}`,
      );
    opts.transport.attach(this);
    const tickMs = opts.tickMs ?? Limits.raftTickMs;
    this.timer = setInterval(() => this.onTick(), tickMs);
  }

  get nodeId(): NodeId {
    return this.opts.nodeId;
  }

  /**
   * Opens a group on this node. The state machine is brought to the store's snapshot first
   * when it holds less; Raft then replays the log after the state machine's applied index.
   */
  async addGroup(o: RaftGroupOptions): Promise<RaftGroupHost> {
    this.checkUsable();
    const { store, stateMachine: sm } = o;
    let applied = sm.appliedIndex();
    const snap = store.snapshot();
    if (snap.meta.index > applied) {
      await sm.restore(snap);
      applied = snap.meta.index;
    }
    const hs = store.initialState().hardState;
    if (applied > hs.commit) {
      // The state machine applied what was committed but the commit mark on disk lags (it is
      // written without fsync); raise it rather than refuse to open.
      if (applied > store.lastIndex())
        throw new BasaltError(
          'WAL_INDEX_GAP',
          `group ${o.group}: state machine applied ${applied} but the Raft log ends at ${store.lastIndex()}`,
        );
      store.setHardState({ ...hs, commit: applied });
    }
    const node = this.mr.addGroup(
      o.group,
      { lazyCommitBroadcast: this.lazyCommitBroadcast, ...o.raft, applied, prng: new Prng(randomInt(0x7fffffff)) },
      store,
    );
    const limits: GroupHostLimits = {
      proposalTimeoutMs: o.proposalTimeoutMs ?? DEFAULT_GROUP_LIMITS.proposalTimeoutMs,
      readTimeoutMs: o.readTimeoutMs ?? DEFAULT_GROUP_LIMITS.readTimeoutMs,
      maxPendingProposals: o.maxPendingProposals ?? DEFAULT_GROUP_LIMITS.maxPendingProposals,
      snapshotEveryEntries: o.snapshotEveryEntries ?? DEFAULT_GROUP_LIMITS.snapshotEveryEntries,
      keepEntriesAfterSnapshot: o.keepEntriesAfterSnapshot ?? DEFAULT_GROUP_LIMITS.keepEntriesAfterSnapshot,
    };
    const host = new RaftGroupHost(o.group, node, store, sm, limits, {
      kick: () => this.kick(),
      leaderEndpoint: (id) => this.transport.endpointOf(id),
    });
    this.hosts.set(o.group, host);
    this.kick();
    return host;
  }

  group(id: GroupId): RaftGroupHost {
    const h = this.hosts.get(id);
    if (!h) throw new BasaltError('NO_LEADER', `group ${id} is not hosted on node ${this.nodeId}`);
    return h;
  }

  groups(): RaftGroupHost[] {
    return [...this.hosts.values()];
  }

  /** Every hosted group's status plus transport counters (for show vgroups / show mnodes). */
  status(): {
    nodeId: NodeId;
    groups: GroupStatus[];
    stats: ReplicaRuntime['stats'];
    transport: RaftTransport['stats'];
    peers: ReturnType<RaftTransport['peerStats']>;
  } {
    return {
      nodeId: this.nodeId,
      groups: this.groups().map((h) => h.status()),
      stats: { ...this.stats },
      transport: { ...this.transport.stats },
      peers: this.transport.peerStats(),
    };
  }

  /** Stops hosting a group (after it removed this node, or the vgroup was dropped). */
  async removeGroup(id: GroupId): Promise<void> {
    const h = this.hosts.get(id);
    if (!h) return;
    await this.loopDone;
    this.hosts.delete(id);
    this.mr.removeGroup(id);
    h.failAll(new BasaltError('NO_LEADER', `group ${id} was removed from node ${this.nodeId}`));
    await h.store.close?.();
  }

  // ------------------------------------------------------------ transport sink

  deliver(env: NodeEnvelope): void {
    if (this.closed || this.failure) return;
    this.noticeDeafPeer(env);
    try {
      this.mr.receive(env);
    } catch (e) {
      // Validation (wire.ts) keeps malformed frames out; a throw here is a peer the core
      // refuses. Logged and dropped: one bad peer must not stop the node.
      this.stats.badEnvelopes++;
      this.log('error', `raft: envelope from node ${env.from} refused: ${(e as Error).message}`);
    }
    this.kick();
  }

  private readonly peerResetAtMs = new Map<NodeId, number>();

  /**
   * A node asks for pre-votes in a group this node leads: it does not hear our heartbeats
   * although we hear it. That is what an outbound connection looks like after a network
   * cut heals while TCP still waits out its retransmission backoff (seconds): reopen it
   * instead of waiting (at most once per Limits.raftPeerResetMinMs per peer).
   */
  private noticeDeafPeer(env: NodeEnvelope): void {
    const deaf = env.messages.some(
      ({ group, msg }) => msg.type === 'MsgPreVote' && this.hosts.get(group)?.node.raft.role === 'leader',
    );
    if (!deaf) return;
    const now = Date.now();
    if (now - (this.peerResetAtMs.get(env.from) ?? 0) < Limits.raftPeerResetMinMs) return;
    this.peerResetAtMs.set(env.from, now);
    if (this.transport.resetPeer(env.from))
      this.log('info', `raft: node ${env.from} campaigns in a group this node leads; reopening the connection to it`);
  }

  undelivered(env: NodeEnvelope): void {
    if (this.closed) return;
    let any = false;
    for (const { group, msg } of env.messages) {
      if (msg.type !== 'MsgApp' && msg.type !== 'MsgSnap') continue;
      const h = this.hosts.get(group);
      if (!h) continue;
      h.node.reportUnreachable(env.to);
      any = true;
    }
    if (any) this.kick();
  }

  peerDown(peer: NodeId): void {
    if (this.closed) return;
    // Appends written to the lost connection may be gone: leaders probe that follower again.
    for (const h of this.hosts.values()) if (h.node.raft.role === 'leader') h.node.reportUnreachable(peer);
    this.kick();
  }

  // ------------------------------------------------------------ the loop

  private onTick(): void {
    if (this.closed || this.failure) return;
    this.mr.tick();
    const now = Date.now();
    for (const h of this.hosts.values()) h.onTick(now);
    this.kick();
  }

  private kick(): void {
    if (this.running || this.closed || this.failure) return;
    this.running = true;
    this.loopDone = new Promise<void>((resolve) =>
      setImmediate(() => {
        void this.loop().finally(resolve);
      }),
    );
  }

  private async loop(): Promise<void> {
    try {
      let sinceYieldMs = performance.now();
      for (;;) {
        if (this.closed) break;
        for (const h of this.hosts.values()) h.flushProposals();
        if (!this.mr.hasReady()) break;
        await this.round();
        // Rounds without disk or network waits (a learner applying a long log) would
        // otherwise chain as microtasks and starve the tick timer and the sockets.
        if (performance.now() - sinceYieldMs >= Limits.raftLoopYieldMs) {
          await new Promise<void>((resolve) => setImmediate(resolve));
          sinceYieldMs = performance.now();
        }
      }
      this.armCommitFlush();
    } catch (e) {
      this.fail(e);
    } finally {
      this.running = false;
    }
  }

  /**
   * When a round ends with a commit index owed to some follower, sends it after
   * commitFlushDelayMs unless a MsgApp carried it meanwhile (a proposal arriving within the
   * delay, the common case under load). Bounds how long a follower's apply lags the commit.
   */
  private armCommitFlush(): void {
    if (this.commitFlushTimer || this.closed || this.failure || !this.mr.hasOwedCommit()) return;
    this.commitFlushTimer = setTimeout(() => {
      this.commitFlushTimer = undefined;
      if (this.closed || this.failure) return;
      if (this.mr.flushCommit()) this.kick();
    }, this.commitFlushDelayMs);
  }

  private async round(): Promise<void> {
    const t0 = performance.now();
    const rd = this.mr.ready(Limits.raftApplyBytesPerRound);
    const tReady = performance.now();
    this.stats.rounds++;
    const early = new Set<GroupId>();
    if (this.leaderSendsBeforeSync) {
      for (const [gid, r] of rd.groups) if (this.hosts.get(gid)?.maySendBeforeSync(r)) early.add(gid);
    }
    // A leader's appends leave before its own write, not only before its fsync: the followers'
    // write + fsync + ack is the longer path to commit, so it starts first.
    let later = rd.envelopes;
    if (early.size > 0) {
      const [now, rest] = partitionEnvelopes(rd.envelopes, early);
      this.transport.send(now);
      later = rest;
    }
    const tEarly = performance.now();
    const syncs: Promise<void>[] = [];
    for (const [gid, r] of rd.groups) {
      const h = this.hosts.get(gid);
      if (!h) continue;
      if (!this.tryPersist(h, r)) await this.persistWhenSpace(h, r);
      if (r.mustSync) syncs.push(h.sync());
    }
    this.stats.syncs += syncs.length;
    const tPersist = performance.now();
    await Promise.all(syncs);
    const tSync = performance.now();
    // Nothing below leaves before the entries and hard state it depends on are durable.
    for (const gid of rd.groups.keys()) {
      const h = this.hosts.get(gid);
      assert(h === undefined || !h.awaitingSync, `group ${gid}: messages about to be sent before its Ready was synced`);
    }
    this.transport.send(later);
    for (const [gid, r] of rd.groups) this.hosts.get(gid)?.markDurable(r);
    // A membership entry takes effect when applied; its commit must be durable first, or a
    // restart could revive the older configuration (see WalLogStore.persistCommit).
    for (const [gid, r] of rd.groups) {
      let confIndex = 0;
      for (const e of r.committedEntries) if (e.type === 'conf') confIndex = e.index;
      if (confIndex > 0) await this.hosts.get(gid)?.store.persistCommit?.(confIndex);
    }
    for (const [gid, r] of rd.groups) await this.hosts.get(gid)?.apply(r);
    const tApply = performance.now();
    this.mr.advance(rd);
    let snapshotMs = 0;
    for (const [gid, r] of rd.groups) {
      const h = this.hosts.get(gid);
      if (!h) continue;
      h.afterAdvance(r);
      const ts = performance.now();
      try {
        await h.maybeSnapshot();
      } catch (e) {
        // Snapshots are housekeeping: on a full disk the next round tries again.
        if (!isDiskFull(e)) throw e;
        this.noteDiskFull(`group ${gid}: snapshot postponed`, e);
      }
      snapshotMs += performance.now() - ts;
    }
    const tEnd = performance.now();
    // No group of this node sends or answers anything while a round runs: a round as long as
    // an election timeout costs leaderships. Say where the time went.
    if (tEnd - t0 >= Limits.stallWarnMs)
      this.log(
        'warn',
        `raft on node ${this.nodeId}: one round took ${Math.round(tEnd - t0)} ms (ready ${Math.round(tReady - t0)}, send ${Math.round(tEarly - tReady)}, persist ${Math.round(tPersist - tEarly)}, fsync ${Math.round(tSync - tPersist)}, apply ${Math.round(tApply - tSync)}, snapshots ${Math.round(snapshotMs)} ms; ${rd.groups.size} groups): heartbeats waited meanwhile`,
      );
    // Under steady load on other groups the loop may not go idle for a while.
    this.armCommitFlush();
  }

  /** Persists a group's Ready; false when the disk was full (nothing of the failed write remains). */
  private tryPersist(h: RaftGroupHost, r: Ready): boolean {
    try {
      h.persist(r);
      if (this.diskFull) {
        this.diskFull = false;
        this.log('info', `raft on node ${this.nodeId}: disk space is back, the log takes entries again`);
      }
      return true;
    } catch (e) {
      if (!isDiskFull(e)) throw e;
      this.noteDiskFull(`group ${h.group}: log write waits for disk space`, e);
      return false;
    }
  }

  /**
   * A Ready Raft produced must be persisted before anything of it is sent or applied, and it
   * cannot be taken back: so the loop waits, trying again, until the disk has room (or the
   * runtime closes). New writes are refused before they reach Raft (the vnodes' disk guard),
   * so this is the rare race of a volume filled from outside.
   */
  private async persistWhenSpace(h: RaftGroupHost, r: Ready): Promise<void> {
    for (;;) {
      await new Promise<void>((resolve) => setTimeout(resolve, Limits.diskFullRetryMs));
      if (this.closed) throw new BasaltError('SHUTTING_DOWN', `raft on node ${this.nodeId} is stopping`);
      if (this.tryPersist(h, r)) return;
    }
  }

  /** Logs a full disk once until it is over (not per retry). */
  private noteDiskFull(what: string, e: unknown): void {
    if (this.diskFull) return;
    this.diskFull = true;
    this.log(
      'error',
      `raft on node ${this.nodeId}: ${what}, retrying every ${Limits.diskFullRetryMs} ms: ${(e as Error).message}`,
    );
  }

  private fail(e: unknown): void {
    const err =
      e instanceof BasaltError
        ? e
        : new BasaltError(
            'INTERNAL',
            `raft runtime of node ${this.nodeId} stopped: ${(e as Error)?.stack ?? String(e)}`,
          );
    this.failure = err;
    this.log('error', `raft runtime of node ${this.nodeId} stopped: ${err.message}`);
    if (this.timer) clearInterval(this.timer);
    if (this.commitFlushTimer) clearTimeout(this.commitFlushTimer);
    for (const h of this.hosts.values()) h.failAll(err);
  }

  /** Why the runtime stopped (a failed fsync or apply), if it did. */
  get failed(): BasaltError | undefined {
    return this.failure;
  }

  private checkUsable(): void {
    if (this.failure) throw this.failure;
    if (this.closed) throw new BasaltError('SHUTTING_DOWN', `raft on node ${this.nodeId} is stopping`);
  }

  /** Stops ticking and sending, finishes the round on disk, closes the transport and the logs. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    if (this.commitFlushTimer) clearTimeout(this.commitFlushTimer);
    await this.loopDone;
    this.transport.close();
    const err = new BasaltError('SHUTTING_DOWN', `raft on node ${this.nodeId} is stopping`);
    for (const h of this.hosts.values()) {
      h.failAll(err);
      await h.store.close?.();
    }
    this.hosts.clear();
  }
}

/** Splits envelopes into the messages of `early` groups and the rest (same peer order). */
function partitionEnvelopes(
  envs: readonly NodeEnvelope[],
  early: ReadonlySet<GroupId>,
): [NodeEnvelope[], NodeEnvelope[]] {
  const now: NodeEnvelope[] = [];
  const later: NodeEnvelope[] = [];
  for (const env of envs) {
    const a: NodeEnvelope = {
      from: env.from,
      to: env.to,
      heartbeats: env.heartbeats.filter((b) => early.has(b.group)),
      heartbeatResps: env.heartbeatResps.filter((b) => early.has(b.group)),
      messages: env.messages.filter((m) => early.has(m.group)),
    };
    const b: NodeEnvelope = {
      from: env.from,
      to: env.to,
      heartbeats: env.heartbeats.filter((x) => !early.has(x.group)),
      heartbeatResps: env.heartbeatResps.filter((x) => !early.has(x.group)),
      messages: env.messages.filter((m) => !early.has(m.group)),
    };
    if (a.heartbeats.length + a.heartbeatResps.length + a.messages.length > 0) now.push(a);
    if (b.heartbeats.length + b.heartbeatResps.length + b.messages.length > 0) later.push(b);
  }
  return [now, later];
}
