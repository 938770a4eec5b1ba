// One replica of a vgroup: a Raft group whose log is the storage WAL (WalLogStore under
// dir/raft) and whose state machine is the storage engine (LocalVnodeStore in externalLog
// mode under dir/store). It implements VnodeStore, so the engine and the select path can
// use it like a local store:
//   - mutations (write, DDL) become Raft proposals and resolve once applied here, i.e. after
//     commit on a quorum; only the leader accepts them (NOT_LEADER with data.leader, or
//     NO_QUORUM when no leader is known);
//   - the synchronous VnodeStore reads serve local state on the leader (or on any replica
//     with followerReads); for linearizable reads call readBarrier() first, or use read(fn).
// Maintenance (flush, compact, retention) is local to each replica.
import { existsSync, rmSync } from 'node:fs';
import type { ColumnBlock } from '../common/block.js';
import { BasaltError } from '../common/errors.js';
import { Limits } from '../common/limits.js';
import type { NodeId, StateRole } from '../raft/index.js';
import type { GroupStatus, ProposeResult, RaftGroupHost } from '../replica/group-host.js';
import type { LogFn, RaftGroupOptions, ReplicaRuntime } from '../replica/runtime.js';
import { WalLogStore } from '../replica/wal-log-store.js';
import type {
  RangeAggregate,
  TableInfo,
  TableKind,
  TagValue,
  TimeRange,
  VnodeOptions,
  VnodeStore,
  WriteBatch,
} from '../storage/api.js';
import {
  decodePayload,
  encodeMetaPayload,
  encodeWritePayload,
  MetaMutations,
  rememberDecoded,
  type MetaOp,
} from '../storage/index.js';
import { DiskSpaceGuard } from '../storage/disk-space.js';
import type { MetaSnapshot } from '../storage/meta.js';
import { raftDirOf, VnodeStateMachine } from './vnode-state-machine.js';

function isSoleVoter(st: GroupStatus, self: NodeId): boolean {
  return st.voters.length === 1 && st.voters[0] === self && st.learners.length === 0;
}

/** Errors after which the leader may have moved or come up: ask again. */
const FORWARD_RETRY = new Set([
  'NOT_LEADER',
  // Leadership is being handed over (a move removes this replica, or balance vgroup leader).
  'PROPOSAL_DROPPED',
  'NO_QUORUM',
  'NO_LEADER',
  'CONNECTION_FAILED',
  'SHUTTING_DOWN',
  'NOT_READY',
  'TIMEOUT',
]);

export interface ReplicatedVnodeConfig {
  /** The dnode's Raft runtime (one per dnode, shared by its mnode and vnodes). */
  readonly runtime: ReplicaRuntime;
  /** The vgroup id; also the Raft group id on every replica. */
  readonly vgId: number;
  /** This replica's directory (the dnode's dataDir/vnode/vnode<vgId>). */
  readonly dir: string;
  readonly options: VnodeOptions;
  /**
   * Founding voters, the same list on every founder (create database). Omit for a replica
   * that joins later (balance / drop dnode): it starts empty and catches up by snapshot and
   * log once the leader adds it with addLearner().
   */
  readonly founders?: readonly NodeId[];
  /**
   * A founder that campaigns at once when the group is brand new, instead of waiting an
   * election timeout (create database: one founder per vgroup, so leaders start spread).
   */
  readonly leadFirst?: boolean;
  /** Proposal deadline (TIMEOUT after it). Default Limits.vnodeWriteTimeoutMs. */
  readonly writeTimeoutMs?: number;
  /** ReadIndex deadline. Default Limits.raftReadIndexTimeoutMs. */
  readonly readTimeoutMs?: number;
  /** Default Limits.vnodeSnapshotEveryEntries. */
  readonly snapshotEveryEntries?: number;
  /** Default Limits.vnodeKeepEntriesAfterSnapshot. */
  readonly keepEntriesAfterSnapshot?: number;
  /** Let the synchronous VnodeStore reads serve (possibly stale) local state on a follower. */
  readonly followerReads?: boolean;
  readonly raft?: RaftGroupOptions['raft'];
  readonly log?: LogFn;
  /** host:port of a node, for the leaderEndpoint of NOT_LEADER hints (e.g. transport.endpointOf). */
  readonly leaderEndpoint?: (node: NodeId) => string | undefined;
  /**
   * Sends a mutation payload to the leader's dnode, which proposes it there
   * (proposeForwarded). With it, a follower accepts mutations: it forwards them (following
   * leader changes, bounded) and returns once its own state has caught up with the write.
   */
  readonly forward?: (leader: NodeId, payload: Uint8Array) => Promise<void>;
  /** Every Raft role or leader change of this replica (the dnode logs them: operators read failovers there). */
  readonly onRoleChange?: (role: StateRole, leader: NodeId, term: number) => void;
  /** Role, leader or membership changed (for the dnode's status report to the mnode). */
  readonly onStatusChange?: (s: VnodeStatus) => void;
  /** The replica closed (dropped, moved away, dnode stopping): whoever indexes it lets go. */
  readonly onClosed?: () => void;
}

