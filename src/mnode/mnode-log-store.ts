// The mnode group's durable Raft log: hard state and every entry, kept in memory and
// rewritten atomically to dataDir/mnode/raft.json after each Ready that changed them
// (write temp, fsync, rename). The mnode log holds only metadata changes (create/drop
// dnode/mnode/database), a few hundred small entries in a cluster's life, so a whole-file
// rewrite is cheap and leaves no torn state; status messages never enter the log.
// No compaction or snapshots: a new mnode learns the state by replaying the log from 1.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { assert } from '../common/assert.js';
import { BasaltError } from '../common/errors.js';
import { Limits } from '../common/limits.js';
import type { LogStore } from '../raft/log-store.js';
import { bootstrapEntries } from '../raft/log-store.js';
import type { ConfState, Entry, HardState, Snapshot } from '../raft/types.js';
import { entryBytes } from '../raft/types.js';
import { writeFileAtomicSync } from './atomic-file.js';

interface FileEntry { i: number; t: number; c: 0 | 1; d: string }
interface FileImage { formatVersion: 1; hardState: HardState; entries: FileEntry[] }

const EMPTY_SNAPSHOT: Snapshot = { meta: { index: 0, term: 0, conf: { voters: [], learners: [] } }, data: new Uint8Array(0) };

export class MnodeLogStore implements LogStore {
  private hard: HardState = { term: 0, vote: 0, commit: 0 };
  private ents: Entry[] = [];
  private dirty = false;

  private constructor(private readonly file: string) {}

  /** Opens dir/raft.json; a missing file is an empty log (a new mnode replica). */
  static open(dir: string): MnodeLogStore {
    mkdirSync(dir, { recursive: true });
    const s = new MnodeLogStore(join(dir, 'raft.json'));
    if (existsSync(s.file)) {
      let img: FileImage;
      try { img = JSON.parse(readFileSync(s.file, 'utf8')) as FileImage; }
      catch (e) { throw new BasaltError('FILE_CORRUPTED', `${s.file} is not valid JSON (${(e as Error).message}); restore it or drop and re-create this mnode`); }
      s.hard = img.hardState;
      s.ents = img.entries.map((e) => ({ index: e.i, term: e.t, type: e.c === 1 ? 'conf' : 'normal', data: new Uint8Array(Buffer.from(e.d, 'base64')) }));
    }
    return s;
  }

  /** True when the log holds nothing yet (never bootstrapped nor replicated to). */
  get empty(): boolean { return this.ents.length === 0 && this.hard.term === 0; }

  /** Writes the founding configuration (this node the only voter). */
  bootstrap(voters: readonly number[]): void {
    assert(this.empty, 'bootstrap of a non-empty mnode log');
    this.ents = bootstrapEntries(voters);
    this.hard = { term: 1, vote: 0, commit: voters.length };
    this.dirty = true;
    this.sync();
  }

  initialState(): { hardState: HardState; confState: ConfState } {
    return { hardState: this.hard, confState: EMPTY_SNAPSHOT.meta.conf };
  }
  firstIndex(): number { return 1; }
  lastIndex(): number { return this.ents.length; }
  term(i: number): number | undefined {
    if (i === 0) return 0;
    return this.ents[i - 1]?.term;
  }
  entries(lo: number, hi: number, maxBytes: number): Entry[] {
    assert(lo >= 1 && hi <= this.ents.length + 1, `entries [${lo}, ${hi}) outside the log`);
    const out: Entry[] = [];
    let bytes = 0;
    for (let i = lo; i < hi; i++) {
      const e = this.ents[i - 1]!;
      bytes += entryBytes(e);
      if (out.length > 0 && bytes > maxBytes) break;
      out.push(e);
    }
    return out;
  }
  snapshot(): Snapshot { return EMPTY_SNAPSHOT; }
  append(entries: readonly Entry[]): void {
    if (entries.length === 0) return;
    const first = entries[0]!.index;
    assert(first >= 1 && first <= this.ents.length + 1, `append at ${first} leaves a gap after ${this.ents.length}`);
    this.ents.length = first - 1;
    for (const e of entries) this.ents.push(e);
    if (this.ents.length > Limits.maxMnodeLogEntries) {
      throw new BasaltError('INTERNAL', `the mnode log has more than ${Limits.maxMnodeLogEntries} entries and this version does not compact it; report this`);
    }
    this.dirty = true;
  }
  setHardState(hs: HardState): void {
    if (hs.term === this.hard.term && hs.vote === this.hard.vote && hs.commit === this.hard.commit) return;
    this.hard = hs;
    this.dirty = true;
  }
  applySnapshot(_snap: Snapshot): void {
    throw new BasaltError('INTERNAL', 'the mnode log does not take snapshots; the leader should have sent log entries');
  }
  createSnapshot(): void { /* no snapshots: the log is kept whole */ }
  compact(): void { /* no compaction, see the header */ }

  /** Persists changes since the last sync (atomic whole-file write). */
  sync(): void {
    if (!this.dirty) return;
    const img: FileImage = {
      formatVersion: 1,
      hardState: this.hard,
      entries: this.ents.map((e) => ({ i: e.index, t: e.term, c: e.type === 'conf' ? 1 : 0, d: Buffer.from(e.data).toString('base64') })),
    };
    writeFileAtomicSync(this.file, JSON.stringify(img));
    this.dirty = false;
  }
}
