// The Raft state machine. Pure: inputs are step(message), tick() and proposals; outputs are
// queued messages, read states and log changes that RawNode packages into a Ready. Role
// behaviour follows etcd raft's design (Step, becomeX, tickElection/tickHeartbeat, Progress).
import { assert } from '../common/assert.js';
import { BasaltError } from '../common/errors.js';
import { Limits } from '../common/limits.js';
import type { RaftConfig } from './config.js';
import {
  applyToConfState,
  decodeConfChange,
  encodeConfChange,
  validateConfChange,
  type ConfChange,
} from './conf-change.js';
import type { LogStore } from './log-store.js';
import { Progress } from './progress.js';
import { committedIndex, quorumSize, voteResult } from './quorum.js';
import { RaftLog } from './raft-log.js';
import {
  NONE,
  entryBytes,
  message,
  type ConfState,
  type Entry,
  type Message,
  type NodeId,
  type ReadState,
  type Snapshot,
  type StateRole,
} from './types.js';

const TRANSFER_CONTEXT = 'transfer';

interface PendingRead {
  readonly seq: number;
  readonly context: string;
  readonly index: number;
  readonly from: NodeId;
  readonly acks: Set<NodeId>;
}

interface SnapshotReceive {
  readonly index: number;
  readonly term: number;
  readonly chunks: Uint8Array[];
  bytes: number;
}

export class Raft {
  readonly id: NodeId;
  term = 0;
  vote: NodeId = NONE;
  lead: NodeId = NONE;
  role: StateRole = 'follower';
  readonly log: RaftLog;
  /** Progress of every member (voters and learners), including this node while a member. */
  readonly prs = new Map<NodeId, Progress>();
  private voters: NodeId[] = [];
  private learners: NodeId[] = [];
  msgs: Message[] = [];
  readStates: ReadState[] = [];

  private electionElapsed = 0;
  private heartbeatElapsed = 0;
  private randomizedElectionTimeout = 0;
  /** Ticks since this instance started; heartbeats carry it for leases. */
  private tickCount = 0;
  private readonly votes = new Map<NodeId, boolean>();
  leadTransferee: NodeId = NONE;
  /** Index of the latest conf entry the leader proposed; no new one until it is applied. */
  private pendingConfIndex = 0;
  private uncommittedBytes = 0;
  private readSeq = 0;
  private pendingReads: PendingRead[] = [];
  /** ReadIndex requests that arrived before the leader committed an entry of its term. */
  private readsAwaitingCommit: Message[] = [];
  private snapReceive: SnapshotReceive | undefined;
  private readonly lastAckTick = new Map<NodeId, number>();
  /** Followers not yet sent the current commit index (lazyCommitBroadcast; see flushCommit). */
  private readonly commitOwed = new Set<NodeId>();

  constructor(
    readonly cfg: RaftConfig,
    readonly store: LogStore,
  ) {
    this.id = cfg.id;
    const { hardState, confState } = store.initialState();
    this.log = new RaftLog(store, cfg.applied);
    this.setConf(this.replayConf(confState));
    this.term = hardState.term;
    this.vote = hardState.vote;
    this.becomeFollower(this.term, NONE);
  }

  // ---------------------------------------------------------------- inspection

  confState(): ConfState {
    return { voters: this.voters.slice(), learners: this.learners.slice() };
  }

  /**
   * Whether a message from `id` may be stepped: a voter or learner of the current
   * configuration. A replica with no configuration yet (an empty learner waiting for its
   * first append or snapshot) cannot tell, and takes any.
   */
  acceptsFrom(id: NodeId): boolean {
    if (this.voters.length === 0 && this.learners.length === 0) return true;
    return this.voters.includes(id) || this.learners.includes(id);
  }

  isVoter(id: NodeId): boolean {
    return this.voters.includes(id);
  }

  /** A member voter may campaign; learners and removed nodes never do. */
  promotable(): boolean {
    return this.voters.includes(this.id);
  }

  // ---------------------------------------------------------------- inputs

  tick(): void {
    this.tickCount++;
    if (this.role === 'leader') this.tickHeartbeat();
    else this.tickElection();
  }

  /** Starts an election now (tests and the driver's "campaign" command). */
  campaignNow(): void {
    this.step(message({ type: 'MsgHup', from: this.id, to: this.id }));
  }

  propose(datas: readonly Uint8Array[]): { firstIndex: number; lastIndex: number; term: number } {
    this.checkLeaderForProposal();
    let bytes = 0;
    for (const d of datas) bytes += d.length + 24;
    if (this.uncommittedBytes > 0 && this.uncommittedBytes + bytes > this.cfg.maxUncommittedBytes) {
      throw new BasaltError('PROPOSAL_DROPPED', `uncommitted log exceeds ${this.cfg.maxUncommittedBytes} bytes`);
    }
    const first = this.log.lastIndex() + 1;
    const ents = datas.map((data, k): Entry => ({ index: first + k, term: this.term, type: 'normal', data }));
    this.appendEntries(ents);
    return { firstIndex: first, lastIndex: first + ents.length - 1, term: this.term };
  }

