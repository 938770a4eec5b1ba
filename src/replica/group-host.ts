// One Raft group as the application sees it: proposals that resolve once applied, ReadIndex
// reads, membership changes, leadership transfer and status. The ReplicaRuntime drives it
// from its Ready loop: flushProposals() before ready(), persist()/sync() for step 1,
// apply() for step 3, afterAdvance() after advance(), onTick() on every timer tick.
import { assert } from '../common/assert.js';
import { BasaltError } from '../common/errors.js';
import { Limits } from '../common/limits.js';
import type {
  ConfChange,
  ConfState,
  Entry,
  LogStore,
  NodeId,
  RawNode,
  Ready,
  Snapshot,
  StateRole,
} from '../raft/index.js';
import type { GroupId } from '../raft/multi-raft.js';
import type { StateMachine } from './state-machine.js';

export interface ProposeResult {
  readonly index: number;
  readonly term: number;
  /** What StateMachine.apply returned for this entry (undefined for membership changes). */
  readonly result: unknown;
}

export interface GroupStatus {
  readonly group: GroupId;
  readonly nodeId: NodeId;
  readonly role: StateRole;
  readonly term: number;
  readonly leader: NodeId;
  readonly commit: number;
  readonly applied: number;
  readonly firstIndex: number;
  readonly lastIndex: number;
  readonly snapshotIndex: number;
  readonly voters: readonly NodeId[];
  readonly learners: readonly NodeId[];
  readonly pendingProposals: number;
  readonly pendingReads: number;
}

export interface GroupHostLimits {
  readonly proposalTimeoutMs: number;
  readonly readTimeoutMs: number;
  readonly maxPendingProposals: number;
  /** Take a snapshot once this many entries were applied since the last one (0: never). */
  readonly snapshotEveryEntries: number;
  /** Entries kept in the log behind a snapshot, so a briefly lagging follower needs no snapshot. */
  readonly keepEntriesAfterSnapshot: number;
}

interface Waiter<T> {
  readonly resolve: (v: T) => void;
  readonly reject: (e: Error) => void;
  readonly deadlineMs: number;
}

interface PendingProposal extends Waiter<ProposeResult> {
  readonly term: number;
}
interface PendingRead extends Waiter<void> {
  index: number | undefined;
  /** When the ReadIndex request last went out (it is sent again until confirmed). */
  sentAtMs: number;
}

interface QueuedProposal extends Waiter<ProposeResult> {
  readonly data: Uint8Array;
}

interface SnapshotJob {
  readonly step: 'image' | 'file';
  done: boolean;
  /** Snapshots installed from the leader when the job started (one since makes it moot). */
  readonly restores: number;
  image?: { readonly index: number; readonly data: Uint8Array };
  snap?: Snapshot;
  error?: unknown;
}

export interface GroupHostDeps {
  readonly kick: () => void;
  readonly leaderEndpoint: (id: NodeId) => string | undefined;
}

export class RaftGroupHost {
  private queued: QueuedProposal[] = [];
  /** By log index, in proposal order (so the oldest deadline is first). */
  private readonly pending = new Map<number, PendingProposal>();
  private readonly reads = new Map<string, PendingRead>();
  private readonly transfers: { to: NodeId; w: Waiter<void> }[] = [];
  private readSeq = 0;
  private settleAfterAdvance: { e: Entry; result: unknown }[] = [];
  /** The snapshot being taken off the Raft loop (StateMachine.snapshotConcurrent), if any. */
  private snapJob: SnapshotJob | null = null;
  /** Index of the last membership change in effect (applied, or installed with a snapshot). */
  private lastConfIndex = 0;
  /** Snapshots installed from the leader so far. */
  private restores = 0;
  private closedError: BasaltError | undefined;
  /** Term and vote as last made durable (what a restart would find). */
  private durable: { term: number; vote: NodeId };
  /** The last Ready persisted needs an fsync that has not completed yet. */
  private syncPending = false;
  /** Index of the last entry handed to apply() (or installed by snapshot): the next must follow it. */
  private appliedThrough: number;

