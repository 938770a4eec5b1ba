// The select path without the engine: stores opened directly, a hand-built SelectContext.
// Checks that subplans are plain data (a structured clone runs the same), that tables are
// routed to the vgroup owning hash32(name), and that the fast paths (block statistics,
// last-row cache) agree with scanning.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { valueAt, type ColumnBlock } from '../../src/common/block.js';
import { hash32, hashRanges } from '../../src/common/hash.js';
import { DataType } from '../../src/common/types.js';
import type { SelectStmt } from '../../src/sql/ast.js';
import { parseOne } from '../../src/sql/index.js';
import { localStoreOf, type DbHandle, type SelectContext, type VgroupHandle } from '../../src/query/select-api.js';
import { analyzeSelect, runSelect } from '../../src/query/select/index.js';
import { runAggSubplan, runRowsSubplan } from '../../src/query/select/exec-subplan.js';
import { buildMergeBatch } from '../../src/query/select/merge.js';
import { exportPartial, importPartial } from '../../src/query/select/partial-state.js';
import { openVnodeStore } from '../../src/storage/index.js';
import type { VnodeStore } from '../../src/storage/api.js';

const T0 = 1_700_000_000_000;
const TABLES = 12;
const ROWS = 2000;
let dir = '';
let db: DbHandle;
let stores: VnodeStore[] = [];
let ctx: SelectContext;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'basalt-subplan-'));
  const ranges = hashRanges(3);
  const vgroups: VgroupHandle[] = [];
  for (let v = 0; v < 3; v++) {
    const store = await openVnodeStore(join(dir, `v${v}`), {
      precision: 'ms',
      bufferBytes: 8 << 20,
      durationMs: 86_400_000,
      keepMs: 3650 * 86_400_000,
      walLevel: 1,
      walFsyncPeriodMs: 1000,
      maxRows: 256,
      minRows: 16,
    });
    await store.createSuperTable({
      name: 'st',
      columns: [
        { name: 'ts', type: DataType.TIMESTAMP, bytes: 8 },
        { name: 'v', type: DataType.DOUBLE, bytes: 8 },
        { name: 'n', type: DataType.INT, bytes: 4 },
      ],
      tags: [{ name: 'k', type: DataType.INT, bytes: 4 }],
    });
    stores.push(store);
    vgroups.push({ vgId: v + 2, hashBegin: ranges[v]!.begin, hashEnd: ranges[v]!.end, store, remote: null });
  }
  db = { name: 'x', precision: 'ms', vgroups };
  ctx = { session: { user: 'root', db: 'x' }, getDb: () => db, nowMs: () => T0, serverVersion: 't' };
  for (let t = 0; t < TABLES; t++) {
    const name = `c${t}`;
    const h = hash32(name);
    const vg = vgroups.find((g) => g.hashBegin <= h && h <= g.hashEnd)!;
    const ts = new Float64Array(ROWS),
      v = new Float64Array(ROWS),
      n = new Int32Array(ROWS);
    for (let i = 0; i < ROWS; i++) {
      ts[i] = T0 + i * 1000;
      v[i] = (t * 7 + i * 13) % 101;
      n[i] = i % 5;
    }
    const nulls = new Uint8Array(ROWS);
    nulls[ROWS - 1] = t % 2; // every other table ends with a null v: last_row must show it
    await vg.store.write({
      createTables: [{ name, stable: 'st', tagValues: [t % 3] }],
      rows: [
        {
          table: name,
          block: {
            numRows: ROWS,
            columns: [
              { type: DataType.TIMESTAMP, data: ts, nulls: null },
              { type: DataType.DOUBLE, data: v, nulls },
              { type: DataType.INT, data: n, nulls: null },
            ],
          },
        },
      ],
    });
  }
  for (const s of stores) {
    await s.flush();
    await s.compact();
  }
});

after(async () => {
  for (const s of stores) await s.close();
  stores = [];
  rmSync(dir, { recursive: true, force: true });
});

async function rows(sql: string): Promise<unknown[][]> {
  const r = await runSelect(parseOne(sql) as SelectStmt, ctx);
  const out: unknown[][] = [];
  for await (const b of r.blocks) for (let i = 0; i < b.numRows; i++) out.push(b.columns.map((c) => valueAt(c, i)));
  return out;
}

function blockRows(bs: Iterable<ColumnBlock>): unknown[][] {
  const out: unknown[][] = [];
  for (const b of bs) for (let i = 0; i < b.numRows; i++) out.push(b.columns.map((c) => valueAt(c, i)));
  return out;
}

