// Line protocol conformance against the real engine (storage in a temp dir): what a client
// sends to /influxdb/v1/write, and what `select` then shows. Escaping, field types, missing
// timestamps, each precision, duplicate fields, fields/tags appearing later (columns added,
// strings widened), type conflicts and parse errors naming the line with nothing written,
// unknown databases, stale schema caches, concurrent schema changes.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  handleInfluxWrite,
  type InfluxWriteResponse,
  type LineProtocolTarget,
} from '../../src/adapter/line-protocol/index.js';
import { NOW_MS, openTestEngine, runSql, type Cell, type TestEngine } from '../sql/harness.js';

let te: TestEngine;
/** The writer's statements run as root on the engine itself (one target: its schema cache is kept). */
let target: LineProtocolTarget;
before(async () => {
  te = await openTestEngine();
  target = {
    execute: (sql, db) => te.engine.execute(sql, { user: 'root', db }),
    insertColumnar: (db, tables) => te.engine.insertColumnar(db, tables),
  };
});
after(async () => {
  await te.close();
});

/** 2024-01-01T00:00:00Z in seconds, the benchmark data's start. */
const T0 = 1704067200;
/** T0 + k seconds, as a line-protocol timestamp with precision=s. */
const s = (k: number): number => T0 + k;
/** The same instant as stored in an ms database. */
const ms = (k: number): number => (T0 + k) * 1000;

function write(
  db: string | null,
  text: string,
  precision: string | null = 's',
  nowMs = NOW_MS,
): Promise<InfluxWriteResponse> {
  return handleInfluxWrite(target, { db, precision, body: Buffer.from(text, 'utf8'), nowMs });
}

async function ok(db: string, text: string, precision: string | null = 's', nowMs = NOW_MS): Promise<void> {
  const r = await write(db, text, precision, nowMs);
  assert.equal(r.status, 204, r.body);
  assert.equal(r.body, undefined);
}

/** Expects an error response whose message contains every fragment; returns the message. */
async function fails(r: Promise<InfluxWriteResponse>, status: number, ...fragments: string[]): Promise<string> {
  const res = await r;
  assert.equal(res.status, status, res.body);
  const doc = JSON.parse(res.body ?? '{}') as { code: number; message: string };
  assert.equal(typeof doc.code, 'number');
  assert.ok(doc.code > 0 && doc.code <= 0xffff, `code ${doc.code}`);
  for (const f of fragments) assert.ok(doc.message.includes(f), `'${doc.message}' lacks '${f}'`);
  return doc.message;
}

async function rows(sql: string): Promise<Cell[][]> {
  return (await runSql(te, sql)).rows;
}

async function describe(table: string): Promise<string[]> {
  return (await rows(`describe ${table}`)).map(
    (r) =>
      `${String(r[0])} ${String(r[1])}${r[1] === 'VARCHAR' || r[1] === 'NCHAR' ? `(${String(r[2])})` : ''}${r[3] === 'TAG' ? ' TAG' : ''}`,
  );
}

async function createDb(name: string, options = ''): Promise<void> {
  await runSql(te, `create database ${name} ${options}`);
}

test('the benchmark meters lines create the super table, child tables by tbname, and the rows', async () => {
  await createDb('lp_meters');
  const lines: string[] = [];
  for (let t = 0; t < 3; t++) {
    for (let i = 0; i < 4; i++) {
      lines.push(
        `meters,groupid=${t + 1},location=California.SanJose,tbname=d${t} current=${10 + i}.125,voltage=${215 + i}i,phase=0.${t}${i}5 ${T0 + i}`,
      );
    }
  }
  await ok('lp_meters', lines.join('\n') + '\n');
  assert.deepEqual(await describe('lp_meters.meters'), [
    '_ts TIMESTAMP',
    'current DOUBLE',
    'voltage BIGINT',
    'phase DOUBLE',
    'groupid VARCHAR(64) TAG',
    'location VARCHAR(64) TAG',
  ]);
  assert.deepEqual(await rows('select count(*) from lp_meters.meters'), [[12n]]);
  assert.deepEqual(
    (await rows('show lp_meters.tables')).map((r) => r[0]),
    ['d0', 'd1', 'd2'],
  );
  assert.deepEqual(
    await rows('select _ts, current, voltage, phase, groupid, location from lp_meters.d1'),
    [0, 1, 2, 3].map((i) => [
      (T0 + i) * 1000,
      10 + i + 0.125,
      BigInt(215 + i),
      Number(`0.1${i}5`),
      '2',
      'California.SanJose',
    ]),
  );
});

