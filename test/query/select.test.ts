// The select path feature by feature, through the engine (SQL text → parse → runSelect) on
// the real storage engine: part of the data flushed to files, part in the memtable.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { BasaltError, type ErrorName } from '../../src/common/errors.js';
import { DataType } from '../../src/common/types.js';
import { Limits } from '../../src/common/limits.js';
import { openSelectFixture, type Cell, type SelectFixture } from './select-fixture.js';

const T0 = 1_700_000_000_000; // divisible by 2000, so 1 s / 2 s windows start at T0

let fx: SelectFixture;

before(async () => {
  fx = await openSelectFixture();
  await fx.exec(`create database sdb vgroups 2; use sdb;
    create stable meters (ts timestamp, current float, voltage int, phase float, name varchar(10)) tags (groupid int, location varchar(24));
    create table d0 using meters tags (1, 'SF'); create table d1 using meters tags (2, 'LA'); create table d2 using meters tags (1, 'LA');
    create table nt (ts timestamp, v bigint, s nchar(8))`);
  await fx.exec(`insert into d0 values (${T0}, 10, 220, 0.5, 'alpha') (${T0 + 1000}, 11, 221, 0.5, 'beta') (${T0 + 2000}, 12, 222, null, 'gamma')
    d1 values (${T0 + 500}, 1, 100, 0.125, 'x') (${T0 + 1500}, 2, 101, 0.125, 'y')`);
  await fx.exec('flush database sdb');
  await fx.exec(`insert into d0 values (${T0 + 3000}, null, 223, 0.25, null) (${T0 + 4000}, 14, 224, 0.5, 'Delta') (${T0 + 5000}, null, 225, 0.5, 'eps')
    d1 values (${T0 + 10000}, 3, 102, 0.125, 'z')
    nt values (${T0}, 9007199254740993, 'ab') (${T0 + 1}, -5, null)`);
});

after(async () => {
  await fx.close();
});

async function expectRows(sql: string, rows: Cell[][]): Promise<void> {
  assert.deepEqual(await fx.rows(sql), rows, sql);
}

async function expectError(sql: string, name: ErrorName, text?: string): Promise<void> {
  await assert.rejects(fx.rows(sql), (e: unknown) => {
    assert.ok(e instanceof BasaltError, `${sql}: ${String(e)}`);
    assert.equal(e.errorName, name, `${sql}: ${e.message}`);
    if (text !== undefined) assert.ok(e.message.includes(text), `'${e.message}' should mention '${text}'`);
    return true;
  });
}

function close(a: Cell, b: number, eps = 1e-9): void {
  assert.ok(typeof a === 'number' && Math.abs(a - b) <= eps * Math.max(1, Math.abs(b)), `${String(a)} ≈ ${b}`);
}

