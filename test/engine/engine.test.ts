// Engine behaviour beyond single statements: one storage write per vgroup per statement,
// nothing written by a failed statement, the columnar bulk path, start-up reconciliation of
// catalog and vnodes, catalog format checks, executeMany stopping at the first error,
// concurrent statements, and a closed engine.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { allocVector, type ColumnBlock } from '../../src/common/block.js';
import { BasaltError, isBasaltError, type ErrorName } from '../../src/common/errors.js';
import { DataType } from '../../src/common/types.js';
import type { VnodeOptions } from '../../src/storage/api.js';
import { openTestEngine, runSql, type TestEngine } from '../sql/harness.js';
import { MemoryStore } from '../query/memory-store.js';

async function rejectsWith(p: Promise<unknown>, name: ErrorName, text?: string): Promise<BasaltError> {
  try {
    await p;
  } catch (e) {
    assert.ok(isBasaltError(e), `expected BasaltError ${name}, got ${String(e)}`);
    assert.equal(e.errorName, name, e.message);
    if (text) assert.ok(e.message.includes(text), `'${e.message}' lacks '${text}'`);
    return e;
  }
  assert.fail(`expected ${name}`);
}

function memoryEngine(): { stores: MemoryStore[]; open: Promise<TestEngine> } {
  const stores: MemoryStore[] = [];
  const open = openTestEngine({
    openStore: (_d: string, o: VnodeOptions) => {
      const s = new MemoryStore(o);
      stores.push(s);
      return s;
    },
  });
  return { stores, open };
}

/** Timestamps near the harness clock, inside the default keep. */
const B = 1_690_000_000_000;

function meterBlock(ts: number[], current: number[], voltage: number[]): ColumnBlock {
  const t = allocVector(DataType.TIMESTAMP, ts.length);
  const c = allocVector(DataType.FLOAT, ts.length);
  const v = allocVector(DataType.INT, ts.length);
  const p = allocVector(DataType.FLOAT, ts.length, true);
  ts.forEach((x, i) => {
    (t.data as Float64Array)[i] = B + x;
    (c.data as Float32Array)[i] = current[i]!;
    (v.data as Int32Array)[i] = voltage[i]!;
    p.nulls![i] = 1;
  });
  return { numRows: ts.length, columns: [t, c, v, p] };
}

test('an insert into many tables makes exactly one write per vgroup, a failed one makes none', async () => {
  const { stores, open } = memoryEngine();
  const te = await open;
  try {
    await runSql(te, 'create database w vgroups 4; use w; create stable st (ts timestamp, v int) tags (g int)');
    const writesBefore = stores.map((s) => s.writes);
    const targets = Array.from(
      { length: 40 },
      (_, i) => `c${i} using st tags (${i}) values (${B + 1000}, ${i}) (${B + 2000}, ${i})`,
    ).join(' ');
    const r = await runSql(te, `insert into ${targets}`);
    assert.equal(r.result.affectedRows, 80);
    const delta = stores.map((s, i) => s.writes - writesBefore[i]!);
    assert.ok(
      delta.every((d) => d === 1),
      `writes per vgroup: ${delta.join(',')}`,
    );
    const after1 = stores.map((s) => s.writes);
    await rejectsWith(
      runSql(te, `insert into ${targets} c99 using st tags (1) values (${B + 3000}, 'x')`),
      'WRONG_VALUE_TYPE',
      "'v'",
    );
    assert.deepEqual(
      stores.map((s) => s.writes),
      after1,
    );
    const tables = await runSql(te, 'show tables');
    assert.equal(tables.rows.length, 40);
  } finally {
    await te.close();
  }
});

