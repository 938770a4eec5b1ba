// The deterministic cluster simulator (in the manner of TigerBeetle's VOPR): one seed decides
// the fault mix and every event, so a failing seed replays exactly. Safety phase: faults,
// crashes that lose unsynced Ready batches, restarts, slow disks, partitions, membership
// changes, clients with (clientId, seq). Liveness phase: heal everything and require a
// stable leader and full convergence within a bounded number of ticks.
import { assert } from '../../src/common/assert.js';
import { BasaltError } from '../../src/common/errors.js';
import { decodeConfChange } from '../../src/raft/conf-change.js';
import { MemoryLogStore } from '../../src/raft/log-store.js';
import { Prng } from '../../src/raft/prng.js';
import { RawNode } from '../../src/raft/raw-node.js';
import type { Entry, Message, NodeId, Ready } from '../../src/raft/types.js';
import { SimChecker, SimViolation } from './sim-checker.js';
import { SimNetwork } from './sim-network.js';
import { describeOptions, swarmOptions, type SimOptions } from './sim-options.js';
import { SimStateMachine, decodeCommand, encodeCommand } from './sim-state-machine.js';

/** Ticks the healed cluster gets to elect a stable leader and converge. */
export const LIVENESS_BUDGET_STEPS = 600;
/** Upper bound on the whole liveness phase, progress or not. */
export const LIVENESS_MAX_STEPS = 20_000;
const CLIENT_TIMEOUT_STEPS = 80;
const SNAPSHOT_PAD_BYTES = 40;
const READY_LOOP_LIMIT = 16;

interface PendingWrite {
  readonly ready: Ready;
  readonly doneAt: number;
}

class SimNode {
  raw: RawNode | undefined;
  sm = new SimStateMachine();
  pending: PendingWrite | undefined;
  /** Highest term / commit seen in memory while up, and durably. */
  memTerm = 0;
  memCommit = 0;
  durableTerm = 0;
  durableCommit = 0;
  checkedCommit = 0;
  incarnation = 0;
  diskDelayMaxSteps: number;
  readStates: { index: number; context: string }[] = [];
  lastRole = '';

  constructor(
    readonly id: NodeId,
    readonly store: MemoryLogStore,
    diskDelayMaxSteps: number,
  ) {
    this.diskDelayMaxSteps = diskDelayMaxSteps;
  }
}

interface ClientOp {
  readonly seq: number;
  readonly node: NodeId;
  readonly index: number;
  readonly term: number;
  readonly deadline: number;
}
interface ClientRead {
  readonly context: string;
  readonly node: NodeId;
  readonly mustSee: number;
  readonly deadline: number;
  incarnation: number;
}

class SimClient {
  nextSeq = 1;
  op: ClientOp | undefined;
  read: ClientRead | undefined;
  leaderHint: NodeId = 0;
  ackedSeq = 0;
  constructor(readonly id: number) {}
}

export interface SimResult {
  readonly seed: number;
  readonly steps: number;
  readonly acked: number;
  readonly reads: number;
  readonly leaders: number;
  readonly committed: number;
  readonly crashes: number;
  readonly confChanges: number;
  readonly transfers: number;
  readonly livenessSteps: number;
  readonly delivered: number;
}

export interface SimHooks {
  /** Replaces the driver's Ready handling order (used by mutation experiments only). */
  readonly sendBeforePersist?: boolean;
  readonly trace?: (line: string) => void;
  readonly countMessages?: boolean;
}

export class Simulation {
  readonly prng: Prng;
  readonly net: SimNetwork;
  readonly checker = new SimChecker();
  readonly nodes = new Map<NodeId, SimNode>();
  readonly clients: SimClient[] = [];
  now = 0;
  private crashes = 0;
  private confChanges = 0;
  private readsDone = 0;
  private ackedEffectiveMax = 0;
  private readSeq = 0;
  private faultsOn = true;

