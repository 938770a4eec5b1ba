// The catalog state machine: ops are deterministic, state survives reopen, vgIds are never
// reused, hash ranges cover the whole space, and the file is replaced atomically.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { BasaltError } from '../../src/common/errors.js';
import { hash32 } from '../../src/common/hash.js';
import { applyOp, Catalog, type CatalogOp } from '../../src/engine/catalog.js';
import { vgroupIndexForTable } from '../../src/common/routing.js';
import { parseTimestampString } from '../../src/query/timestamp-parse.js';
import { likeToRegExp } from '../../src/common/like.js';

function withDir(fn: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'basalt-cat-'));
  try {
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('create/drop databases: vgIds from 2, never reused, across reopen', () => {
  withDir((dir) => {
    const c = Catalog.open(dir, 1000);
    c.commit(c.planCreateDb('a', { vgroups: 3 }, 1, 100, 1000));
    assert.deepEqual(
      c.requireDb('a').vgroups.map((v) => v.vgId),
      [2, 3, 4],
    );
    c.commit({ op: 'dropDb', name: 'a' });
    const c2 = Catalog.open(dir, 2000);
    c2.commit(c2.planCreateDb('b', {}, 1, 100, 2000));
    assert.deepEqual(
      c2.requireDb('b').vgroups.map((v) => v.vgId),
      [5, 6],
    );
    assert.equal(c2.state.createdAtMs, 1000, 'cluster creation time survives reopen');
    assert.equal(c2.state.clusterId, c.state.clusterId);
    assert.deepEqual(readdirSync(dir), ['catalog.json'], 'no temp file left behind');
  });
});

test('hash ranges of a database cover [0, 2^32) and route every name to exactly one vgroup', () => {
  withDir((dir) => {
    const c = Catalog.open(dir, 0);
    c.commit(c.planCreateDb('h', { vgroups: 7 }, 1, 100, 0));
    const vgs = c.requireDb('h').vgroups;
    assert.equal(vgs[0]!.hashBegin, 0);
    assert.equal(vgs[vgs.length - 1]!.hashEnd, 0xffffffff);
    for (let i = 1; i < vgs.length; i++) assert.equal(vgs[i]!.hashBegin, vgs[i - 1]!.hashEnd + 1);
    for (const name of ['d0', 'd1001', 'meters', 'x'.repeat(100), '中文表']) {
      const vg = vgs[vgroupIndexForTable(vgs, name)]!;
      const h = hash32(name);
      assert.ok(h >= vg.hashBegin && h <= vg.hashEnd, name);
    }
  });
});

test('applyOp is deterministic: replaying the ops gives the same state', () => {
  withDir((dir) => {
    const c = Catalog.open(dir, 5);
    const ops: CatalogOp[] = [];
    const commit = (o: CatalogOp): void => {
      ops.push(o);
      c.commit(o);
    };
    const initial = c.state;
    commit(c.planCreateDb('x', { vgroups: 2 }, 1, 100, 5));
    commit({ op: 'putStable', db: 'x', stable: { name: 'st', columns: [], tags: [], createdAtMs: 5 } });
    commit(c.planAlterDb('x', { bufferMb: 64 }, 1));
    commit(c.planSetPassword('root', 'pw', 6));
    commit({ op: 'dropStable', db: 'x', name: 'st' });
    const replayed = ops.reduce(applyOp, initial);
    assert.deepEqual(replayed, c.state);
    assert.equal(Catalog.open(dir, 9).checkPassword('root', 'pw'), true);
  });
});

test('option checks name the database and the option', () => {
  withDir((dir) => {
    const c = Catalog.open(dir, 0);
    assert.throws(
      () => c.planCreateDb('o', { replica: 3 }, 1, 100, 0),
      (e: BasaltError) => e.errorName === 'OUT_OF_DNODES' && e.message.includes("'o'"),
    );
    assert.throws(
      () => c.planCreateDb('o', { keepMinutes: [100, 100, 100] }, 1, 100, 0),
      (e: BasaltError) => e.errorName === 'DB_OPTION_INVALID' && e.message.includes('keep'),
    );
    assert.throws(
      () => c.planCreateDb('o', { vgroups: 3 }, 1, 2, 0),
      (e: BasaltError) => e.errorName === 'VNODES_EXHAUSTED',
    );
    c.commit(c.planCreateDb('o', { replica: 3 }, 3, 100, 0)); // three dnodes: replica 3 is fine
    assert.equal(c.requireDb('o').options.replica, 3);
  });
});

test('timestamp strings: zones, fractions per precision, invalid dates', () => {
  assert.equal(parseTimestampString('2020-01-01T00:00:00Z', 'ms'), Date.UTC(2020, 0, 1));
  assert.equal(parseTimestampString('2020-01-01 00:00:00.5+02:00', 'ms'), Date.UTC(2019, 11, 31, 22) + 500);
  assert.equal(parseTimestampString('2020-01-01T00:00:00.123456Z', 'us'), Date.UTC(2020, 0, 1) * 1000 + 123456);
  assert.equal(parseTimestampString('2020-01-01T00:00:00.1234Z', 'ms'), Date.UTC(2020, 0, 1) + 123);
  assert.equal(parseTimestampString('2020-03-04', 'ms'), new Date(2020, 2, 4).getTime());
  assert.equal(parseTimestampString('2020-02-30 00:00:00', 'ms'), null);
  assert.equal(parseTimestampString('2020-13-01', 'ms'), null);
  assert.equal(parseTimestampString('yesterday', 'ms'), null);
});

test('like patterns: % and _ wildcards, escapes, regex characters are literal', () => {
  assert.equal(likeToRegExp('d%').test('d1001'), true);
  assert.equal(likeToRegExp('d_').test('d10'), false);
  assert.equal(likeToRegExp('a.b').test('axb'), false);
  assert.equal(likeToRegExp('a\\_b').test('a_b'), true);
  assert.equal(likeToRegExp('a\\_b').test('axb'), false);
  assert.equal(likeToRegExp('%(x)%').test('1(x)2'), true);
  // '-' is not a regex syntax character: escaping it is an error under the 'u' flag (the
  // engine's own copy of this function did, so `show tables like 'a-%'` failed).
  assert.equal(likeToRegExp('a-%').test('a-b'), true);
  assert.equal(likeToRegExp('a-%').test('ab'), false);
});

test("a placed (replica 3) database keeps the mnode's vgIds and replica dnodes; local vgIds are not consumed", () => {
  withDir((dir) => {
    const c = Catalog.open(dir, 0);
    const base = 1 << 20;
    const placed = [0, 1, 2, 3].map((i) => ({ vgId: base + i, dnodeIds: [1, 2, 3] }));
    c.commit(c.planCreatePlacedDb('test', { vgroups: 4, replica: 3 }, placed, 5));
    const db = c.requireDb('test');
    assert.deepEqual(
      db.vgroups.map((v) => [v.vgId, v.dnodeIds]),
      placed.map((p) => [p.vgId, p.dnodeIds]),
    );
    assert.equal(db.options.replica, 3);
    assert.equal(db.vgroups[0]!.hashBegin, 0);
    assert.equal(db.vgroups[3]!.hashEnd, 0xffffffff);
    c.commit(c.planCreateDb('one', { vgroups: 1 }, 1, 100, 6));
    assert.deepEqual(
      c.requireDb('one').vgroups.map((v) => v.vgId),
      [2],
      'replica-1 vgIds still count from 2',
    );
    assert.throws(
      () => c.planCreatePlacedDb('test', {}, placed, 7),
      (e: BasaltError) => e.errorName === 'DB_ALREADY_EXISTS',
    );
    assert.throws(() => c.planCreatePlacedDb('dup', {}, [{ vgId: base, dnodeIds: [1, 2, 3] }], 7), /already used/);
    const reopened = Catalog.open(dir, 8);
    assert.deepEqual(
      reopened.requireDb('test').vgroups.map((v) => v.dnodeIds),
      placed.map((p) => p.dnodeIds),
    );
  });
});
