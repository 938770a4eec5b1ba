// Random SELECTs assembled from valid and invalid pieces (unknown names, wrong types, misplaced
// aggregates, odd windows): each must either return rows or fail with a BasaltError that is
// not INTERNAL — never a TypeError or an assertion from inside the select path.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { isBasaltError } from '../../src/common/errors.js';
import { mulberry32 } from './diff-harness.js';
import { openSelectFixture, type SelectFixture } from './select-fixture.js';

const T0 = 1_700_000_000_000;
const QUERIES = 1500;
let fx: SelectFixture;

before(async () => {
  fx = await openSelectFixture();
  await fx.exec(`create database fz vgroups 2; use fz;
    create stable st (ts timestamp, i int, b bigint, d double, f float, o bool, s varchar(8), n nchar(4), u int unsigned) tags (g int, loc varchar(8));
    create table t0 using st tags (1, 'a'); create table t1 using st tags (2, null); create table t2 using st tags (null, 'b')`);
  const rows = (_tb: string, k: number): string =>
    Array.from(
      { length: 40 },
      (_, r) =>
        `(${T0 + r * 1000 + k}, ${r % 7 === 0 ? 'null' : r - 20}, ${r * 1000}, ${r % 5 === 0 ? 'null' : r / 4}, ${r / 8}, ${r % 2 === 0}, ${r % 3 === 0 ? 'null' : `'s${r % 4}'`}, 'n${r % 3}', ${r})`,
    ).join(' ');
  await fx.exec(`insert into t0 values ${rows('t0', 0)} t1 values ${rows('t1', 1)}`);
});

after(async () => {
  await fx.close();
});

const COLS = ['ts', 'i', 'b', 'd', 'f', 'o', 's', 'n', 'u', 'g', 'loc', 'tbname', '_rowts', 'nosuch'];
const NUMS = ['i', 'b', 'd', 'f', 'u', 'g', '1', '2.5', '-3', 'null', "'7'"];
const AGGS = [
  'count(*)',
  'count(X)',
  'sum(X)',
  'avg(X)',
  'min(X)',
  'max(X)',
  'first(X)',
  'last(X)',
  'last_row(X)',
  'spread(X)',
  'stddev(X)',
  'percentile(X, 50)',
  'apercentile(X, 90)',
  'twa(X)',
  'first(*)',
  'last(*)',
  'nosuchfn(X)',
  'sum(s)',
  'percentile(X, 200)',
];
const SCALARS = [
  'abs(X)',
  'ceil(X)',
  'floor(X)',
  'round(X)',
  'length(s)',
  'lower(s)',
  'upper(n)',
  'concat(s, loc)',
  'cast(X as varchar(4))',
  'cast(X as bigint)',
  'timetruncate(ts, 1s)',
  'to_iso8601(ts)',
  'X + Y',
  'X * Y',
  'X / Y',
  'X - Y',
  '-X',
  'now()',
  'abs(s)',
  'case when X > 0 then Y else 0 end',
  "case X when 1 then 's' else n end",
  'abs(ceil(X) - floor(Y))',
  'cast(s as int) + X',
  'timetruncate(X, 1h)',
  'length(concat(s, n))',
  'X % Y',
  '_wstart',
  '_wend',
  '_qstart',
  'count(*) + X',
];
const PREDS = [
  'X > Y',
  'X = Y',
  'X <> Y',
  'X between 1 and 9',
  'X in (1, 2, null)',
  'X not in (3)',
  "s like 's%'",
  "s match '^s[12]'",
  'X is null',
  'X is not null',
  'ts > now - 1h',
  `ts >= ${T0 + 5000}`,
  "ts < '2023-11-14 22:14:00'",
  "loc = 'a'",
  'g in (1, 2)',
  "tbname = 't1'",
  'o',
  'not o',
  'X > count(*)',
  "ts > 'garbage'",
];
const WINDOWS = [
  '',
  '',
  '',
  'interval(5s)',
  'interval(10s) sliding(5s)',
  'interval(5s) fill(prev)',
  'interval(5s) fill(linear)',
  'interval(5s) fill(value, 1)',
  'interval(5s) fill(null)',
  'interval(1u)',
  'interval(5s) sliding(10s)',
  'interval(0s)',
  'interval(1n)',
  'interval(1y) fill(prev)',
  'interval(1n, 1d)',
  'session(ts, 2s)',
  'state_window(o)',
  'state_window(X)',
  'session(X, 1s)',
];

test(`${QUERIES} random selects return rows or a non-internal BasaltError`, async () => {
  const next = mulberry32(Number(process.env['BASALT_SELECT_FUZZ_SEED'] ?? 7));
  const pick = <T>(a: readonly T[]): T => a[Math.floor(next() * a.length)]!;
  const fill = (tpl: string): string =>
    tpl.replace(/X/g, () => pick(COLS.slice(1, 10))).replace(/Y/g, () => pick(NUMS));
  let ok = 0,
    failed = 0;
  for (let q = 0; q < QUERIES; q++) {
    const items: string[] = [];
    const agg = next() < 0.5;
    for (let k = 0, n = 1 + Math.floor(next() * 3); k < n; k++) {
      const r = next();
      items.push(agg && r < 0.6 ? fill(pick(AGGS)) : r < 0.8 ? fill(pick(SCALARS)) : pick(COLS));
    }
    if (agg && next() < 0.3) items.push('_wstart');
    const distinct = !agg && next() < 0.1 ? 'distinct ' : '';
    let sql = `select ${distinct}${items.join(', ')} from ${pick(['st', 't0', 't1', 't2', 'nosuch', 'fz.st'])}`;
    if (next() < 0.6) sql += ` where ${fill(pick(PREDS))}${next() < 0.3 ? ` and ${fill(pick(PREDS))}` : ''}`;
    if (next() < 0.3) sql += ` partition by ${pick(['tbname', 'loc', 'g', 'o', 's'])}`;
    if (agg) sql += ` ${pick(WINDOWS)}`;
    if (next() < 0.2) sql += ` group by ${pick(['loc', 'tbname', 'o', 'i', 's, o', 'count(*)'])}`;
    if (agg && next() < 0.15)
      sql += ` having ${fill(pick(['count(*) > Y', 'max(X) < Y', 'X > 1', 'sum(X) is not null']))}`;
    if (next() < 0.3)
      sql += ` order by ${pick(['1', 'ts', '_wstart', 'tbname', items.length > 1 ? '2 desc' : '1 desc', '9'])}`;
    if (next() < 0.2) sql += ' slimit 1';
    if (next() < 0.3)
      sql += ` limit ${Math.floor(next() * 5)}${next() < 0.5 ? ` offset ${Math.floor(next() * 3)}` : ''}`;
    try {
      await fx.rows(sql);
      ok++;
    } catch (e) {
      assert.ok(isBasaltError(e), `${sql}\n  threw a non-BasaltError: ${e instanceof Error ? e.stack : String(e)}`);
      assert.notEqual(e.errorName, 'INTERNAL', `${sql}\n  internal error: ${e.message}`);
      failed++;
    }
  }
  // Both outcomes must actually occur, or the generator is not testing what it claims.
  assert.ok(ok > QUERIES / 10, `only ${ok} queries succeeded`);
  assert.ok(failed > QUERIES / 10, `only ${failed} queries failed`);
});
