// The Raft LogStore over the storage engine's segmented WAL, plus the two small files Raft
// needs beside it: the hard state (hard-state-file.ts) and the latest snapshot
// (snapshot-file.ts). Layout of `dir`:
//   wal/        entries; the entry type travels as the first byte of each WAL payload
//   hardstate   term, vote, commit (two CRC'd slots)
//   snapshot    the latest snapshot (meta + state machine image)
// Writes (append, setHardState) reach the page cache at once; `sync()` makes them durable
// with one WAL fsync (group commit) and, only when term or vote changed, one hard-state
// fsync. The runtime awaits sync() before it sends the messages of the same Ready.
// Recent entries stay in a byte-bounded memory cache, so replication and apply rarely read
// the disk.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { assert } from '../common/assert.js';
import { BasaltError } from '../common/errors.js';
import { Limits } from '../common/limits.js';
import {
  bootstrapEntries,
  entryBytes,
  type ConfState,
  type Entry,
  type HardState,
  type LogStore,
  type Snapshot,
} from '../raft/index.js';
import { Wal, type WalEntry } from '../storage/wal.js';
import { EntryCache } from './entry-cache.js';
import { HardStateFile } from './hard-state-file.js';
import { adoptSnapshotFile, prepareSnapshotFile, readSnapshotFile, writeSnapshotFile } from './snapshot-file.js';

export interface WalLogStoreOptions {
  /** WAL segment size; a new segment starts beyond it. Default Limits.walSegmentBytes. */
  readonly segmentBytes?: number;
  /** Entry bytes kept in memory. Default Limits.maxRaftLogCacheBytes. */
  readonly maxCachedBytes?: number;
}

/** A LogStore whose writes become durable only through sync(). */
export interface DurableLogStore extends LogStore {
  sync(): Promise<void>;
  close(): Promise<void>;
}

const TYPE_NORMAL = 0;
const TYPE_CONF = 1;

export class WalLogStore implements DurableLogStore {
  private snap: Snapshot;
  /** Index and term of the entry before the first one this store serves. */
  private offsetIndex: number;
  private offsetTerm: number;
  private readonly cache: EntryCache;
  private closed = false;
  /** Newest hard state whose only change is the commit index, not yet written. */
  private pendingCommit: HardState | undefined;
  private commitWrittenAtMs = 0;
  /**
   * When it answers true, sync() leaves the WAL to the page cache (the hard state is still
   * fsynced when term or vote change): a replica-1 database at wal_level 1 promises what the
   * plain storage WAL does at that level, no fsync per write. Set by the vnode that owns it.
   */
  walFsyncOptional: () => boolean = () => false;

  private constructor(
    readonly dir: string,
    private readonly wal: Wal,
    private readonly hs: HardStateFile,
    snap: Snapshot,
    maxCachedBytes: number,
  ) {
    this.snap = snap;
    this.cache = new EntryCache(maxCachedBytes);
    const s = snap.meta.index;
    this.offsetIndex = s;
    this.offsetTerm = snap.meta.term;
    // Recovery after a crash inside applySnapshot (snapshot written, log not yet reset):
    // keep the log only if it holds the snapshot's last entry with the same term; otherwise
    // the entries past the snapshot may be from a diverged history.
    const walLast = wal.lastIndex();
    const walFirst = wal.firstIndex();
    if (s > 0) {
      const matches = s >= walFirst && s <= walLast && wal.term(s) === snap.meta.term;
      const contiguous = walFirst <= s + 1 && walLast >= s;
      if (!contiguous || (s >= walFirst && !matches)) wal.reset(s + 1);
    } else {
      assert(walFirst === 1, `WAL in ${dir} starts at ${walFirst} but there is no snapshot`);
    }
  }

  /** Opens (creating if missing) the store in `dir`. */
  static open(dir: string, opts: WalLogStoreOptions = {}): WalLogStore {
    const wal = Wal.open(path.join(dir, 'wal'), { segmentBytes: opts.segmentBytes ?? Limits.walSegmentBytes });
    const hs = HardStateFile.open(path.join(dir, 'hardstate'));
    const snap = readSnapshotFile(path.join(dir, 'snapshot'));
    // A snapshot being written off the Raft loop when the process stopped: never adopted.
    fs.rmSync(path.join(dir, 'snapshot.building'), { force: true });
    return new WalLogStore(dir, wal, hs, snap, opts.maxCachedBytes ?? Limits.maxRaftLogCacheBytes);
  }