  constructor(
    readonly opts: SimOptions,
    readonly hooks: SimHooks = {},
  ) {
    this.prng = new Prng(opts.seed);
    this.net = new SimNetwork(new Prng(opts.seed ^ 0x2545f491), opts.lossP, opts.dupP, opts.delayMaxSteps);
    const voters = Array.from({ length: opts.voterCount }, (_, k) => k + 1);
    for (let id = 1; id <= opts.voterCount + opts.spareCount; id++) {
      const store = id <= opts.voterCount ? MemoryLogStore.bootstrap(voters) : new MemoryLogStore();
      const node = new SimNode(id, store, this.prng.int(opts.diskDelayMaxSteps + 1));
      this.nodes.set(id, node);
      this.start(node);
    }
    for (let c = 1; c <= opts.clientCount; c++) this.clients.push(new SimClient(c));
  }

  run(): SimResult {
    for (; this.now < this.opts.steps; this.now++) this.step();
    const livenessSteps = this.liveness();
    this.finalCheck();
    return {
      seed: this.opts.seed,
      steps: this.opts.steps,
      acked: this.clients.reduce((a, c) => a + c.ackedSeq, 0),
      reads: this.readsDone,
      leaders: this.checker.leaders(),
      committed: this.checker.committedCount(),
      crashes: this.crashes,
      confChanges: this.confChanges,
      transfers: this.transfers,
      livenessSteps,
      delivered: this.net.delivered,
    };
  }

  private trace(line: string): void {
    this.hooks.trace?.(`[${this.now}] ${line}`);
  }

  // ------------------------------------------------------------------ one step

  private step(): void {
    if (this.faultsOn) this.injectFaults();
    for (const m of this.net.take(this.now)) this.deliver(m);
    for (const node of this.nodes.values()) {
      if (!node.raw) continue;
      node.raw.tick();
      this.observe(node);
    }
    for (const node of this.nodes.values()) this.handleReady(node);
    for (const c of this.clients) this.driveClient(c);
  }

  private deliver(m: Message): void {
    const node = this.nodes.get(m.to);
    if (!node?.raw) return;
    try {
      node.raw.step(m);
    } catch (e) {
      if (!(e instanceof BasaltError)) throw e;
    }
    this.observe(node);
  }

  // ------------------------------------------------------------------ faults

  private injectFaults(): void {
    const o = this.opts;
    const p = this.prng;
    const ids = [...this.nodes.keys()];
    if (o.partitionP > 0 && p.chance(o.partitionP)) {
      const shuffled = ids.slice().sort(() => p.int(3) - 1);
      const cut = 1 + p.int(Math.max(1, ids.length - 1));
      const oneWay = p.chance(0.3);
      this.net.partition(shuffled.slice(0, cut), shuffled.slice(cut), oneWay);
      this.trace(
        `partition ${shuffled.slice(0, cut).join(',')} ${oneWay ? '->' : '|'} ${shuffled.slice(cut).join(',')}`,
      );
    }
    if (this.net.cutCount() > 0 && p.chance(o.healP)) {
      this.net.healAll();
      this.trace('heal');
    }
    if (o.crashP > 0 && p.chance(o.crashP)) {
      const node = this.nodes.get(p.pick(ids))!;
      if (node.raw) this.crash(node);
    }
    if (o.crashLeaderP > 0 && p.chance(o.crashLeaderP)) {
      const leader = this.currentLeader();
      if (leader) this.crash(leader);
    }
    for (const node of this.nodes.values()) {
      if (!node.raw && p.chance(o.restartP)) this.start(node);
    }
    if (o.confChangeP > 0 && p.chance(o.confChangeP)) this.proposeConfChange();
    if (o.transferP > 0 && p.chance(o.transferP)) this.transferLeader();
  }

  private crash(node: SimNode): void {
    this.crashes++;
    this.trace(`crash ${node.id}${node.pending ? ' (losing an unsynced Ready)' : ''}`);
    node.raw = undefined;
    node.pending = undefined;
    node.readStates = [];
  }

