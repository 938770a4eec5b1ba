// One conformance suite for every Raft LogStore (MemoryLogStore, WalLogStore): the contract
// of src/raft/log-store.ts checked operation by operation. `reopen` (for durable stores)
// re-runs every check on a store reopened from disk after each step.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BasaltError } from '../../src/common/errors.js';
import type { ConfState, Entry, LogStore } from '../../src/raft/index.js';

export interface StoreFactory {
  /** A fresh, empty store. */
  create(): Promise<LogStore>;
  /** Reopens the store from its durable state (undefined for in-memory stores). */
  reopen?: (s: LogStore) => Promise<LogStore>;
  cleanup(): Promise<void>;
}

const enc = new TextEncoder();
const ent = (index: number, term: number, text = `e${index}t${term}`, type: Entry['type'] = 'normal'): Entry => ({
  index,
  term,
  type,
  data: enc.encode(text),
});
const range = (lo: number, hi: number, term: number): Entry[] =>
  Array.from({ length: hi - lo + 1 }, (_, k) => ent(lo + k, term));
const CONF: ConfState = { voters: [1, 2, 3], learners: [4] };

function sameEntries(got: readonly Entry[], want: readonly Entry[]): void {
  assert.deepEqual(
    got.map((e) => [e.index, e.term, e.type, Buffer.from(e.data).toString()]),
    want.map((e) => [e.index, e.term, e.type, Buffer.from(e.data).toString()]),
  );
}

export function logStoreConformance(name: string, f: StoreFactory): void {
  /** Runs `check` on the store, and again on a reopened copy when the store is durable. */
  async function checked(s: LogStore, check: (s: LogStore) => void): Promise<LogStore> {
    check(s);
    if (!f.reopen) return s;
    const r = await f.reopen(s);
    check(r);
    return r;
  }

  test(`${name}: an empty store`, async () => {
    const s = await f.create();
    try {
      await checked(s, (x) => {
        assert.equal(x.firstIndex(), 1);
        assert.equal(x.lastIndex(), 0);
        assert.equal(x.term(0), 0);
        assert.equal(x.term(1), undefined);
        assert.equal(x.snapshot().meta.index, 0);
        assert.deepEqual(x.initialState().hardState, { term: 0, vote: 0, commit: 0 });
        assert.deepEqual(x.entries(1, 1, 100), []);
      });
    } finally {
      await f.cleanup();
    }
  });

  test(`${name}: append, read back with byte limits, replace a conflicting suffix`, async () => {
    let s = await f.create();
    try {
      s.append([...range(1, 5, 1), ent(6, 1, 'conf-change', 'conf'), ...range(7, 10, 2)]);
      s.setHardState({ term: 2, vote: 3, commit: 4 });
      s = await checked(s, (x) => {
        assert.equal(x.lastIndex(), 10);
        assert.equal(x.term(5), 1);
        assert.equal(x.term(10), 2);
        assert.equal(x.term(11), undefined);
        sameEntries(x.entries(2, 4, 1 << 20), range(2, 3, 1));
        assert.equal(x.entries(6, 7, 1 << 20)[0]!.type, 'conf');
        // maxBytes: always at least one entry, never more than the budget allows after that.
        assert.equal(x.entries(1, 11, 1).length, 1);
        assert.equal(x.entries(1, 11, 2 * (24 + 4)).length, 2);
        assert.deepEqual(x.initialState().hardState, { term: 2, vote: 3, commit: 4 });
      });
      s.append([ent(8, 3, 'x8'), ent(9, 3, 'x9')]);
      s = await checked(s, (x) => {
        assert.equal(x.lastIndex(), 9);
        sameEntries(x.entries(7, 10, 1 << 20), [ent(7, 2), ent(8, 3, 'x8'), ent(9, 3, 'x9')]);
      });
      s.append([ent(10, 3, 'x10')]);
      await checked(s, (x) => assert.equal(x.term(10), 3));
    } finally {
      await f.cleanup();
    }
  });

  test(`${name}: snapshot, compaction, and installing a leader's snapshot`, async () => {
    let s = await f.create();
    try {
      s.append(range(1, 30, 1));
      s.setHardState({ term: 1, vote: 1, commit: 30 });
      s.createSnapshot(20, CONF, enc.encode('image@20'));
      s.compact(15);
      s = await checked(s, (x) => {
        assert.equal(x.snapshot().meta.index, 20);
        assert.equal(x.snapshot().meta.term, 1);
        assert.deepEqual(x.snapshot().meta.conf, CONF);
        assert.equal(Buffer.from(x.snapshot().data).toString(), 'image@20');
        assert.ok(
          x.firstIndex() >= 16 && x.firstIndex() <= 21,
          `first index ${x.firstIndex()} after compacting 15 behind a snapshot at 20`,
        );
        assert.equal(x.term(x.firstIndex() - 1), 1);
        assert.equal(x.lastIndex(), 30);
        assert.throws(
          () => x.entries(x.firstIndex() - 1, 25, 1 << 20),
          (e: unknown) => e instanceof BasaltError && e.errorName === 'WAL_COMPACTED',
        );
        sameEntries(x.entries(21, 31, 1 << 20), range(21, 30, 1));
        assert.deepEqual(x.initialState().confState, CONF);
      });
      // A snapshot from the leader replaces the whole log.
      s.applySnapshot({
        meta: { index: 50, term: 4, conf: { voters: [1, 2], learners: [] } },
        data: enc.encode('leader@50'),
      });
      s.setHardState({ term: 4, vote: 0, commit: 50 });
      s = await checked(s, (x) => {
        assert.equal(x.firstIndex(), 51);
        assert.equal(x.lastIndex(), 50);
        assert.equal(x.term(50), 4);
        assert.equal(x.term(30), undefined);
        assert.equal(Buffer.from(x.snapshot().data).toString(), 'leader@50');
      });
      s.append(range(51, 53, 4));
      await checked(s, (x) => {
        assert.equal(x.lastIndex(), 53);
        sameEntries(x.entries(51, 54, 1 << 20), range(51, 53, 4));
      });
    } finally {
      await f.cleanup();
    }
  });

  test(`${name}: an older snapshot is ignored; a snapshot may not move backwards`, async () => {
    const s = await f.create();
    try {
      s.append(range(1, 10, 1));
      s.createSnapshot(8, CONF, enc.encode('a'));
      s.createSnapshot(5, CONF, enc.encode('b'));
      assert.equal(s.snapshot().meta.index, 8);
      assert.throws(() => s.applySnapshot({ meta: { index: 3, term: 1, conf: CONF }, data: new Uint8Array(0) }));
    } finally {
      await f.cleanup();
    }
  });
}
