// One mnode replica: drives the Raft core (src/raft RawNode) for the mnode group (group 1,
// node ids = dnode ids) and applies committed ClusterOps to the ClusterState. I/O stays
// outside: the dnode passes `send` (raft messages to a dnode, over RPC) and feeds
// received messages to `receive`. Each Ready is handled in the order the core requires:
// persist entries + hard state (fsync), send, apply, advance.
import { BasaltError } from '../common/errors.js';
import { Limits } from '../common/limits.js';
import { RAFT_TICK_MS } from '../raft/config.js';
import type { ConfChange } from '../raft/conf-change.js';
import { RawNode } from '../raft/raw-node.js';
import type { Message, StateRole } from '../raft/types.js';
import { applyClusterOp, EMPTY_CLUSTER_STATE, type ClusterOp, type ClusterState } from './cluster-state.js';
import { MnodeLogStore } from './mnode-log-store.js';

export type MnodeLog = (level: 'info' | 'warn' | 'error' | 'debug', message: string, fields?: Record<string, unknown>) => void;

export interface MnodeOptions {
  /** dataDir/mnode */
  readonly dir: string;
  readonly dnodeId: number;
  /** Found a new group with this node as the only voter (the first dnode of a cluster). */
  readonly bootstrap: boolean;
  readonly send: (to: number, msgs: Message[]) => void;
  readonly log: MnodeLog;
  /** Called after the role or the known leader changes. */
  readonly onRoleChange?: (role: StateRole, leaderId: number) => void;
  /** Called after committed ops were applied. */
  readonly onApplied?: (state: ClusterState) => void;
}