  proposeConfChange(cc: ConfChange): { index: number; term: number } {
    this.checkLeaderForProposal();
    if (this.pendingConfIndex > this.log.applied) {
      throw new BasaltError('PROPOSAL_DROPPED', 'a membership change is still being applied; retry after it');
    }
    validateConfChange(this.confState(), cc);
    const index = this.log.lastIndex() + 1;
    this.appendEntries([{ index, term: this.term, type: 'conf', data: encodeConfChange(cc) }]);
    this.pendingConfIndex = index;
    return { index, term: this.term };
  }

  /** Requests a linearizable read; the answer arrives as a ReadState with the same context. */
  readIndex(context: string): void {
    if (this.role === 'leader') {
      this.leaderReadIndex(message({ type: 'MsgReadIndex', from: this.id, to: this.id, context }));
      return;
    }
    if (this.lead === NONE) throw new BasaltError('NOT_LEADER', 'no leader known for a read', { leader: NONE });
    this.send(message({ type: 'MsgReadIndex', to: this.lead, context }));
  }

  transferLeader(to: NodeId): void {
    if (this.role !== 'leader')
      throw new BasaltError('NOT_LEADER', 'only the leader transfers leadership', { leader: this.lead });
    const pr = this.prs.get(to);
    if (!pr || pr.isLearner) throw new BasaltError('RAFT_CONFIG_INVALID', `node ${to} is not a voter`);
    if (to === this.id || this.leadTransferee === to) return;
    this.leadTransferee = to;
    // The transfer must finish within one election timeout or it is abandoned.
    this.electionElapsed = 0;
    if (pr.match === this.log.lastIndex()) this.send(message({ type: 'MsgTimeoutNow', to }));
    else this.sendAppend(to);
  }

  /** The driver made entries up to the Ready's last entry durable. */
  onStable(): void {
    if (this.role !== 'leader') return;
    const self = this.prs.get(this.id);
    const prevCommit = this.log.committed;
    if (self && self.maybeUpdate(this.log.stableLastIndex()) && this.maybeCommit()) this.bcastCommit(prevCommit);
  }

  /** The driver applied committed entries up to `index`; conf entries take effect here. */
  onApplied(entries: readonly Entry[]): void {
    for (const e of entries) {
      if (e.type === 'conf') this.applyConfChange(decodeConfChange(e.data));
      if (this.role === 'leader') this.uncommittedBytes = Math.max(0, this.uncommittedBytes - entryBytes(e));
    }
    if (entries.length > 0) this.log.appliedTo(entries[entries.length - 1]!.index);
  }

  step(m: Message): void {
    if (m.term === 0) {
      // local message
    } else if (m.term > this.term) {
      if ((m.type === 'MsgVote' || m.type === 'MsgPreVote') && !this.mayVoteDespiteLease(m)) return;
      if (m.type === 'MsgPreVote') {
        // A pre-vote never changes our term.
      } else if (m.type === 'MsgPreVoteResp' && !m.reject) {
        // Granted pre-votes carry the future term; we bump it only when we campaign.
      } else if (m.type === 'MsgApp' || m.type === 'MsgHeartbeat' || m.type === 'MsgSnap') {
        this.becomeFollower(m.term, m.from);
      } else {
        this.becomeFollower(m.term, NONE);
      }
    } else if (m.term < this.term) {
      this.stepStaleTerm(m);
      return;
    }

    switch (m.type) {
      case 'MsgHup':
        this.hup(false);
        return;
      case 'MsgVote':
      case 'MsgPreVote':
        this.handleVoteRequest(m);
        return;
      default:
        break;
    }
    if (this.role === 'leader') this.stepLeader(m);
    else if (this.role === 'follower') this.stepFollower(m);
    else this.stepCandidate(m);
  }

  // ---------------------------------------------------------------- role changes

  becomeFollower(term: number, lead: NodeId): void {
    this.reset(term);
    this.role = 'follower';
    this.lead = lead;
  }

  private becomePreCandidate(): void {
    assert(this.role !== 'leader', 'leader cannot become pre-candidate');
    this.role = 'precandidate';
    this.votes.clear();
    this.lead = NONE;
  }

  private becomeCandidate(): void {
    assert(this.role !== 'leader', 'leader cannot become candidate');
    this.reset(this.term + 1);
    this.vote = this.id;
    this.role = 'candidate';
  }

