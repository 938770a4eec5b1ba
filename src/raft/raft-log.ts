// The core's view of the log: the durable LogStore plus entries (and at most one snapshot)
// not yet handed to the driver for persistence ("unstable"), and the commit/applied marks.
import { assert } from '../common/assert.js';
import type { LogStore } from './log-store.js';
import type { Entry, Snapshot } from './types.js';
import { entryBytes } from './types.js';

export class RaftLog {
  /** Entries from index `unstableOffset` on that the driver has not yet persisted. */
  private unstable: Entry[] = [];
  private unstableOffset: number;
  /** A snapshot received from the leader, not yet persisted. */
  unstableSnapshot: Snapshot | undefined;
  committed: number;
  /** Highest index handed to the driver in committedEntries and acknowledged by advance(). */
  applied: number;

  constructor(
    readonly store: LogStore,
    applied: number,
  ) {
    this.unstableOffset = store.lastIndex() + 1;
    this.committed = store.initialState().hardState.commit;
    const first = store.firstIndex() - 1;
    this.applied = Math.max(applied, first);
    if (this.committed < first) this.committed = first;
    assert(this.applied <= this.committed, `applied ${this.applied} > committed ${this.committed}`);
  }

  firstIndex(): number {
    if (this.unstableSnapshot) return this.unstableSnapshot.meta.index + 1;
    return this.store.firstIndex();
  }

  lastIndex(): number {
    if (this.unstable.length > 0) return this.unstableOffset + this.unstable.length - 1;
    if (this.unstableSnapshot) return this.unstableSnapshot.meta.index;
    return this.store.lastIndex();
  }

  /** Last index that is durable (the store), used for the leader's own match. */
  stableLastIndex(): number {
    if (this.unstableSnapshot) return this.unstableSnapshot.meta.index;
    return Math.min(this.store.lastIndex(), this.unstableOffset - 1);
  }

  term(i: number): number | undefined {
    if (i >= this.unstableOffset && i < this.unstableOffset + this.unstable.length) {
      return this.unstable[i - this.unstableOffset]!.term;
    }
    if (this.unstableSnapshot) {
      return i === this.unstableSnapshot.meta.index ? this.unstableSnapshot.meta.term : undefined;
    }
    if (i >= this.unstableOffset) return undefined;
    return this.store.term(i);
  }

  lastTerm(): number {
    const t = this.term(this.lastIndex());
    assert(t !== undefined, 'term of last index must be known');
    return t;
  }

  matchTerm(i: number, term: number): boolean {
    return this.term(i) === term;
  }

  /** §5.4.1: the candidate's log is at least as up to date as ours. */
  isUpToDate(lastIndex: number, lastTerm: number): boolean {
    const myTerm = this.lastTerm();
    return lastTerm > myTerm || (lastTerm === myTerm && lastIndex >= this.lastIndex());
  }

  /** Entries [lo, hi) within maxBytes (at least one), or undefined when lo is compacted. */
  slice(lo: number, hi: number, maxBytes: number): Entry[] | undefined {
    if (lo < this.firstIndex()) return undefined;
    assert(hi <= this.lastIndex() + 1, `slice hi ${hi} beyond last ${this.lastIndex()}`);
    if (lo >= hi) return [];
    const out: Entry[] = [];
    let bytes = 0;
    if (lo < this.unstableOffset) {
      const stored = this.store.entries(lo, Math.min(hi, this.unstableOffset), maxBytes);
      for (const e of stored) {
        out.push(e);
        bytes += entryBytes(e);
      }
      if (out.length < Math.min(hi, this.unstableOffset) - lo) return out;
    }
    for (let i = Math.max(lo, this.unstableOffset); i < hi; i++) {
      const e = this.unstable[i - this.unstableOffset]!;
      bytes += entryBytes(e);
      if (out.length > 0 && bytes > maxBytes) break;
      out.push(e);
    }
    return out;
  }

  /** Index of the first entry in ents that is absent or conflicts with our log, or 0. */
  findConflict(ents: readonly Entry[]): number {
    for (const e of ents) {
      if (!this.matchTerm(e.index, e.term)) return e.index;
    }
    return 0;
  }

  /** Largest index ≤ index whose term ≤ term (the fast back-off hint). */
  findConflictByTerm(index: number, term: number): number {
    let i = Math.min(index, this.lastIndex());
    const floor = this.firstIndex() - 1;
    for (; i > floor; i--) {
      const t = this.term(i);
      if (t === undefined || t <= term) return i;
    }
    return floor;
  }