/** The group's Raft status (applied = Raft applied index; leader 0 when none is known) plus the store's. */
export interface VnodeStatus extends Omit<GroupStatus, 'group' | 'role' | 'pendingReads'> {
  readonly vgId: number;
  readonly role: StateRole | 'learner';
  /** Last entry the store holds / holds in files (restart replays after the latter). */
  readonly storeApplied: number;
  readonly flushedIndex: number;
  readonly refusedEntries: number;
}

export interface ReadOptions {
  /** Serve from this replica even if it is a follower (still linearizable: ReadIndex via the leader). */
  readonly allowFollower?: boolean;
  /** Skip the ReadIndex round trip: local state as it is (may be stale). Implies allowFollower. */
  readonly stale?: boolean;
}

export class ReplicatedVnode extends MetaMutations implements VnodeStore {
  private readonly inflight = new Set<(e: BasaltError) => void>();
  private closed = false;
  private wasLeader = false;
  /**
   * Refuses new mutations while this replica's volume is below its free-space reserve: an
   * entry refused here was never logged, so the client's DISK_FULL means "not written".
   */
  private readonly diskGuard: DiskSpaceGuard;

  private constructor(
    private readonly cfg: ReplicatedVnodeConfig,
    private readonly sm: VnodeStateMachine,
    private readonly group: RaftGroupHost,
  ) {
    super();
    this.diskGuard = new DiskSpaceGuard(cfg.dir, cfg.log);
  }