test('escaping: spaces, commas and equals signs in measurement, tag keys and values, field keys, strings', async () => {
  await createDb('lp_esc');
  await ok(
    'lp_esc',
    [
      `my\\ meas\\,1,tag\\ key\\,\\=x=a\\ b\\,c\\=d,tbname=esc1 field\\ \\=k=1i,s="quote \\" and backslash \\\\ end" ${s(1)}`,
      `my\\ meas\\,1,tag\\ key\\,\\=x=a\\ b\\,c\\=d,tbname=esc1 field\\ \\=k=2i,s="a,b c=d" ${s(2)}`,
    ].join('\n'),
  );
  assert.deepEqual(await describe('lp_esc.`my meas,1`'), [
    '_ts TIMESTAMP',
    'field =k BIGINT',
    's VARCHAR(32)',
    'tag key,=x VARCHAR(64) TAG',
  ]);
  assert.deepEqual(await rows('select `field =k`, s, `tag key,=x` from lp_esc.`my meas,1`'), [
    [1n, 'quote " and backslash \\ end', 'a b,c=d'],
    [2n, 'a,b c=d', 'a b,c=d'],
  ]);
});

test('field types: i → BIGINT, u → BIGINT UNSIGNED, floats → DOUBLE, t/f → BOOL, strings → VARCHAR, exact values', async () => {
  await createDb('lp_types');
  await ok(
    'lp_types',
    [
      `types,tbname=ty i=-9223372036854775808i,u=18446744073709551615u,f=-1.5e-3,b=t,s="héllo" ${s(1)}`,
      `types,tbname=ty i=9223372036854775807i,u=0u,f=2,b=FALSE,s="" ${s(2)}`,
      `types,tbname=ty i=0i,u=7u,f=.5,b=True,s="x" ${s(3)}`,
    ].join('\n'),
  );
  assert.deepEqual(await describe('lp_types.types'), [
    '_ts TIMESTAMP',
    'i BIGINT',
    'u BIGINT UNSIGNED',
    'f DOUBLE',
    'b BOOL',
    's VARCHAR(16)',
    '_tag_null VARCHAR(16) TAG',
  ]);
  assert.deepEqual(await rows('select i, u, f, b, s from lp_types.ty'), [
    [-9223372036854775808n, 18446744073709551615n, -0.0015, true, 'héllo'],
    [9223372036854775807n, 0n, 2, false, ''],
    [0n, 7n, 0.5, true, 'x'],
  ]);
});

test('a line without a timestamp is stored at the server time (truncated to the request precision)', async () => {
  await createDb('lp_now');
  const now = NOW_MS + 789;
  await ok('lp_now', 'nots,tbname=a v=1i', 'ns', now);
  await ok('lp_now', 'nots,tbname=b v=2i\n', 's', now);
  assert.deepEqual(await rows('select _ts, v from lp_now.a'), [[now, 1n]]);
  assert.deepEqual(await rows('select _ts, v from lp_now.b'), [[Math.floor(now / 1000) * 1000, 2n]]);
});

test('each precision (s, ms, us, ns, and the default ns) lands at the same instant in ms and us databases', async () => {
  await createDb('lp_ms', "precision 'ms'");
  await createDb('lp_us', "precision 'us'");
  const sent: Array<[string | null, string]> = [
    ['s', '1704067201'],
    ['ms', '1704067201000'],
    ['us', '1704067201000000'],
    ['ns', '1704067201000000000'],
    [null, '1704067201000000000'],
  ];
  for (const db of ['lp_ms', 'lp_us']) {
    for (const [p, ts] of sent) await ok(db, `prec,tbname=p_${p ?? 'default'} v=1i ${ts}`, p);
    // Sub-unit digits: kept in a us database, truncated in an ms one.
    await ok(db, 'prec,tbname=frac v=1i 1704067201123456789', 'ns');
  }
  for (const [p] of sent)
    assert.deepEqual(
      await rows(`select _ts from lp_ms.p_${p ?? 'default'}`),
      [[1704067201000]],
      `ms db, precision ${p}`,
    );
  for (const [p] of sent)
    assert.deepEqual(
      await rows(`select _ts from lp_us.p_${p ?? 'default'}`),
      [[1704067201000000]],
      `us db, precision ${p}`,
    );
  assert.deepEqual(await rows('select _ts from lp_ms.frac'), [[1704067201123]]);
  assert.deepEqual(await rows('select _ts from lp_us.frac'), [[1704067201123456]]);
});

