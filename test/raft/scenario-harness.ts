// Interprets scripted Raft scenarios (in the manner of etcd raft's datadriven testdata): a
// file is a '#' comment header followed by commands ("> cmd args") each followed by the
// exact trace it produces. The harness persists every Ready at once and delivers messages
// in FIFO order, so traces are deterministic.
import { BasaltError } from '../../src/common/errors.js';
import { decodeConfChange } from '../../src/raft/conf-change.js';
import { MemoryLogStore } from '../../src/raft/log-store.js';
import { Prng } from '../../src/raft/prng.js';
import { RawNode } from '../../src/raft/raw-node.js';
import type { Entry, Message, NodeId, Ready } from '../../src/raft/types.js';

interface HarnessNode {
  readonly id: NodeId;
  raw: RawNode | undefined;
  store: MemoryLogStore;
  applied: string[];
  appliedIndex: number;
}

interface NodeSettings {
  preVote: boolean;
  checkQuorum: boolean;
  readOnly: 'safe' | 'lease';
  electionTicks: number;
  maxAppendBytes: number;
  snapshotChunkBytes: number;
}

const MAX_STABILIZE_ROUNDS = 1000;
const decoder = new TextDecoder();
const encoder = new TextEncoder();

export class ScenarioHarness {
  private readonly nodes = new Map<NodeId, HarnessNode>();
  private queue: Message[] = [];
  private readonly cut = new Set<string>();
  /** Frozen nodes (SIGSTOP): they do not tick, and messages to them wait in `held`. */
  private readonly frozen = new Set<NodeId>();
  private held: Message[] = [];
  private settings: NodeSettings = {
    preVote: true,
    checkQuorum: true,
    readOnly: 'safe',
    electionTicks: 10,
    maxAppendBytes: 1 << 20,
    snapshotChunkBytes: 1 << 20,
  };
  private out: string[] = [];
  /** Bootstrap membership entries are not traced. */
  private bootstrapEntries = 0;

  run(command: string): string[] {
    this.out = [];
    const [name, ...args] = command.trim().split(/\s+/);
    const kv = new Map(args.filter((a) => a.includes('=')).map((a) => a.split('=') as [string, string]));
    const ids = args.filter((a) => /^\d+$/.test(a)).map(Number);
    try {
      this.dispatch(name!, args, kv, ids);
    } catch (e) {
      if (!(e instanceof BasaltError)) throw e;
      this.out.push(`error: ${e.errorName}: ${e.message}`);
    }
    return this.out;
  }

  private dispatch(name: string, args: string[], kv: Map<string, string>, ids: number[]): void {
    switch (name) {
      case 'nodes':
        return this.cmdNodes(ids[0]!, kv);
      case 'add-node':
        return this.addNode(ids[0]!, new MemoryLogStore());
      case 'set-log':
        return this.cmdSetLog(ids[0]!, kv);
      case 'campaign':
        this.node(ids[0]!).raw!.campaign();
        return;
      case 'tick':
        return this.cmdTick(ids, Number(kv.get('n') ?? '1'));
      case 'tick-election':
        return this.cmdTick(ids, this.settings.electionTicks * 2);
      case 'propose':
        this.cmdPropose(ids[0]!, args[1] ?? '');
        return;
      case 'read-index':
        this.node(ids[0]!).raw!.readIndex(args[1]!);
        return;
      case 'transfer':
        this.node(ids[0]!).raw!.transferLeader(ids[1]!);
        return;
      case 'conf':
        this.cmdConf(ids[0]!, args[1]!, Number(args[2]));
        return;
      case 'compact':
        return this.cmdCompact(ids[0]!);
      case 'process-ready':
        return this.processReady();
      case 'deliver':
        return this.deliver();
      case 'stabilize':
        return this.stabilize();
      case 'partition':
        return this.cmdPartition(args);
      case 'cut':
        return this.cmdCut(args[0]!);
      case 'heal':
        this.cut.clear();
        return;
      case 'freeze':
        this.frozen.add(ids[0]!);
        return;
      case 'thaw':
        // A thawed process reads everything that waited in its socket at once.
        this.frozen.delete(ids[0]!);
        this.queue = [...this.held.filter((m) => m.to === ids[0]), ...this.queue];
        this.held = this.held.filter((m) => m.to !== ids[0]);
        return;
      case 'crash':
        this.node(ids[0]!).raw = undefined;
        this.queue = this.queue.filter((m) => m.to !== ids[0]);
        return;
      case 'restart':
        this.restart(this.node(ids[0]!));
        this.processReady();
        return;
      case 'status':
        return this.cmdStatus(ids);
      case 'log':
        return this.cmdLog(ids);
      case 'applied':
        return this.cmdApplied(ids);
      default:
        throw new Error(`unknown scenario command '${name}'`);
    }
  }

  private node(id: NodeId): HarnessNode {
    const n = this.nodes.get(id);
    if (!n) throw new Error(`no node ${id}`);
    return n;
  }

