// Many Raft groups in one process (a dnode hosts hundreds of vnodes). Pure like the core:
// the host ticks every group, gathers their Ready batches, and packs all outgoing messages
// into one envelope per peer node, with heartbeats and heartbeat responses coalesced into
// compact (group, term, commit) tuples. So an idle group costs a tick call and a few bytes
// in the envelope its peers receive anyway, not a network message of its own.
import { assert } from '../common/assert.js';
import { BasaltError } from '../common/errors.js';
import type { RaftConfigInput } from './config.js';
import type { LogStore } from './log-store.js';
import { RawNode } from './raw-node.js';
import { message, type Message, type NodeId, type Ready } from './types.js';

export type GroupId = number;

/** A heartbeat or heartbeat response reduced to the fields that differ between groups. */
export interface CoalescedBeat {
  readonly group: GroupId;
  readonly term: number;
  readonly commit: number;
  readonly context: string;
  readonly tick: number;
}

/** Everything one node sends another in one delivery round. */
export interface NodeEnvelope {
  readonly from: NodeId;
  readonly to: NodeId;
  readonly heartbeats: readonly CoalescedBeat[];
  readonly heartbeatResps: readonly CoalescedBeat[];
  readonly messages: readonly { readonly group: GroupId; readonly msg: Message }[];
}

export interface MultiReady {
  /** Per group: persist (entries, hard state, snapshot), then apply, as for a single RawNode. */
  readonly groups: ReadonlyMap<GroupId, Ready>;
  /** Send after every group's Ready in `groups` is durable. */
  readonly envelopes: readonly NodeEnvelope[];
}

export class MultiRaft {
  private readonly groups = new Map<GroupId, RawNode>();
  /** Rounds served so far: which group goes first in the next ready(). */
  private readyRounds = 0;
  private outstanding: MultiReady | undefined;

  constructor(
    readonly nodeId: NodeId,
    private readonly maxGroups: number,
  ) {
    assert(nodeId > 0, 'node id must be positive');
    assert(maxGroups > 0, 'maxGroups must be positive');
  }

  addGroup(group: GroupId, cfg: Omit<RaftConfigInput, 'id'>, store: LogStore): RawNode {
    if (this.groups.has(group))
      throw new BasaltError('RAFT_CONFIG_INVALID', `group ${group} already exists on node ${this.nodeId}`);
    if (this.groups.size >= this.maxGroups)
      throw new BasaltError('VNODES_EXHAUSTED', `node ${this.nodeId} hosts ${this.maxGroups} groups already`);
    const node = new RawNode({ ...cfg, id: this.nodeId }, store);
    this.groups.set(group, node);
    return node;
  }

  removeGroup(group: GroupId): void {
    this.groups.delete(group);
  }

  group(group: GroupId): RawNode {
    const g = this.groups.get(group);
    if (!g) throw new BasaltError('NO_LEADER', `group ${group} is not hosted on node ${this.nodeId}`);
    return g;
  }

  groupIds(): GroupId[] {
    return [...this.groups.keys()];
  }

  tick(): void {
    for (const g of this.groups.values()) g.tick();
  }

  /** Delivers an envelope from a peer to the groups it addresses (unknown groups are skipped). */
  receive(env: NodeEnvelope): void {
    assert(env.to === this.nodeId, `envelope for node ${env.to} delivered to ${this.nodeId}`);
    for (const b of env.heartbeats) this.member(b.group, env.from)?.step(expandBeat('MsgHeartbeat', env, b));
    for (const b of env.heartbeatResps) this.member(b.group, env.from)?.step(expandBeat('MsgHeartbeatResp', env, b));
    for (const { group, msg } of env.messages) if (msg.from === env.from) this.member(group, env.from)?.step(msg);
  }

  /** Messages dropped because their sender is not a member of the group (since start). */
  droppedFromNonMembers = 0;