test('duplicate fields in a line keep the last value; a repeated timestamp keeps the last line', async () => {
  await createDb('lp_dup');
  await ok('lp_dup', `dup,tbname=d a=1i,b="x",a=2i ${s(10)}\ndup,tbname=d a=3i ${s(11)}\ndup,tbname=d a=4i ${s(11)}\n`);
  assert.deepEqual(await rows('select _ts, a, b from lp_dup.d'), [
    [ms(10), 2n, 'x'],
    [ms(11), 4n, null],
  ]);
});

test('a field appearing later adds a column (earlier rows read null); a longer string widens its column', async () => {
  await createDb('lp_grow');
  await ok('lp_grow', `grow,tbname=g a=1i,s="short" ${s(1)}\n`);
  await ok(
    'lp_grow',
    `grow,tbname=g a=2i,s="short" ${s(2)}\ngrow,tbname=g a=3i,b=1.5,s="a string well over sixteen bytes, needing 64" ${s(3)}\n`,
  );
  assert.deepEqual(await describe('lp_grow.grow'), [
    '_ts TIMESTAMP',
    'a BIGINT',
    's VARCHAR(64)',
    'b DOUBLE',
    '_tag_null VARCHAR(16) TAG',
  ]);
  assert.deepEqual(await rows('select a, b, s from lp_grow.g'), [
    [1n, null, 'short'],
    [2n, null, 'short'],
    [3n, 1.5, 'a string well over sixteen bytes, needing 64'],
  ]);
});

test('a tag appearing later adds a tag; child tables without it read null', async () => {
  await createDb('lp_tags');
  await ok('lp_tags', `tg,host=a,tbname=ta v=1i ${s(1)}\n`);
  await ok('lp_tags', `tg,host=b,rack=r1,tbname=tb v=2i ${s(2)}\n`);
  assert.deepEqual(await describe('lp_tags.tg'), [
    '_ts TIMESTAMP',
    'v BIGINT',
    'host VARCHAR(64) TAG',
    'rack VARCHAR(64) TAG',
  ]);
  assert.deepEqual(await rows('select tbname, host, rack, v from lp_tags.tg order by v'), [
    ['ta', 'a', null, 1n],
    ['tb', 'b', 'r1', 2n],
  ]);
});

test('a tag value longer than its tag column widens it, or (while the engine cannot modify tags) is refused naming line and tag', async () => {
  await createDb('lp_tagw');
  await ok('lp_tagw', `tw,t=short,tbname=a v=1i ${s(1)}\n`);
  const long = 'x'.repeat(100);
  const r = await write('lp_tagw', `tw,t=short,tbname=a v=2i ${s(2)}\ntw,t=${long},tbname=b v=3i ${s(3)}\n`);
  if (r.status === 204) {
    assert.deepEqual(await describe('lp_tagw.tw'), ['_ts TIMESTAMP', 'v BIGINT', 't VARCHAR(128) TAG']);
    assert.deepEqual(await rows('select t from lp_tagw.b'), [[long]]);
  } else {
    await fails(Promise.resolve(r), 400, 'line 2', "tag 't'", 'VARCHAR(64)', '100-byte');
    assert.deepEqual(await rows('select count(*) from lp_tagw.tw'), [[1n]]);
  }
});

test('without tbname the child table is t_<md5 of measurement and sorted tags>, whatever the tag order', async () => {
  await createDb('lp_hash');
  await ok('lp_hash', `hm,b=2,a=1 v=1i ${s(1)}\nhm,a=1,b=2 v=2i ${s(2)}\nhm,a=1,b=3 v=3i ${s(3)}\n`);
  const { createHash } = await import('node:crypto');
  const name = (s: string): string => 't_' + createHash('md5').update(s).digest('hex');
  assert.deepEqual(
    (await rows('show lp_hash.tables')).map((r) => r[0]),
    [name('hm,a=1,b=2'), name('hm,a=1,b=3')].sort(),
  );
  assert.deepEqual(await rows(`select v from lp_hash.${name('hm,a=1,b=2')}`), [[1n], [2n]]);
});