  private cmdNodes(count: number, kv: Map<string, string>): void {
    const flag = (k: string, d: boolean): boolean => (kv.has(k) ? kv.get(k) === 'true' : d);
    this.settings = {
      preVote: flag('prevote', true),
      checkQuorum: flag('checkquorum', true),
      readOnly: kv.get('readonly') === 'lease' ? 'lease' : 'safe',
      electionTicks: Number(kv.get('election') ?? '10'),
      maxAppendBytes: Number(kv.get('maxappend') ?? String(1 << 20)),
      snapshotChunkBytes: Number(kv.get('chunk') ?? String(1 << 20)),
    };
    const voters = Array.from({ length: count }, (_, k) => k + 1);
    this.bootstrapEntries = count;
    for (const id of voters) this.addNode(id, MemoryLogStore.bootstrap(voters));
    this.processReady();
  }

  /** Replaces a stopped node's log by entries with the given terms (after the bootstrap entries). */
  private cmdSetLog(id: NodeId, kv: Map<string, string>): void {
    const n = this.node(id);
    const voters = [...this.nodes.keys()]
      .filter((k) => this.nodes.get(k)!.store.lastIndex() > 0 || k === id)
      .sort((a, b) => a - b);
    const store = MemoryLogStore.bootstrap(voters);
    const base = store.lastIndex();
    const terms = (kv.get('terms') ?? '')
      .split(',')
      .filter((t) => t !== '')
      .map(Number);
    store.append(
      terms.map(
        (term, k): Entry => ({
          index: base + k + 1,
          term,
          type: 'normal',
          data: encoder.encode(`e${base + k + 1}t${term}`),
        }),
      ),
    );
    const term = Number(kv.get('term') ?? String(Math.max(1, ...terms)));
    store.setHardState({ term, vote: 0, commit: Number(kv.get('commit') ?? String(base)) });
    n.store = store;
    n.applied = [];
    n.appliedIndex = 0;
    this.restart(n);
    this.processReady();
  }

  private addNode(id: NodeId, store: MemoryLogStore): void {
    const n: HarnessNode = { id, raw: undefined, store, applied: [], appliedIndex: 0 };
    this.nodes.set(id, n);
    this.restart(n);
  }

  private restart(n: HarnessNode): void {
    const s = this.settings;
    const snap = n.store.snapshot();
    n.appliedIndex = snap.meta.index;
    n.raw = new RawNode(
      {
        id: n.id,
        prng: new Prng(n.id),
        electionTicks: s.electionTicks,
        heartbeatTicks: 1,
        preVote: s.preVote,
        checkQuorum: s.checkQuorum,
        readOnly: s.readOnly,
        maxAppendBytes: s.maxAppendBytes,
        maxInflightBytes: Math.max(s.maxAppendBytes, 1 << 20),
        snapshotChunkBytes: s.snapshotChunkBytes,
        applied: snap.meta.index,
      },
      n.store,
    );
  }

  private cmdTick(ids: number[], times: number): void {
    const targets = ids.length > 0 ? ids : [...this.nodes.keys()];
    for (let k = 0; k < times; k++) {
      for (const id of targets) if (!this.frozen.has(id)) this.node(id).raw?.tick();
    }
  }

  private cmdPropose(id: NodeId, text: string): void {
    const r = this.node(id).raw!.propose(encoder.encode(text));
    this.out.push(`proposed ${text} at ${r.index}@${r.term}`);
  }

  private cmdConf(id: NodeId, kind: string, target: NodeId): void {
    const type = kind === 'add-learner' ? 'addLearner' : kind === 'add-voter' ? 'addVoter' : 'remove';
    const r = this.node(id).raw!.proposeConfChange({ type, node: target });
    this.out.push(`proposed ${type} ${target} at ${r.index}@${r.term}`);
  }

  private cmdCompact(id: NodeId): void {
    const n = this.node(id);
    const raw = n.raw!;
    const data = encoder.encode(n.applied.join(','));
    n.store.createSnapshot(n.appliedIndex, raw.raft.confState(), data);
    n.store.compact(n.appliedIndex);
    this.out.push(`${id}: snapshot at ${n.appliedIndex} (${data.length} bytes), log from ${n.store.firstIndex()}`);
  }

  private cmdPartition(args: string[]): void {
    const bar = args.indexOf('|');
    const a = args.slice(0, bar).map(Number);
    const b = args.slice(bar + 1).map(Number);
    for (const x of a)
      for (const y of b) {
        this.cut.add(`${x}->${y}`);
        this.cut.add(`${y}->${x}`);
      }
  }

  private cmdCut(link: string): void {
    this.cut.add(link);
  }

  /** Persists every node's Ready, queues its messages and applies its committed entries. */
  processReady(): void {
    for (const n of [...this.nodes.values()].sort((a, b) => a.id - b.id)) {
      const raw = n.raw;
      if (!raw || !raw.hasReady()) continue;
      const rd = raw.ready();
      this.handleReady(n, rd);
      raw.advance(rd);
    }
  }