  static async open(cfg: ReplicatedVnodeConfig): Promise<ReplicatedVnode> {
    // The Raft group id is the vgId; group 1 is the mnode's on every dnode (vgIds start at 2).
    if (!Number.isSafeInteger(cfg.vgId) || cfg.vgId < 2)
      throw new BasaltError(
        'INVALID_PARA',
        `vgId ${cfg.vgId} is not a vgroup id (2 or more; Raft group 1 is the mnode's)`,
      );
    const log = cfg.log ?? (() => undefined);
    const fresh = !existsSync(raftDirOf(cfg.dir));
    const sm = await VnodeStateMachine.open(cfg.dir, cfg.options, log);
    let logStore: WalLogStore | undefined;
    try {
      logStore =
        cfg.founders && cfg.founders.length > 0
          ? await WalLogStore.openBootstrapped(raftDirOf(cfg.dir), cfg.founders)
          : WalLogStore.open(raftDirOf(cfg.dir));
      const group = await cfg.runtime.addGroup({
        group: cfg.vgId,
        store: logStore,
        stateMachine: sm,
        proposalTimeoutMs: cfg.writeTimeoutMs ?? Limits.vnodeWriteTimeoutMs,
        readTimeoutMs: cfg.readTimeoutMs ?? Limits.raftReadIndexTimeoutMs,
        snapshotEveryEntries: cfg.snapshotEveryEntries ?? Limits.vnodeSnapshotEveryEntries,
        keepEntriesAfterSnapshot: cfg.keepEntriesAfterSnapshot ?? Limits.vnodeKeepEntriesAfterSnapshot,
        ...(cfg.raft ? { raft: cfg.raft } : {}),
      });
      const v = new ReplicatedVnode(cfg, sm, group);
      // wal_level 1 means no fsync per write (TDengine's meaning); with one voter and no
      // learner that is this replica's own promise, as for a plain vnode. Any other
      // membership fsyncs, since Raft counts on what a voter acknowledged.
      if (cfg.options.walLevel === 1) {
        const store = logStore;
        store.walFsyncOptional = () => isSoleVoter(group.status(), group.nodeId);
      }
      sm.hooks = {
        onLeaderChange: (leader, role, term) => v.leaderChanged(leader, role, term),
        onConfChange: () => v.cfg.onStatusChange?.(v.status()),
      };
      if (fresh && cfg.leadFirst && cfg.founders?.includes(group.nodeId)) group.campaign();
      else if (!fresh && isSoleVoter(group.status(), group.nodeId)) {
        // A replica-1 vgroup reopened: nobody else can win, so it need not wait out an
        // election timeout before it takes writes again.
        group.campaign();
      }
      return v;
    } catch (e) {
      await logStore?.close().catch(() => undefined);
      await sm.close().catch(() => undefined);
      throw e;
    }
  }

  get vgId(): number {
    return this.cfg.vgId;
  }
  get nodeId(): NodeId {
    return this.group.nodeId;
  }
  get options(): VnodeOptions {
    return this.cfg.options;
  }
  /** The local store (tests, and subplans run after readBarrier()). Replaced by snapshot installs. */
  get local(): VnodeStore {
    return this.sm.store;
  }
  isLeader(): boolean {
    return this.group.node.raft.role === 'leader';
  }
  /** The local table meta (for a remote dnode's cache: src/vnode/remote-vnode.ts); read after readBarrier(). */
  get meta(): { readonly epoch: number; readonly version: number; snapshot(): MetaSnapshot } {
    return this.sm.store.meta;
  }

  // ------------------------------------------------------------ mutations (leader only)

  // createSuperTable … setTag come from MetaMutations: each becomes a proposal via metaOp.

  /**
   * Replicates the batch; resolves once it is committed and applied on this (leader) node.
   * Retrying a batch whose outcome is unknown (TIMEOUT, leadership lost) is safe for rows:
   * a repeated timestamp keeps the latest write, so the rows end up present exactly once.
   */
  async write(batch: WriteBatch): Promise<void> {
    if (this.cfg.forward && !this.isLeader()) return this.forwardToLeader(encodeWritePayload(batch, Date.now()));
    this.checkLeader();
    this.diskGuard.check();
    this.sm.store.checkFlushBacklog();
    await this.sm.belowBudget();
    const atMs = Date.now();
    const payload = encodeWritePayload(batch, atMs);
    // Applied here (as leader) from the batch we hold, not from a second parse of the bytes.
    rememberDecoded(payload, { kind: 'write', batch, atMs });
    // Rows are idempotent, so a write whose leader lost leadership in flight (an election
    // after a stall: it may or may not commit) is sent on to the next leader, not failed.
    await this.proposeOrFollow(payload, true);
  }