  /**
   * Appends leader entries after (prevIndex, prevTerm) if they match; returns the last new
   * index, or undefined on mismatch. Never truncates committed entries (asserted).
   */
  maybeAppend(prevIndex: number, prevTerm: number, commit: number, ents: readonly Entry[]): number | undefined {
    if (!this.matchTerm(prevIndex, prevTerm)) return undefined;
    const lastNew = prevIndex + ents.length;
    const ci = this.findConflict(ents);
    if (ci !== 0) {
      assert(ci > this.committed, `conflict at ${ci} would truncate committed ${this.committed}`);
      this.append(ents.slice(ci - prevIndex - 1));
    }
    this.commitTo(Math.min(commit, lastNew));
    return lastNew;
  }

  /** Appends to the unstable tail, replacing any suffix from ents[0].index on. */
  append(ents: readonly Entry[]): void {
    if (ents.length === 0) return;
    const after = ents[0]!.index;
    assert(after > this.committed, `append at ${after} at or below committed ${this.committed}`);
    assert(after <= this.lastIndex() + 1, `append at ${after} leaves a gap after ${this.lastIndex()}`);
    // Log terms never decrease (a leader appends at its current term, a follower copies a
    // leader's log): checked against the entry the new ones follow, then along them.
    const prevTerm = this.term(after - 1);
    assert(
      prevTerm === undefined || prevTerm <= ents[0]!.term,
      `append at ${after}: term ${ents[0]!.term} after term ${prevTerm}`,
    );
    let k = 1;
    while (k < ents.length && ents[k]!.index === after + k && ents[k]!.term >= ents[k - 1]!.term) k++;
    assert(k === ents.length, `append at ${after}: entry ${k} is out of index order or its term decreases`);
    if (after === this.unstableOffset + this.unstable.length) {
      for (const e of ents) this.unstable.push(e);
    } else if (after <= this.unstableOffset) {
      // Replacing entries already in the store: the new tail starts here; the driver's
      // store.append() truncates its conflicting suffix.
      this.unstableOffset = after;
      this.unstable = ents.slice();
    } else {
      this.unstable = this.unstable.slice(0, after - this.unstableOffset);
      for (const e of ents) this.unstable.push(e);
    }
    // A replaced suffix starts above the commit index, so committed entries are all still here.
    assert(
      this.committed <= this.lastIndex(),
      `append left last index ${this.lastIndex()} below committed ${this.committed}`,
    );
  }

  commitTo(index: number): void {
    if (index <= this.committed) return;
    assert(index <= this.lastIndex(), `commit ${index} beyond last index ${this.lastIndex()}`);
    this.committed = index;
  }

  unstableEntries(): readonly Entry[] {
    return this.unstable;
  }

  /** The driver persisted entries up to (index, term): drop them from the unstable tail. */
  stableTo(index: number, term: number): void {
    if (index < this.unstableOffset) return;
    const t = this.term(index);
    // A newer leader may have replaced the entry meanwhile; then it stays unstable.
    if (t !== term || index >= this.unstableOffset + this.unstable.length) return;
    this.unstable = this.unstable.slice(index + 1 - this.unstableOffset);
    this.unstableOffset = index + 1;
  }

  stableSnapTo(index: number): void {
    if (this.unstableSnapshot && this.unstableSnapshot.meta.index === index) this.unstableSnapshot = undefined;
  }

  /** Committed entries not yet applied, within maxBytes (at least one). */
  nextCommitted(maxBytes: number): Entry[] {
    const lo = Math.max(this.applied + 1, this.firstIndex());
    if (this.committed < lo) return [];
    return this.slice(lo, this.committed + 1, maxBytes) ?? [];
  }

  appliedTo(index: number): void {
    assert(index <= this.committed, `applied ${index} beyond committed ${this.committed}`);
    if (index > this.applied) this.applied = index;
  }

  /** Replaces the log by a leader's snapshot (the driver persists it from the next Ready). */
  restore(snap: Snapshot): void {
    assert(snap.meta.index > this.committed, 'restore must move the commit index forward');
    this.unstableSnapshot = snap;
    this.unstable = [];
    this.unstableOffset = snap.meta.index + 1;
    this.committed = snap.meta.index;
  }
}