  private start(node: SimNode): void {
    const snap = node.store.snapshot();
    node.sm = SimStateMachine.deserialize(snap.data);
    assert(node.sm.appliedIndex === snap.meta.index || snap.data.length === 0, 'snapshot data matches its index');
    node.incarnation++;
    const o = this.opts;
    node.raw = new RawNode(
      {
        id: node.id,
        prng: new Prng(this.opts.seed * 31 + node.id * 1009 + node.incarnation),
        electionTicks: o.electionTicks,
        heartbeatTicks: o.heartbeatTicks,
        preVote: o.preVote,
        checkQuorum: o.checkQuorum,
        readOnly: o.readOnly,
        maxInflightAppends: o.maxInflightAppends,
        maxAppendBytes: o.maxAppendBytes,
        maxInflightBytes: Math.max(o.maxAppendBytes, 4096),
        snapshotChunkBytes: o.snapshotChunkBytes,
        applied: snap.meta.index,
      },
      node.store,
    );
    const hs = node.store.initialState().hardState;
    node.memTerm = hs.term;
    node.memCommit = hs.commit;
    // Re-check the committed prefix of the durable log against what others committed.
    node.checkedCommit = snap.meta.index;
    node.lastRole = '';
    this.observe(node);
    if (node.incarnation > 1)
      this.trace(`restart ${node.id} term=${hs.term} commit=${hs.commit} snap=${snap.meta.index}`);
  }

  private proposeConfChange(): void {
    const leader = this.currentLeader();
    if (!leader) return;
    const r = leader.raw!.raft;
    const conf = r.confState();
    const p = this.prng;
    const spares = [...this.nodes.keys()].filter(
      (id) => !conf.voters.includes(id) && !conf.learners.includes(id) && !this.removed.has(id),
    );
    const choice = p.int(3);
    try {
      if (choice === 0 && spares.length > 0) {
        leader.raw!.proposeConfChange({ type: 'addLearner', node: p.pick(spares) });
      } else if (choice === 1 && conf.learners.length > 0) {
        leader.raw!.proposeConfChange({ type: 'addVoter', node: p.pick(conf.learners) });
      } else if (choice === 2 && conf.voters.length > 3) {
        const victim = p.pick(conf.voters);
        leader.raw!.proposeConfChange({ type: 'remove', node: victim });
      } else {
        return;
      }
      this.confChanges++;
      this.trace(
        `conf change proposed at ${leader.id}: ${JSON.stringify(r.log.unstableEntries().at(-1)?.index)} -> ${JSON.stringify(r.confState())}`,
      );
    } catch (e) {
      if (!(e instanceof BasaltError)) throw e;
    }
  }

  private transferLeader(): void {
    const leader = this.currentLeader();
    if (!leader) return;
    const voters = leader.raw!.raft.confState().voters.filter((v) => v !== leader.id);
    if (voters.length === 0) return;
    const to = this.prng.pick(voters);
    this.trace(`transfer leadership ${leader.id} -> ${to}`);
    leader.raw!.transferLeader(to);
    this.transfers++;
  }

  private transfers = 0;
  readonly messageCounts = new Map<string, number>();

  /** Nodes whose removal was applied somewhere; they are not re-added (ids are never reused). */
  private readonly removed = new Set<NodeId>();

  private currentLeader(): SimNode | undefined {
    let best: SimNode | undefined;
    for (const n of this.nodes.values()) {
      if (n.raw && n.raw.raft.role === 'leader' && (!best || n.raw.raft.term > best.raw!.raft.term)) best = n;
    }
    return best;
  }

  // ------------------------------------------------------------------ invariants after each input

  private observe(node: SimNode): void {
    const r = node.raw!.raft;
    if (r.term < node.memTerm)
      throw new SimViolation(`node ${node.id}: term went backwards ${node.memTerm} → ${r.term}`);
    node.memTerm = r.term;
    if (r.log.committed < node.memCommit)
      throw new SimViolation(`node ${node.id}: commit went backwards ${node.memCommit} → ${r.log.committed}`);
    node.memCommit = r.log.committed;
    if (r.log.committed > node.checkedCommit) {
      const lo = Math.max(node.checkedCommit + 1, r.log.firstIndex());
      if (lo <= r.log.committed) {
        const ents = r.log.slice(lo, r.log.committed + 1, Number.MAX_SAFE_INTEGER) ?? [];
        for (const e of ents) this.checker.entryCommitted(node.id, r.term, e);
      }
      node.checkedCommit = r.log.committed;
    }
    if (node.sm.appliedIndex > r.log.committed) {
      throw new SimViolation(`node ${node.id}: applied ${node.sm.appliedIndex} > committed ${r.log.committed}`);
    }
    if (this.hooks.trace && r.role !== node.lastRole) {
      node.lastRole = r.role;
      this.trace(
        `node ${node.id} is ${r.role} term=${r.term} last=${r.log.lastIndex()}@${r.log.lastTerm()} commit=${r.log.committed} conf=${JSON.stringify(r.confState())}`,
      );
    }
    if (r.role === 'leader') {
      const isNew = this.checker.leaderElected(
        node.id,
        r.term,
        (i) => r.log.term(i),
        r.log.firstIndex(),
        r.log.lastIndex(),
      );
      if (isNew) this.trace(`leader ${node.id} term=${r.term} last=${r.log.lastIndex()} commit=${r.log.committed}`);
    }
  }