describe('projection and filters', () => {
  test('select * from a child table returns its columns in schema order', async () => {
    const r = await fx.query('select * from d0');
    assert.deepEqual(
      r.columns.map((c) => c.name),
      ['ts', 'current', 'voltage', 'phase', 'name'],
    );
    assert.equal(r.rows.length, 6);
    assert.deepEqual(r.rows[0], [T0, 10, 220, 0.5, 'alpha']);
    assert.deepEqual(r.rows[3], [T0 + 3000, null, 223, 0.25, null]);
  });
  test('select * from a super table adds the tags', async () => {
    const r = await fx.query("select * from meters where tbname = 'd1'");
    assert.deepEqual(
      r.columns.map((c) => c.name),
      ['ts', 'current', 'voltage', 'phase', 'name', 'groupid', 'location'],
    );
    assert.deepEqual(r.rows[0], [T0 + 500, 1, 100, 0.125, 'x', 2, 'LA']);
  });
  test('expressions are named as written and arithmetic is DOUBLE', async () => {
    const r = await fx.query(
      `select voltage + 1, voltage * 2, voltage / 4, -voltage, voltage > 220 from d0 where ts = ${T0}`,
    );
    assert.deepEqual(
      r.columns.map((c) => c.name),
      ['voltage + 1', 'voltage * 2', 'voltage / 4', '-voltage', 'voltage > 220'],
    );
    assert.deepEqual(
      r.columns.map((c) => c.type),
      [DataType.DOUBLE, DataType.DOUBLE, DataType.DOUBLE, DataType.DOUBLE, DataType.BOOL],
    );
    assert.deepEqual(r.rows, [[221, 440, 55, -220, false]]);
  });
  test('division by zero is null', async () => {
    await expectRows(`select voltage / 0 from d0 where ts = ${T0}`, [[null]]);
  });
  test('and / or / not, in, between, like, is null', async () => {
    await expectRows('select voltage from d0 where voltage > 221 and not (voltage = 224)', [[222], [223], [225]]);
    await expectRows('select voltage from d0 where voltage = 220 or voltage >= 225', [[220], [225]]);
    await expectRows('select voltage from d0 where voltage in (221, 223, 999)', [[221], [223]]);
    await expectRows('select voltage from d0 where voltage not in (220, 221, 222)', [[223], [224], [225]]);
    await expectRows('select voltage from d0 where voltage between 222 and 223', [[222], [223]]);
    await expectRows('select voltage from d0 where voltage not between 221 and 224', [[220], [225]]);
    await expectRows("select name from d0 where name like '%a'", [['alpha'], ['beta'], ['gamma'], ['Delta']]);
    await expectRows("select name from d0 where name like '_e%'", [['beta'], ['Delta']]);
    await expectRows("select name from d0 where name not like '%a'", [['eps']]);
    await expectRows('select voltage from d0 where current is null', [[223], [225]]);
    await expectRows('select count(*) from d0 where current is not null', [[4n]]);
  });
  test('match / nmatch take regular expressions', async () => {
    await expectRows("select name from d0 where name match '^[a-c]'", [['alpha'], ['beta']]);
    await expectRows("select name from d0 where name nmatch 'a'", [['eps']]);
    await expectError("select name from d0 where name match '('", 'WRONG_VALUE_TYPE', 'regular expression');
  });
  test('case expressions', async () => {
    await expectRows(
      "select case when voltage > 223 then 'high' when voltage > 221 then 'mid' else 'low' end from d0",
      [['low'], ['low'], ['mid'], ['mid'], ['high'], ['high']],
    );
    await expectRows('select case voltage when 220 then 1 when 221 then 2.5 end from d0 limit 3', [[1], [2.5], [null]]);
    await expectRows(
      "select case when count(*) > 5 then 'many' else 'few' end, tbname from meters partition by tbname",
      [
        ['many', 'd0'],
        ['few', 'd1'],
      ],
    );
    await expectRows('select sum(case when current is null then 1 else 0 end) from meters', [[2n]]);
  });
  test('select distinct', async () => {
    await expectRows('select distinct location from meters', [['LA'], ['SF']]);
    await expectRows('select distinct groupid, location from meters order by groupid desc', [
      [2, 'LA'],
      [1, 'SF'],
    ]);
    await expectRows('select distinct phase from d0', [[null], [0.25], [0.5]]);
  });
  test('where on ts narrows the scan range (literals and timestamp strings)', async () => {
    await expectRows(`select voltage from d0 where ts > ${T0 + 1000} and ts <= ${T0 + 3000}`, [[222], [223]]);
    await expectRows("select voltage from d0 where ts >= '2023-11-14T22:13:24Z'", [[224], [225]]);
    await expectRows(`select voltage from d0 where ts between ${T0 + 4000} and ${T0 + 9000}`, [[224], [225]]);
    await expectRows(`select voltage from d0 where ts < ${T0}`, []);
  });
  test('where on tags uses the tag index and the per-table filter', async () => {
    await expectRows("select tbname, voltage from meters where location = 'LA' order by ts", [
      ['d1', 100],
      ['d1', 101],
      ['d1', 102],
    ]);
    await expectRows("select count(*) from meters where groupid in (1) and location = 'SF'", [[6n]]);
    await expectRows("select count(*) from meters where location <> 'SF'", [[3n]]);
  });
  test('pseudo columns tbname and _rowts', async () => {
    await expectRows(`select tbname, _rowts from meters where ts = ${T0 + 500}`, [['d1', T0 + 500]]);
  });
  test('bigint values stay exact', async () => {
    await expectRows('select v from nt order by ts', [[9007199254740993n], [-5n]]);
    await expectRows('select sum(v), max(v), min(v) from nt', [[9007199254740988n, 9007199254740993n, -5n]]);
  });
});