test('insertColumnar: auto-creates child tables, writes blocks, checks types and lengths', async () => {
  const te = await openTestEngine();
  try {
    await runSql(
      te,
      'create database b vgroups 2; use b; create stable m (ts timestamp, current float, voltage int, phase float) tags (g int, loc varchar(4))',
    );
    const n = await te.engine.insertColumnar('b', [
      {
        table: 'x1',
        using: { stable: 'm', tags: [1, 'LA'] },
        block: meterBlock([1000, 2000, 3000], [1.5, 2.5, 3.5], [220, 221, 222]),
      },
      { table: 'x2', using: { stable: 'm', tags: [2, 'SF'] }, block: meterBlock([1000], [9], [230]) },
    ]);
    assert.equal(n, 4);
    assert.deepEqual(
      (await runSql(te, 'select tbname, count(*), sum(voltage) from m partition by tbname order by tbname')).rows,
      [
        ['x1', 3n, 663n],
        ['x2', 1n, 230n],
      ],
    );
    assert.deepEqual((await runSql(te, 'select phase from x1 limit 1')).rows, [[null]]);
    // existing table, no `using`
    assert.equal(await te.engine.insertColumnar('b', [{ table: 'x2', block: meterBlock([4000], [1], [1]) }]), 1);
    await rejectsWith(
      te.engine.insertColumnar('b', [{ table: 'nope', block: meterBlock([1], [1], [1]) }]),
      'TABLE_NOT_EXIST',
      'nope',
    );
    const bad = meterBlock([5000], [1], [1]);
    bad.columns[2] = allocVector(DataType.BIGINT, 1);
    await rejectsWith(te.engine.insertColumnar('b', [{ table: 'x1', block: bad }]), 'WRONG_VALUE_TYPE', 'voltage');
    await rejectsWith(
      te.engine.insertColumnar('b', [
        { table: 'x3', using: { stable: 'm', tags: [3, 'TOO LONG'] }, block: meterBlock([1], [1], [1]) },
      ]),
      'VALUE_TOO_LONG',
      'loc',
    );
    await rejectsWith(
      te.engine.insertColumnar('b', [{ table: 'x1', block: meterBlock([1.5], [1], [1]) }]),
      'INVALID_TIMESTAMP',
    );
    await rejectsWith(
      te.engine.insertColumnar('nodb', [{ table: 'x1', block: meterBlock([1], [1], [1]) }]),
      'DB_NOT_EXIST',
    );
    await rejectsWith(
      te.engine.insertColumnar('b', [{ table: 'x1', block: meterBlock([-B], [1], [1]) }]),
      'INVALID_TIMESTAMP',
      'keep',
    );
    // a bad table anywhere in the call: nothing of the call is written
    await rejectsWith(
      te.engine.insertColumnar('b', [
        { table: 'x1', block: meterBlock([9000], [1], [1]) },
        { table: 'x4', using: { stable: 'm', tags: [1] }, block: meterBlock([1], [1], [1]) },
      ]),
      'INVALID_PARA',
      'tag',
    );
    assert.deepEqual((await runSql(te, 'select count(*) from m')).rows, [[5n]]);
    assert.deepEqual((await runSql(te, 'show tables')).rows, [['x1'], ['x2']]);
  } finally {
    await te.close();
  }
});

test('start-up reconciles vnodes with the catalog: missing super tables, orphaned vnode dirs', async () => {
  const te = await openTestEngine();
  try {
    await runSql(te, 'create database r vgroups 2; use r; create stable s1 (ts timestamp, v int) tags (g int)');
    await te.engine.close();
    // A crash after the catalog committed `create stable s2` but before any vnode applied it:
    const file = join(te.dir, 'mnode', 'catalog.json');
    const state = JSON.parse(readFileSync(file, 'utf8')) as { dbs: Array<{ stables: unknown[] }> };
    state.dbs[0]!.stables.push({
      name: 's2',
      columns: [
        { name: 'ts', type: DataType.TIMESTAMP, bytes: 8 },
        { name: 'x', type: DataType.DOUBLE, bytes: 8 },
      ],
      tags: [{ name: 't', type: DataType.INT, bytes: 4 }],
      createdAtMs: 0,
    });
    writeFileSync(file, JSON.stringify(state));
    // ...and a crash after `drop database` committed but before its vnode dir was removed:
    const orphan = join(te.dir, 'vnode', 'vnode77');
    mkdirSync(orphan, { recursive: true });
    await te.reopen();
    assert.equal(existsSync(orphan), false);
    const r = await runSql(te, `insert into c1 using r.s2 tags (5) values (${B + 1000}, 2.5); select x from r.c1`);
    assert.deepEqual(r.rows, [[2.5]]);
    assert.deepEqual((await runSql(te, 'show r.stables')).rows, [['s1'], ['s2']]);
  } finally {
    await te.close();
  }
});