interface Waiter {
  readonly term: number;
  resolve(): void;
  reject(e: Error): void;
  timer: NodeJS.Timeout;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export class Mnode {
  private stateValue: ClusterState = EMPTY_CLUSTER_STATE;
  private readonly raw: RawNode;
  private readonly timer: NodeJS.Timeout;
  private readonly waiters = new Map<number, Waiter>();
  private closed = false;
  private roleValue: StateRole = 'follower';
  private leaderValue = 0;
  /** When this replica last changed role (show mnodes role_time). */
  roleSinceMs = Date.now();

  private constructor(private readonly opts: MnodeOptions, private readonly store: MnodeLogStore) {
    this.raw = new RawNode({ id: opts.dnodeId, applied: 0 }, store);
    this.timer = setInterval(() => { if (!this.closed) { this.raw.tick(); this.drain(); } }, RAFT_TICK_MS);
    this.timer.unref();
  }

  static open(opts: MnodeOptions): Mnode {
    const store = MnodeLogStore.open(opts.dir);
    if (opts.bootstrap && store.empty) store.bootstrap([opts.dnodeId]);
    const m = new Mnode(opts, store);
    // A single-voter group need not wait an election timeout to lead.
    const st = m.raw.status();
    if (st.conf.voters.length === 1 && st.conf.voters[0] === opts.dnodeId) m.raw.campaign();
    m.drain();
    return m;
  }

  get state(): ClusterState { return this.stateValue; }
  get role(): StateRole { return this.roleValue; }
  get leaderId(): number { return this.leaderValue; }
  get isLeader(): boolean { return this.roleValue === 'leader'; }
  get voters(): readonly number[] { return this.raw.status().conf.voters; }
  get learners(): readonly number[] { return this.raw.status().conf.learners; }
  get commitIndex(): number { return this.raw.status().commit; }

  /** How far the leader knows `id`'s log matches its own (0 when unknown or not leader). */
  matchOf(id: number): number {
    return this.raw.raft.prs.get(id)?.match ?? 0;
  }

  /** True when the leader heard from `id` within the last election timeout. */
  recentlyActive(id: number): boolean {
    return this.raw.raft.prs.get(id)?.recentActive ?? false;
  }

  receive(msgs: readonly Message[]): void {
    if (this.closed) return;
    for (const m of msgs) {
      // msgpack turns absent optional fields into nil; the core tests them against undefined.
      const clean = { ...m } as Record<string, unknown>;
      for (const k of ['snapshot', 'snapData']) if (clean[k] === null) delete clean[k];
      try { this.raw.step(clean as unknown as Message); }
      catch (e) { this.opts.log('warn', 'mnode: dropped a raft message', { type: m.type, from: m.from, error: (e as Error).message }); }
    }
    this.drain();
  }

  /** Commits one op through the group; resolves once applied here. NOT_MNODE_LEADER when not leader. */
  propose(op: ClusterOp): Promise<void> {
    return this.submit(() => this.raw.propose(encoder.encode(JSON.stringify(op))));
  }

  proposeConfChange(cc: ConfChange): Promise<void> {
    return this.submit(() => this.raw.proposeConfChange(cc));
  }

  private submit(fn: () => { index: number; term: number }): Promise<void> {
    if (this.closed) return Promise.reject(new BasaltError('SHUTTING_DOWN', 'the mnode is stopping'));
    if (!this.isLeader) return Promise.reject(this.notLeader());
    let r: { index: number; term: number };
    try { r = fn(); }
    catch (e) {
      if (e instanceof BasaltError && e.errorName === 'NOT_LEADER') return Promise.reject(this.notLeader());
      return Promise.reject(e);
    }
    const p = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(r.index);
        reject(new BasaltError('TIMEOUT', `the mnode group did not commit the change within ${Limits.mnodeProposeTimeoutMs} ms (is a quorum of mnodes online? see 'show mnodes'); it may still be applied`));
      }, Limits.mnodeProposeTimeoutMs);
      this.waiters.set(r.index, { term: r.term, resolve, reject, timer });
    });
    this.drain();
    return p;
  }

  notLeader(): BasaltError {
    return new BasaltError('NOT_MNODE_LEADER', `dnode ${this.opts.dnodeId} hosts an mnode that is not the leader${this.leaderValue ? `; the leader is on dnode ${this.leaderValue}` : '; an election is in progress, retry in a moment'}`, { leaderId: this.leaderValue });
  }

  private drain(): void {
    for (let guard = 0; guard < 64 && !this.closed && this.raw.hasReady(); guard++) {
      const rd = this.raw.ready();
      this.store.append(rd.entries);
      if (rd.hardState) this.store.setHardState(rd.hardState);
      this.store.sync();
      const byTo = new Map<number, Message[]>();
      for (const m of rd.messages) {
        const l = byTo.get(m.to);
        if (l) l.push(m); else byTo.set(m.to, [m]);
      }
      for (const [to, msgs] of byTo) this.opts.send(to, msgs);
      let applied = false;
      for (const e of rd.committedEntries) {
        if (e.type === 'normal' && e.data.length > 0) {
          try {
            this.stateValue = applyClusterOp(this.stateValue, JSON.parse(decoder.decode(e.data)) as ClusterOp);
            applied = true;
          } catch (err) {
            this.opts.log('error', 'mnode: cannot apply a committed entry', { index: e.index, error: (err as Error).message });
          }
        }
        const w = this.waiters.get(e.index);
        if (w) {
          this.waiters.delete(e.index);
          clearTimeout(w.timer);
          if (w.term === e.term) w.resolve();
          else w.reject(new BasaltError('PROPOSAL_DROPPED', 'the mnode leader changed before the change was committed; retry'));
        }
      }
      if (rd.softState) {
        const prevRole = this.roleValue;
        this.roleValue = rd.softState.role;
        this.leaderValue = rd.softState.lead;
        if (prevRole !== this.roleValue) this.roleSinceMs = Date.now();
        this.opts.log('info', 'mnode role changed', { role: this.roleValue, leader: this.leaderValue, term: this.raw.status().term });
        if (prevRole === 'leader' && this.roleValue !== 'leader') {
          for (const [i, w] of this.waiters) {
            clearTimeout(w.timer);
            w.reject(new BasaltError('PROPOSAL_DROPPED', 'this mnode lost leadership before the change was committed; it may or may not be applied, check and retry'));
            this.waiters.delete(i);
          }
        }
      }
      this.raw.advance(rd);
      if (rd.softState) this.opts.onRoleChange?.(this.roleValue, this.leaderValue);
      if (applied) this.opts.onApplied?.(this.stateValue);
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    for (const w of this.waiters.values()) { clearTimeout(w.timer); w.reject(new BasaltError('SHUTTING_DOWN', 'the mnode is stopping')); }
    this.waiters.clear();
  }
}