describe('scalar functions', () => {
  test('numeric functions', async () => {
    await expectRows(
      `select abs(-voltage), ceil(current + 0.2), floor(current + 0.8), round(current + 0.5), round(0 - current - 0.5) from d0 where ts = ${T0}`,
      [[220, 11, 10, 11, -11]],
    );
  });
  test('string functions', async () => {
    await expectRows(
      `select concat(name, '-', tbname), length(name), lower(name), upper(name) from d0 where ts = ${T0 + 4000}`,
      [['Delta-d0', 5n, 'delta', 'DELTA']],
    );
    await expectRows('select length(s) from nt order by ts', [[8n], [null]]);
  });
  test('cast', async () => {
    const r = await fx.query(
      `select cast(voltage as varchar(8)), cast(current as int), cast(voltage as bigint), cast(voltage as double) from d0 where ts = ${T0 + 1000}`,
    );
    assert.deepEqual(r.rows, [['221', 11, 221n, 221]]);
    assert.deepEqual(
      r.columns.map((c) => c.type),
      [DataType.VARCHAR, DataType.INT, DataType.BIGINT, DataType.DOUBLE],
    );
    assert.equal(r.columns[0]!.bytes, 8);
  });
  test('timetruncate, to_iso8601, now', async () => {
    await expectRows(`select timetruncate(ts, 1h), to_iso8601(ts) from d0 where ts = ${T0 + 1000}`, [
      [T0 - (T0 % 3_600_000), '2023-11-14T22:13:21.000+00:00'],
    ]);
    await expectRows('select now() from d0 limit 1', [[T0]]);
    await expectRows(`select count(*) from d0 where ts > now + 1s`, [[4n]]);
  });
  test('FROM-less selects', async () => {
    await expectRows("select 1 + 1, 'a', 2 * 3.5", [[2, 'a', 7]]);
    await expectRows('select server_version(), database()', [['3.3.6.0', 'sdb']]);
    await expectRows('select basalt_version()', [['0.1.0']]);
    const r = await fx.query('select now()');
    assert.deepEqual(r.rows, [[T0]]);
    assert.equal(r.columns[0]!.type, DataType.TIMESTAMP);
  });
});