  /**
   * Proposes as leader; if leadership is being handed over meanwhile, follows it (with
   * cfg.forward). With `idempotent`, also when leadership was lost with the proposal in flight.
   */
  private async proposeOrFollow(payload: Uint8Array, idempotent = false): Promise<void> {
    try {
      await this.propose(payload);
    } catch (e) {
      if (!this.cfg.forward || !(e instanceof BasaltError)) throw e;
      // Rows follow a leadership lost in flight: NOT_LEADER names the new leader; NO_QUORUM is
      // a leader that stepped down (CheckQuorum: a loaded follower stalled past the election
      // timeout, seen in seed 001's bench), and the next election usually ends within a
      // second: wait that long for one, else fail as before (the quorum may really be gone).
      // A DDL still fails (a retry may say "exists").
      let follow = e.errorName === 'PROPOSAL_DROPPED' || (idempotent && e.errorName === 'NOT_LEADER');
      if (idempotent && e.errorName === 'NO_QUORUM') follow = await this.leaderWithin(Limits.vnodeStepDownWaitMs);
      if (!follow) throw e;
      await this.forwardToLeader(payload);
    }
  }

  /** True once some replica leads the group (this one or another), within `ms`. */
  private async leaderWithin(ms: number): Promise<boolean> {
    const deadline = Date.now() + ms;
    while (this.group.node.raft.lead === 0) {
      if (this.closed || Date.now() >= deadline) return false;
      await new Promise((r) => setTimeout(r, Limits.vnodeForwardPauseMs));
    }
    return true;
  }

  protected override async metaOp(op: MetaOp): Promise<void> {
    if (this.cfg.forward && !this.isLeader()) return this.forwardToLeader(encodeMetaPayload(op));
    this.checkLeader();
    // A drop is let through on a full disk: it is how an operator makes room.
    if (op.op !== 'drop') this.diskGuard.check();
    // Refuse what the leader's state already refuses without spending a log entry; the
    // apply re-checks (another DDL may be ahead of this one in the log).
    this.sm.store.meta.check(op);
    await this.proposeOrFollow(encodeMetaPayload(op));
  }

  /** A mutation payload another replica forwarded (see cfg.forward): proposed here, leader only. */
  async proposeForwarded(payload: Uint8Array): Promise<void> {
    this.checkLeader();
    if (!isDropPayload(payload)) this.diskGuard.check();
    await this.sm.belowBudget();
    await this.propose(payload);
  }

  /**
   * Follower side of cfg.forward: send to the leader this replica knows, retrying while
   * leadership moves or no leader is known (bounded by Limits.vnodeForwardDeadlineMs and vnodeForwardMaxAttempts). A retried
   * write whose first attempt was applied is harmless for rows (same timestamp: latest
   * wins); a retried DDL may report "already exists". Then waits until the local state
   * holds the write (ReadIndex from the follower), so the caller's next read sees it.
   */
  private async forwardToLeader(payload: Uint8Array): Promise<void> {
    const startMs = Date.now();
    const deadline = startMs + Limits.vnodeForwardDeadlineMs;
    let last: unknown = null;
    for (let attempt = 0; attempt < Limits.vnodeForwardMaxAttempts && Date.now() < deadline; attempt++) {
      this.checkOpen();
      if (this.isLeader()) {
        if (!isDropPayload(payload)) this.diskGuard.check();
        await this.sm.belowBudget();
        try {
          await this.propose(payload);
          return;
        } catch (e) {
          if (!(e instanceof BasaltError) || !FORWARD_RETRY.has(e.errorName)) throw e;
          last = e;
        }
        await new Promise((r) => setTimeout(r, Limits.vnodeForwardPauseMs));
        continue;
      }
      const lead = this.group.node.raft.lead;
      if (lead !== 0 && lead !== this.nodeId) {
        try {
          await this.forwardWhileLeader(lead, payload);
          await this.readBarrier({ allowFollower: true }).catch(() => undefined);
          return;
        } catch (e) {
          if (!(e instanceof BasaltError) || !FORWARD_RETRY.has(e.errorName)) throw e;
          last = e;
        }
      }
      await new Promise((r) => setTimeout(r, Limits.vnodeForwardPauseMs));
    }
    if (last instanceof BasaltError) {
      // The caller's error names the vgroup and the wait, whatever the last attempt said.
      const msg = last.message.includes(`vgroup ${this.cfg.vgId}`)
        ? last.message
        : `vgroup ${this.cfg.vgId}: ${last.message}`;
      throw new BasaltError(
        last.errorName,
        `${msg} (node ${this.nodeId} forwarded this write (or DDL) for ${Date.now() - startMs} ms without a leader applying it; it may still be applied)`,
        last.data,
      );
    }
    throw this.noLeader();
  }