  private becomeLeader(): void {
    assert(this.role === 'candidate', 'only a candidate becomes leader');
    assert(this.promotable(), 'only a voter becomes leader');
    this.reset(this.term);
    this.role = 'leader';
    this.lead = this.id;
    const self = this.prs.get(this.id);
    assert(self !== undefined, 'leader must be a member');
    self.match = this.log.stableLastIndex();
    self.becomeReplicate();
    // The no-op commits everything before it (Figure 8), and membership changes wait for it
    // so that a new leader never changes the configuration before its term has a commit.
    const noop: Entry = { index: this.log.lastIndex() + 1, term: this.term, type: 'normal', data: new Uint8Array(0) };
    this.pendingConfIndex = noop.index;
    this.appendEntries([noop]);
  }

  private reset(term: number): void {
    if (term !== this.term) {
      assert(term > this.term, `term must not go backwards (${this.term} → ${term})`);
      this.term = term;
      this.vote = NONE;
    }
    this.lead = NONE;
    this.electionElapsed = 0;
    this.heartbeatElapsed = 0;
    this.randomizedElectionTimeout = this.cfg.electionTicks + this.cfg.prng.int(this.cfg.electionTicks);
    this.leadTransferee = NONE;
    this.votes.clear();
    const last = this.log.lastIndex();
    for (const [id, pr] of this.prs) {
      const fresh = new Progress(last + 1, pr.isLearner, this.cfg.maxInflightAppends, this.cfg.maxInflightBytes);
      if (id === this.id) fresh.match = this.log.stableLastIndex();
      this.prs.set(id, fresh);
    }
    this.lastAckTick.clear();
    this.commitOwed.clear();
    this.pendingConfIndex = 0;
    this.uncommittedBytes = 0;
    this.pendingReads = [];
    this.readsAwaitingCommit = [];
  }

  // ---------------------------------------------------------------- ticks

  private tickElection(): void {
    this.electionElapsed++;
    if (this.promotable() && this.electionElapsed >= this.randomizedElectionTimeout) {
      this.electionElapsed = 0;
      this.step(message({ type: 'MsgHup', from: this.id, to: this.id }));
    }
  }

  private tickHeartbeat(): void {
    this.heartbeatElapsed++;
    this.electionElapsed++;
    if (this.electionElapsed >= this.cfg.electionTicks) {
      this.electionElapsed = 0;
      if (this.cfg.checkQuorum) this.checkQuorumActive();
      if (this.role === 'leader' && this.leadTransferee !== NONE) this.leadTransferee = NONE;
    }
    if (this.role !== 'leader') return;
    if (this.heartbeatElapsed >= this.cfg.heartbeatTicks) {
      this.heartbeatElapsed = 0;
      this.bcastHeartbeat('');
    }
  }

  private checkQuorumActive(): void {
    let active = 0;
    for (const v of this.voters) {
      const pr = this.prs.get(v)!;
      if (v === this.id || pr.recentActive) active++;
    }
    for (const [id, pr] of this.prs) pr.recentActive = id === this.id;
    if (active < quorumSize(this.voters.length)) this.becomeFollower(this.term, NONE);
  }

  // ---------------------------------------------------------------- elections

  private hup(transfer: boolean): void {
    if (this.role === 'leader' || !this.promotable()) return;
    // A committed but unapplied membership change might remove us; wait until it is applied.
    if (this.hasUnappliedConfChange()) return;
    if (this.cfg.preVote && !transfer) this.campaign('pre', false);
    else this.campaign('elect', transfer);
  }

  private hasUnappliedConfChange(): boolean {
    if (this.log.committed <= this.log.applied) return false;
    const ents = this.log.slice(this.log.applied + 1, this.log.committed + 1, Number.MAX_SAFE_INTEGER) ?? [];
    return ents.some((e) => e.type === 'conf');
  }

  private campaign(kind: 'pre' | 'elect', transfer: boolean): void {
    let voteType: 'MsgPreVote' | 'MsgVote';
    let term: number;
    if (kind === 'pre') {
      this.becomePreCandidate();
      voteType = 'MsgPreVote';
      term = this.term + 1;
    } else {
      this.becomeCandidate();
      voteType = 'MsgVote';
      term = this.term;
    }
    this.votes.set(this.id, true);
    if (voteResult(this.voters, this.votes) === 'won') {
      if (kind === 'pre') this.campaign('elect', false);
      else this.becomeLeader();
      return;
    }
    const lastIndex = this.log.lastIndex();
    const lastTerm = this.log.lastTerm();
    for (const v of this.voters) {
      if (v === this.id) continue;
      this.send(
        message({
          type: voteType,
          to: v,
          term,
          index: lastIndex,
          logTerm: lastTerm,
          context: transfer ? TRANSFER_CONTEXT : '',
        }),
      );
    }
  }

