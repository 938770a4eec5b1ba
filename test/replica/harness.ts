// Helpers for the replica tests: temp dirs, a recording state machine, and a cluster of real
// Raft nodes on 127.0.0.1 (each its own RpcServer, transport, runtime and WAL directory).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Entry, NodeId, Snapshot } from '../../src/raft/index.js';
import type { RaftGroupHost } from '../../src/replica/group-host.js';
import type { RaftGroupOptions } from '../../src/replica/runtime.js';
import { startRaftNode, type RaftNode } from '../../src/replica/standalone.js';
import type { StateMachine } from '../../src/replica/state-machine.js';
import { WalLogStore } from '../../src/replica/wal-log-store.js';

export function tempDir(prefix: string): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), `basalt-${prefix}-`));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const dec = new TextDecoder();

/** Keeps every applied value in order; a value applied twice is recorded as a duplicate. */
export class RecordingStateMachine implements StateMachine {
  values: string[] = [];
  seen = new Set<string>();
  duplicates: string[] = [];
  lastIndex = 0;
  restores = 0;

  appliedIndex(): number {
    return 0;
  }
  apply(entries: readonly Entry[]): number[] {
    const out: number[] = [];
    for (const e of entries) {
      if (e.index <= this.lastIndex) throw new Error(`entry ${e.index} applied after ${this.lastIndex}`);
      this.lastIndex = e.index;
      const v = dec.decode(e.data);
      if (this.seen.has(v)) this.duplicates.push(v);
      this.seen.add(v);
      this.values.push(v);
      out.push(e.index);
    }
    return out;
  }
  snapshot(): Uint8Array {
    return new TextEncoder().encode(JSON.stringify({ values: this.values, lastIndex: this.lastIndex }));
  }
  restore(snap: Snapshot): void {
    const o = JSON.parse(dec.decode(snap.data)) as { values: string[]; lastIndex: number };
    this.values = o.values;
    this.seen = new Set(o.values);
    this.lastIndex = snap.meta.index;
    this.restores++;
  }
}

export interface TestMember {
  readonly id: NodeId;
  readonly dir: string;
  port: number;
  node: RaftNode | undefined;
  group: RaftGroupHost | undefined;
  sm: RecordingStateMachine;
}

/** A cluster of real Raft nodes over loopback TCP, one group (id 1) on each. */
export class TestCluster {
  readonly members = new Map<NodeId, TestMember>();
  private readonly tmp = tempDir('replica');

  constructor(
    private readonly groupOpts: Omit<RaftGroupOptions, 'group' | 'store' | 'stateMachine'> = {},
    /** Each member's state machine (a fresh one per start and restart). */
    private readonly newSm: () => RecordingStateMachine = () => new RecordingStateMachine(),
  ) {}

  async start(ids: readonly NodeId[], voters: readonly NodeId[] = ids): Promise<void> {
    for (const id of ids)
      this.members.set(id, {
        id,
        dir: join(this.tmp.dir, `n${id}`),
        port: 0,
        node: undefined,
        group: undefined,
        sm: this.newSm(),
      });
    for (const id of ids) await this.open(id, voters, false);
    this.wirePeers();
    for (const id of ids) await this.openGroup(id, voters);
  }

  /** Restarts a stopped member on its old port and data directory, with a fresh in-memory state machine. */
  async restart(id: NodeId, voters: readonly NodeId[]): Promise<void> {
    const m = this.members.get(id)!;
    m.sm = this.newSm();
    await this.open(id, voters, true);
    this.wirePeers();
    await this.openGroup(id, voters);
  }

  /** Adds a member that is not yet in the group (it starts with an empty log). */
  async addMember(id: NodeId): Promise<TestMember> {
    this.members.set(id, {
      id,
      dir: join(this.tmp.dir, `n${id}`),
      port: 0,
      node: undefined,
      group: undefined,
      sm: this.newSm(),
    });
    await this.open(id, [], false);
    this.wirePeers();
    const m = this.members.get(id)!;
    const store = WalLogStore.open(m.dir);
    m.group = await m.node!.runtime.addGroup({ ...this.groupOpts, group: 1, store, stateMachine: m.sm });
    return m;
  }

  async stop(id: NodeId): Promise<void> {
    const m = this.members.get(id)!;
    const n = m.node;
    m.node = undefined;
    m.group = undefined;
    await n?.close();
  }

  live(): TestMember[] {
    return [...this.members.values()].filter((m) => m.node !== undefined);
  }

  /** The member every live member agrees leads (waits up to `ms`). */
  async leader(ms = 8000): Promise<TestMember> {
    const end = Date.now() + ms;
    while (Date.now() < end) {
      for (const m of this.live()) {
        const s = m.group!.status();
        if (s.role === 'leader') return m;
      }
      await sleep(20);
    }
    throw new Error(`no leader within ${ms} ms: ${JSON.stringify(this.live().map((m) => m.group!.status()))}`);
  }

  /** Proposes through whoever leads, retrying NOT_LEADER and dropped proposals; bounded by `ms`. */
  async propose(value: string, ms = 10_000): Promise<number> {
    const end = Date.now() + ms;
    let last: unknown;
    while (Date.now() < end) {
      const m = await this.leader(Math.max(1, end - Date.now()));
      try {
        const r = await m.group!.propose(new TextEncoder().encode(value));
        return r.index;
      } catch (e) {
        last = e;
        await sleep(20);
      }
    }
    throw new Error(`proposal '${value}' not acknowledged within ${ms} ms: ${String(last)}`);
  }

  async waitApplied(index: number, ms = 10_000): Promise<void> {
    const end = Date.now() + ms;
    while (Date.now() < end) {
      if (this.live().every((m) => m.group!.status().applied >= index)) return;
      await sleep(20);
    }
    throw new Error(
      `not every member applied ${index} within ${ms} ms: ${JSON.stringify(this.live().map((m) => m.group!.status()))}`,
    );
  }

  async close(): Promise<void> {
    for (const m of this.members.values()) await m.node?.close();
    this.tmp.remove();
  }

  private async open(id: NodeId, _voters: readonly NodeId[], reuse: boolean): Promise<void> {
    const m = this.members.get(id)!;
    m.node = await startRaftNode({ nodeId: id, host: '127.0.0.1', port: reuse ? m.port : 0 });
    m.port = m.node.port;
  }

  private wirePeers(): void {
    for (const a of this.members.values()) {
      if (!a.node) continue;
      for (const b of this.members.values())
        if (b.id !== a.id && b.port) a.node.transport.setPeer(b.id, '127.0.0.1', b.port);
    }
  }

  private async openGroup(id: NodeId, voters: readonly NodeId[]): Promise<void> {
    const m = this.members.get(id)!;
    const store = await WalLogStore.openBootstrapped(m.dir, voters);
    m.group = await m.node!.runtime.addGroup({ ...this.groupOpts, group: 1, store, stateMachine: m.sm });
  }
}
