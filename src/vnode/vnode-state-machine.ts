// The storage engine as a Raft state machine. Committed entries go to
// `store.applyLogged(index, payload)`; an entry the store refuses (a BasaltError: table
// missing, bad schema ...) is refused identically on every replica, so it is an applied
// no-op whose error becomes the proposer's result instead of stopping the group.
//
// Directory layout of one replica (`dir`):
//   raft/            the Raft log (WalLogStore: storage WAL + hard state + snapshot file)
//   store/           the LocalVnodeStore in externalLog mode (its own wal/ stays empty)
//   store.incoming/  a snapshot being installed
//   store.old/       the replaced store while a snapshot is swapped in
// The swap is: install into store.incoming (manifest written last), rename store → store.old,
// rename store.incoming → store, delete store.old. repairStoreDirs() finishes or undoes a
// swap a crash interrupted; the Raft snapshot file stays the source of truth either way
// (a store behind the Raft snapshot is restored from it again at open).
import { assert } from '../common/assert.js';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BasaltError } from '../common/errors.js';
import type { ConfState, Entry, NodeId, Snapshot, StateRole } from '../raft/index.js';
import type { LogFn } from '../replica/runtime.js';
import type { StateMachine } from '../replica/state-machine.js';
import type { VnodeOptions } from '../storage/api.js';
import { installSnapshot, openVnodeStore, type LocalVnodeStore } from '../storage/index.js';
import { isDiskFull } from '../storage/disk-space.js';
import { fsyncDir } from '../storage/fsutil.js';
import { manifestPath } from '../storage/manifest.js';
import { packSnapshotImage, unpackSnapshotImage } from './snapshot-image.js';

export interface VnodeSmHooks {
  onLeaderChange?(leader: NodeId, role: StateRole, term: number): void;
  onConfChange?(conf: ConfState, index: number): void;
}

export function storeDirOf(dir: string): string {
  return path.join(dir, 'store');
}
export function raftDirOf(dir: string): string {
  return path.join(dir, 'raft');
}

/** Finishes or rolls back a store swap that a crash interrupted (see the file comment). */
export function repairStoreDirs(dir: string): void {
  const store = storeDirOf(dir),
    incoming = `${store}.incoming`,
    old = `${store}.old`;
  if (!fs.existsSync(store)) {
    // An install writes the manifest last: with it, the incoming store is complete.
    if (fs.existsSync(manifestPath(incoming))) fs.renameSync(incoming, store);
    else if (fs.existsSync(old)) fs.renameSync(old, store);
  }
  fs.rmSync(incoming, { recursive: true, force: true });
  fs.rmSync(old, { recursive: true, force: true });
}

export class VnodeStateMachine implements StateMachine {
  hooks: VnodeSmHooks = {};
  /** Entries refused by the store since open (deterministic no-ops). */
  refusedEntries = 0;
  private flushing: Promise<void> | null = null;

  private constructor(
    readonly dir: string,
    readonly options: VnodeOptions,
    private current: LocalVnodeStore,
    private readonly log: LogFn,
  ) {}

  static async open(dir: string, options: VnodeOptions, log: LogFn): Promise<VnodeStateMachine> {
    fs.mkdirSync(dir, { recursive: true });
    repairStoreDirs(dir);
    const store = await openVnodeStore(storeDirOf(dir), options, { externalLog: true, log });
    return new VnodeStateMachine(dir, options, store, log);
  }

  /** The local store (replaced when a snapshot is installed: do not keep it across awaits). */
  get store(): LocalVnodeStore {
    return this.current;
  }

  appliedIndex(): number {
    return this.current.appliedIndex();
  }

  apply(entries: readonly Entry[]): unknown[] {
    const results: unknown[] = new Array(entries.length);
    for (let k = 0; k < entries.length; k++) {
      const e = entries[k]!;
      try {
        this.current.applyLogged(e.index, e.data);
      } catch (err) {
        // Corruption or a broken invariant must stop the group; a refusal is a no-op.
        if (!(err instanceof BasaltError) || err.errorName === 'WAL_CORRUPT') throw err;
        this.refusedEntries++;
        results[k] = err;
      }
    }
    this.maybeFlush();
    return results;
  }

  async snapshot(): Promise<Uint8Array> {
    // store.snapshot() flushes first, so the image holds everything applied so far; the
    // runtime does not apply while this runs (it awaits us in its loop).
    return packSnapshotImage(this.current.snapshot());
  }

  /**
   * The store's snapshot while entries go on being applied: it freezes the memtable, flushes
   * it and streams the files of that moment (maintenance waits meanwhile), so the image holds
   * exactly the entries up to the flushed index.
   */
  async snapshotConcurrent(): Promise<{ index: number; data: Uint8Array }> {
    const store = this.current;
    let index = -1;
    async function* tap(chunks: AsyncGenerator<Uint8Array>): AsyncGenerator<Uint8Array> {
      for await (const c of chunks) {
        // The first chunk comes after the flush: the manifest is fixed until the stream ends.
        if (index < 0) index = store.flushedIndex();
        yield c;
      }
    }
    const data = await packSnapshotImage(tap(store.snapshot()));
    assert(index >= 0, `vnode ${this.dir}: a snapshot stream without chunks`);
    return { index, data };
  }

  async restore(snap: Snapshot): Promise<void> {
    const chunks = unpackSnapshotImage(snap.data);
    const store = storeDirOf(this.dir),
      incoming = `${store}.incoming`,
      old = `${store}.old`;
    fs.rmSync(incoming, { recursive: true, force: true });
    const info = await installSnapshot(incoming, chunks);
    if (this.flushing) await this.flushing;
    await this.current.close();
    fs.rmSync(old, { recursive: true, force: true });
    fs.renameSync(store, old);
    fs.renameSync(incoming, store);
    fsyncDir(this.dir);
    fs.rmSync(old, { recursive: true, force: true });
    this.current = await openVnodeStore(store, this.options, { externalLog: true, log: this.log });
    this.log(
      'info',
      `vnode ${this.dir}: installed snapshot at Raft index ${snap.meta.index} (store index ${info.index})`,
    );
  }

  onLeaderChange(leader: NodeId, role: StateRole, term: number): void {
    this.hooks.onLeaderChange?.(leader, role, term);
  }
  onConfChange(conf: ConfState, index: number): void {
    this.hooks.onConfChange?.(conf, index);
  }

  /** Resolves when the memtable is below its budget again (write backpressure on the leader). */
  async belowBudget(): Promise<void> {
    while (this.flushing && this.current.memBytes >= this.options.bufferBytes * 2) await this.flushing;
  }

  async close(): Promise<void> {
    if (this.flushing) await this.flushing;
    await this.current.close();
  }

  // In externalLog mode the store never flushes by itself (only write() triggers it), so the
  // apply path does: in the background, the memtable keeps taking applies meanwhile.
  private maybeFlush(): void {
    if (this.flushing || this.current.memBytes < this.options.bufferBytes) return;
    const s = this.current;
    this.flushing = s
      .flush()
      .catch((e: unknown) => {
        // The store logs a full disk itself (once) and retries the flush when space is back.
        if (!isDiskFull(e)) this.log('error', `vnode ${this.dir}: flush failed: ${(e as Error).message}`);
      })
      .finally(() => {
        this.flushing = null;
      });
  }
}