  /** CheckQuorum: a follower that heard from its leader recently ignores (pre)votes. */
  private mayVoteDespiteLease(m: Message): boolean {
    if (m.context === TRANSFER_CONTEXT) return true;
    if (this.cfg.readOnly === 'lease' && this.tickCount < this.cfg.electionTicks) return false;
    const inLease = this.cfg.checkQuorum && this.lead !== NONE && this.electionElapsed < this.cfg.electionTicks;
    return !inLease;
  }

  private handleVoteRequest(m: Message): void {
    const respType = m.type === 'MsgVote' ? 'MsgVoteResp' : 'MsgPreVoteResp';
    const canVote =
      this.vote === m.from ||
      (this.vote === NONE && this.lead === NONE) ||
      (m.type === 'MsgPreVote' && m.term > this.term);
    // Two followers that time out on the same tick would grant each other's pre-votes and
    // split the real vote, costing another 1–2 s timeout. Pre-votes carry no safety weight,
    // so break the tie: a pre-candidate refuses a rival with a higher id for the same term,
    // but only when both campaigns started within a tick of each other, and only when its
    // own log is at least as up to date (so it can win in the rival's place). Without those
    // limits a stale or half-partitioned low-id node would block every election (the
    // simulator found the stale case, seed 19684).
    const preVoteRival =
      m.type === 'MsgPreVote' &&
      this.role === 'precandidate' &&
      m.term === this.term + 1 &&
      m.from > this.id &&
      this.electionElapsed <= 1 &&
      !this.theirLogIsNewer(m.index, m.logTerm);
    if (canVote && !preVoteRival && this.log.isUpToDate(m.index, m.logTerm)) {
      this.send(message({ type: respType, to: m.from, term: m.term }));
      if (m.type === 'MsgVote') {
        this.electionElapsed = 0;
        this.vote = m.from;
      }
    } else {
      this.send(message({ type: respType, to: m.from, term: this.term, reject: true }));
    }
  }

  private theirLogIsNewer(lastIndex: number, lastTerm: number): boolean {
    const myTerm = this.log.lastTerm();
    return lastTerm > myTerm || (lastTerm === myTerm && lastIndex > this.log.lastIndex());
  }

  private stepStaleTerm(m: Message): void {
    if ((this.cfg.checkQuorum || this.cfg.preVote) && (m.type === 'MsgHeartbeat' || m.type === 'MsgApp')) {
      // Tell a deposed leader (possibly cut off by a partition) about the newer term, so
      // that it steps down instead of keeping its followers from electing.
      this.send(message({ type: 'MsgAppResp', to: m.from }));
    } else if (m.type === 'MsgPreVote') {
      this.send(message({ type: 'MsgPreVoteResp', to: m.from, term: this.term, reject: true }));
    }
  }

  private stepCandidate(m: Message): void {
    const myResp = this.role === 'precandidate' ? 'MsgPreVoteResp' : 'MsgVoteResp';
    switch (m.type) {
      case 'MsgApp':
        this.becomeFollower(m.term, m.from);
        this.handleAppend(m);
        return;
      case 'MsgHeartbeat':
        this.becomeFollower(m.term, m.from);
        this.handleHeartbeat(m);
        return;
      case 'MsgSnap':
        this.becomeFollower(m.term, m.from);
        this.handleSnapshot(m);
        return;
      case 'MsgPreVoteResp':
      case 'MsgVoteResp': {
        if (m.type !== myResp) return;
        if (!this.promotable()) {
          // Our own removal (or demotion) was applied mid-campaign: we may no longer win.
          this.becomeFollower(this.term, NONE);
          return;
        }
        if (this.voters.includes(m.from) && !this.votes.has(m.from)) this.votes.set(m.from, !m.reject);
        const r = voteResult(this.voters, this.votes);
        if (r === 'won') {
          if (this.role === 'precandidate') this.campaign('elect', false);
          else this.becomeLeader();
        } else if (r === 'lost') {
          this.becomeFollower(this.term, NONE);
        }
        return;
      }
      default:
        return;
    }
  }

  // ---------------------------------------------------------------- follower

  private stepFollower(m: Message): void {
    switch (m.type) {
      case 'MsgApp':
        this.electionElapsed = 0;
        this.lead = m.from;
        this.handleAppend(m);
        return;
      case 'MsgHeartbeat':
        this.electionElapsed = 0;
        this.lead = m.from;
        this.handleHeartbeat(m);
        return;
      case 'MsgSnap':
        this.electionElapsed = 0;
        this.lead = m.from;
        this.handleSnapshot(m);
        return;
      case 'MsgTimeoutNow':
        if (this.promotable()) this.hup(true);
        return;
      case 'MsgReadIndexResp':
        this.readStates.push({ index: m.index, context: m.context });
        return;
      default:
        return;
    }
  }