describe('aggregates', () => {
  test('all aggregate functions over one table', async () => {
    const r =
      await fx.query(`select count(*), count(current), sum(voltage), avg(voltage), min(current), max(current), first(current),
      last(current), last_row(current), spread(voltage), stddev(voltage), percentile(voltage, 50), apercentile(voltage, 50), twa(voltage) from d0`);
    assert.deepEqual(r.columns.map((c) => c.name).slice(0, 4), [
      'count(*)',
      'count(current)',
      'sum(voltage)',
      'avg(voltage)',
    ]);
    assert.deepEqual(
      r.columns.map((c) => c.type),
      [
        DataType.BIGINT,
        DataType.BIGINT,
        DataType.BIGINT,
        DataType.DOUBLE,
        DataType.FLOAT,
        DataType.FLOAT,
        DataType.FLOAT,
        DataType.FLOAT,
        DataType.FLOAT,
        DataType.DOUBLE,
        DataType.DOUBLE,
        DataType.DOUBLE,
        DataType.DOUBLE,
        DataType.DOUBLE,
      ],
    );
    const row = r.rows[0]!;
    assert.deepEqual(row.slice(0, 10), [6n, 4n, 1335n, 222.5, 10, 14, 10, 14, null, 5]);
    close(row[10]!, Math.sqrt(35 / 12));
    close(row[11]!, 222.5);
    close(row[12]!, 222.5);
    close(row[13]!, 222.5);
  });
  test('sum of floats is DOUBLE; aggregates over no rows', async () => {
    const r = await fx.query(
      `select sum(current), count(*), avg(current), max(voltage) from d0 where ts > ${T0 + 100000}`,
    );
    assert.equal(r.columns[0]!.type, DataType.DOUBLE);
    assert.deepEqual(r.rows, [[null, 0n, null, null]]);
  });
  test('a super table aggregates across its child tables (block statistics and scan agree)', async () => {
    const stats = await fx.rows(
      'select count(*), sum(voltage), min(current), max(current), first(voltage), last(voltage), avg(voltage) from meters',
    );
    const scan = await fx.rows(
      'select count(*), sum(voltage), min(current), max(current), first(voltage), last(voltage), avg(voltage) from meters where voltage > -1',
    );
    assert.deepEqual(stats, [[9n, 1638n, 1, 14, 220, 102, 182]]);
    assert.deepEqual(scan, stats);
  });
  test('expressions over aggregates and aggregates over expressions', async () => {
    await expectRows('select count(*) + 1, max(voltage) - min(voltage), sum(voltage * 2) from d0', [[7, 5, 2670]]);
  });
  test('partition by tbname and group by tag / column', async () => {
    await expectRows('select tbname, count(*), last_row(voltage) from meters partition by tbname', [
      ['d0', 6n, 225],
      ['d1', 3n, 102],
    ]);
    await expectRows('select location, count(*), avg(voltage) from meters group by location order by location', [
      ['LA', 3n, 101],
      ['SF', 6n, 222.5],
    ]);
    await expectRows('select groupid, max(voltage) from meters group by groupid order by groupid desc', [
      [2, 102],
      [1, 225],
    ]);
    await expectRows('select phase, count(*) from meters group by phase order by phase', [
      [null, 1n],
      [0.125, 3n],
      [0.25, 1n],
      [0.5, 4n],
    ]);
  });
  test('a tag selected with partition by tbname', async () => {
    await expectRows('select tbname, location, count(*) from meters partition by tbname order by tbname', [
      ['d0', 'SF', 6n],
      ['d1', 'LA', 3n],
    ]);
  });
  test('last_row from the cache and from a scan agree', async () => {
    await expectRows('select last_row(current), last_row(voltage) from meters partition by tbname order by 2', [
      [3, 102],
      [null, 225],
    ]);
    await expectRows(`select last_row(current), last_row(voltage) from d0 where ts < ${T0 + 4500}`, [[14, 224]]);
  });
  test('a single selector brings the other columns of its row', async () => {
    await expectRows('select max(voltage), ts, name from d0', [[225, T0 + 5000, 'eps']]);
    await expectRows('select last(current), _rowts, voltage from d0', [[14, T0 + 4000, 224]]);
    await expectRows('select min(voltage), tbname, ts from meters', [[100, 'd1', T0 + 500]]);
    await expectRows('select tbname, max(voltage), ts from meters partition by tbname', [
      ['d0', 225, T0 + 5000],
      ['d1', 102, T0 + 10000],
    ]);
    await expectRows('select _wstart, first(voltage), name from d0 interval(2s)', [
      [T0, 220, 'alpha'],
      [T0 + 2000, 222, 'gamma'],
      [T0 + 4000, 224, 'Delta'],
    ]);
    await expectRows('select location, max(current), tbname from meters group by location order by location', [
      ['LA', 3, 'd1'],
      ['SF', 14, 'd0'],
    ]);
    await expectError('select max(voltage), min(voltage), ts from d0', 'GROUPBY_LACK_EXPRESSION', 'ts');
  });
  test('having filters groups', async () => {
    await expectRows('select location, count(*) from meters group by location having count(*) > 3', [['SF', 6n]]);
  });
});

