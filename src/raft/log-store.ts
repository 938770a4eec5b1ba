// The durable side of the Raft log. The core only reads it; the driver writes it while
// handling a Ready (append, setHardState, applySnapshot) and after taking a snapshot
// (createSnapshot, compact). MemoryLogStore serves tests and the simulator; the storage
// engine's WAL implements the same interface (entries carry type in their payload there).
import { BasaltError } from '../common/errors.js';
import { assert } from '../common/assert.js';
import type { ConfState, Entry, HardState, Snapshot } from './types.js';
import { entryBytes } from './types.js';
import { encodeConfChange } from './conf-change.js';

export interface LogStore {
  /**
   * Hard state as of the last durable write and the membership as of the snapshot (for a
   * new group, its bootstrap membership). The core replays conf entries up to `applied`.
   */
  initialState(): { hardState: HardState; confState: ConfState };
  /** Index of the first entry still present; entries below it live only in the snapshot. */
  firstIndex(): number;
  /** Index of the last durable entry (the snapshot index when the log is empty). */
  lastIndex(): number;
  /** Term of entry i for i in [firstIndex() − 1, lastIndex()]; undefined outside that range. */
  term(i: number): number | undefined;
  /**
   * Entries [lo, hi), with firstIndex() ≤ lo ≤ hi ≤ lastIndex() + 1. Stops before the total
   * exceeds maxBytes but always returns at least one entry when lo < hi.
   */
  entries(lo: number, hi: number, maxBytes: number): Entry[];
  /** The latest snapshot (index 0 and empty data before the first one). */
  snapshot(): Snapshot;
  /** Appends entries[0..]; entries[0].index ≤ lastIndex() + 1; a conflicting suffix is replaced. */
  append(entries: readonly Entry[]): void;
  setHardState(hs: HardState): void;
  /** Replaces the whole log by a snapshot received from the leader. */
  applySnapshot(snap: Snapshot): void;
  /** Records a snapshot the local state machine took at `index` (≤ applied). */
  createSnapshot(index: number, conf: ConfState, data: Uint8Array): void;
  /** Discards entries ≤ index; index ≤ snapshot().meta.index. */
  compact(index: number): void;
}

const EMPTY_CONF: ConfState = { voters: [], learners: [] };

/** The entries a founding member starts its log with: one addVoter per initial voter, term 1. */
export function bootstrapEntries(voters: readonly number[]): Entry[] {
  const sorted = voters.slice().sort((a, b) => a - b);
  return sorted.map(
    (node, k): Entry => ({ index: k + 1, term: 1, type: 'conf', data: encodeConfChange({ type: 'addVoter', node }) }),
  );
}

export class MemoryLogStore implements LogStore {
  private hardState: HardState = { term: 0, vote: 0, commit: 0 };
  private snap: Snapshot = { meta: { index: 0, term: 0, conf: EMPTY_CONF }, data: new Uint8Array(0) };
  /** Index and term of the entry just before ents[0]. */
  private offsetIndex = 0;
  private offsetTerm = 0;
  private ents: Entry[] = [];
  /**
   * A store for a founding member: the initial voters are written as committed conf entries
   * 1..n of term 1 (as etcd bootstraps), so that a replica joining later learns the full
   * membership history by replicating the log. Every founding member must use the same list.
   */
  static bootstrap(voters: readonly number[]): MemoryLogStore {
    const store = new MemoryLogStore();
    store.append(bootstrapEntries(voters));
    store.setHardState({ term: 1, vote: 0, commit: voters.length });
    return store;
  }

  initialState(): { hardState: HardState; confState: ConfState } {
    return { hardState: this.hardState, confState: this.snap.meta.conf };
  }

  firstIndex(): number {
    return this.offsetIndex + 1;
  }

  lastIndex(): number {
    return this.offsetIndex + this.ents.length;
  }

  term(i: number): number | undefined {
    if (i === this.offsetIndex) return this.offsetTerm;
    if (i < this.offsetIndex || i > this.lastIndex()) return undefined;
    return this.ents[i - this.offsetIndex - 1]!.term;
  }

  entries(lo: number, hi: number, maxBytes: number): Entry[] {
    if (lo <= this.offsetIndex)
      throw new BasaltError('WAL_COMPACTED', `entry ${lo} is compacted (first is ${this.firstIndex()})`);
    assert(hi <= this.lastIndex() + 1, `entries hi ${hi} beyond last ${this.lastIndex()}`);
    const out: Entry[] = [];
    let bytes = 0;
    for (let i = lo; i < hi; i++) {
      const e = this.ents[i - this.offsetIndex - 1]!;
      bytes += entryBytes(e);
      if (out.length > 0 && bytes > maxBytes) break;
      out.push(e);
    }
    return out;
  }

  snapshot(): Snapshot {
    return this.snap;
  }

  append(entries: readonly Entry[]): void {
    if (entries.length === 0) return;
    const first = entries[0]!.index;
    assert(first > this.offsetIndex, `append at ${first} at or below the compaction point ${this.offsetIndex}`);
    assert(first <= this.lastIndex() + 1, `append at ${first} leaves a gap after ${this.lastIndex()}`);
    this.ents.length = first - this.offsetIndex - 1;
    for (let k = 0; k < entries.length; k++) {
      assert(entries[k]!.index === first + k, 'appended entries must be contiguous');
      this.ents.push(entries[k]!);
    }
  }

  setHardState(hs: HardState): void {
    this.hardState = hs;
  }

  applySnapshot(snap: Snapshot): void {
    assert(snap.meta.index >= this.snap.meta.index, 'applySnapshot must not move backwards');
    this.snap = snap;
    this.offsetIndex = snap.meta.index;
    this.offsetTerm = snap.meta.term;
    this.ents = [];
  }

  createSnapshot(index: number, conf: ConfState, data: Uint8Array): void {
    if (index <= this.snap.meta.index) return;
    const term = this.term(index);
    assert(term !== undefined, `createSnapshot at ${index} outside the log`);
    this.snap = { meta: { index, term, conf }, data };
  }

  compact(index: number): void {
    if (index <= this.offsetIndex) return;
    assert(index <= this.snap.meta.index, `compact ${index} beyond snapshot ${this.snap.meta.index}`);
    assert(index <= this.lastIndex(), `compact ${index} beyond last ${this.lastIndex()}`);
    const term = this.term(index)!;
    this.ents = this.ents.slice(index - this.offsetIndex);
    this.offsetIndex = index;
    this.offsetTerm = term;
  }
}