  /**
   * Forwards to `lead`, but gives up as soon as this replica hears of another leader (a
   * frozen or cut-off leader never answers; its successor is elected in about a second),
   * so the caller retries at the new one instead of waiting out the RPC timeout. The
   * abandoned forward may still be applied: rows are idempotent, a DDL may say it exists.
   */
  private async forwardWhileLeader(lead: NodeId, payload: Uint8Array): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const moved = new Promise<never>((_, reject) => {
      timer = setInterval(() => {
        const now = this.group.node.raft.lead;
        if (this.closed || (now !== lead && now !== 0) || this.isLeader()) {
          reject(
            new BasaltError(
              'NOT_LEADER',
              `vgroup ${this.cfg.vgId}: the leader moved from node ${lead} while a write was forwarded to it; retrying at the new one`,
            ),
          );
        }
      }, Limits.vnodeLeaderWatchMs);
    });
    try {
      await Promise.race([this.cfg.forward!(lead, payload), moved]);
    } finally {
      clearInterval(timer);
    }
  }

  private propose(data: Uint8Array): Promise<ProposeResult> {
    return new Promise<ProposeResult>((resolve, reject) => {
      const abort = (e: BasaltError): void => {
        this.inflight.delete(abort);
        reject(e);
      };
      this.inflight.add(abort);
      this.group.propose(data).then(
        (r) => {
          this.inflight.delete(abort);
          if (r.result instanceof BasaltError) reject(r.result);
          else resolve(r);
        },
        (e: unknown) => {
          this.inflight.delete(abort);
          reject(this.mapError(e));
        },
      );
    });
  }

  // ------------------------------------------------------------ reads

  /** Resolves when a read started now may be served from local state linearizably. */
  async readBarrier(opts: ReadOptions = {}): Promise<void> {
    this.checkOpen();
    if (opts.stale) return;
    if (!opts.allowFollower) this.checkLeader();
    else if (this.group.node.raft.lead === 0) throw this.noLeader();
    // The only voter, leading, with its whole log committed and applied: no other replica
    // can hold a newer write, so local state is linearizable without a ReadIndex round
    // (replica 1). Right after an election the commit index lags the log until the new
    // term's first entry commits; until then the ReadIndex path waits for it.
    const st = this.group.status();
    if (st.role === 'leader' && isSoleVoter(st, this.nodeId) && st.commit >= st.lastIndex && st.applied >= st.commit)
      return;
    try {
      await this.group.readIndex();
    } catch (e) {
      throw this.mapError(e);
    }
  }

  /** Runs `fn` on the local store after a ReadIndex barrier (leader only unless allowed). */
  async read<T>(fn: (store: VnodeStore) => T | Promise<T>, opts: ReadOptions = {}): Promise<T> {
    await this.readBarrier(opts);
    return fn(this.sm.store);
  }

  getTable(name: string): TableInfo | undefined {
    this.checkReadable();
    return this.sm.store.getTable(name);
  }
  listTables(filter?: { stable?: string; kind?: TableKind }): TableInfo[] {
    this.checkReadable();
    return this.sm.store.listTables(filter);
  }
  childTablesWithTag(stable: string, tagName: string, values: readonly TagValue[]): string[] {
    this.checkReadable();
    return this.sm.store.childTablesWithTag(stable, tagName, values);
  }
  scan(table: string, range: TimeRange, columnIndexes: readonly number[]): Iterable<ColumnBlock> {
    this.checkReadable();
    return this.sm.store.scan(table, range, columnIndexes);
  }
  aggregate(table: string, range: TimeRange, columnIndexes: readonly number[]): RangeAggregate {
    this.checkReadable();
    return this.sm.store.aggregate(table, range, columnIndexes);
  }
  lastRow(table: string): ColumnBlock | undefined {
    this.checkReadable();
    return this.sm.store.lastRow(table);
  }

  // ------------------------------------------------------------ maintenance (this replica)

  flush(): Promise<void> {
    this.checkOpen();
    return this.sm.store.flush();
  }
  compact(): Promise<void> {
    this.checkOpen();
    return this.sm.store.compact();
  }
  /**
   * Drops whole file sets older than keep on this replica. Replicas run it on their own
   * clocks, so for a moment they may differ by a file set that every one of them drops.
   */
  applyRetention(nowMs: number): Promise<void> {
    this.checkOpen();
    return this.sm.store.applyRetention(nowMs);
  }
  stats(): { diskBytes: number; memtableBytes: number; rows: number; tables: number } {
    return this.sm.store.stats();
  }

  // ------------------------------------------------------------ membership (balance, drop dnode)

  /** Leader: adds `node` as a non-voting replica; it catches up by snapshot + log. */
  async addLearner(node: NodeId): Promise<void> {
    await this.conf(() => this.group.addLearner(node));
  }
  /** Leader: makes a caught-up learner a voter. */
  async promote(node: NodeId): Promise<void> {
    await this.conf(() => this.group.promote(node));
  }
  /** Leader: removes a replica (itself too: it hands leadership over afterwards). */
  async remove(node: NodeId): Promise<void> {
    await this.conf(() => this.group.remove(node));
  }
  /** Leader: hands leadership to `node`; resolves when `node` is the known leader. */
  async transferLeader(node: NodeId, timeoutMs?: number): Promise<void> {
    this.checkLeader();
    try {
      await this.group.transferLeader(node, timeoutMs);
    } catch (e) {
      throw this.mapError(e);
    }
  }
  /** Starts an election here now (a founder that should lead first, leader balancing). */
  campaign(): void {
    this.checkOpen();
    this.group.campaign();
  }

  /** How far `node` has caught up, as the leader sees it (undefined off the leader). */
  matchIndexOf(node: NodeId): number | undefined {
    if (!this.isLeader()) return undefined;
    return this.group.node.raft.prs.get(node)?.match;
  }

  /**
   * One membership change at a time: Raft refuses a new one (PROPOSAL_DROPPED) while an
   * earlier one, or a fresh leader's first entry, is not applied yet. That wait is short and
   * expected during a move, so it is retried here for up to Limits.vnodeConfRetryMs.
   */
  private async conf(change: () => Promise<ProposeResult>): Promise<void> {
    const deadline = Date.now() + Limits.vnodeConfRetryMs;
    for (;;) {
      this.checkLeader();
      try {
        await change();
        return;
      } catch (e) {
        if (!(e instanceof BasaltError && e.errorName === 'PROPOSAL_DROPPED') || Date.now() > deadline)
          throw this.mapError(e);
      }
      await new Promise((r) => setTimeout(r, Limits.vnodeConfRetryPauseMs));
    }
  }

  // ------------------------------------------------------------ status and lifecycle

  status(): VnodeStatus {
    const g = this.group.status();
    const s = this.sm.store;
    const role = g.learners.includes(g.nodeId) ? 'learner' : g.role;
    return {
      vgId: this.cfg.vgId,
      nodeId: g.nodeId,
      role,
      term: g.term,
      leader: g.leader,
      commit: g.commit,
      applied: g.applied,
      storeApplied: s.appliedIndex(),
      flushedIndex: s.flushedIndex(),
      firstIndex: g.firstIndex,
      lastIndex: g.lastIndex,
      snapshotIndex: g.snapshotIndex,
      voters: g.voters,
      learners: g.learners,
      pendingProposals: g.pendingProposals,
      refusedEntries: this.sm.refusedEntries,
    };
  }

  /** Stops this replica (the runtime stops hosting the group) and closes its log and store. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.failInflight(
      new BasaltError(
        'SHUTTING_DOWN',
        `vnode ${this.cfg.vgId} on node ${this.nodeId} is closing; the write may still be applied`,
      ),
    );
    try {
      await this.cfg.runtime.removeGroup(this.cfg.vgId);
      await this.sm.close();
    } finally {
      this.cfg.onClosed?.();
    }
  }

  /** Closes and deletes this replica's directory (after the group removed it). */
  async destroy(): Promise<void> {
    await this.close();
    rmSync(this.cfg.dir, { recursive: true, force: true });
  }

  private leaderChanged(leader: NodeId, role: StateRole, term: number): void {
    this.cfg.onRoleChange?.(role, leader, term);
    if (this.wasLeader && role !== 'leader') {
      // The group host keeps these until their deadline; fail them now (a deposed leader
      // usually means a lost quorum or a partition), saying the outcome is unknown.
      const err =
        leader !== 0
          ? new BasaltError(
              'NOT_LEADER',
              `node ${this.nodeId} lost leadership of vgroup ${this.cfg.vgId} to node ${leader} while the write was in flight; it may still be applied`,
              this.hint(leader),
            )
          : new BasaltError(
              'NO_QUORUM',
              `node ${this.nodeId} lost leadership of vgroup ${this.cfg.vgId} (no quorum of its replicas answers) while the write was in flight; it may still be applied`,
              this.hint(0),
            );
      this.failInflight(err);
    }
    this.wasLeader = role === 'leader';
    this.cfg.onStatusChange?.(this.status());
  }

  private failInflight(err: BasaltError): void {
    for (const abort of [...this.inflight]) abort(err);
  }

  private hint(leader: NodeId): Record<string, unknown> {
    const ep = leader ? this.cfg.leaderEndpoint?.(leader) : undefined;
    return ep ? { leader, leaderEndpoint: ep, vgId: this.cfg.vgId } : { leader, vgId: this.cfg.vgId };
  }

  private noLeader(): BasaltError {
    const g = this.group.status();
    return new BasaltError(
      'NO_QUORUM',
      `vgroup ${this.cfg.vgId} has no leader known to node ${this.nodeId} (voters ${g.voters.join(', ')}): a quorum is unreachable or an election is in progress; retry`,
      this.hint(0),
    );
  }

  /** NOT_LEADER without a known leader says more as NO_QUORUM; everything else passes through. */
  private mapError(e: unknown): Error {
    if (e instanceof BasaltError && e.errorName === 'NOT_LEADER') {
      const lead = (e.data as { leader?: number } | undefined)?.leader ?? 0;
      if (!lead) return this.noLeader();
    }
    return e as Error;
  }

  private checkOpen(): void {
    if (this.closed) throw new BasaltError('SHUTTING_DOWN', `vnode ${this.cfg.vgId} on node ${this.nodeId} is closed`);
  }

  private checkLeader(): void {
    this.checkOpen();
    if (this.isLeader()) return;
    const lead = this.group.node.raft.lead;
    if (!lead) throw this.noLeader();
    throw new BasaltError(
      'NOT_LEADER',
      `node ${this.nodeId} is not the leader of vgroup ${this.cfg.vgId}; node ${lead} leads it`,
      this.hint(lead),
    );
  }

  private checkReadable(): void {
    this.checkOpen();
    if (this.cfg.followerReads || this.isLeader()) return;
    this.checkLeader();
  }
}

/** A logged drop (payload kind 1 = meta op): let through on a full disk, as in metaOp. */
function isDropPayload(payload: Uint8Array): boolean {
  if (payload[0] !== 1) return false;
  const p = decodePayload(payload);
  return p.kind === 'meta' && p.op.op === 'drop';
}
