// The simulated network: per-message loss, duplication and delay (which reorders), plus
// directed link cuts for symmetric and one-way partitions. Deterministic given its PRNG.
import type { Prng } from '../../src/raft/prng.js';
import type { Message, NodeId } from '../../src/raft/types.js';

export class SimNetwork {
  /** Ring of delivery buckets, one per step; a message waits at most delayMaxSteps. */
  private readonly buckets: Message[][];
  private readonly cut = new Set<number>();
  lossP: number;
  dupP: number;
  delivered = 0;
  dropped = 0;

  constructor(
    private readonly prng: Prng,
    lossP: number,
    dupP: number,
    private readonly delayMaxSteps: number,
  ) {
    this.lossP = lossP;
    this.dupP = dupP;
    this.buckets = Array.from({ length: delayMaxSteps + 1 }, () => []);
  }

  send(now: number, m: Message): void {
    if (this.lossP > 0 && this.prng.chance(this.lossP)) {
      this.dropped++;
      return;
    }
    this.enqueue(now, m);
    if (this.dupP > 0 && this.prng.chance(this.dupP)) this.enqueue(now, m);
  }

  private enqueue(now: number, m: Message): void {
    const delay = 1 + this.prng.int(this.delayMaxSteps);
    this.buckets[(now + delay) % this.buckets.length]!.push(m);
  }

  /** Messages due at `now` whose link is not cut (cut links drop them, as a partition does). */
  take(now: number): Message[] {
    const slot = now % this.buckets.length;
    const due = this.buckets[slot]!;
    if (due.length === 0) return due;
    this.buckets[slot] = [];
    const out: Message[] = [];
    for (const m of due) {
      if (this.isCut(m.from, m.to)) this.dropped++;
      else out.push(m);
    }
    this.delivered += out.length;
    return out;
  }

  isCut(from: NodeId, to: NodeId): boolean {
    return this.cut.size > 0 && this.cut.has(from * 1024 + to);
  }

  cutLink(from: NodeId, to: NodeId): void {
    this.cut.add(from * 1024 + to);
  }
  healAll(): void {
    this.cut.clear();
  }
  cutCount(): number {
    return this.cut.size;
  }

  /** Splits nodes into two sides; oneWay cuts only side A → side B. */
  partition(sideA: readonly NodeId[], sideB: readonly NodeId[], oneWay: boolean): void {
    for (const a of sideA) {
      for (const b of sideB) {
        this.cutLink(a, b);
        if (!oneWay) this.cutLink(b, a);
      }
    }
  }
}