test('a type conflict with the existing column is refused, naming field, measurement and line; nothing is written', async () => {
  await createDb('lp_conflict');
  await ok('lp_conflict', `cf,tbname=c a=1,b=1i ${s(1)}\n`);
  const msg = await fails(
    write('lp_conflict', `cf,tbname=c b=2i ${s(2)}\nnewm,tbname=n x=1i ${s(2)}\ncf,tbname=c a="text",b=3i ${s(3)}\n`),
    400,
    "field 'a'",
    "measurement 'cf'",
    'line 3',
    'DOUBLE',
  );
  assert.match(msg, /string/);
  // Within one request, a field that changes type is refused too, naming both lines.
  await fails(
    write('lp_conflict', `cf,tbname=c a=2,b=2i ${s(2)}\ncf,tbname=c a=3,b=2.5 ${s(3)}\n`),
    400,
    "field 'b'",
    'line 2',
    'at line 1',
  );
  assert.deepEqual(await rows('select count(*) from lp_conflict.cf'), [[1n]]);
  assert.deepEqual(
    (await rows('show lp_conflict.stables')).map((r) => r[0]),
    ['cf'],
    'no super table for the refused request',
  );
});

test('a line that does not parse rejects the whole request with its line number; nothing is written', async () => {
  await createDb('lp_bad');
  await ok('lp_bad', `bad,tbname=b v=1i ${s(1)}\n`);
  await fails(
    write(
      'lp_bad',
      `bad,tbname=b v=2i ${s(2)}\nother,tbname=o v=1i ${s(2)}\n\n# comment\nbad,tbname=b v=3i ${s(3)} extra\nbad,tbname=b v=4i ${s(4)}\n`,
    ),
    400,
    'line 5',
    'extra',
  );
  await fails(write('lp_bad', `bad,tbname=b v=2i ${s(2)}\nbad,tbname=b v=\n`), 400, 'line 2', "field 'v'");
  assert.deepEqual(await rows('select _ts, v from lp_bad.b'), [[ms(1), 1n]]);
  assert.deepEqual(
    (await rows('show lp_bad.stables')).map((r) => r[0]),
    ['bad'],
  );
});

test('lines out of time order are stored in time order; names Basalt cannot take are refused naming the line', async () => {
  await createDb('lp_misc');
  await ok('lp_misc', `oo,tbname=o v=1i ${s(3)}\noo,tbname=o v=2i ${s(1)}\noo,tbname=o v=3i ${s(2)}\n`);
  assert.deepEqual(await rows('select _ts, v from lp_misc.o'), [
    [ms(1), 2n],
    [ms(2), 3n],
    [ms(3), 1n],
  ]);
  await fails(
    write('lp_misc', `oo,tbname=o v=1i ${s(4)}\noo,tbname=o _ts=1i ${s(5)}\n`),
    400,
    'line 2',
    "field '_ts'",
    'timestamp column',
  );
  await fails(
    write('lp_misc', `oo,tbname=o v=1i ${s(4)}\nnew,a=1 a=1i ${s(5)}\n`),
    400,
    'line 2',
    "'a' both as a tag and as a field",
  );
  await fails(write('lp_misc', `oo,tbname=o v=1i ${s(4)}\nm\`x v=1i ${s(5)}\n`), 400, 'line 2', 'backtick');
  await fails(
    write('lp_misc', `oo _tag_null=1i ${s(4)}\n`),
    400,
    'line 1',
    "field '_tag_null' of measurement 'oo' is a tag",
  );
  await fails(write('lp_misc', `oo,v=1 w=1i ${s(4)}\n`), 400, 'line 1', "tag 'v' of measurement 'oo' is a column");
  // A tbname already used by another measurement (in this request, or an earlier one).
  await fails(
    write('lp_misc', `oo,tbname=o v=1i ${s(4)}\nother,tbname=o v=1i ${s(5)}\n`),
    400,
    'line 2',
    "table 'o' is a child table of 'oo'",
    "measurement 'other'",
  );
  await fails(write('lp_misc', `other,tbname=o v=1i ${s(5)}\n`), 400, 'line 1', "table 'o' is a child table of 'oo'");
  // A timestamp older than the database's keep (here: seconds sent as nanoseconds) names its line.
  await fails(
    write('lp_misc', `oo,tbname=o v=1i ${s(4)}\noo,tbname=o v=1i 1704067200\n`, 'ns'),
    400,
    'line 1',
    '1970-01-01T00:00:01',
    "keep of database 'lp_misc' (3650d)",
    'precision',
  );
  assert.deepEqual(await rows('select count(*) from lp_misc.oo'), [[3n]]);
});