describe('windows', () => {
  test('interval with _wstart, _wend', async () => {
    const r = await fx.query('select _wstart, _wend, count(*), max(voltage) from d0 interval(2s)');
    assert.deepEqual(r.columns.map((c) => c.type).slice(0, 2), [DataType.TIMESTAMP, DataType.TIMESTAMP]);
    assert.deepEqual(r.rows, [
      [T0, T0 + 2000, 2n, 221],
      [T0 + 2000, T0 + 4000, 2n, 223],
      [T0 + 4000, T0 + 6000, 2n, 225],
    ]);
  });
  test('interval over a super table merges windows of all tables and vgroups', async () => {
    await expectRows('select _wstart, count(*) from meters interval(2s)', [
      [T0, 4n],
      [T0 + 2000, 2n],
      [T0 + 4000, 2n],
      [T0 + 10000, 1n],
    ]);
  });
  test('interval with partition by tbname', async () => {
    await expectRows('select tbname, _wstart, count(*) from meters partition by tbname interval(5s)', [
      ['d0', T0, 5n],
      ['d0', T0 + 5000, 1n],
      ['d1', T0, 2n],
      ['d1', T0 + 10000, 1n],
    ]);
  });
  test('sliding windows', async () => {
    await expectRows('select _wstart, count(*) from d0 interval(2s) sliding(1s)', [
      [T0 - 1000, 1n],
      [T0, 2n],
      [T0 + 1000, 2n],
      [T0 + 2000, 2n],
      [T0 + 3000, 2n],
      [T0 + 4000, 2n],
      [T0 + 5000, 1n],
    ]);
  });
  test('calendar windows: months and years', async () => {
    const at = (iso: string): number => Date.parse(iso);
    await fx.exec(`create table cal (ts timestamp, v int); insert into cal values (${at('2024-01-15T00:00:00Z')}, 1) (${at('2024-02-10T00:00:00Z')}, 2)
      (${at('2024-02-20T00:00:00Z')}, 3) (${at('2024-04-01T00:00:00Z')}, 4)`);
    await expectRows('select _wstart, _wend, count(*), sum(v) from cal interval(1n)', [
      [at('2024-01-01T00:00:00Z'), at('2024-02-01T00:00:00Z'), 1n, 1n],
      [at('2024-02-01T00:00:00Z'), at('2024-03-01T00:00:00Z'), 2n, 5n],
      [at('2024-04-01T00:00:00Z'), at('2024-05-01T00:00:00Z'), 1n, 4n],
    ]);
    await expectRows('select _wstart, count(*) from cal interval(2n)', [
      [at('2024-01-01T00:00:00Z'), 3n],
      [at('2024-03-01T00:00:00Z'), 1n],
    ]);
    await expectRows('select _wstart, count(*) from cal interval(1y)', [[at('2024-01-01T00:00:00Z'), 4n]]);
    await expectRows('select _wstart, max(v) from cal interval(1n) fill(null)', [
      [at('2024-01-01T00:00:00Z'), 1],
      [at('2024-02-01T00:00:00Z'), 3],
      [at('2024-03-01T00:00:00Z'), null],
      [at('2024-04-01T00:00:00Z'), 4],
    ]);
    await expectError('select count(*) from cal interval(1n) sliding(1d)', 'INVALID_INTERVAL', 'calendar');
  });
  test('session and state windows', async () => {
    await expectRows('select _wstart, _wend, count(*) from d1 session(ts, 2s)', [
      [T0 + 500, T0 + 1500, 2n],
      [T0 + 10000, T0 + 10000, 1n],
    ]);
    await expectRows('select tbname, _wstart, count(*) from meters partition by tbname session(ts, 1500a)', [
      ['d0', T0, 6n],
      ['d1', T0 + 500, 2n],
      ['d1', T0 + 10000, 1n],
    ]);
    await expectRows('select _wstart, _wend, _wduration, count(*), max(voltage) from d0 state_window(phase > 0.3)', [
      [T0, T0 + 1000, 1000n, 2n, 221],
      [T0 + 3000, T0 + 3000, 0n, 1n, 223],
      [T0 + 4000, T0 + 5000, 1000n, 2n, 225],
    ]);
    await expectRows('select _wstart, count(*) from d0 state_window(name)', [
      [T0, 1n],
      [T0 + 1000, 1n],
      [T0 + 2000, 1n],
      [T0 + 4000, 1n],
      [T0 + 5000, 1n],
    ]);
    await expectError('select count(*) from d0 state_window(current)', 'INVALID_FUNCTION_PARA_TYPE', 'state_window');
    await expectError('select count(*) from meters session(ts, 1s)', 'NOT_SUPPORTED', 'partition by tbname');
    await expectError('select count(*) from d0 session(voltage, 1s)', 'INVALID_COLUMN', 'timestamp');
  });
  test('fill modes', async () => {
    const q = (fill: string): string =>
      `select _wstart, max(voltage) from d1 where ts >= ${T0} and ts <= ${T0 + 10999} interval(1s) fill(${fill})`;
    const vals = async (fill: string): Promise<Cell[]> => (await fx.rows(q(fill))).map((r) => r[1]!);
    assert.equal((await fx.rows(q('null'))).length, 11);
    assert.deepEqual(await vals('none'), [100, 101, 102]);
    assert.deepEqual(await vals('null'), [100, 101, null, null, null, null, null, null, null, null, 102]);
    assert.deepEqual(await vals('value, 7'), [100, 101, 7, 7, 7, 7, 7, 7, 7, 7, 102]);
    assert.deepEqual(await vals('prev'), [100, 101, 101, 101, 101, 101, 101, 101, 101, 101, 102]);
    assert.deepEqual(await vals('next'), [100, 101, 102, 102, 102, 102, 102, 102, 102, 102, 102]);
    // linear interpolates in the result type: INT stays integral, DOUBLE does not.
    assert.deepEqual(await vals('linear'), [100, 101, 101, 101, 101, 101, 101, 101, 101, 101, 102]);
    const lin = (await fx.rows(q('linear').replace('max(voltage)', 'avg(voltage)'))).map((r) => r[1]!);
    assert.equal(lin[0], 100);
    close(lin[2]!, 101 + 1 / 9);
    close(lin[9]!, 101 + 8 / 9);
  });
});

