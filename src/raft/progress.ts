// The leader's view of one follower: how far it matches, what to send next, and the flow
// control window (MsgApp messages and bytes in flight) that keeps a slow follower from
// making the leader buffer without bound.
import { assert } from '../common/assert.js';

export type ProgressState = 'probe' | 'replicate' | 'snapshot';

/** A bounded FIFO of the last index and byte size of each MsgApp in flight. */
export class Inflights {
  private readonly lastIndexes: number[] = [];
  private readonly sizes: number[] = [];
  private head = 0;
  private bytes = 0;

  constructor(
    private readonly maxMessages: number,
    private readonly maxBytes: number,
  ) {}

  count(): number {
    return this.lastIndexes.length - this.head;
  }

  full(): boolean {
    return this.count() >= this.maxMessages || this.bytes >= this.maxBytes;
  }

  add(lastIndex: number, bytes: number): void {
    assert(!this.full(), 'inflights: add while full');
    const n = this.lastIndexes.length;
    assert(n === this.head || this.lastIndexes[n - 1]! < lastIndex, 'inflights must grow monotonically');
    this.lastIndexes.push(lastIndex);
    this.sizes.push(bytes);
    this.bytes += bytes;
  }

  /** Frees every message whose last index is ≤ index (acknowledged). */
  freeLE(index: number): void {
    while (this.head < this.lastIndexes.length && this.lastIndexes[this.head]! <= index) {
      this.bytes -= this.sizes[this.head]!;
      this.head++;
    }
    this.compactArrays();
  }

  freeFirst(): void {
    if (this.count() === 0) return;
    this.freeLE(this.lastIndexes[this.head]!);
  }

  reset(): void {
    this.lastIndexes.length = 0;
    this.sizes.length = 0;
    this.head = 0;
    this.bytes = 0;
  }

  private compactArrays(): void {
    if (this.head === this.lastIndexes.length) {
      this.reset();
      return;
    }
    if (this.head > 64 && this.head * 2 > this.lastIndexes.length) {
      this.lastIndexes.splice(0, this.head);
      this.sizes.splice(0, this.head);
      this.head = 0;
    }
  }
}

export class Progress {
  match = 0;
  next: number;
  state: ProgressState = 'probe';
  /** Probe state: one MsgApp was sent since the last heartbeat response; wait. */
  probeSent = false;
  /** Snapshot state: index of the snapshot being streamed and the next chunk's byte offset. */
  pendingSnapshot = 0;
  snapOffset = 0;
  snapChunkInFlight = false;
  /** Heard from within the current election timeout (CheckQuorum). */
  recentActive = false;
  /**
   * The leader's tick when it last sent this follower a MsgApp or MsgSnap. A heartbeat
   * response proves a lost send only if its heartbeat left after that send (same connection,
   * in order): older ones are a backlog, e.g. a follower answering every heartbeat it missed
   * while frozen, and each must not release another full-size append.
   */
  lastSendTick = -1;
  readonly inflights: Inflights;

  constructor(
    next: number,
    public isLearner: boolean,
    maxInflightAppends: number,
    maxInflightBytes: number,
  ) {
    assert(next >= 1, 'progress next must be ≥ 1');
    this.next = next;
    this.inflights = new Inflights(maxInflightAppends, maxInflightBytes);
  }

  becomeProbe(): void {
    if (this.state === 'snapshot') {
      this.next = Math.max(this.match + 1, this.pendingSnapshot + 1);
      this.pendingSnapshot = 0;
    } else {
      this.next = this.match + 1;
    }
    this.state = 'probe';
    this.probeSent = false;
    this.inflights.reset();
    this.checkMatchBelowNext();
  }

  becomeReplicate(): void {
    this.state = 'replicate';
    this.next = this.match + 1;
    this.probeSent = false;
    this.inflights.reset();
    this.checkMatchBelowNext();
  }

  becomeSnapshot(snapIndex: number): void {
    this.state = 'snapshot';
    this.pendingSnapshot = snapIndex;
    this.snapOffset = 0;
    this.snapChunkInFlight = false;
    this.probeSent = false;
    this.inflights.reset();
  }

  /** An ack up to index arrived; returns whether match moved. */
  maybeUpdate(index: number): boolean {
    let updated = false;
    if (this.match < index) {
      this.match = index;
      updated = true;
      this.probeSent = false;
    }
    this.next = Math.max(this.next, index + 1);
    this.checkMatchBelowNext();
    return updated;
  }

  /**
   * A rejection of the MsgApp at `rejected`; move next back to `matchHint` + 1. Stale
   * rejections (for messages older than what we already know) are ignored.
   */
  maybeDecrTo(rejected: number, matchHint: number): boolean {
    if (this.state === 'replicate') {
      if (rejected <= this.match) return false;
      this.next = this.match + 1;
      return true;
    }
    if (this.next - 1 !== rejected) return false;
    this.next = Math.max(Math.min(rejected, matchHint + 1), this.match + 1, 1);
    this.probeSent = false;
    this.checkMatchBelowNext();
    return true;
  }

  /** Records a MsgApp carrying entries up to lastIndex (bytes of payload). */
  sentEntries(count: number, lastIndex: number, bytes: number): void {
    if (this.state === 'replicate') {
      if (count > 0) {
        // The MsgApp continued from next - 1, so its last entry lies at or past next.
        assert(lastIndex >= this.next, 'sentEntries: MsgApp ends before next');
        this.next = lastIndex + 1;
        this.inflights.add(lastIndex, bytes);
      }
    } else if (this.state === 'probe') {
      this.probeSent = true;
    } else {
      assert(false, 'sentEntries in snapshot state');
    }
  }

  /** The follower is known to hold [1, match]; next is what to send it, so always above. */
  private checkMatchBelowNext(): void {
    assert(this.match < this.next, 'progress: match must stay below next');
  }

  isPaused(): boolean {
    if (this.state === 'probe') return this.probeSent;
    if (this.state === 'replicate') return this.inflights.full();
    return true;
  }
}