  private handleAppend(m: Message): void {
    if (m.index < this.log.committed) {
      this.send(message({ type: 'MsgAppResp', to: m.from, index: this.log.committed }));
      return;
    }
    const lastNew = this.log.maybeAppend(m.index, m.logTerm, m.commit, m.entries);
    if (lastNew !== undefined) {
      this.send(message({ type: 'MsgAppResp', to: m.from, index: lastNew }));
      return;
    }
    // Fast back-off: point the leader at the last entry whose term is ≤ the probe's term.
    const hintIndex = this.log.findConflictByTerm(Math.min(m.index, this.log.lastIndex()), m.logTerm);
    const hintTerm = this.log.term(hintIndex) ?? 0;
    this.send(
      message({
        type: 'MsgAppResp',
        to: m.from,
        index: m.index,
        reject: true,
        rejectHint: hintIndex,
        logTerm: hintTerm,
      }),
    );
  }

  private handleHeartbeat(m: Message): void {
    this.log.commitTo(m.commit);
    this.send(message({ type: 'MsgHeartbeatResp', to: m.from, context: m.context, tick: m.tick }));
  }

  private handleSnapshot(m: Message): void {
    const meta = m.snapshot;
    assert(meta !== undefined && m.snapData !== undefined, 'MsgSnap without snapshot');
    if (meta.index <= this.log.committed) {
      this.snapReceive = undefined;
      this.send(message({ type: 'MsgAppResp', to: m.from, index: this.log.committed }));
      return;
    }
    let recv = this.snapReceive;
    if (!recv || recv.index !== meta.index || recv.term !== meta.term) {
      recv = { index: meta.index, term: meta.term, chunks: [], bytes: 0 };
      this.snapReceive = recv;
    }
    if (m.snapOffset !== recv.bytes) {
      this.send(message({ type: 'MsgSnapResp', to: m.from, index: meta.index, snapOffset: recv.bytes, reject: true }));
      return;
    }
    if (recv.bytes + m.snapData.length > this.cfg.maxSnapshotBytes) {
      this.snapReceive = undefined;
      throw new BasaltError('SNAPSHOT_INVALID', `snapshot exceeds maxSnapshotBytes ${this.cfg.maxSnapshotBytes}`);
    }
    recv.chunks.push(m.snapData.slice());
    recv.bytes += m.snapData.length;
    if (!m.snapDone) {
      this.send(message({ type: 'MsgSnapResp', to: m.from, index: meta.index, snapOffset: recv.bytes }));
      return;
    }
    const data = new Uint8Array(recv.bytes);
    let at = 0;
    for (const c of recv.chunks) {
      data.set(c, at);
      at += c.length;
    }
    this.snapReceive = undefined;
    const restored = this.restore({ meta, data });
    this.send(message({ type: 'MsgAppResp', to: m.from, index: restored ? this.log.lastIndex() : this.log.committed }));
  }

  private restore(snap: Snapshot): boolean {
    if (snap.meta.index <= this.log.committed) return false;
    assert(this.role === 'follower', 'only a follower restores a snapshot');
    if (this.log.matchTerm(snap.meta.index, snap.meta.term)) {
      this.log.commitTo(snap.meta.index);
      return false;
    }
    this.log.restore(snap);
    this.setConf(snap.meta.conf);
    return true;
  }

  // ---------------------------------------------------------------- leader

  private stepLeader(m: Message): void {
    const pr = this.prs.get(m.from);
    switch (m.type) {
      case 'MsgReadIndex':
        this.leaderReadIndex(m);
        return;
      case 'MsgAppResp':
        if (pr) this.handleAppendResp(m, pr);
        return;
      case 'MsgHeartbeatResp':
        if (pr) this.handleHeartbeatResp(m, pr);
        return;
      case 'MsgSnapResp':
        if (!pr) return;
        pr.recentActive = true;
        if (pr.state === 'snapshot' && m.index === pr.pendingSnapshot) {
          pr.snapChunkInFlight = false;
          pr.snapOffset = m.snapOffset;
          this.sendAppend(m.from);
        }
        return;
      case 'MsgUnreachable':
        if (pr && pr.state === 'replicate') pr.becomeProbe();
        return;
      default:
        return;
    }
  }