  /**
   * Opens the store of a founding member: a new store gets the initial voters as committed
   * conf entries 1..n of term 1 (as MemoryLogStore.bootstrap). Every founder must pass the
   * same list; an existing store is opened as is.
   */
  static async openBootstrapped(
    dir: string,
    voters: readonly number[],
    opts: WalLogStoreOptions = {},
  ): Promise<WalLogStore> {
    const st = WalLogStore.open(dir, opts);
    if (st.isEmpty()) {
      st.append(bootstrapEntries(voters));
      st.setHardState({ term: 1, vote: 0, commit: voters.length });
      await st.sync();
    }
    return st;
  }

  /** True for a store that never held an entry, a vote or a snapshot. */
  isEmpty(): boolean {
    const h = this.hs.get();
    return this.wal.lastIndex() === 0 && this.snap.meta.index === 0 && h.term === 0;
  }

  initialState(): { hardState: HardState; confState: ConfState } {
    const h = this.pendingCommit ?? this.hs.get();
    // The hard state is written before the WAL fsync completes, so after a crash it may name
    // a commit index past the durable log; committed entries live on a quorum anyway.
    const commit = Math.max(Math.min(h.commit, this.lastIndex()), 0);
    return { hardState: { term: h.term, vote: h.vote, commit }, confState: this.snap.meta.conf };
  }

  firstIndex(): number {
    return this.offsetIndex + 1;
  }

  lastIndex(): number {
    return Math.max(this.wal.lastIndex(), this.offsetIndex);
  }

  term(i: number): number | undefined {
    if (i === this.offsetIndex) return this.offsetTerm;
    if (i < this.offsetIndex || i > this.lastIndex()) return undefined;
    return this.cache.get(i)?.term ?? this.wal.term(i);
  }

  entries(lo: number, hi: number, maxBytes: number): Entry[] {
    if (lo <= this.offsetIndex)
      throw new BasaltError('WAL_COMPACTED', `entry ${lo} is compacted (first is ${this.firstIndex()})`);
    assert(hi <= this.lastIndex() + 1, `entries hi ${hi} beyond last ${this.lastIndex()}`);
    const out: Entry[] = [];
    let bytes = 0;
    let i = lo;
    while (i < hi) {
      const cached = this.cache.get(i);
      let batch: Entry[];
      if (cached) batch = [cached];
      else {
        const stop = Math.min(
          hi,
          i + Limits.raftLogDiskReadEntries,
          this.cache.firstIndex() > i ? this.cache.firstIndex() : hi,
        );
        // Read no more than the caller can take: the entries are views of the read buffer.
        batch = this.wal.entries(i, stop, Math.max(1, maxBytes - bytes)).map(fromWal);
      }
      for (const e of batch) {
        bytes += entryBytes(e);
        if (out.length > 0 && bytes > maxBytes) return out;
        out.push(e);
      }
      i += batch.length;
    }
    return out;
  }

  snapshot(): Snapshot {
    return this.snap;
  }

  append(entries: readonly Entry[]): void {
    if (entries.length === 0) return;
    this.checkOpen();
    const first = entries[0]!.index;
    assert(first > this.offsetIndex, `append at ${first} at or below the compaction point ${this.offsetIndex}`);
    assert(first <= this.lastIndex() + 1, `append at ${first} leaves a gap after ${this.lastIndex()}`);
    if (first <= this.wal.lastIndex()) {
      this.wal.truncateAfter(first - 1);
      this.cache.truncateFrom(first);
    }
    const out: WalEntry[] = new Array(entries.length);
    for (let k = 0; k < entries.length; k++) {
      const e = entries[k]!;
      assert(e.index === first + k, 'appended entries must be contiguous');
      // The type byte goes to the WAL as a separate part: no copy of the (often 600 KB) data.
      out[k] = { index: e.index, term: e.term, prefix: e.type === 'conf' ? TYPE_CONF : TYPE_NORMAL, data: e.data };
    }
    this.wal.append(out);
    this.cache.append(entries);
  }

  setHardState(hs: HardState): void {
    this.checkOpen();
    // The Ready loop appends a Ready's entries before its hard state, and commit never passes the log.
    assert(hs.commit <= this.lastIndex(), `hard state commit ${hs.commit} beyond the log (last ${this.lastIndex()})`);
    const cur = this.hs.get();
    // A commit-only change is not worth a write per round: it needs no fsync, and a lagging
    // commit mark on disk only means a restarted replica relearns it from the leader (or
    // from the state machine's own applied index). Term and vote are written at once.
    if (
      hs.term === cur.term &&
      hs.vote === cur.vote &&
      Date.now() - this.commitWrittenAtMs < Limits.raftCommitWriteIntervalMs
    ) {
      this.pendingCommit = hs;
      return;
    }
    this.pendingCommit = undefined;
    this.commitWrittenAtMs = Date.now();
    this.hs.set(hs);
  }