test('child tables are spread over the vgroups by name hash, each subplan reads its own', async () => {
  const counts = stores.map((s) => s.listTables({ stable: 'st' }).length);
  assert.equal(
    counts.reduce((a, b) => a + b, 0),
    TABLES,
  );
  assert.ok(counts.filter((c) => c > 0).length >= 2, `tables spread: ${counts.join(',')}`);
  const { plan } = analyzeSelect(parseOne('select count(*) from st') as SelectStmt, ctx);
  assert.equal(plan.subplans.length, 3);
  const { plan: one } = analyzeSelect(parseOne('select count(*) from c5') as SelectStmt, ctx);
  assert.equal(one.subplans.length, 1);
  assert.equal(
    one.subplans[0]!.vgId,
    db.vgroups.find((g) => g.hashBegin <= hash32('c5') && hash32('c5') <= g.hashEnd)!.vgId,
  );
});

test('subplans survive a structured clone (plain data) and run the same', async () => {
  for (const sql of [
    'select k, count(*), avg(v), max(n) from st where ts >= 1700000100000 and v > 10 group by k',
    'select _wstart, sum(v) from st where k in (1, 2) interval(1m)',
    'select tbname, v from st where n = 3 and ts < 1700000020000',
  ]) {
    const { plan, vgroups: byVg } = analyzeSelect(parseOne(sql) as SelectStmt, ctx);
    for (const sp of plan.subplans) {
      const clone = structuredClone(sp);
      assert.deepEqual(clone, sp);
      const store = localStoreOf(byVg.get(sp.vgId)!);
      if (sp.mode === 'rows') {
        assert.deepEqual(blockRows(runRowsSubplan(clone, store)), blockRows(runRowsSubplan(sp, store)));
      } else {
        const a = runAggSubplan(clone, store),
          b = runAggSubplan(sp, store);
        assert.equal(a.groups.size, b.groups.size);
        for (let g = 0; g < a.groups.size; g++)
          assert.deepEqual(
            a.accs.map((x) => x.result(g)),
            b.accs.map((x) => x.result(g)),
          );
      }
    }
  }
});

test('partial aggregates survive export, a structured clone and import (for RPC)', async () => {
  for (const sql of [
    'select k, count(*), sum(v), avg(n), min(v), max(v), first(v), last(v), last_row(v), spread(v), stddev(v), percentile(v, 30), twa(v) from st partition by tbname',
    'select _wstart, count(*), avg(v), max(n) from st where n > 1 interval(7m) sliding(3m)',
    'select max(v), ts, tbname from st',
    'select k, count(v) from st group by k',
  ]) {
    const { plan, vgroups: byVg } = analyzeSelect(parseOne(sql) as SelectStmt, ctx);
    const partials = plan.subplans.map((sp) => runAggSubplan(sp, localStoreOf(byVg.get(sp.vgId)!)));
    const shipped = partials.map((p) => importPartial(structuredClone(exportPartial(p)), plan.aggs));
    const direct = buildMergeBatch(plan, partials),
      viaState = buildMergeBatch(plan, shipped);
    assert.ok(direct.numRows > 0, sql);
    assert.deepEqual(
      viaState.cols.map((c) => blockRows([{ numRows: viaState.numRows, columns: [c] }])),
      direct.cols.map((c) => blockRows([{ numRows: direct.numRows, columns: [c] }])),
      sql,
    );
  }
});

test('block statistics, the last-row cache and scans give the same answers', async () => {
  const { plan } = analyzeSelect(
    parseOne('select k, count(*), sum(v), min(v), max(v), first(v), last(v), avg(n) from st group by k') as SelectStmt,
    ctx,
  );
  assert.ok(
    plan.subplans.every((s) => s.useBlockStats),
    'plan uses block statistics',
  );
  const stats = await rows(
    'select k, count(*), sum(v), min(v), max(v), first(v), last(v), avg(n) from st group by k order by k',
  );
  const scan = await rows(
    'select k, count(*), sum(v), min(v), max(v), first(v), last(v), avg(n) from st where n >= 0 group by k order by k',
  );
  assert.equal(stats.length, 3);
  assert.deepEqual(stats, scan);
  const win = await rows('select _wstart, count(*), sum(v) from st interval(10m)');
  const winScan = await rows('select _wstart, count(*), sum(v) from st where n >= 0 interval(10m)');
  assert.deepEqual(win, winScan);
  assert.equal(
    win.reduce((s, r) => s + Number(r[1]), 0),
    TABLES * ROWS,
  );
  const { plan: lr } = analyzeSelect(parseOne('select last_row(v) from st partition by tbname') as SelectStmt, ctx);
  assert.ok(
    lr.subplans.every((s) => s.useLastRowCache),
    'plan uses the last-row cache',
  );
  const cache = await rows('select tbname, last_row(v), last_row(n) from st partition by tbname order by tbname');
  const scanned = await rows(
    'select tbname, last_row(v), last_row(n) from st where n >= 0 partition by tbname order by tbname',
  );
  assert.deepEqual(cache, scanned);
  assert.equal(cache.filter((r) => r[1] === null).length, TABLES / 2);
});