  private handleAppendResp(m: Message, pr: Progress): void {
    pr.recentActive = true;
    if (m.reject) {
      let nextProbe = m.rejectHint;
      if (m.logTerm > 0) nextProbe = this.log.findConflictByTerm(m.rejectHint, m.logTerm);
      if (pr.maybeDecrTo(m.index, nextProbe)) {
        if (pr.state === 'replicate') pr.becomeProbe();
        this.sendAppend(m.from);
      }
      return;
    }
    const oldPaused = pr.isPaused();
    const moved = pr.maybeUpdate(m.index);
    // A follower of this term acknowledges only entries this leader sent it, or its commit
    // index (committed entries are in every leader's log), never past our log's end.
    assert(pr.match <= this.log.lastIndex(), "progress match beyond the leader's last index");
    if (!moved && !(pr.match === m.index && pr.state === 'probe')) return;
    if (pr.state === 'probe') {
      pr.becomeReplicate();
    } else if (pr.state === 'snapshot' && pr.match >= pr.pendingSnapshot) {
      pr.becomeProbe();
      pr.becomeReplicate();
    } else if (pr.state === 'replicate') {
      pr.inflights.freeLE(m.index);
    }
    const prevCommit = this.log.committed;
    if (this.maybeCommit()) this.bcastCommit(prevCommit);
    else if (oldPaused) this.sendAppend(m.from);
    for (let guard = 0; this.maybeSendAppend(m.from, false); guard++) {
      assert(guard < this.cfg.maxInflightAppends + 2, 'append loop must stop at the in-flight window');
    }
    if (m.from === this.leadTransferee && pr.match === this.log.lastIndex()) {
      this.send(message({ type: 'MsgTimeoutNow', to: m.from }));
    }
  }

  private handleHeartbeatResp(m: Message, pr: Progress): void {
    pr.recentActive = true;
    if (m.tick > (this.lastAckTick.get(m.from) ?? -1)) this.lastAckTick.set(m.from, m.tick);
    // Only a heartbeat sent after our last append or snapshot chunk shows that one was lost
    // (the follower answers in order). A follower back from a freeze answers every heartbeat
    // it missed at once: releasing a probe or an in-flight slot for each re-sent the same
    // megabyte dozens of times per group and stalled the leader's loop for seconds.
    const fresh = m.tick > pr.lastSendTick;
    if (fresh) {
      pr.probeSent = false;
      if (pr.state === 'replicate' && pr.inflights.full()) pr.inflights.freeFirst();
      if (pr.state === 'snapshot') pr.snapChunkInFlight = false;
    }
    if (pr.match < this.log.lastIndex() || pr.state === 'snapshot')
      this.maybeSendAppend(m.from, fresh || pr.state === 'probe');
    if (m.context !== '') this.ackRead(Number(m.context), m.from);
  }

  private checkLeaderForProposal(): void {
    if (this.role !== 'leader')
      throw new BasaltError('NOT_LEADER', `node ${this.id} is not the leader`, { leader: this.lead });
    if (!this.prs.has(this.id))
      throw new BasaltError('NOT_LEADER', `node ${this.id} was removed from the group`, { leader: NONE });
    if (this.leadTransferee !== NONE) {
      throw new BasaltError('PROPOSAL_DROPPED', `leadership is being transferred to ${this.leadTransferee}`, {
        leader: this.leadTransferee,
      });
    }
  }

  private appendEntries(ents: Entry[]): void {
    assert(this.role === 'leader', 'only the leader appends proposals');
    for (const e of ents) this.uncommittedBytes += entryBytes(e);
    this.log.append(ents);
    // The leader's own match moves in onStable(), once the entries are durable.
    this.bcastAppend();
  }

  /** Figure 8: commit only by counting replicas of an entry from the current term. */
  private maybeCommit(): boolean {
    const mci = committedIndex(this.voters, (id) => this.prs.get(id)!.match);
    if (mci <= this.log.committed || this.log.term(mci) !== this.term) return false;
    this.log.commitTo(mci);
    this.releaseReadsAwaitingCommit();
    return true;
  }

  /**
   * The commit index advanced: send it. Eagerly, an (often empty) MsgApp to every follower;
   * with lazyCommitBroadcast, only to followers that have entries to receive anyway, and the
   * others are owed it until their next MsgApp or heartbeat, or flushCommit(). A commit that
   * covers a membership change (or a new leader's no-op) is always sent at once: members act
   * on a configuration only once they apply it (a transferee campaigns with its own view of
   * the voters), so it must reach them as fast as it did eagerly.
   */
  private bcastCommit(prevCommit: number): void {
    const confCommitted = this.pendingConfIndex > prevCommit && this.pendingConfIndex <= this.log.committed;
    if (!this.cfg.lazyCommitBroadcast || confCommitted) {
      this.bcastAppend();
      return;
    }
    for (const id of this.prs.keys()) {
      if (id === this.id) continue;
      if (!this.maybeSendAppend(id, false)) this.commitOwed.add(id);
    }
  }

  /** True while some follower has not been sent the current commit index (see flushCommit). */
  hasOwedCommit(): boolean {
    return this.commitOwed.size > 0;
  }

  /** Sends the commit index to every follower still owed it (lazyCommitBroadcast). */
  flushCommit(): void {
    if (this.commitOwed.size === 0) return;
    const owed = [...this.commitOwed];
    this.commitOwed.clear();
    if (this.role !== 'leader') return;
    for (const id of owed) this.sendAppend(id);
  }

  private bcastAppend(): void {
    for (const id of this.prs.keys()) if (id !== this.id) this.sendAppend(id);
  }