  constructor(
    readonly group: GroupId,
    readonly node: RawNode,
    readonly store: LogStore & {
      sync?: () => Promise<void>;
      prepareSnapshot?: (index: number, conf: ConfState, data: Uint8Array) => Promise<Snapshot>;
      adoptSnapshot?: (snap: Snapshot) => boolean;
      close?: () => Promise<void>;
      persistCommit?: (commit: number) => Promise<void>;
    },
    readonly sm: StateMachine,
    private readonly limits: GroupHostLimits,
    private readonly deps: GroupHostDeps,
  ) {
    const hs = store.initialState().hardState;
    this.durable = { term: hs.term, vote: hs.vote };
    this.appliedThrough = node.raft.log.applied;
  }

  get nodeId(): NodeId {
    return this.node.raft.id;
  }

  // ------------------------------------------------------------ application API

  /** Replicates `data`; resolves once it is applied locally, with its index and apply result. */
  propose(data: Uint8Array): Promise<ProposeResult> {
    if (this.closedError) return Promise.reject(this.closedError);
    const st = this.node.raft;
    if (st.role !== 'leader') return Promise.reject(this.notLeader());
    if (this.queued.length + this.pending.size >= this.limits.maxPendingProposals) {
      return Promise.reject(
        new BasaltError(
          'QUEUE_FULL',
          `group ${this.group} has ${this.limits.maxPendingProposals} proposals waiting to apply; retry later`,
        ),
      );
    }
    return new Promise<ProposeResult>((resolve, reject) => {
      this.queued.push({ data, resolve, reject, deadlineMs: Date.now() + this.limits.proposalTimeoutMs });
      this.deps.kick();
    });
  }

  /** Resolves when a read started now may be served from local state linearizably. */
  readIndex(): Promise<void> {
    if (this.closedError) return Promise.reject(this.closedError);
    const ctx = `${this.nodeId}.${++this.readSeq}`;
    try {
      this.node.readIndex(ctx);
    } catch (e) {
      return Promise.reject(e);
    }
    return new Promise<void>((resolve, reject) => {
      const nowMs = Date.now();
      this.reads.set(ctx, {
        resolve,
        reject,
        deadlineMs: nowMs + this.limits.readTimeoutMs,
        index: undefined,
        sentAtMs: nowMs,
      });
      this.deps.kick();
    });
  }

  /** Adds a non-voting member that catches up (by snapshot when the log was compacted). */
  addLearner(node: NodeId): Promise<ProposeResult> {
    return this.confChange({ type: 'addLearner', node });
  }
  /** Makes a caught-up learner a voter. */
  promote(node: NodeId): Promise<ProposeResult> {
    return this.confChange({ type: 'addVoter', node });
  }
  /** Removes a member (the leader too: it hands leadership over after the change applies). */
  remove(node: NodeId): Promise<ProposeResult> {
    return this.confChange({ type: 'remove', node });
  }

