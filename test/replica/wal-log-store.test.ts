// Crash cases of the WAL-backed Raft log: what a restart finds after a torn hard-state write,
// a crash in the middle of installing a snapshot, or a commit mark ahead of the durable log.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Entry } from '../../src/raft/index.js';
import { HardStateFile } from '../../src/replica/hard-state-file.js';
import { writeSnapshotFile } from '../../src/replica/snapshot-file.js';
import { WalLogStore } from '../../src/replica/wal-log-store.js';
import { tempDir } from './harness.js';

const ent = (index: number, term: number): Entry => ({
  index,
  term,
  type: 'normal',
  data: new TextEncoder().encode(`e${index}`),
});
const range = (lo: number, hi: number, term: number): Entry[] =>
  Array.from({ length: hi - lo + 1 }, (_, k) => ent(lo + k, term));

test('a torn write of the newer hard-state slot falls back to the older one', () => {
  const t = tempDir('hs');
  try {
    const file = join(t.dir, 'hardstate');
    const hs = HardStateFile.open(file);
    hs.set({ term: 3, vote: 2, commit: 10 });
    hs.set({ term: 4, vote: 1, commit: 12 });
    hs.close();
    // The second write went to slot 0 (seq 2); damage it as a torn write would.
    const fd = fs.openSync(file, 'r+');
    fs.writeSync(fd, Buffer.from([0xde, 0xad]), 0, 2, 14);
    fs.closeSync(fd);
    assert.deepEqual(HardStateFile.open(file).get(), { term: 3, vote: 2, commit: 10 });
    // Both slots damaged is corruption, named as such.
    const fd2 = fs.openSync(file, 'r+');
    fs.writeSync(fd2, Buffer.from([0xde, 0xad]), 0, 2, 64 + 14);
    fs.closeSync(fd2);
    assert.throws(() => HardStateFile.open(file), /neither slot passes its CRC32C/);
  } finally {
    t.remove();
  }
});

test('only term or vote changes need a hard-state fsync', async () => {
  const t = tempDir('hs');
  try {
    const hs = HardStateFile.open(join(t.dir, 'hardstate'));
    hs.set({ term: 1, vote: 0, commit: 0 });
    assert.equal(hs.needsSync(), true);
    await hs.sync();
    hs.set({ term: 1, vote: 0, commit: 9 });
    assert.equal(hs.needsSync(), false);
    hs.set({ term: 1, vote: 2, commit: 9 });
    assert.equal(hs.needsSync(), true);
    hs.close();
  } finally {
    t.remove();
  }
});

test('crash after the snapshot file was written but before the log was reset', async () => {
  const t = tempDir('snapcrash');
  try {
    const s = WalLogStore.open(t.dir);
    s.append(range(1, 10, 1));
    s.setHardState({ term: 1, vote: 1, commit: 10 });
    await s.sync();
    await s.close();
    // The leader's snapshot at 40 (term 3) reached the disk; the process died before wal.reset.
    writeSnapshotFile(join(t.dir, 'snapshot'), {
      meta: { index: 40, term: 3, conf: { voters: [1, 2, 3], learners: [] } },
      data: new Uint8Array([1]),
    });
    const r = WalLogStore.open(t.dir);
    assert.equal(r.firstIndex(), 41);
    assert.equal(r.lastIndex(), 40);
    assert.equal(r.term(40), 3);
    r.append(range(41, 42, 3));
    assert.equal(r.lastIndex(), 42);
    await r.close();
  } finally {
    t.remove();
  }
});