  private bcastHeartbeat(context: string): void {
    for (const [id, pr] of this.prs) {
      if (id === this.id) continue;
      const commit = Math.min(pr.match, this.log.committed);
      this.send(message({ type: 'MsgHeartbeat', to: id, commit, context, tick: this.tickCount }));
    }
  }

  private sendAppend(to: NodeId): void {
    this.maybeSendAppend(to, true);
  }

  private maybeSendAppend(to: NodeId, sendIfEmpty: boolean): boolean {
    const pr = this.prs.get(to);
    if (!pr) return false;
    if (pr.isPaused()) {
      if (pr.state === 'snapshot' && !pr.snapChunkInFlight) this.sendSnapshotChunk(to, pr);
      return false;
    }
    const prevIndex = pr.next - 1;
    const prevTerm = this.log.term(prevIndex);
    const ents =
      prevTerm === undefined ? undefined : this.log.slice(pr.next, this.log.lastIndex() + 1, this.cfg.maxAppendBytes);
    if (prevTerm === undefined || ents === undefined) {
      pr.becomeSnapshot(this.store.snapshot().meta.index);
      this.sendSnapshotChunk(to, pr);
      return false;
    }
    if (ents.length === 0 && !sendIfEmpty) return false;
    let bytes = 0;
    for (const e of ents) bytes += entryBytes(e);
    this.send(
      message({ type: 'MsgApp', to, index: prevIndex, logTerm: prevTerm, entries: ents, commit: this.log.committed }),
    );
    this.commitOwed.delete(to);
    pr.sentEntries(ents.length, prevIndex + ents.length, bytes);
    pr.lastSendTick = this.tickCount;
    return true;
  }

  private sendSnapshotChunk(to: NodeId, pr: Progress): void {
    const snap = this.store.snapshot();
    if (snap.meta.index !== pr.pendingSnapshot) pr.becomeSnapshot(snap.meta.index);
    assert(snap.meta.index >= this.log.firstIndex() - 1, 'snapshot must cover the compacted prefix');
    const end = Math.min(snap.data.length, pr.snapOffset + this.cfg.snapshotChunkBytes);
    const chunk = snap.data.subarray(pr.snapOffset, end);
    this.send(
      message({
        type: 'MsgSnap',
        to,
        snapshot: snap.meta,
        snapOffset: pr.snapOffset,
        snapData: chunk,
        snapDone: end >= snap.data.length,
      }),
    );
    pr.snapChunkInFlight = true;
    pr.lastSendTick = this.tickCount;
  }

  // ---------------------------------------------------------------- reads

  private leaderReadIndex(m: Message): void {
    if (this.log.term(this.log.committed) !== this.term) {
      // Our commit index may lag the true one until an entry of our term commits. A sole
      // voter too: after a restart its commit index is the lazily written one, older than
      // writes it acknowledged before (a read served at it would miss them).
      if (this.readsAwaitingCommit.length >= this.cfg.maxPendingReads) this.refuseRead(m);
      else this.readsAwaitingCommit.push(m);
      return;
    }
    if (this.voters.length === 1 && this.voters[0] === this.id) {
      this.respondRead(m, this.log.committed);
      return;
    }
    if (this.cfg.readOnly === 'lease' && this.leaseValid()) {
      this.respondRead(m, this.log.committed);
      return;
    }
    if (this.pendingReads.length >= this.cfg.maxPendingReads) {
      this.refuseRead(m);
      return;
    }
    const seq = ++this.readSeq;
    this.pendingReads.push({
      seq,
      context: m.context,
      index: this.log.committed,
      from: m.from,
      acks: new Set([this.id]),
    });
    this.bcastHeartbeat(String(seq));
  }

  private refuseRead(m: Message): void {
    if (m.from === this.id) throw new BasaltError('QUEUE_FULL', `more than ${this.cfg.maxPendingReads} reads pending`);
    // A forwarded read is dropped; the follower's client times out and retries.
  }

  private releaseReadsAwaitingCommit(): void {
    if (this.readsAwaitingCommit.length === 0 || this.log.term(this.log.committed) !== this.term) return;
    const waiting = this.readsAwaitingCommit;
    this.readsAwaitingCommit = [];
    for (const m of waiting) this.leaderReadIndex(m);
  }

  private ackRead(seq: number, from: NodeId): void {
    if (!this.voters.includes(from)) return;
    const at = this.pendingReads.findIndex((r) => r.seq === seq);
    if (at < 0) return;
    const req = this.pendingReads[at]!;
    req.acks.add(from);
    let acked = 0;
    for (const v of this.voters) if (req.acks.has(v)) acked++;
    if (acked < quorumSize(this.voters.length)) return;
    // Earlier requests are confirmed by the same round: their heartbeat went out no later.
    const done = this.pendingReads.splice(0, at + 1);
    for (const r of done)
      this.respondRead(message({ type: 'MsgReadIndex', from: r.from, to: this.id, context: r.context }), r.index);
  }

