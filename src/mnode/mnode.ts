// One mnode replica: the cluster state machine (ClusterState + ClusterOps) hosted as Raft
// group 1 on this dnode's ReplicaRuntime (src/replica: WAL-backed log, RPC transport,
// batching Ready loop). Node ids are dnode ids. Committed ops are applied in log order by
// the pure applyClusterOp; snapshots are the state as JSON, so a new mnode catches up by
// snapshot + log when the log was compacted.
import { BasaltError } from '../common/errors.js';
import { Limits } from '../common/limits.js';
import type { ConfChange } from '../raft/conf-change.js';
import type { ConfState, Entry, NodeId, Snapshot, StateRole } from '../raft/types.js';
import { bootstrapEntries } from '../raft/log-store.js';
import { WalLogStore, type ReplicaRuntime, type RaftGroupHost, type StateMachine } from '../replica/index.js';
import {
  applyClusterOp,
  EMPTY_CLUSTER_STATE,
  withDefaults,
  type ClusterOp,
  type ClusterState,
} from './cluster-state.js';

export type MnodeLog = (
  level: 'info' | 'warn' | 'error' | 'debug',
  message: string,
  fields?: Record<string, unknown>,
) => void;

/** The mnode group's id in the runtime (TDengine's vgId 1). */
export const MNODE_GROUP = 1;

export interface MnodeOptions {
  /** dataDir/mnode/raft */
  readonly dir: string;
  readonly dnodeId: number;
  /** Found a new group with this node as the only voter (the first dnode of a cluster). */
  readonly bootstrap: boolean;
  readonly runtime: ReplicaRuntime;
  readonly log: MnodeLog;
  /** Called after the role or the known leader changes. */
  readonly onRoleChange?: (role: StateRole, leaderId: number) => void;
  /** Called after committed ops were applied. */
  readonly onApplied?: (state: ClusterState) => void;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

class ClusterStateMachine implements StateMachine {
  state: ClusterState = EMPTY_CLUSTER_STATE;

  constructor(
    private readonly m: {
      onApplied(): void;
      onLeader(leader: NodeId, role: StateRole, term: number): void;
      onConf(conf: ConfState): void;
      log: MnodeLog;
    },
  ) {}

  // Nothing is kept outside the log and snapshots: the runtime restores the latest snapshot
  // and replays the log after it on every start.
  appliedIndex(): number {
    return 0;
  }

  apply(entries: readonly Entry[]): void {
    for (const e of entries) {
      if (e.data.length === 0) continue;
      let op: ClusterOp;
      try {
        op = JSON.parse(decoder.decode(e.data)) as ClusterOp;
      } catch (err) {
        throw new BasaltError(
          'FILE_CORRUPTED',
          `mnode log entry ${e.index} is not a cluster op (${(err as Error).message})`,
        );
      }
      this.state = applyClusterOp(this.state, op);
    }
    this.m.onApplied();
  }

  snapshot(): Uint8Array {
    return encoder.encode(JSON.stringify(this.state));
  }

  restore(snap: Snapshot): void {
    this.state =
      snap.data.length === 0
        ? EMPTY_CLUSTER_STATE
        : withDefaults(JSON.parse(decoder.decode(snap.data)) as Partial<ClusterState>);
    this.m.onApplied();
  }

  onConfChange(conf: ConfState, index: number): void {
    this.m.log('info', 'mnode group membership changed', {
      voters: conf.voters.join(','),
      learners: conf.learners.join(',') || undefined,
      index,
    });
    this.m.onConf(conf);
  }

  onLeaderChange(leader: NodeId, role: StateRole, term: number): void {
    this.m.onLeader(leader, role, term);
  }
}

export class Mnode {
  private roleValue: StateRole = 'follower';
  private leaderValue = 0;
  private closed = false;
  /** Set for the founding member of a new group until it has campaigned once. */
  private founding = false;
  /** When this replica last changed role (show mnodes role_time). */
  roleSinceMs = Date.now();

  private constructor(
    private readonly opts: MnodeOptions,
    private readonly sm: ClusterStateMachine,
    private host: RaftGroupHost | null,
  ) {}

