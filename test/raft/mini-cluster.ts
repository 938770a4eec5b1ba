// A tiny synchronous cluster for unit tests: every Ready is persisted at once and messages
// are delivered in FIFO order, optionally filtered.
import { MemoryLogStore } from '../../src/raft/log-store.js';
import { Prng } from '../../src/raft/prng.js';
import { RawNode } from '../../src/raft/raw-node.js';
import type { RaftConfigInput } from '../../src/raft/config.js';
import type { Message, NodeId, Ready } from '../../src/raft/types.js';

export class MiniCluster {
  readonly nodes = new Map<NodeId, RawNode>();
  readonly stores = new Map<NodeId, MemoryLogStore>();
  readonly down = new Set<NodeId>();
  queue: Message[] = [];
  sent: Message[] = [];
  readies: { id: NodeId; ready: Ready }[] = [];

  constructor(
    readonly ids: NodeId[],
    cfg: Omit<RaftConfigInput, 'id'> = {},
    seed = 1,
  ) {
    for (const id of ids) {
      const store = MemoryLogStore.bootstrap(ids);
      this.stores.set(id, store);
      this.nodes.set(id, new RawNode({ ...cfg, id, prng: new Prng(seed * 1000 + id) }, store));
    }
    this.processReady();
  }

  node(id: NodeId): RawNode {
    return this.nodes.get(id)!;
  }

  processReady(): void {
    for (const [id, raw] of this.nodes) {
      if (this.down.has(id) || !raw.hasReady()) continue;
      const rd = raw.ready();
      this.readies.push({ id, ready: rd });
      const store = this.stores.get(id)!;
      if (rd.snapshot) store.applySnapshot(rd.snapshot);
      store.append(rd.entries);
      if (rd.hardState) store.setHardState(rd.hardState);
      for (const m of rd.messages) {
        this.queue.push(m);
        this.sent.push(m);
      }
      raw.advance(rd);
    }
  }

  deliver(filter: (m: Message) => boolean = () => true): void {
    const batch = this.queue;
    this.queue = [];
    for (const m of batch) {
      const to = this.nodes.get(m.to);
      if (!to || this.down.has(m.to) || this.down.has(m.from) || !filter(m)) continue;
      to.step(m);
    }
  }

  stabilize(filter?: (m: Message) => boolean): void {
    for (let k = 0; k < 500; k++) {
      this.processReady();
      const pending = [...this.nodes].some(([id, raw]) => !this.down.has(id) && raw.hasReady());
      if (this.queue.length === 0 && !pending) return;
      this.deliver(filter);
    }
    throw new Error('did not stabilize');
  }

  tickAll(): void {
    for (const [id, raw] of this.nodes) if (!this.down.has(id)) raw.tick();
  }

  leader(): NodeId | undefined {
    let best: NodeId | undefined;
    let term = -1;
    for (const [id, raw] of this.nodes) {
      if (this.down.has(id)) continue;
      const s = raw.status();
      if (s.role === 'leader' && s.term > term) {
        best = id;
        term = s.term;
      }
    }
    return best;
  }
}