test('an unknown database is 404 naming it and create database; missing db and bad precision are 400', async () => {
  await fails(write('no_such_db', `m v=1 ${s(1)}`), 404, "'no_such_db'", 'create database');
  await fails(write(null, `m v=1 ${s(1)}`), 400, 'db query parameter');
  await createDb('lp_case');
  await ok('LP_Case', `cased v=1i ${s(1)}`);
  assert.deepEqual(await rows('select v from lp_case.cased'), [[1n]]);
  await createDb('lp_prec');
  await fails(write('lp_prec', `m v=1 ${s(1)}`, 'h'), 400, "precision 'h'", 'ns');
  assert.equal((await write('lp_prec', '# nothing but a comment\n\n')).status, 204);
});

test('a super table made with SQL (taosBenchmark schema) takes line protocol into its narrower columns, range-checked', async () => {
  await createDb('lp_sql');
  await runSql(
    te,
    'create stable lp_sql.meters (ts timestamp, current float, voltage int, phase float) tags (groupid int, location varchar(24))',
  );
  await ok(
    'lp_sql',
    'meters,groupid=3,location=California.SanJose,tbname=d7 current=10.125,voltage=219i,phase=0.5 1704067200\n',
  );
  assert.deepEqual(await rows('select ts, current, voltage, phase, groupid, location from lp_sql.d7'), [
    [1704067200000, 10.125, 219, 0.5, 3, 'California.SanJose'],
  ]);
  await fails(
    write(
      'lp_sql',
      'meters,groupid=3,location=x,tbname=d7 current=1,voltage=1i 1704067201\nmeters,groupid=3,location=x,tbname=d7 current=1,voltage=3000000000i 1704067202\n',
    ),
    400,
    'line 2',
    "field 'voltage'",
    'out of range',
  );
  await fails(
    write('lp_sql', 'meters,groupid=three,location=x,tbname=d8 current=1 1704067201\n'),
    400,
    "tag 'groupid'",
    'line 1',
  );
  assert.deepEqual(await rows('select count(*) from lp_sql.meters'), [[1n]]);
});

test('a dropped and recreated database or super table is picked up (the schema cache retries once)', async () => {
  await createDb('lp_stale');
  await ok('lp_stale', `st,tbname=s v=1i ${s(1)}\n`);
  await runSql(te, 'drop database lp_stale');
  await createDb('lp_stale');
  await ok('lp_stale', `st,tbname=s v=2i ${s(2)}\n`);
  assert.deepEqual(await rows('select v from lp_stale.s'), [[2n]]);
  await runSql(te, 'drop stable lp_stale.st');
  await ok('lp_stale', `st,tbname=s w=3.5 ${s(3)}\n`);
  assert.deepEqual(await describe('lp_stale.st'), ['_ts TIMESTAMP', 'w DOUBLE', '_tag_null VARCHAR(16) TAG']);
});