describe('order, limit, slimit', () => {
  test('order by asc / desc, by position and alias, with limit and offset', async () => {
    await expectRows('select voltage from d0 order by voltage desc limit 2', [[225], [224]]);
    await expectRows('select voltage from d0 order by voltage limit 2 offset 3', [[223], [224]]);
    await expectRows('select voltage v from d0 order by v desc limit 1', [[225]]);
    await expectRows('select ts, voltage from meters order by 2 limit 2', [
      [T0 + 500, 100],
      [T0 + 1500, 101],
    ]);
    await expectRows('select voltage from d0 limit 2 offset 1', [[221], [222]]);
    await expectRows('select current from d0 order by current', [[null], [null], [10], [11], [12], [14]]);
    await expectRows('select current from d0 order by current desc', [[14], [12], [11], [10], [null], [null]]);
  });
  test('one table ordered by ts streams ascending and keeps only the tail descending', async () => {
    await expectRows('select voltage from d0 order by ts desc limit 2', [[225], [224]]);
    await expectRows('select voltage from d0 order by ts desc limit 2 offset 3', [[222], [221]]);
    await expectRows('select voltage from d0 order by ts desc', [[225], [224], [223], [222], [221], [220]]);
    await expectRows('select voltage from d0 order by ts limit 2 offset 1', [[221], [222]]);
    await expectRows('select voltage from d0 order by _rowts desc limit 1 offset 10', []);
  });
  test('order by a column not selected', async () => {
    await expectRows('select name from d0 order by voltage desc limit 2', [['eps'], ['Delta']]);
  });
  test('slimit limits partitions', async () => {
    await expectRows('select tbname, _wstart, count(*) from meters partition by tbname interval(5s) slimit 1', [
      ['d0', T0, 5n],
      ['d0', T0 + 5000, 1n],
    ]);
  });
  test('with partition by, limit and offset apply within each partition', async () => {
    await expectRows('select tbname, _wstart, count(*) from meters partition by tbname interval(2s) limit 1', [
      ['d0', T0, 2n],
      ['d1', T0, 2n],
    ]);
    await expectRows('select tbname, _wstart, count(*) from meters partition by tbname interval(2s) limit 1 offset 1', [
      ['d0', T0 + 2000, 2n],
      ['d1', T0 + 10000, 1n],
    ]);
    await expectRows('select tbname, voltage from meters partition by tbname limit 2', [
      ['d0', 220],
      ['d0', 221],
      ['d1', 100],
      ['d1', 101],
    ]);
    await expectRows('select tbname, voltage from meters partition by tbname order by voltage desc limit 1', [
      ['d0', 225],
      ['d1', 102],
    ]);
    await expectRows('select voltage from meters partition by location slimit 1 limit 1', [[100]]);
  });
  test('tbname filters on a super table read only its own child tables', async () => {
    await expectRows("select count(*) from meters where tbname in ('d1', 'nt', 'nosuch')", [[3n]]);
  });
  test('large results stream in bounded blocks', async () => {
    const rows = 10_000;
    const values = Array.from({ length: rows }, (_, i) => `(${T0 + 100_000 + i}, ${i}, 'r')`).join(' ');
    await fx.exec(`create table big (ts timestamp, v bigint, s varchar(4)); insert into big values ${values}`);
    const r = await fx.engine.execute('select * from big', fx.session);
    let n = 0,
      blocks = 0;
    for await (const b of r.blocks) {
      assert.ok(b.numRows <= Limits.resultBlockRows);
      n += b.numRows;
      blocks++;
    }
    assert.equal(n, rows);
    assert.ok(blocks >= 3);
    await expectRows('select count(*), sum(v) from big', [[10000n, 49995000n]]);
  });
});

