// The newest Raft log entries in memory, bounded by bytes: the leader replicates and every
// replica applies from here, so the hot path never reads the WAL back. Entries are
// contiguous; eviction drops the oldest.
import { assert } from '../common/assert.js';
import { entryBytes, type Entry } from '../raft/index.js';

export class EntryCache {
  private ents: Entry[] = [];
  /** Position in `ents` of the first live entry (eviction advances it; compacted lazily). */
  private head = 0;
  private bytes = 0;

  constructor(private readonly maxBytes: number) {
    assert(maxBytes >= 0, 'cache bytes ≥ 0');
  }

  /** Index of the first cached entry (Infinity when empty). */
  firstIndex(): number {
    return this.head < this.ents.length ? this.ents[this.head]!.index : Infinity;
  }

  get(i: number): Entry | undefined {
    if (this.head >= this.ents.length) return undefined;
    const k = i - this.ents[this.head]!.index + this.head;
    return k >= this.head && k < this.ents.length ? this.ents[k] : undefined;
  }

  /** Appends entries that continue the cached ones (or restarts the cache if they do not). */
  append(entries: readonly Entry[]): void {
    if (entries.length === 0) return;
    const last = this.head < this.ents.length ? this.ents[this.ents.length - 1]!.index : undefined;
    if (last !== undefined && entries[0]!.index !== last + 1) this.clear();
    for (const e of entries) {
      this.ents.push(e);
      this.bytes += entryBytes(e);
    }
    while (this.bytes > this.maxBytes && this.head < this.ents.length) {
      this.bytes -= entryBytes(this.ents[this.head]!);
      this.head++;
    }
    this.compactArray();
  }

  /** Drops entries with index ≥ i (a log conflict). */
  truncateFrom(i: number): void {
    while (this.ents.length > this.head && this.ents[this.ents.length - 1]!.index >= i) {
      this.bytes -= entryBytes(this.ents.pop()!);
    }
  }

  /** Drops entries with index ≤ i (compaction). */
  dropThrough(i: number): void {
    while (this.head < this.ents.length && this.ents[this.head]!.index <= i) {
      this.bytes -= entryBytes(this.ents[this.head]!);
      this.head++;
    }
    this.compactArray();
  }

  clear(): void {
    this.ents = [];
    this.head = 0;
    this.bytes = 0;
  }

  private compactArray(): void {
    if (this.head > 1024 && this.head * 2 > this.ents.length) {
      this.ents = this.ents.slice(this.head);
      this.head = 0;
    }
  }
}