test('concurrent requests adding different fields and tags to one new measurement all succeed', async () => {
  await createDb('lp_conc');
  const rs = await Promise.all(
    Array.from({ length: 6 }, (_, k) =>
      write(
        'lp_conc',
        `cc,tbname=c${k},t${k}=x f${k}=${k}i ${s(1)}\ncc,tbname=c${k},t${k}=x f${k}=${k}i,common=1 ${s(2)}\n`,
      ),
    ),
  );
  for (const r of rs) assert.equal(r.status, 204, r.body);
  const cols = await describe('lp_conc.cc');
  for (let k = 0; k < 6; k++) {
    assert.ok(cols.includes(`f${k} BIGINT`), cols.join(', '));
    assert.ok(cols.includes(`t${k} VARCHAR(64) TAG`), cols.join(', '));
  }
  assert.deepEqual(await rows('select count(*) from lp_conc.cc'), [[12n]]);
  // Each request's values are in its own column (the bulk insert is positional: a stale
  // picture of the columns would put f3's values under another name).
  for (let k = 0; k < 6; k++)
    assert.deepEqual(await rows(`select f${k}, t${k}, common from lp_conc.c${k}`), [
      [BigInt(k), 'x', null],
      [BigInt(k), 'x', 1],
    ]);
  // Steady writes (no DDL, cached schema) racing with writes that add columns: a steady write
  // that finds the columns changed under it retries with fresh metadata instead of failing.
  const mixed = await Promise.all(
    Array.from({ length: 10 }, (_, k) =>
      write(
        'lp_conc',
        k % 2 === 0
          ? `cc,tbname=c0,t0=x f0=${100 + k}i ${s(10 + k)}\n`
          : `cc,tbname=c0,t0=x f0=${100 + k}i,g${k}=${k}i ${s(10 + k)}\n`,
      ),
    ),
  );
  for (const r of mixed) assert.equal(r.status, 204, r.body);
  assert.deepEqual(
    await rows(`select f0 from lp_conc.c0 where _ts >= ${ms(10)}`),
    Array.from({ length: 10 }, (_, k) => [BigInt(100 + k)]),
  );
  assert.deepEqual(await rows(`select g3, g5 from lp_conc.c0 where _ts = ${ms(13)}`), [[3n, null]]);
});

test('rows written as views into the parsed arrays (at an offset) read back the same after a restart (WAL replay)', async () => {
  await createDb('lp_views', 'vgroups 1');
  const lines: string[] = [];
  for (const dev of ['a', 'b', 'c']) {
    for (let k = 0; k < 3; k++)
      lines.push(
        `vw,tbname=${dev} i=${k}i,u=${k}u,f=${k}.5,b=${k % 2 === 0 ? 't' : 'f'}${k === 1 ? '' : `,s="${dev}${k}"`} ${s(k)}`,
      );
  }
  await ok('lp_views', lines.join('\n'));
  const expected = (dev: string): Cell[][] =>
    [0, 1, 2].map((k) => [ms(k), BigInt(k), BigInt(k), k + 0.5, k % 2 === 0, k === 1 ? null : `${dev}${k}`]);
  for (const dev of ['a', 'b', 'c'])
    assert.deepEqual(await rows(`select _ts, i, u, f, b, s from lp_views.${dev}`), expected(dev), dev);
  await te.reopen();
  for (const dev of ['a', 'b', 'c'])
    assert.deepEqual(
      await rows(`select _ts, i, u, f, b, s from lp_views.${dev}`),
      expected(dev),
      `${dev} after restart`,
    );
  // The reopened engine is a new target: its schema cache starts empty and loads again.
  await ok('lp_views', `vw,tbname=c i=9i ${s(9)}`);
  assert.deepEqual(await rows('select count(*) from lp_views.vw'), [[10n]]);
});

test('a 5,000-line request in table order and in time order (1,000 tables) is written completely', async () => {
  await createDb('lp_big', 'vgroups 2');
  const table: string[] = [];
  const time: string[] = [];
  for (let k = 0; k < 5000; k++) {
    table.push(
      `meters,groupid=1,location=California.Campbell,tbname=d0 current=${(k % 400) / 40},voltage=${215 + (k % 11)}i,phase=0.5 ${T0 + k}`,
    );
    time.push(
      `meters,groupid=${(k % 10) + 1},location=California.Campbell,tbname=d${k % 1000} current=1.5,voltage=${215 + (k % 11)}i,phase=0.25 ${T0 + 10_000 + Math.floor(k / 1000)}`,
    );
  }
  await ok('lp_big', table.join('\n') + '\n');
  await ok('lp_big', time.join('\n') + '\n');
  assert.deepEqual(await rows('select count(*) from lp_big.meters'), [[10_000n]]);
  assert.deepEqual(await rows('select count(*), sum(voltage) from lp_big.d0'), [
    [
      5005n,
      BigInt(
        table.reduce((a, _l, k) => a + 215 + (k % 11), 0) +
          [0, 1000, 2000, 3000, 4000].reduce((a, k) => a + 215 + (k % 11), 0),
      ),
    ],
  ]);
  assert.deepEqual((await rows('show lp_big.tables')).length, 1000);
});