  // ------------------------------------------------------------------ Ready handling (the driver)

  private handleReady(node: SimNode): void {
    for (let loop = 0; loop < READY_LOOP_LIMIT && node.raw; loop++) {
      if (node.pending) {
        if (node.pending.doneAt > this.now) return;
        const rd = node.pending.ready;
        node.pending = undefined;
        this.completeReady(node, rd);
        continue;
      }
      if (!node.raw.hasReady()) return;
      const rd = node.raw.ready();
      if (this.hooks.sendBeforePersist) this.sendMessages(rd);
      const delay = this.prng.int(node.diskDelayMaxSteps + 1);
      node.pending = { ready: rd, doneAt: this.now + delay };
    }
  }

  /** The fsync finished: the Ready is durable; now send, apply and advance. */
  private completeReady(node: SimNode, rd: Ready): void {
    const store = node.store;
    if (rd.snapshot) store.applySnapshot(rd.snapshot);
    if (rd.entries.length > 0) {
      store.append(rd.entries);
      for (const e of rd.entries) this.checker.entryPersisted(node.id, e, store.term(e.index - 1));
    }
    if (rd.hardState) {
      const hs = rd.hardState;
      if (hs.term < node.durableTerm)
        throw new SimViolation(`node ${node.id}: durable term went backwards ${node.durableTerm} → ${hs.term}`);
      if (hs.commit < node.durableCommit)
        throw new SimViolation(`node ${node.id}: durable commit went backwards ${node.durableCommit} → ${hs.commit}`);
      if (hs.commit > store.lastIndex())
        throw new SimViolation(`node ${node.id}: durable commit ${hs.commit} beyond durable log ${store.lastIndex()}`);
      node.durableTerm = hs.term;
      node.durableCommit = hs.commit;
      store.setHardState(hs);
    }
    if (!this.hooks.sendBeforePersist) this.sendMessages(rd);
    if (rd.snapshot) {
      node.sm = SimStateMachine.deserialize(rd.snapshot.data);
      assert(node.sm.appliedIndex === rd.snapshot.meta.index, 'installed snapshot matches its index');
    }
    for (const e of rd.committedEntries) this.applyEntry(node, e);
    node.raw!.advance(rd);
    for (const rs of rd.readStates) node.readStates.push(rs);
    this.maybeSnapshot(node);
    this.observe(node);
  }

  private sendMessages(rd: Ready): void {
    for (const m of rd.messages) {
      if (this.hooks.countMessages) this.messageCounts.set(m.type, (this.messageCounts.get(m.type) ?? 0) + 1);
      this.net.send(this.now, m);
    }
  }

  private applyEntry(node: SimNode, e: Entry): void {
    if (e.index <= node.sm.appliedIndex) return;
    assert(e.index === node.sm.appliedIndex + 1, `node ${node.id}: apply gap ${node.sm.appliedIndex} → ${e.index}`);
    this.checker.entryApplied(node.id, e);
    if (e.type === 'conf') {
      node.sm.skip(e.index);
      const cc = decodeConfChange(e.data);
      if (cc.type === 'remove') this.removed.add(cc.node);
      this.trace(`node ${node.id} applies conf ${cc.type} ${cc.node} at ${e.index}`);
      return;
    }
    if (e.data.length === 0) {
      node.sm.skip(e.index);
      return;
    }
    const { clientId, seq } = decodeCommand(e.data);
    const position = node.sm.applyCommand(e.index, clientId, seq);
    const key = clientId * 4294967296 + seq;
    if (position > 0) this.checker.commandEffective(node.id, position, key);
    const client = this.clients[clientId - 1]!;
    const op = client.op;
    if (op && op.seq === seq && op.node === node.id && op.index === e.index && op.term === e.term) {
      client.ackedSeq = seq;
      client.op = undefined;
      const pos = this.checker.effectivePosition.get(key);
      assert(pos !== undefined, 'an acknowledged command has an effective position');
      this.ackedEffectiveMax = Math.max(this.ackedEffectiveMax, pos);
    }
  }

