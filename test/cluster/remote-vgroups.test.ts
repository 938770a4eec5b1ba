// Per-vgroup placement: a replica-3 database with 4 vgroups on 4 dnodes puts 3 replicas of
// each vgroup on 3 of them, so every dnode lacks some vgroups. Statements through any dnode
// still see the whole database: writes to vgroups it does not host are proposed at their
// leaders, table meta comes from their replicas, select subplans run there and merge here.
// Killing every dnode at once and restarting them brings every vgroup back with its rows.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from '../../src/client/index.js';
import { allocVector } from '../../src/common/block.js';
import { DataType } from '../../src/common/types.js';
import { dnodes, sql, sqlError, TestCluster, waitFor, startThreeMnodeCluster } from './harness.js';

const cluster = new TestCluster();
after(() => cluster.cleanup());

const TABLES = 12;
const ROWS = 30;
const T0 = 1_700_000_000_000;

test('replica 3 on 4 dnodes: each dnode hosts 3 of 4 vgroups and serves the whole database', {
  timeout: 180_000,
}, async () => {
  const ports3 = await startThreeMnodeCluster(cluster, ['r1', 'r2', 'r3']);
  const p4 = ports3[2] + 100;
  await cluster.start('r4', p4, { firstEp: `localhost:${ports3[0]}` });
  await sql(ports3[0], `create dnode "localhost:${p4}"`);
  await waitFor('four ready dnodes', 15_000, async () => {
    const d = await dnodes(ports3[0]);
    return d.size === 4 && [...d.values()].every((x) => x.status === 'ready') ? true : undefined;
  });
  const ports = [...ports3, p4];

  await sql(ports[3], 'create database test replica 3 vgroups 4');
  const d = await dnodes(ports[0]);
  assert.deepEqual(
    [...d.values()].map((x) => x.vnodes),
    [3, 3, 3, 3],
    'vnodes spread: 12 replicas over 4 dnodes',
  );
  for (const [i, p] of ports.entries())
    assert.equal((await sql(p, `show vnodes on dnode ${i + 1}`)).length, 3, `dnode on port ${p} hosts 3 vnodes`);
  const all = await sql(ports[0], 'show vnodes');
  assert.equal(all.length, 12);
  assert.deepEqual(
    [1, 2, 3, 4].map((id) => all.filter((r) => Number(r[0]) === id).length),
    [3, 3, 3, 3],
  );

  await sql(ports[0], 'create stable test.meters (ts timestamp, v int, f double) tags (loc int, name varchar(16))');
  // Each dnode writes a quarter of the tables with SQL (auto-create), some of which live in
  // vgroups it does not host.
  for (let t = 0; t < TABLES; t++) {
    const vals = Array.from({ length: ROWS }, (_, r) => `(${T0 + r * 1000}, ${t * 1000 + r}, ${r / 4})`).join(' ');
    await sql(ports[t % 4]!, `insert into test.d${t} using test.meters tags (${t}, 'n${t}') values ${vals}`);
  }
  // The columnar bulk path through dnode 4.
  const c = await connect({ host: '127.0.0.1', port: ports[3]!, timeoutMs: 8_000 });
  try {
    const ts = allocVector(DataType.TIMESTAMP, ROWS);
    const v = allocVector(DataType.INT, ROWS);
    const f = allocVector(DataType.DOUBLE, ROWS);
    for (let r = 0; r < ROWS; r++) {
      (ts.data as Float64Array)[r] = T0 + r * 1000;
      (v.data as Int32Array)[r] = r;
      (f.data as Float64Array)[r] = r;
    }
    const n = await c.insertColumnar(
      'test',
      [100, 101, 102, 103].map((t) => ({
        table: `b${t}`,
        using: { stable: 'meters', tags: [t, `b${t}`] },
        block: { numRows: ROWS, columns: [ts, v, f] },
      })),
    );
    assert.equal(n, 4 * ROWS);
  } finally {
    c.close();
  }
  const total = (TABLES + 4) * ROWS;

  for (const p of ports) {
    assert.equal(
      Number((await sql(p, 'select count(*) from test.meters'))[0]![0]),
      total,
      `count(*) through port ${p}`,
    );
    const byTable = await sql(
      p,
      'select tbname, count(*), sum(v), max(f) from test.meters partition by tbname order by tbname',
    );
    assert.equal(byTable.length, TABLES + 4);
    const d5 = byTable.find((r) => r[0] === 'd5')!;
    assert.deepEqual(
      [Number(d5[1]), Number(d5[2]), Number(d5[3])],
      [ROWS, 5000 * ROWS + (ROWS * (ROWS - 1)) / 2, (ROWS - 1) / 4],
    );
    // Rows from one table (one vgroup: remote from 3 of the 4 dnodes), newest first.
    const last = await sql(p, 'select ts, v from test.d7 order by ts desc limit 3');
    assert.deepEqual(
      last.map((r) => Number(r[1])),
      [7029, 7028, 7027],
    );
    const tagged = await sql(p, "select count(*) from test.meters where name = 'n3'");
    assert.equal(Number(tagged[0]![0]), ROWS);
    const lr = await sql(p, 'select last_row(v) from test.d11');
    assert.equal(Number(lr[0]![0]), 11029);
    assert.equal((await sql(p, 'show test.tables')).length, TABLES + 4, `show tables through port ${p}`);
    const desc = await sql(p, 'describe test.d2');
    assert.deepEqual(
      desc.map((r) => String(r[0])),
      ['ts', 'v', 'f', 'loc', 'name'],
    );
  }
  // DDL through a dnode that lacks the table's vgroup; errors name the problem.
  await sql(ports[1], 'create table test.plain (ts timestamp, x int)');
  await sql(ports[2], `insert into test.plain values (${T0}, 1) (${T0 + 1}, 2)`);
  for (const p of ports) assert.equal(Number((await sql(p, 'select sum(x) from test.plain'))[0]![0]), 3);
  const dup = await sqlError(ports[3], 'create table test.plain (ts timestamp, x int)');
  assert.match(dup.message, /already exists/);
  await sql(ports[0], 'drop table test.d0');
  for (const p of ports) {
    assert.equal(
      Number((await sql(p, 'select count(*) from test.meters'))[0]![0]),
      total - ROWS,
      `count after drop through ${p}`,
    );
  }
  const missing = await sqlError(ports[3], 'select * from test.d0');
  assert.match(missing.message, /d0/);

  const vg = await sql(ports[3], 'show test.vgroups');
  assert.equal(vg.length, 4);
  for (const r of vg) {
    const roles = [r[4], r[6], r[8]].map(String);
    assert.equal(roles.filter((x) => x === 'leader').length, 1, `vgroup ${String(r[0])}: ${roles.join(',')}`);
  }

  // Two of the four dnodes down: vgroups with two live replicas still answer; the others fail
  // within seconds with an error naming the vgroup (never a hang).
  await cluster.kill('r2', 'SIGKILL');
  await cluster.kill('r3', 'SIGKILL');
  const t0 = Date.now();
  const outcomes = await Promise.allSettled(
    Array.from({ length: TABLES }, (_, t) => t)
      .filter((t) => t !== 0)
      .map((t) => sql(ports[0], `select count(*) from test.d${t}`)),
  );
  const tookMs = Date.now() - t0;
  const ok = outcomes.filter((o) => o.status === 'fulfilled');
  const failed = outcomes
    .filter((o): o is PromiseRejectedResult => o.status === 'rejected')
    .map((o) => String((o.reason as Error).message));
  assert.ok(
    ok.length > 0 && failed.length > 0,
    `some tables answer (${ok.length}), some vgroups lack a quorum (${failed.length}): ${failed.join(' | ')}`,
  );
  for (const o of ok) assert.equal(Number((o as PromiseFulfilledResult<unknown[][]>).value[0]![0]), ROWS);
  for (const m of failed) assert.match(m, /vgroup \d+ of db test has no leader/);
  assert.ok(
    failed.some((m) => /vgroup \d+ of db test has no leader: dnodes 2, 3 unreachable/.test(m)),
    failed.join('\n'),
  );
  assert.ok(tookMs < 15_000, `the failures came back in ${tookMs} ms`);

  // Every dnode killed at once and restarted: every vgroup comes back with all its rows.
  const names = ['r1', 'r2', 'r3', 'r4'];
  await Promise.all(names.map((n) => cluster.kill(n, 'SIGKILL')));
  for (const [i, n] of names.entries())
    await cluster.start(`${n}b`, ports[i]!, { dataDir: cluster.procs.get(n)!.dataDir });
  for (const p of ports) {
    await waitFor(
      `count after a full restart through ${p}`,
      30_000,
      async () => {
        try {
          return Number((await sql(p, 'select count(*) from test.meters'))[0]![0]) === total - ROWS ? true : undefined;
        } catch {
          return undefined;
        }
      },
      250,
    );
    assert.equal(Number((await sql(p, 'select sum(x) from test.plain'))[0]![0]), 3);
  }
});