  static async open(opts: MnodeOptions): Promise<Mnode> {
    let mnode: Mnode | null = null;
    const sm = new ClusterStateMachine({
      log: opts.log,
      onApplied: () => mnode?.applied(),
      onLeader: (leader, role, term) => mnode?.leaderChanged(leader, role, term),
      onConf: (conf) => mnode?.confChanged(conf),
    });
    mnode = new Mnode(opts, sm, null);
    const store = WalLogStore.open(opts.dir);
    // A membership change's commit is fsynced before it applies (WalLogStore.persistCommit), so
    // a restarted member replays up to the membership it had.
    // Only a brand-new founding store campaigns at once. A restarted member must not: until
    // its log is re-applied it believes in the founding membership (itself alone) and would
    // elect itself beside the real leader.
    if (opts.bootstrap && store.isEmpty()) {
      store.append(bootstrapEntries([opts.dnodeId]));
      store.setHardState({ term: 1, vote: 0, commit: 1 });
      await store.sync();
      mnode.founding = true;
    }
    mnode.host = await opts.runtime.addGroup({
      group: MNODE_GROUP,
      store,
      stateMachine: sm,
      proposalTimeoutMs: Limits.mnodeProposeTimeoutMs,
      snapshotEveryEntries: Limits.mnodeSnapshotEveryEntries,
    });
    mnode.confChanged(mnode.host.status());
    return mnode;
  }

  /** The founding member leads as soon as its one-voter membership is applied. */
  private confChanged(conf: { readonly voters: readonly NodeId[] }): void {
    if (!this.founding || !this.host || this.closed) return;
    if (conf.voters.length === 1 && conf.voters[0] === this.opts.dnodeId) {
      this.founding = false;
      this.host.campaign();
    }
  }

  private applied(): void {
    this.opts.onApplied?.(this.sm.state);
  }

  private leaderChanged(leader: NodeId, role: StateRole, term: number): void {
    const prev = this.roleValue;
    this.roleValue = role;
    this.leaderValue = leader;
    if (prev !== role) this.roleSinceMs = Date.now();
    this.opts.log('info', 'mnode role changed', { role, leader, term });
    this.opts.onRoleChange?.(role, leader);
  }

  private get g(): RaftGroupHost {
    if (!this.host || this.closed) throw new BasaltError('SHUTTING_DOWN', 'the mnode is stopped');
    return this.host;
  }

  get state(): ClusterState {
    return this.sm.state;
  }
  get role(): StateRole {
    return this.roleValue;
  }
  get leaderId(): number {
    return this.leaderValue;
  }
  get isLeader(): boolean {
    return !this.closed && this.host !== null && this.host.node.raft.role === 'leader';
  }
  /**
   * A leader whose state holds everything committed before its term (its own first entry
   * is committed and applied) and an initialised cluster: plans made now see the latest state.
   */
  get serving(): boolean {
    if (!this.isLeader || this.sm.state.clusterId === '') return false;
    const r = this.g.node.raft;
    return r.log.term(r.log.committed) === r.term && r.log.applied >= r.log.committed;
  }

  get voters(): readonly number[] {
    return this.g.status().voters;
  }
  get learners(): readonly number[] {
    return this.g.status().learners;
  }
  get commitIndex(): number {
    return this.g.status().commit;
  }

  /** How far the leader knows `id`'s log matches its own (0 when unknown or not leader). */
  matchOf(id: number): number {
    return this.g.node.raft.prs.get(id)?.match ?? 0;
  }

  /** Commits one op through the group; resolves once applied here. NOT_MNODE_LEADER when not leader. */
  async propose(op: ClusterOp): Promise<void> {
    if (!this.isLeader) throw this.notLeader();
    try {
      await this.g.propose(encoder.encode(JSON.stringify(op)));
    } catch (e) {
      throw this.translate(e);
    }
  }

  async proposeConfChange(cc: ConfChange): Promise<void> {
    if (!this.isLeader) throw this.notLeader();
    try {
      if (cc.type === 'addLearner') await this.g.addLearner(cc.node);
      else if (cc.type === 'addVoter') await this.g.promote(cc.node);
      else await this.g.remove(cc.node);
    } catch (e) {
      throw this.translate(e);
    }
  }

  private translate(e: unknown): unknown {
    return e instanceof BasaltError && e.errorName === 'NOT_LEADER' ? this.notLeader() : e;
  }

  notLeader(): BasaltError {
    return new BasaltError(
      'NOT_MNODE_LEADER',
      `dnode ${this.opts.dnodeId} hosts an mnode that is not the leader${this.leaderValue ? `; the leader is on dnode ${this.leaderValue}` : '; an election is in progress, retry in a moment'}`,
      { leaderId: this.leaderValue },
    );
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.opts.runtime.removeGroup(MNODE_GROUP);
  }
}