  private handleReady(n: HarnessNode, rd: Ready): void {
    if (rd.softState) this.out.push(`${n.id}: becomes ${rd.softState.role} (lead ${rd.softState.lead})`);
    if (rd.snapshot) {
      n.store.applySnapshot(rd.snapshot);
      n.applied = decoder
        .decode(rd.snapshot.data)
        .split(',')
        .filter((x) => x !== '');
      n.appliedIndex = rd.snapshot.meta.index;
      this.out.push(
        `${n.id}: installs snapshot at ${rd.snapshot.meta.index}@${rd.snapshot.meta.term} voters=${rd.snapshot.meta.conf.voters.join(',')} learners=${rd.snapshot.meta.conf.learners.join(',')}`,
      );
    }
    n.store.append(rd.entries);
    if (rd.hardState) n.store.setHardState(rd.hardState);
    for (const m of rd.messages) this.queue.push(m);
    for (const e of rd.committedEntries) {
      n.appliedIndex = e.index;
      if (e.type === 'conf') {
        const cc = decodeConfChange(e.data);
        if (e.index > this.bootstrapEntries) this.out.push(`${n.id}: applies ${cc.type} ${cc.node} at ${e.index}`);
      } else if (e.data.length > 0) {
        n.applied.push(decoder.decode(e.data));
      }
    }
    for (const rs of rd.readStates) this.out.push(`${n.id}: read ${rs.context} ready at index ${rs.index}`);
  }

  /** Delivers the messages queued so far (new ones wait for the next round). */
  deliver(): void {
    const batch = this.queue;
    this.queue = [];
    for (const m of batch) {
      if (this.frozen.has(m.to)) {
        this.out.push(`HELD ${formatMessage(m)}`);
        this.held.push(m);
        continue;
      }
      const to = this.nodes.get(m.to);
      const dropped = this.cut.has(`${m.from}->${m.to}`) || !to?.raw;
      this.out.push(`${dropped ? 'DROP ' : ''}${formatMessage(m)}`);
      if (!dropped) to!.raw!.step(m);
    }
  }

  stabilize(): void {
    for (let round = 0; round < MAX_STABILIZE_ROUNDS; round++) {
      this.processReady();
      if (this.queue.length === 0) return;
      this.deliver();
    }
    throw new Error('stabilize did not settle');
  }

  private cmdStatus(ids: number[]): void {
    const targets = ids.length > 0 ? ids : [...this.nodes.keys()].sort((a, b) => a - b);
    for (const id of targets) {
      const raw = this.node(id).raw;
      if (!raw) {
        this.out.push(`${id}: down`);
        continue;
      }
      const s = raw.status();
      this.out.push(
        `${id}: ${s.role} term=${s.term} lead=${s.lead} commit=${s.commit} applied=${s.applied} last=${s.lastIndex} voters=${s.conf.voters.join(',')}${s.conf.learners.length ? ` learners=${s.conf.learners.join(',')}` : ''}`,
      );
    }
  }

  private cmdLog(ids: number[]): void {
    for (const id of ids) {
      const r = this.node(id).raw!.raft;
      const parts: string[] = [];
      for (let i = r.log.firstIndex(); i <= r.log.lastIndex(); i++) parts.push(`${i}@${r.log.term(i)}`);
      this.out.push(`${id}: ${parts.join(' ')}`);
    }
  }

  private cmdApplied(ids: number[]): void {
    for (const id of ids) this.out.push(`${id}: applied [${this.node(id).applied.join(' ')}]`);
  }
}

export function formatMessage(m: Message): string {
  const parts = [`${m.from}->${m.to} ${m.type} term=${m.term}`];
  switch (m.type) {
    case 'MsgApp':
      parts.push(
        `prev=${m.index}@${m.logTerm} commit=${m.commit} entries=[${m.entries.map((e) => `${e.index}@${e.term}`).join(' ')}]`,
      );
      break;
    case 'MsgAppResp':
      parts.push(m.reject ? `reject index=${m.index} hint=${m.rejectHint}@${m.logTerm}` : `index=${m.index}`);
      break;
    case 'MsgVote':
    case 'MsgPreVote':
      parts.push(`last=${m.index}@${m.logTerm}${m.context ? ` ${m.context}` : ''}`);
      break;
    case 'MsgVoteResp':
    case 'MsgPreVoteResp':
      parts.push(m.reject ? 'reject' : 'grant');
      break;
    case 'MsgHeartbeat':
      parts.push(`commit=${m.commit}${m.context ? ` ctx=${m.context}` : ''}`);
      break;
    case 'MsgHeartbeatResp':
      if (m.context) parts.push(`ctx=${m.context}`);
      break;
    case 'MsgSnap':
      parts.push(
        `snap=${m.snapshot!.index}@${m.snapshot!.term} offset=${m.snapOffset} len=${m.snapData!.length}${m.snapDone ? ' done' : ''}`,
      );
      break;
    case 'MsgSnapResp':
      parts.push(`snap=${m.index} next=${m.snapOffset}${m.reject ? ' reject' : ''}`);
      break;
    case 'MsgReadIndex':
    case 'MsgReadIndexResp':
      parts.push(`ctx=${m.context}${m.type === 'MsgReadIndexResp' ? ` index=${m.index}` : ''}`);
      break;
    default:
      break;
  }
  return parts.join(' ');
}