  /** Asks the leader to hand over to `to`; resolves when `to` is the known leader. */
  transferLeader(to: NodeId, timeoutMs = this.limits.proposalTimeoutMs): Promise<void> {
    if (this.closedError) return Promise.reject(this.closedError);
    try {
      this.node.transferLeader(to);
    } catch (e) {
      return Promise.reject(e);
    }
    this.deps.kick();
    if (this.node.raft.lead === to) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.transfers.push({ to, w: { resolve, reject, deadlineMs: Date.now() + timeoutMs } });
    });
  }

  /** Starts an election now (tests, or a founding member that should lead first). */
  campaign(): void {
    this.node.campaign();
    this.deps.kick();
  }

  status(): GroupStatus {
    const s = this.node.status();
    return {
      group: this.group,
      nodeId: s.id,
      role: s.role,
      term: s.term,
      leader: s.lead,
      commit: s.commit,
      applied: s.applied,
      firstIndex: s.firstIndex,
      lastIndex: s.lastIndex,
      snapshotIndex: this.store.snapshot().meta.index,
      voters: s.conf.voters,
      learners: s.conf.learners,
      pendingProposals: this.pending.size + this.queued.length,
      pendingReads: this.reads.size,
    };
  }

  // ------------------------------------------------------------ driven by the runtime

  /** Hands queued proposals to Raft as one batch (one log append, one MsgApp per follower). */
  flushProposals(): void {
    if (this.queued.length === 0) return;
    const batch = this.queued;
    this.queued = [];
    let r: { firstIndex: number; lastIndex: number; term: number };
    try {
      r = this.node.proposeBatch(batch.map((q) => q.data));
    } catch (e) {
      const err = e instanceof BasaltError && e.errorName === 'NOT_LEADER' ? this.notLeader() : (e as Error);
      for (const q of batch) q.reject(err);
      return;
    }
    assert(r.lastIndex - r.firstIndex + 1 === batch.length, 'proposeBatch index range matches the batch');
    for (let k = 0; k < batch.length; k++) {
      const q = batch[k]!;
      this.pending.set(r.firstIndex + k, {
        term: r.term,
        resolve: q.resolve,
        reject: q.reject,
        deadlineMs: q.deadlineMs,
      });
    }
  }

  /** Step 1 of a Ready: write snapshot, entries, hard state (durable after sync()). */
  persist(rd: Ready): void {
    // The runtime syncs a round before it persists the next one.
    assert(!this.syncPending, `group ${this.group}: a Ready persisted before the previous one was synced`);
    // Set after the writes: a write refused by a full disk is persisted again (the runtime
    // retries the same Ready), and each step is idempotent for the same Ready.
    if (rd.snapshot) this.store.applySnapshot(rd.snapshot);
    this.store.append(rd.entries);
    if (rd.hardState) this.store.setHardState(rd.hardState);
    this.syncPending = rd.mustSync;
  }

  /**
   * True when this Ready's messages may leave before its write is durable: this node leads,
   * and the Ready changes neither term nor vote nor installs a snapshot. A leader's MsgApp
   * and heartbeats promise nothing about its own disk (it counts itself toward commit only
   * up to its durable index); votes, term changes and follower acknowledgements do.
   */
  maySendBeforeSync(rd: Ready): boolean {
    if (this.node.raft.role !== 'leader' || rd.snapshot) return false;
    const hs = rd.hardState;
    if (!hs) return true;
    return hs.term === this.durable.term && hs.vote === this.durable.vote;
  }

  /** The round's writes are durable. */
  markDurable(rd: Ready): void {
    assert(!this.syncPending, `group ${this.group}: Ready marked durable before its sync completed`);
    if (rd.hardState && rd.mustSync) this.durable = { term: rd.hardState.term, vote: rd.hardState.vote };
  }

  async sync(): Promise<void> {
    if (this.store.sync) await this.store.sync();
    this.syncPending = false;
  }

  /** True between persist() of a Ready that needs an fsync and the end of its sync(). */
  get awaitingSync(): boolean {
    return this.syncPending;
  }

  /** Step 3: restore a received snapshot, then apply committed entries in order. */
  async apply(rd: Ready): Promise<void> {
    if (rd.snapshot) {
      this.restores++;
      await this.sm.restore(rd.snapshot);
      const s = rd.snapshot.meta.index;
      this.lastConfIndex = Math.max(this.lastConfIndex, s);
      assert(
        s > this.appliedThrough,
        `group ${this.group}: snapshot at ${s} does not move past applied ${this.appliedThrough}`,
      );
      this.appliedThrough = s;
      for (const [i, p] of this.pending) {
        if (i > s) continue;
        this.pending.delete(i);
        p.reject(
          new BasaltError(
            'TIMEOUT',
            `outcome of proposal ${i} unknown: this replica was replaced by a snapshot at ${s}`,
          ),
        );
      }
    }
    for (const rs of rd.readStates) {
      const r = this.reads.get(rs.context);
      if (r) r.index = rs.index;
    }
    const ents = rd.committedEntries;
    // Entries apply in index order without gaps, continuing where the last Ready stopped.
    let next = this.appliedThrough + 1;
    for (const e of ents) {
      if (e.index !== next) break;
      next++;
    }
    assert(
      next === this.appliedThrough + 1 + ents.length,
      `group ${this.group}: committed entries do not continue applied index ${this.appliedThrough} without a gap`,
    );
    if (ents.length > 0) this.appliedThrough = ents[ents.length - 1]!.index;
    let k = 0;
    while (k < ents.length) {
      const e = ents[k]!;
      if (e.type === 'conf' || e.data.length === 0) {
        this.settleAfterAdvance.push({ e, result: undefined });
        k++;
        continue;
      }
      // A run of normal entries goes to the state machine in one call.
      let j = k;
      while (j < ents.length && ents[j]!.type === 'normal' && ents[j]!.data.length > 0) j++;
      const run = ents.slice(k, j);
      const results = await this.sm.apply(run);
      for (let t = 0; t < run.length; t++)
        this.settleAfterAdvance.push({ e: run[t]!, result: results ? results[t] : undefined });
      k = j;
    }
  }

  /** After advance(): membership is in effect; answer proposers, reads and transfers. */
  afterAdvance(rd: Ready): void {
    const settle = this.settleAfterAdvance;
    this.settleAfterAdvance = [];
    for (const { e, result } of settle) {
      if (e.type === 'conf') {
        this.lastConfIndex = e.index;
        this.sm.onConfChange?.(this.node.raft.confState(), e.index);
      }
      const p = this.pending.get(e.index);
      if (!p) continue;
      this.pending.delete(e.index);
      if (p.term === e.term) p.resolve({ index: e.index, term: e.term, result });
      else
        p.reject(
          new BasaltError(
            'PROPOSAL_DROPPED',
            `proposal ${e.index} of term ${p.term} was replaced by a new leader's entry of term ${e.term}; retry`,
            this.leaderHint(),
          ),
        );
    }
    const applied = this.node.raft.log.applied;
    for (const [ctx, r] of this.reads) {
      if (r.index !== undefined && r.index <= applied) {
        this.reads.delete(ctx);
        r.resolve();
      }
    }
    if (rd.softState) {
      const r = this.node.raft;
      this.sm.onLeaderChange?.(r.lead, r.role, r.term);
      if (r.role !== 'leader') {
        // Reads not yet confirmed were waiting for this node as leader, or for a leader that
        // changed: neither will answer them now, so fail fast instead of at the timeout.
        for (const [ctx, rr] of this.reads) {
          if (rr.index !== undefined) continue;
          this.reads.delete(ctx);
          rr.reject(this.notLeader());
        }
      }
      for (let i = this.transfers.length - 1; i >= 0; i--) {
        if (this.transfers[i]!.to === r.lead) {
          this.transfers[i]!.w.resolve();
          this.transfers.splice(i, 1);
        }
      }
    }
  }

  /** Takes a snapshot and compacts the log when enough was applied since the last one. */
  async maybeSnapshot(): Promise<void> {
    const every = this.limits.snapshotEveryEntries;
    if (every <= 0) return;
    if (this.sm.snapshotConcurrent && this.store.prepareSnapshot && this.store.adoptSnapshot) {
      this.snapshotStep(every);
      return;
    }
    const applied = this.node.raft.log.applied;
    const snapIndex = this.store.snapshot().meta.index;
    if (applied - snapIndex < every) return;
    const data = await this.sm.snapshot();
    this.store.createSnapshot(applied, this.node.raft.confState(), data);
    const compactTo = applied - this.limits.keepEntriesAfterSnapshot;
    if (compactTo > 0) this.store.compact(compactTo);
  }

  /**
   * A snapshot taken off the Raft loop, in three steps, each started or finished by a round
   * (between rounds the group's membership and log are consistent): the state machine builds
   * its image while entries go on being applied; a round checks that no membership change
   * lies past the image's index, fixes term and membership, and starts writing the file; a
   * later round adopts the file (a rename) and compacts the log. A snapshot installed from the
   * leader meanwhile makes the job moot.
   */
  private snapshotStep(every: number): void {
    const store = this.store;
    const job = this.snapJob;
    if (job === null) {
      if (this.node.raft.log.applied - store.snapshot().meta.index < every) return;
      const j: SnapshotJob = { step: 'image', done: false, restores: this.restores };
      this.snapJob = j;
      this.runJob(j, async () => {
        j.image = await this.sm.snapshotConcurrent!();
      });
      return;
    }
    if (!job.done) return;
    const moot = job.restores !== this.restores || this.closedError !== undefined;
    if (job.error !== undefined) {
      this.snapJob = null;
      if (moot) return;
      throw job.error;
    }
    if (job.step === 'image') {
      const img = job.image!;
      if (moot || img.index <= store.snapshot().meta.index || this.lastConfIndex > img.index) {
        // Nothing newer to keep, or a membership change applied after the image's index: the
        // membership at that index is no longer at hand. The next round starts over.
        this.snapJob = null;
        return;
      }
      const conf = this.node.raft.confState();
      const j: SnapshotJob = { step: 'file', done: false, restores: job.restores };
      this.snapJob = j;
      this.runJob(j, async () => {
        j.snap = await store.prepareSnapshot!(img.index, conf, img.data);
      });
      return;
    }
    this.snapJob = null;
    const snap = job.snap!;
    if (!moot && store.adoptSnapshot!(snap)) {
      const compactTo = snap.meta.index - this.limits.keepEntriesAfterSnapshot;
      if (compactTo > 0) store.compact(compactTo);
    }
  }

  private runJob(j: SnapshotJob, work: () => Promise<void>): void {
    work().then(
      () => {
        j.done = true;
        this.deps.kick();
      },
      (e: unknown) => {
        j.error = e;
        j.done = true;
        this.deps.kick();
      },
    );
  }

  /** Fails waiters whose deadline passed. */
  onTick(nowMs: number): void {
    for (const [i, p] of this.pending) {
      if (p.deadlineMs > nowMs) break;
      this.pending.delete(i);
      p.reject(
        new BasaltError(
          'TIMEOUT',
          `proposal ${i} of group ${this.group} not applied within ${this.limits.proposalTimeoutMs} ms; it may still apply later`,
          this.leaderHint(),
        ),
      );
    }
    for (const [ctx, r] of this.reads) {
      if (r.deadlineMs > nowMs) {
        // A ReadIndex request or its answer may have been dropped (a follower's MsgReadIndex to
        // a leader whose connection was just re-established, a leader busy catching a replica
        // up): send it again. The same context is reused; a later confirmation is still a
        // linearizable read point, and duplicates are ignored.
        if (r.index === undefined && nowMs - r.sentAtMs >= Limits.raftReadIndexResendMs) {
          r.sentAtMs = nowMs;
          // No leader known right now: the next tick tries again (or the deadline fails it).
          try {
            this.node.readIndex(ctx);
          } catch {
            /* retried */
          }
        }
        continue;
      }
      this.reads.delete(ctx);
      r.reject(
        new BasaltError(
          'TIMEOUT',
          `read index of group ${this.group} not confirmed within ${this.limits.readTimeoutMs} ms`,
          this.leaderHint(),
        ),
      );
    }
    for (let i = this.transfers.length - 1; i >= 0; i--) {
      const t = this.transfers[i]!;
      if (t.w.deadlineMs > nowMs) {
        // Raft abandons a transfer the target did not finish within an election timeout (a
        // slow or busy target); ask again while the caller still waits.
        const r = this.node.raft;
        if (r.role === 'leader' && r.leadTransferee !== t.to && r.lead !== t.to) {
          try {
            this.node.transferLeader(t.to);
          } catch {
            /* no longer possible: the deadline reports it */
          }
        }
        continue;
      }
      this.transfers.splice(i, 1);
      t.w.reject(
        new BasaltError('TIMEOUT', `leadership of group ${this.group} did not move to node ${t.to}`, this.leaderHint()),
      );
    }
  }

  /** Rejects every waiter (runtime closing or failed). */
  failAll(err: BasaltError): void {
    this.closedError = err;
    for (const q of this.queued.splice(0)) q.reject(err);
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
    for (const r of this.reads.values()) r.reject(err);
    this.reads.clear();
    for (const t of this.transfers.splice(0)) t.w.reject(err);
  }

  private confChange(cc: ConfChange): Promise<ProposeResult> {
    if (this.closedError) return Promise.reject(this.closedError);
    let r: { index: number; term: number };
    try {
      r = this.node.proposeConfChange(cc);
    } catch (e) {
      return Promise.reject(e instanceof BasaltError && e.errorName === 'NOT_LEADER' ? this.notLeader() : e);
    }
    this.deps.kick();
    return new Promise<ProposeResult>((resolve, reject) => {
      this.pending.set(r.index, {
        term: r.term,
        resolve,
        reject,
        deadlineMs: Date.now() + this.limits.proposalTimeoutMs,
      });
    });
  }

  private leaderHint(): Record<string, unknown> {
    const lead = this.node.raft.lead;
    const ep = lead ? this.deps.leaderEndpoint(lead) : undefined;
    return ep ? { leader: lead, leaderEndpoint: ep, group: this.group } : { leader: lead, group: this.group };
  }

  private notLeader(): BasaltError {
    const lead = this.node.raft.lead;
    const who = lead ? `node ${lead} leads it` : 'no leader is known yet';
    return new BasaltError(
      'NOT_LEADER',
      `node ${this.nodeId} is not the leader of group ${this.group}; ${who}`,
      this.leaderHint(),
    );
  }
}