  /**
   * The group, when `from` is a member of its current configuration: a node outside it (a
   * removed replica, a stray or hostile sender) must not move its term or its votes.
   */
  private member(group: GroupId, from: NodeId): RawNode | undefined {
    const g = this.groups.get(group);
    if (g === undefined) return undefined;
    if (g.raft.acceptsFrom(from)) return g;
    this.droppedFromNonMembers++;
    return undefined;
  }

  /** Sends every group's owed commit index (RaftConfig.lazyCommitBroadcast); true if any was owed. */
  flushCommit(): boolean {
    let any = false;
    for (const g of this.groups.values()) {
      if (!g.hasOwedCommit()) continue;
      g.flushCommit();
      any = true;
    }
    return any;
  }

  hasOwedCommit(): boolean {
    for (const g of this.groups.values()) if (g.hasOwedCommit()) return true;
    return false;
  }

  hasReady(): boolean {
    if (this.outstanding) return false;
    for (const g of this.groups.values()) if (g.hasReady()) return true;
    return false;
  }

  /**
   * One Ready per group that has one. applyBudgetBytes bounds the committed entries handed
   * out across all groups (a learner catching up on a big log must not hold up the
   * heartbeats of every other group for its apply); groups take turns being served first,
   * so the budget does not always go to the same one. Default: no shared bound.
   */
  ready(applyBudgetBytes = Infinity): MultiReady {
    assert(this.outstanding === undefined, 'ready() called again before advance()');
    const groups = new Map<GroupId, Ready>();
    const byPeer = new Map<
      NodeId,
      { heartbeats: CoalescedBeat[]; heartbeatResps: CoalescedBeat[]; messages: { group: GroupId; msg: Message }[] }
    >();
    // Groups from position `start` to the end, then from the beginning: a turn each, without
    // building a list of every group each round.
    const start = this.groups.size > 0 ? this.readyRounds++ % this.groups.size : 0;
    let budget = applyBudgetBytes;
    const serve = (id: GroupId, g: RawNode): void => {
      if (!g.hasReady()) return;
      const rd = budget === Infinity ? g.ready() : g.ready(Math.max(0, budget));
      for (const e of rd.committedEntries) budget -= e.data.length;
      groups.set(id, rd);
      for (const m of rd.messages) {
        let box = byPeer.get(m.to);
        if (!box) {
          box = { heartbeats: [], heartbeatResps: [], messages: [] };
          byPeer.set(m.to, box);
        }
        if (m.type === 'MsgHeartbeat') box.heartbeats.push(toBeat(id, m));
        else if (m.type === 'MsgHeartbeatResp') box.heartbeatResps.push(toBeat(id, m));
        else box.messages.push({ group: id, msg: m });
      }
    };
    let k = 0;
    for (const [id, g] of this.groups) if (k++ >= start) serve(id, g);
    k = 0;
    for (const [id, g] of this.groups) {
      if (k++ >= start) break;
      serve(id, g);
    }
    const envelopes: NodeEnvelope[] = [];
    for (const [to, box] of byPeer) envelopes.push({ from: this.nodeId, to, ...box });
    this.outstanding = { groups, envelopes };
    return this.outstanding;
  }

  advance(rd: MultiReady): void {
    assert(this.outstanding === rd, 'advance() must be given the outstanding MultiReady');
    this.outstanding = undefined;
    for (const [id, r] of rd.groups) this.groups.get(id)?.advance(r);
  }
}

function toBeat(group: GroupId, m: Message): CoalescedBeat {
  return { group, term: m.term, commit: m.commit, context: m.context, tick: m.tick };
}

function expandBeat(type: 'MsgHeartbeat' | 'MsgHeartbeatResp', env: NodeEnvelope, b: CoalescedBeat): Message {
  return message({
    type,
    from: env.from,
    to: env.to,
    term: b.term,
    commit: b.commit,
    context: b.context,
    tick: b.tick,
  });
}