/** Seeded PRNG (mulberry32), so a failing sequence reproduces. */
function rng(seed: number): () => number {
  let x = seed >>> 0;
  return () => {
    x = (x + 0x6d2b79f5) >>> 0;
    let t = x;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

test('random request sequences read back exactly as a model says (fields appearing, strings growing, tbname or derived names; seeded)', async () => {
  await createDb('lp_model', 'vgroups 3');
  const r = rng(2024);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const { createHash } = await import('node:crypto');
  type Row = Record<string, Cell>;
  const model = new Map<string, Map<number, Row>>(); // table → ts → field values
  const measOf = new Map<string, string>(); // table → measurement
  const fieldsSeen = new Map<string, Set<string>>(); // measurement → fields
  const alphabet = ['a', 'Z', ' ', ',', '=', '"', '\\', 'é', '✓', '_'];
  const escStr = (x: string): string => x.replace(/["\\]/g, (c) => '\\' + c);
  let ts = T0;
  for (let req = 0; req < 25; req++) {
    const lines: string[] = [];
    const nLines = 1 + Math.floor(r() * 30);
    for (let k = 0; k < nLines; k++) {
      const meas = pick(['ma', 'mb']);
      const host = pick(['h1', 'h2', 'h3']);
      const region = req > 10 && r() < 0.5 ? `,region=${pick(['east', 'west'])}` : '';
      const tb = r() < 0.5 ? `tb_${meas}_${Math.floor(r() * 3)}` : null;
      const row: Row = {};
      const parts: string[] = [];
      {
        const v = Math.round((r() - 0.5) * 1e6) / 1e3;
        row['fl'] = v;
        parts.push(`fl=${v}`);
      }
      if (r() < 0.6) {
        const v = BigInt(Math.floor((r() - 0.5) * 2 ** 40));
        row['it'] = v;
        parts.push(`it=${v}i`);
      }
      if (req > 3 && r() < 0.5) {
        const v = BigInt(Math.floor(r() * 2 ** 40));
        row['ut'] = v;
        parts.push(`ut=${v}u`);
      }
      if (req > 6 && r() < 0.5) {
        const v = r() < 0.5;
        row['bo'] = v;
        parts.push(`bo=${v ? 'T' : 'false'}`);
      }
      if (req > 8 && r() < 0.6) {
        let v = '';
        const len = Math.floor(r() * (req * 4));
        for (let c = 0; c < len; c++) v += pick(alphabet);
        row['st'] = v;
        parts.push(`st="${escStr(v)}"`);
      }
      ts += 1;
      const line = `${meas},host=${host}${region}${tb ? `,tbname=${tb}` : ''} ${parts.join(',')} ${ts}`;
      lines.push(line);
      const tags = [`host=${host}`, ...(region ? [region.slice(1)] : [])].sort();
      const table =
        tb ??
        't_' +
          createHash('md5')
            .update([meas, ...tags].join(','))
            .digest('hex');
      // A tbname used by one measurement stays its own: the generator keeps tbnames per measurement.
      let t = model.get(table);
      if (!t) {
        t = new Map();
        model.set(table, t);
        measOf.set(table, meas);
      }
      t.set(ts, row);
      const seen = fieldsSeen.get(meas) ?? new Set<string>();
      for (const f of Object.keys(row)) seen.add(f);
      fieldsSeen.set(meas, seen);
    }
    await ok('lp_model', lines.join('\n') + '\n');
  }
  let total = 0;
  for (const [table, rowsByTs] of model) {
    const fields = [...fieldsSeen.get(measOf.get(table)!)!].sort();
    const got = await rows(`select _ts, ${fields.join(', ')} from lp_model.${table}`);
    const want = [...rowsByTs]
      .sort((a, b) => a[0] - b[0])
      .map(([t, row]) => [t * 1000, ...fields.map((f) => row[f] ?? null)]);
    assert.deepEqual(got, want, `table ${table}`);
    total += rowsByTs.size;
  }
  assert.ok(model.size >= 10 && total >= 200, `${model.size} tables, ${total} rows`);
  const counts = await rows('select count(*) from lp_model.ma');
  const counts2 = await rows('select count(*) from lp_model.mb');
  assert.equal(Number(counts[0]![0]) + Number(counts2[0]![0]), total);
  assert.deepEqual(
    (await describe('lp_model.ma')).filter((c) => c.startsWith('st ')),
    ['st VARCHAR(128)'],
  );
});
