// The driver-facing wrapper: feeds inputs to Raft and packages its output as Ready batches.
// One Ready may be outstanding at a time; the driver persists it, sends its messages,
// applies it, then calls advance(). See Ready in types.ts for the exact order.
import { assert } from '../common/assert.js';
import { raftConfig, type RaftConfigInput } from './config.js';
import type { ConfChange } from './conf-change.js';
import type { LogStore } from './log-store.js';
import { Raft } from './raft.js';
import {
  message,
  type ConfState,
  type HardState,
  type Message,
  type NodeId,
  type Ready,
  type SoftState,
  type StateRole,
} from './types.js';

export interface RaftStatus {
  readonly id: NodeId;
  readonly role: StateRole;
  readonly term: number;
  readonly vote: NodeId;
  readonly lead: NodeId;
  readonly commit: number;
  readonly applied: number;
  readonly lastIndex: number;
  readonly firstIndex: number;
  readonly conf: ConfState;
  readonly leadTransferee: NodeId;
}

export class RawNode {
  readonly raft: Raft;
  private prevHard: HardState;
  private prevSoft: SoftState;
  private outstanding: Ready | undefined;

  constructor(cfg: RaftConfigInput, store: LogStore) {
    this.raft = new Raft(raftConfig(cfg), store);
    this.prevHard = store.initialState().hardState;
    this.prevSoft = { lead: this.raft.lead, role: this.raft.role };
  }

  tick(): void {
    this.raft.tick();
  }
  step(m: Message): void {
    assert(m.type !== 'MsgHup' && m.type !== 'MsgBeat' && m.type !== 'MsgProp', `local message ${m.type} via step`);
    if (m.to !== this.raft.id) return;
    this.raft.step(m);
  }
  campaign(): void {
    this.raft.campaignNow();
  }
  /** Appends proposals on the leader; throws NOT_LEADER (with a leader hint) or PROPOSAL_DROPPED. */
  propose(data: Uint8Array): { index: number; term: number } {
    const r = this.raft.propose([data]);
    return { index: r.firstIndex, term: r.term };
  }
  proposeBatch(datas: readonly Uint8Array[]): { firstIndex: number; lastIndex: number; term: number } {
    return this.raft.propose(datas);
  }
  proposeConfChange(cc: ConfChange): { index: number; term: number } {
    return this.raft.proposeConfChange(cc);
  }
  readIndex(context: string): void {
    this.raft.readIndex(context);
  }
  transferLeader(to: NodeId): void {
    this.raft.transferLeader(to);
  }
  /** Sends the commit index to followers still owed it (RaftConfig.lazyCommitBroadcast). */
  flushCommit(): void {
    this.raft.flushCommit();
  }
  hasOwedCommit(): boolean {
    return this.raft.hasOwedCommit();
  }
  reportUnreachable(id: NodeId): void {
    // A local message (term 0) naming the peer the transport could not reach.
    this.raft.step(message({ type: 'MsgUnreachable', from: id, to: this.raft.id }));
  }

  status(): RaftStatus {
    const r = this.raft;
    return {
      id: r.id,
      role: r.role,
      term: r.term,
      vote: r.vote,
      lead: r.lead,
      commit: r.log.committed,
      applied: r.log.applied,
      lastIndex: r.log.lastIndex(),
      firstIndex: r.log.firstIndex(),
      conf: r.confState(),
      leadTransferee: r.leadTransferee,
    };
  }

  hasReady(): boolean {
    if (this.outstanding) return false;
    const r = this.raft;
    if (r.msgs.length > 0 || r.readStates.length > 0) return true;
    if (r.log.unstableEntries().length > 0 || r.log.unstableSnapshot) return true;
    if (r.log.committed > r.log.applied) return true;
    if (r.lead !== this.prevSoft.lead || r.role !== this.prevSoft.role) return true;
    const h = this.prevHard;
    return r.term !== h.term || r.vote !== h.vote || r.log.committed !== h.commit;
  }

  /**
   * applyBudgetBytes: at most this many bytes of committed entries (at least one entry while
   * it is > 0; none at 0, leaving them for a later Ready). Default cfg.maxApplyBytes.
   */
  ready(applyBudgetBytes = this.raft.cfg.maxApplyBytes): Ready {
    assert(this.outstanding === undefined, 'ready() called again before advance()');
    const r = this.raft;
    const hs: HardState = { term: r.term, vote: r.vote, commit: r.log.committed };
    const h = this.prevHard;
    const hardChanged = hs.term !== h.term || hs.vote !== h.vote || hs.commit !== h.commit;
    const softChanged = r.lead !== this.prevSoft.lead || r.role !== this.prevSoft.role;
    const entries = r.log.unstableEntries().slice();
    const rd: Ready = {
      softState: softChanged ? { lead: r.lead, role: r.role } : undefined,
      hardState: hardChanged ? hs : undefined,
      entries,
      snapshot: r.log.unstableSnapshot,
      committedEntries:
        applyBudgetBytes > 0 ? r.log.nextCommitted(Math.min(r.cfg.maxApplyBytes, applyBudgetBytes)) : [],
      messages: r.msgs,
      readStates: r.readStates,
      mustSync: entries.length > 0 || hs.term !== h.term || hs.vote !== h.vote || r.log.unstableSnapshot !== undefined,
    };
    r.msgs = [];
    r.readStates = [];
    if (rd.softState) this.prevSoft = rd.softState;
    this.outstanding = rd;
    return rd;
  }

  /** The driver persisted, sent and applied `rd`. */
  advance(rd: Ready): void {
    assert(this.outstanding === rd, 'advance() must be given the outstanding Ready');
    this.outstanding = undefined;
    const r = this.raft;
    if (rd.hardState) this.prevHard = rd.hardState;
    if (rd.snapshot) {
      r.log.stableSnapTo(rd.snapshot.meta.index);
      r.log.appliedTo(rd.snapshot.meta.index);
    }
    if (rd.entries.length > 0) {
      const last = rd.entries[rd.entries.length - 1]!;
      r.log.stableTo(last.index, last.term);
    }
    r.onApplied(rd.committedEntries);
    r.onStable();
  }

  /** True while a Ready is between ready() and advance(). */
  hasOutstandingReady(): boolean {
    return this.outstanding !== undefined;
  }
}