  private respondRead(m: Message, index: number): void {
    if (m.from === this.id || m.from === NONE) this.readStates.push({ index, context: m.context });
    else this.send(message({ type: 'MsgReadIndexResp', to: m.from, index, context: m.context }));
  }

  /** The leader lease: a quorum acked heartbeats sent less than electionTicks − 1 ticks ago. */
  private leaseValid(): boolean {
    if (!this.cfg.checkQuorum || this.leadTransferee !== NONE) return false;
    const sentTicks = this.voters.map((v) => (v === this.id ? this.tickCount : (this.lastAckTick.get(v) ?? -Infinity)));
    sentTicks.sort((a, b) => b - a);
    const quorumTick = sentTicks[quorumSize(this.voters.length) - 1]!;
    return this.tickCount < quorumTick + this.cfg.electionTicks - 1;
  }

  // ---------------------------------------------------------------- membership

  private setConf(conf: ConfState): void {
    this.voters = conf.voters.slice().sort((a, b) => a - b);
    this.learners = conf.learners.slice().sort((a, b) => a - b);
    const next = this.log.lastIndex() + 1;
    const members = new Set([...this.voters, ...this.learners]);
    for (const id of [...this.prs.keys()]) if (!members.has(id)) this.prs.delete(id);
    for (const id of members) {
      const isLearner = this.learners.includes(id);
      const pr = this.prs.get(id);
      if (pr) pr.isLearner = isLearner;
      else this.prs.set(id, new Progress(next, isLearner, this.cfg.maxInflightAppends, this.cfg.maxInflightBytes));
    }
    const self = this.prs.get(this.id);
    if (self && self.match === 0) self.match = this.role === 'leader' ? this.log.stableLastIndex() : 0;
  }

  /** Membership as of `applied`: the store's snapshot membership plus later applied conf entries. */
  private replayConf(base: ConfState): ConfState {
    let conf = base;
    // The snapshot's membership already includes every change at or below its index.
    const lo = Math.max(this.store.firstIndex(), this.store.snapshot().meta.index + 1);
    const hi = this.log.applied;
    if (hi < lo) return conf;
    for (const e of this.store.entries(lo, hi + 1, Number.MAX_SAFE_INTEGER)) {
      if (e.type === 'conf') conf = this.tryApplyConf(conf, decodeConfChange(e.data));
    }
    return conf;
  }

  private tryApplyConf(conf: ConfState, cc: ConfChange): ConfState {
    // Every replica applies the same entries in order, so a change that is invalid here is
    // invalid everywhere; skipping it keeps all replicas in agreement.
    try {
      return applyToConfState(conf, cc);
    } catch (e) {
      if (e instanceof BasaltError) return conf;
      throw e;
    }
  }

  private applyConfChange(cc: ConfChange): void {
    const wasLeader = this.role === 'leader';
    this.setConf(this.tryApplyConf(this.confState(), cc));
    if (!wasLeader) return;
    if (!this.prs.has(this.id) || !this.voters.includes(this.id)) {
      // A removed leader hands over to the most caught-up voter at once instead of leaving
      // the group leaderless for an election timeout, then steps down.
      this.handOverBeforeStepDown();
      this.becomeFollower(this.term, NONE);
      return;
    }
    if (this.leadTransferee !== NONE && !this.voters.includes(this.leadTransferee)) this.leadTransferee = NONE;
    if (this.maybeCommit()) this.bcastAppend();
    else for (const id of this.prs.keys()) if (id !== this.id && this.prs.get(id)!.match === 0) this.sendAppend(id);
  }

  private handOverBeforeStepDown(): void {
    let best: NodeId = NONE;
    let bestMatch = -1;
    for (const v of this.voters) {
      const pr = this.prs.get(v);
      if (v !== this.id && pr && pr.match > bestMatch) {
        best = v;
        bestMatch = pr.match;
      }
    }
    if (best !== NONE && bestMatch === this.log.lastIndex()) this.send(message({ type: 'MsgTimeoutNow', to: best }));
  }

  // ---------------------------------------------------------------- output

  private send(m: Message): void {
    assert(m.to !== this.id, `message ${m.type} to self`);
    // Exceeding the bound is a driver bug: it stopped draining Ready.
    assert(
      this.msgs.length < Limits.maxRaftQueuedMessages,
      'outgoing message queue overflow: the driver is not draining Ready',
    );
    // Responses to (pre)votes carry their own term; everything else carries ours.
    const term =
      m.type === 'MsgVote' || m.type === 'MsgPreVote' || m.type === 'MsgVoteResp' || m.type === 'MsgPreVoteResp'
        ? m.term
        : this.term;
    this.msgs.push({ ...m, from: this.id, term });
  }
}