  private maybeSnapshot(node: SimNode): void {
    const store = node.store;
    const applied = node.sm.appliedIndex;
    if (applied - store.snapshot().meta.index < this.opts.snapshotEvery) return;
    store.createSnapshot(applied, node.raw!.raft.confState(), node.sm.serialize(SNAPSHOT_PAD_BYTES));
    store.compact(Math.max(store.firstIndex() - 1, applied - this.opts.compactKeep));
  }

  // ------------------------------------------------------------------ clients

  private driveClient(c: SimClient): void {
    this.driveRead(c);
    if (c.op) {
      if (this.now < c.op.deadline) return;
      this.trace(`client ${c.id} seq ${c.op.seq} timed out at node ${c.op.node}; retrying`);
      c.leaderHint = 0;
      c.op = undefined;
      c.nextSeq--;
    }
    // The liveness phase measures convergence, so clients stop issuing new writes.
    if (!this.faultsOn || !this.prng.chance(this.opts.proposeP)) return;
    const target = this.pickTarget(c);
    const node = this.nodes.get(target);
    if (!node?.raw) return;
    const seq = c.nextSeq;
    try {
      const { index, term } = node.raw.propose(encodeCommand(c.id, seq));
      c.op = { seq, node: target, index, term, deadline: this.now + CLIENT_TIMEOUT_STEPS };
      c.nextSeq++;
      c.leaderHint = target;
    } catch (e) {
      if (!(e instanceof BasaltError)) throw e;
      const hint = e.data?.['leader'];
      c.leaderHint = typeof hint === 'number' ? hint : 0;
    }
  }

  private pickTarget(c: SimClient): NodeId {
    if (c.leaderHint !== 0 && this.prng.chance(0.9)) return c.leaderHint;
    return this.prng.pick([...this.nodes.keys()]);
  }

  /** Reads check linearizability cheaply: a read sees every write acknowledged before it began. */
  private driveRead(c: SimClient): void {
    const rd = c.read;
    if (rd) {
      const node = this.nodes.get(rd.node)!;
      if (!node.raw || node.incarnation !== rd.incarnation || this.now >= rd.deadline) {
        c.read = undefined;
        return;
      }
      const at = node.readStates.findIndex((s) => s.context === rd.context);
      if (at < 0) return;
      const rs = node.readStates[at]!;
      if (node.sm.appliedIndex < rs.index) return;
      node.readStates.splice(at, 1);
      if (node.sm.effectiveCount < rd.mustSee) {
        throw new SimViolation(
          `stale read at node ${node.id}: saw ${node.sm.effectiveCount} commands, ${rd.mustSee} were acknowledged before the read`,
        );
      }
      this.readsDone++;
      c.read = undefined;
      return;
    }
    if (this.opts.readP === 0 || !this.prng.chance(this.opts.readP)) return;
    const target = this.pickTarget(c);
    const node = this.nodes.get(target);
    if (!node?.raw) return;
    const context = `r${++this.readSeq}`;
    try {
      node.raw.readIndex(context);
      c.read = {
        context,
        node: target,
        mustSee: this.ackedEffectiveMax,
        deadline: this.now + CLIENT_TIMEOUT_STEPS,
        incarnation: node.incarnation,
      };
    } catch (e) {
      if (!(e instanceof BasaltError)) throw e;
    }
  }

  // ------------------------------------------------------------------ liveness