test('a local snapshot inside the log keeps the entries after it when the terms match', async () => {
  const t = tempDir('snapkeep');
  try {
    const s = WalLogStore.open(t.dir);
    s.append(range(1, 20, 2));
    await s.sync();
    await s.close();
    writeSnapshotFile(join(t.dir, 'snapshot'), {
      meta: { index: 12, term: 2, conf: { voters: [1], learners: [] } },
      data: new Uint8Array(0),
    });
    const r = WalLogStore.open(t.dir);
    assert.equal(r.firstIndex(), 13);
    assert.equal(r.lastIndex(), 20);
    assert.equal(r.entries(13, 21, 1 << 20).length, 8);
    await r.close();
    // A snapshot whose term disagrees with the log at its index: the log after it is dropped.
    writeSnapshotFile(join(t.dir, 'snapshot'), {
      meta: { index: 15, term: 5, conf: { voters: [1], learners: [] } },
      data: new Uint8Array(0),
    });
    const r2 = WalLogStore.open(t.dir);
    assert.equal(r2.lastIndex(), 15);
    assert.equal(r2.term(15), 5);
    await r2.close();
  } finally {
    t.remove();
  }
});

test('a commit mark ahead of the durable log is clamped to the last entry', async () => {
  const t = tempDir('clamp');
  try {
    const s = WalLogStore.open(t.dir);
    s.append(range(1, 5, 1));
    await s.sync();
    await s.close();
    const hs = HardStateFile.open(join(t.dir, 'hardstate'));
    hs.set({ term: 1, vote: 1, commit: 9 });
    hs.close();
    const r = WalLogStore.open(t.dir);
    assert.deepEqual(r.initialState().hardState, { term: 1, vote: 1, commit: 5 });
    await r.close();
  } finally {
    t.remove();
  }
});

test('commit-only changes are written lazily but survive a clean close', async () => {
  const t = tempDir('lazy');
  try {
    const s = WalLogStore.open(t.dir);
    s.append(range(1, 8, 1));
    s.setHardState({ term: 1, vote: 1, commit: 2 });
    s.setHardState({ term: 1, vote: 1, commit: 7 });
    assert.equal(s.initialState().hardState.commit, 7);
    await s.sync();
    await s.close();
    const r = WalLogStore.open(t.dir);
    assert.deepEqual(r.initialState().hardState, { term: 1, vote: 1, commit: 7 });
    await r.close();
  } finally {
    t.remove();
  }
});

test('openBootstrapped writes the founding membership once', async () => {
  const t = tempDir('boot');
  try {
    const s = await WalLogStore.openBootstrapped(t.dir, [3, 1, 2]);
    assert.equal(s.lastIndex(), 3);
    assert.deepEqual(s.initialState().hardState, { term: 1, vote: 0, commit: 3 });
    s.append([ent(4, 2)]);
    await s.sync();
    await s.close();
    const r = await WalLogStore.openBootstrapped(t.dir, [1, 2, 3]);
    assert.equal(r.lastIndex(), 4, 'an existing store is not bootstrapped again');
    await r.close();
  } finally {
    t.remove();
  }
});

test('the commit of a membership entry survives a kill; a commit-only change alone may lag', async () => {
  const t = tempDir('conf-commit');
  try {
    // Founder of a one-voter group; the log then gets a membership entry (index 2) and data.
    const s = await WalLogStore.openBootstrapped(t.dir, [1]);
    const hs0 = s.initialState().hardState;
    s.append([{ index: 2, term: hs0.term, type: 'conf', data: new Uint8Array([1]) }, ent(3, hs0.term)]);
    await s.sync();
    // Commit-only changes inside the write interval are deferred: a kill now loses them.
    s.setHardState({ ...hs0, commit: 3 });
    assert.equal(
      WalLogStore.open(t.dir).initialState().hardState.commit,
      hs0.commit,
      'the lazy commit mark was expected to lag',
    );
    // What the runtime does before applying the membership entry: persist its commit now.
    await s.persistCommit(2);
    // Reopen without close(), as after SIGKILL: the membership entry is known committed.
    assert.ok(WalLogStore.open(t.dir).initialState().hardState.commit >= 2);
    await assert.rejects(s.persistCommit(9), /beyond the log/);
  } finally {
    t.remove();
  }
});