test('a catalog of another format version is refused, naming both versions', async () => {
  const te = await openTestEngine();
  await te.engine.close();
  const file = join(te.dir, 'mnode', 'catalog.json');
  const state = JSON.parse(readFileSync(file, 'utf8')) as { formatVersion: number };
  state.formatVersion = 99;
  writeFileSync(file, JSON.stringify(state));
  await rejectsWith(te.reopen(), 'DATA_DIR_INCOMPATIBLE', '99');
  writeFileSync(file, '{not json');
  await rejectsWith(te.reopen(), 'FILE_CORRUPTED', 'catalog.json');
});

test('executeMany runs statements in order and stops at the first error', async () => {
  const te = await openTestEngine();
  try {
    const seen: string[] = [];
    await rejectsWith(
      (async () => {
        for await (const r of te.engine.executeMany(
          'create database e; use e; create table a (ts timestamp, v int); insert into nosuch values (1, 1); create table b (ts timestamp, v int)',
          te.session,
        ))
          seen.push(r.verb);
      })(),
      'TABLE_NOT_EXIST',
      'nosuch',
    );
    assert.deepEqual(seen, ['Create', 'Use', 'Create']);
    assert.deepEqual((await runSql(te, 'show e.tables')).rows, [['a']]);
    // a syntax error in a later statement does not stop the earlier ones
    const seen2: string[] = [];
    await rejectsWith(
      (async () => {
        for await (const r of te.engine.executeMany(
          'create table e.c (ts timestamp, v int); creat table e.d',
          te.session,
        ))
          seen2.push(r.verb);
      })(),
      'SYNTAX_ERROR',
    );
    assert.deepEqual(seen2, ['Create']);
    // execute: exactly one statement
    const r = await te.engine.execute('show e.tables;', te.session);
    assert.equal(r.kind, 'query');
  } finally {
    await te.close();
  }
});

test('concurrent inserts and DDL from many sessions all land', async () => {
  const te = await openTestEngine();
  try {
    await runSql(te, 'create database cc vgroups 3; use cc; create stable st (ts timestamp, v int) tags (g int)');
    const jobs: Promise<unknown>[] = [];
    for (let i = 0; i < 20; i++) {
      jobs.push(
        runSql(te, `insert into t${i} using st tags (${i}) values (${B + 1000 + i}, ${i}) (${B + 2000 + i}, ${i})`),
      );
      if (i % 5 === 0) jobs.push(runSql(te, `create table n${i} (ts timestamp, v int)`));
    }
    await Promise.all(jobs);
    assert.deepEqual((await runSql(te, 'select count(*), sum(v) from st')).rows, [[40n, 380n]]);
    assert.equal((await runSql(te, 'show tables')).rows.length, 24);
  } finally {
    await te.close();
  }
});

test('limits and a closed engine', async () => {
  const te = await openTestEngine();
  await rejectsWith(te.engine.execute(`select '${'x'.repeat(17 * 1024 * 1024)}'`, te.session), 'STATEMENT_TOO_LONG');
  await te.engine.close();
  await rejectsWith(te.engine.execute('show databases', te.session), 'SHUTTING_DOWN');
  await te.close();
});