  applySnapshot(snap: Snapshot): void {
    this.checkOpen();
    assert(snap.meta.index >= this.snap.meta.index, 'applySnapshot must not move backwards');
    writeSnapshotFile(path.join(this.dir, 'snapshot'), snap);
    this.snap = snap;
    this.wal.reset(snap.meta.index + 1);
    this.cache.clear();
    this.offsetIndex = snap.meta.index;
    this.offsetTerm = snap.meta.term;
  }

  /**
   * The first half of createSnapshot, off the Raft loop: writes the snapshot at `index` (an
   * entry still in the log) to a side file. adoptSnapshot() makes it the group's snapshot.
   */
  async prepareSnapshot(index: number, conf: ConfState, data: Uint8Array): Promise<Snapshot> {
    this.checkOpen();
    const term = this.term(index);
    assert(term !== undefined, `prepareSnapshot at ${index} outside the log`);
    const snap: Snapshot = { meta: { index, term, conf }, data };
    await prepareSnapshotFile(path.join(this.dir, 'snapshot.building'), snap);
    return snap;
  }

  /**
   * Makes a prepared snapshot the group's (a rename), unless one as new arrived meanwhile (a
   * snapshot installed from the leader): then the side file is dropped. True when adopted.
   */
  adoptSnapshot(snap: Snapshot): boolean {
    this.checkOpen();
    const temp = path.join(this.dir, 'snapshot.building');
    if (snap.meta.index <= this.snap.meta.index) {
      fs.rmSync(temp, { force: true });
      return false;
    }
    adoptSnapshotFile(temp, path.join(this.dir, 'snapshot'));
    this.snap = snap;
    return true;
  }

  createSnapshot(index: number, conf: ConfState, data: Uint8Array): void {
    this.checkOpen();
    if (index <= this.snap.meta.index) return;
    const term = this.term(index);
    assert(term !== undefined, `createSnapshot at ${index} outside the log`);
    const snap: Snapshot = { meta: { index, term, conf }, data };
    writeSnapshotFile(path.join(this.dir, 'snapshot'), snap);
    this.snap = snap;
  }

  compact(index: number): void {
    this.checkOpen();
    if (index <= this.offsetIndex) return;
    assert(index <= this.snap.meta.index, `compact ${index} beyond snapshot ${this.snap.meta.index}`);
    assert(index <= this.lastIndex(), `compact ${index} beyond last ${this.lastIndex()}`);
    const term = this.term(index)!;
    this.offsetIndex = index;
    this.offsetTerm = term;
    this.cache.dropThrough(index);
    this.wal.compactBefore(index + 1);
  }

  /** Makes every write so far durable: one WAL fsync, plus a hard-state fsync if term/vote changed. */
  async sync(): Promise<void> {
    this.checkOpen();
    const waits: Promise<void>[] = [];
    if (this.wal.hasUnsynced() && !this.walFsyncOptional()) waits.push(this.wal.sync());
    if (this.hs.needsSync()) waits.push(this.hs.sync());
    await Promise.all(waits);
  }

  /**
   * Writes and fsyncs the commit index now. The runtime calls it before a membership change is
   * applied: membership takes effect when applied, so a replica that restarted with a lagging
   * commit mark would come back with an older configuration (e.g. itself as the only voter)
   * and could elect itself beside the real leader.
   */
  async persistCommit(commit: number): Promise<void> {
    this.checkOpen();
    const cur = this.pendingCommit ?? this.hs.get();
    if (commit <= this.hs.get().commit) return;
    assert(commit <= this.lastIndex(), `persistCommit ${commit} beyond the log (last ${this.lastIndex()})`);
    this.pendingCommit = undefined;
    this.commitWrittenAtMs = Date.now();
    this.hs.set({ term: cur.term, vote: cur.vote, commit: Math.max(commit, cur.commit) });
    if (this.wal.hasUnsynced()) await this.wal.sync();
    await this.hs.sync();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    if (this.pendingCommit) this.hs.set(this.pendingCommit);
    this.pendingCommit = undefined;
    this.closed = true;
    await this.wal.close();
    this.hs.close();
  }

  private checkOpen(): void {
    if (this.closed) throw new BasaltError('SHUTTING_DOWN', `the Raft log in ${this.dir} is closed`);
  }
}

function fromWal(w: WalEntry): Entry {
  const t = w.data[0];
  if (t !== TYPE_NORMAL && t !== TYPE_CONF) {
    throw new BasaltError('WAL_CORRUPT', `WAL entry ${w.index} has unknown Raft entry type ${t}`);
  }
  return { index: w.index, term: w.term, type: t === TYPE_CONF ? 'conf' : 'normal', data: w.data.subarray(1) };
}