  /** Heals the network, restarts nodes and requires convergence; returns the steps it took. */
  private liveness(): number {
    this.faultsOn = false;
    this.net.healAll();
    this.net.lossP = 0;
    this.net.dupP = 0;
    for (const node of this.nodes.values()) {
      node.diskDelayMaxSteps = Math.min(node.diskDelayMaxSteps, 1);
      // A removed replica is shut down by its host (the mnode drops the vnode); left running
      // without PreVote/CheckQuorum it would keep disrupting elections, as the thesis notes.
      if (this.removed.has(node.id)) {
        if (node.raw) this.crash(node);
        continue;
      }
      if (!node.raw) this.start(node);
    }
    this.trace('liveness phase: healed, all nodes up');
    const start = this.now;
    let finalOp: { node: NodeId; index: number; term: number } | undefined;
    // As in the VOPR, the budget restarts whenever the slowest member makes progress, so a
    // long catch-up is allowed but a stall (livelock, lost retransmission) is not.
    let deadline = start + LIVENESS_BUDGET_STEPS;
    let slowest = -1;
    for (; this.now < deadline && this.now < start + LIVENESS_MAX_STEPS; this.now++) {
      this.step();
      const leader = this.stableLeader();
      if (!leader) continue;
      const minApplied = Math.min(...this.members(leader).map((id) => this.nodes.get(id)!.sm.appliedIndex));
      if (minApplied > slowest) {
        slowest = minApplied;
        deadline = this.now + LIVENESS_BUDGET_STEPS;
      }
      if (!finalOp || finalOp.node !== leader.id || finalOp.term !== leader.raw!.raft.term) {
        try {
          const { index, term } = leader.raw!.propose(new Uint8Array(0));
          finalOp = { node: leader.id, index, term };
        } catch (e) {
          if (!(e instanceof BasaltError)) throw e;
        }
        continue;
      }
      if (this.converged(leader, finalOp.index)) return this.now - start;
    }
    const s = [...this.nodes.values()]
      .map((n) => (n.raw ? JSON.stringify(n.raw.status()) : `${n.id}: down`))
      .join('\n  ');
    throw new SimViolation(
      `liveness: no stable leader and convergence (no progress for ${LIVENESS_BUDGET_STEPS} ticks) after healing\n  ${s}`,
    );
  }

  private members(leader: SimNode): NodeId[] {
    const conf = leader.raw!.raft.confState();
    return [...conf.voters, ...conf.learners];
  }

  private stableLeader(): SimNode | undefined {
    const leader = this.currentLeader();
    if (!leader) return undefined;
    const term = leader.raw!.raft.term;
    for (const id of this.members(leader)) {
      // A member that is down (a removed replica whose removal the leader has not applied
      // yet) means the cluster has not settled.
      const raw = this.nodes.get(id)!.raw;
      if (!raw || raw.raft.term !== term || raw.raft.lead !== leader.id) return undefined;
    }
    return leader;
  }

  private converged(leader: SimNode, index: number): boolean {
    const lr = leader.raw!.raft;
    if (lr.log.committed < index) return false;
    for (const id of this.members(leader)) {
      const n = this.nodes.get(id)!;
      if (n.sm.appliedIndex < lr.log.committed || n.raw!.raft.log.lastIndex() !== lr.log.lastIndex()) return false;
    }
    return true;
  }

  private finalCheck(): void {
    const leader = this.stableLeader();
    assert(leader !== undefined, 'final check runs on a converged cluster');
    const ref = leader.sm;
    for (const id of this.members(leader)) {
      const sm = this.nodes.get(id)!.sm;
      if (sm.hash !== ref.hash || sm.effectiveCount !== ref.effectiveCount) {
        throw new SimViolation(
          `convergence: node ${id} state (${sm.effectiveCount}, ${sm.hash}) ≠ leader's (${ref.effectiveCount}, ${ref.hash})`,
        );
      }
    }
    for (const c of this.clients) {
      const applied = ref.lastSeq.get(c.id) ?? 0;
      if (applied < c.ackedSeq)
        throw new SimViolation(`durability: client ${c.id} seq ${c.ackedSeq} acknowledged but state has ${applied}`);
    }
  }
}

export function replayCommand(seed: number, steps: number): string {
  return `SEED=${seed} STEPS=${steps} node dist/test/sim/replay.js`;
}

/** Runs one seed; on a violation, rethrows with the options and the replay command. */
export function runSeed(seed: number, steps: number, hooks: SimHooks = {}): SimResult {
  const opts = swarmOptions(seed, steps);
  const sim = new Simulation(opts, hooks);
  try {
    return sim.run();
  } catch (e) {
    const msg = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    const err = new SimViolation(
      `seed ${seed} failed at step ${sim.now}: ${msg}\n  options: ${describeOptions(opts)}\n  replay: ${replayCommand(seed, steps)}`,
    );
    err.stack = `${err.message}\n${e instanceof Error ? (e.stack ?? '') : ''}`;
    throw err;
  }
}