describe('other precisions', () => {
  test('a microsecond database: ranges, windows and ISO output in its ticks', async () => {
    const U0 = T0 * 1000;
    await fx.exec(`create database udb precision 'us'; create table udb.m (ts timestamp, v int);
      insert into udb.m values (${U0}, 1) (${U0 + 1500}, 2) (${U0 + 2_000_000}, 3)`);
    await expectRows(`select _wstart, count(*), sum(v) from udb.m interval(1s)`, [
      [U0, 2n, 3n],
      [U0 + 2_000_000, 1n, 3n],
    ]);
    await expectRows(`select v from udb.m where ts > ${U0 + 1000} and ts < '2023-11-14T22:13:22Z'`, [[2]]);
    await expectRows(`select to_iso8601(ts) from udb.m where v = 2`, [['2023-11-14T22:13:20.001500+00:00']]);
    await expectRows(`select count(*) from udb.m where ts > now - 1s`, [[3n]]);
    await expectRows(`select timetruncate(ts, 1a) from udb.m where v = 2`, [[U0 + 1000]]);
  });
});

describe('errors name the problem and its position', () => {
  test('unknown column', () => expectError('select nosuch from d0', 'INVALID_COLUMN', "'nosuch' at line 1, column 8"));
  test('unknown table', () => expectError('select * from nosuch', 'TABLE_NOT_EXIST', 'nosuch'));
  test('aggregate in where', () => expectError('select * from d0 where count(*) > 1', 'ILLEGAL_USE_AGG', 'count'));
  test('column outside group by', () =>
    expectError('select voltage, count(*) from meters group by location', 'GROUPBY_LACK_EXPRESSION', 'voltage'));
  test('wrong argument type', () => expectError('select sum(name) from d0', 'INVALID_FUNCTION_PARA_TYPE', 'sum'));
  test('unknown function', () => expectError('select nosuchfn(voltage) from d0', 'INVALID_FUNCTION', 'nosuchfn'));
  test('_wstart without a window', () => expectError('select _wstart, count(*) from d0', 'INVALID_COLUMN', '_wstart'));
  test('bad timestamp string', () =>
    expectError("select * from d0 where ts > 'yesterday'", 'WRONG_VALUE_TYPE', 'yesterday'));
  test('twa over several tables needs partition by tbname', () =>
    expectError('select twa(voltage) from meters', 'NOT_SUPPORTED', 'partition by tbname'));
  test('order by position out of range', () =>
    expectError('select voltage from d0 order by 3', 'WRONG_NUMBER_OF_SELECT'));
  test('unknown database', () => expectError('select * from nosuchdb.d0', 'DB_NOT_EXIST', 'nosuchdb'));
  test('interval finer than the precision', () =>
    expectError('select count(*) from d0 interval(10u)', 'INVALID_INTERVAL', '10u'));
  test('sliding longer than the interval', () =>
    expectError('select count(*) from d0 interval(1s) sliding(2s)', 'INVALID_INTERVAL', 'sliding'));
  test('select * with aggregates', () => expectError('select *, count(*) from d0', 'NOT_SINGLE_GROUP'));
});
