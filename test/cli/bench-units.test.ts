// `basalt bench` pieces without a server: table split, data generator, percentiles, the exact
// summary-line wording, flag and config validation.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadBenchConfig } from '../../src/cli/bench-config.js';
import { allocRows, centiText, metersBlock, MetersWalk } from '../../src/cli/bench-data.js';
import { workerRange } from '../../src/cli/bench-insert.js';
import { interfaceNote, intFlag, parseInterface } from '../../src/cli/bench-options.js';
import { insertSummaryLines, Latencies, Progress, queryDelayLine, queryTotalLine } from '../../src/cli/bench-stats.js';
import { planFromFlags } from '../../src/cli/bench.js';
import { tempDir } from '../rpc/harness.js';

test('workerRange gives every table to exactly one worker, sizes differ by at most one', () => {
  for (const [tables, workers] of [
    [10, 3],
    [7, 8],
    [10_000, 8],
    [1, 1],
    [13, 13],
  ] as const) {
    const seen = new Uint8Array(tables);
    const sizes: number[] = [];
    for (let w = 0; w < workers; w++) {
      const { first, count } = workerRange(tables, workers, w);
      sizes.push(count);
      for (let t = first; t < first + count; t++) seen[t]!++;
    }
    assert.ok(
      seen.every((x) => x === 1),
      `${tables} tables over ${workers} workers`,
    );
    assert.ok(Math.max(...sizes) - Math.min(...sizes) <= 1);
  }
});

test('random walk: timestamps by step, values within meters ranges, steps small, deterministic per seed', () => {
  const a = new MetersWalk(100, 4, 42);
  const b = new MetersWalk(100, 4, 42);
  const ra = allocRows(600),
    rb = allocRows(600);
  a.fill(101, 0, 300, 1000, 5, ra, 0);
  a.fill(101, 300, 300, 1000, 5, ra, 300); // continues the same table's walk
  b.fill(101, 0, 600, 1000, 5, rb, 0);
  assert.deepEqual(ra.ts, rb.ts);
  assert.deepEqual(ra.currentCenti, rb.currentCenti);
  for (let i = 0; i < 600; i++) {
    assert.equal(ra.ts[i], 1000 + i * 5);
    assert.ok(ra.currentCenti[i]! >= 800 && ra.currentCenti[i]! <= 1200);
    assert.ok(ra.voltage[i]! >= 215 && ra.voltage[i]! <= 225);
    assert.ok(ra.phaseMilli[i]! >= 0 && ra.phaseMilli[i]! < 10000);
    assert.equal(ra.current[i], Math.fround(ra.currentCenti[i]! / 100));
    if (i > 0) assert.ok(Math.abs(ra.currentCenti[i]! - ra.currentCenti[i - 1]!) <= 4, 'a walk, not noise');
  }
  const blk = metersBlock(ra, 10, 20);
  assert.equal(blk.numRows, 20);
  assert.equal((blk.columns[0]!.data as Float64Array)[0], ra.ts[10]);
  assert.equal(centiText(1030), '10.3');
  assert.equal(centiText(1107), '11.07');
});

test('Latencies: nearest-rank percentiles, min/avg/max', () => {
  const l = new Latencies();
  for (let i = 100; i >= 1; i--) l.add(i); // more than the initial capacity is not needed; order must not matter
  const s = l.summary();
  assert.deepEqual(s, { min: 1, avg: 50.5, p90: 90, p95: 95, p99: 99, max: 100 });
  const big = new Latencies();
  for (let i = 0; i < 5000; i++) big.add(1);
  assert.equal(big.count, 5000);
  assert.equal(big.summary().p99, 1);
});

test('summary lines use taosBenchmark wording exactly', () => {
  const d = new Latencies();
  d.add(10);
  d.add(30);
  const [a, b] = insertSummaryLines({ rows: 100_000_000, workers: 8, db: 'test', spentS: 20, realS: 16, delays: d });
  assert.equal(
    a,
    'SUCC: Spent 20.0000 (real 16.0000) seconds to insert rows: 100000000 with 8 thread(s) into test 5000000.00 (real 6250000.00) records/second',
  );
  assert.equal(
    b,
    'SUCC: insert delay, min: 10.00ms, avg: 20.00ms, p90: 30.00ms, p95: 30.00ms, p99: 30.00ms, max: 30.00ms',
  );
  assert.equal(
    queryDelayLine(2, d, 'select 1'),
    'complete query with 2 threads and 2 query delay avg: 0.020000s min: 0.010000s max: 0.030000s p90: 0.030000s p95: 0.030000s p99: 0.030000s SQL command: select 1',
  );
  assert.equal(
    queryTotalLine(2, 10),
    'INFO: Spend 2.0000 second completed total queries: 10, the QPS of all threads: 5.000',
  );
});

test('flags: taosBenchmark defaults; bad values name the flag', () => {
  const p = planFromFlags({}, {});
  assert.equal(p.tables, 10_000);
  assert.equal(p.rowsPerTable, 10_000);
  assert.equal(p.rowsPerRequest, 30_000);
  assert.equal(p.workers, 8);
  assert.equal(p.db, 'test');
  assert.equal(p.port, 6030);
  assert.equal(p.httpPort, 6041);
  assert.equal(p.iface, 'native');
  assert.equal(p.outputFile, './output.txt');
  assert.equal(p.yes, false);
  assert.equal(planFromFlags({ port: '7030' }).httpPort, 7041);
  // Without -h/-P the dnode comes from the environment's config, as for basalt sql.
  const fromEnv = planFromFlags({}, { BASALT_FIRST_EP: 'td1:6130' });
  assert.deepEqual([fromEnv.host, fromEnv.port, fromEnv.httpPort], ['td1', 6130, 6141]);
  assert.equal(planFromFlags({ host: 'h', port: '7030' }, { BASALT_FIRST_EP: 'td1:6130' }).host, 'h');
  assert.throws(() => intFlag('0', '-T', 8, 1, 1024), /-T '0' is not an integer in 1\.\.1024/);
  assert.throws(() => intFlag('1e3', '-n', 8, 1, 10), /-n/);
  assert.throws(() => parseInterface('stmt2'), /use -I native, -I rest or -I line/);
  // A mapped taosBenchmark name says what runs instead; Basalt's own names need no note.
  assert.match(interfaceNote('stmt'), /-I stmt, parameter binding, runs as Basalt's native columnar insert/);
  assert.match(interfaceNote('SML'), /-I sml runs as InfluxDB line protocol/);
  assert.equal(interfaceNote('native'), '');
  assert.equal(interfaceNote(undefined), '');
  assert.equal(parseInterface('taosc'), 'native');
  assert.equal(parseInterface('sml'), 'line');
  assert.throws(() => planFromFlags({ database: 'drop table' }), /-d 'drop table'/);
});

test('config files: insert and query plans; unsupported parts refused by name', () => {
  const tmp = tempDir('bench-cfg');
  try {
    const f = join(tmp.dir, 'c.json');
    writeFileSync(
      f,
      JSON.stringify({
        filetype: 'insert',
        host: '127.0.0.1',
        port: 7030,
        thread_count: 3,
        result_file: 'r.txt',
        confirm_parameter_prompt: 'no',
        databases: [
          {
            dbinfo: { name: 'db1', drop: 'yes', vgroups: 4, replica: 1 },
            super_tables: [
              {
                name: 'meters',
                childtable_count: 50,
                childtable_prefix: 'm',
                insert_rows: 200,
                num_of_records_per_req: 1000,
                insert_mode: 'rest',
                start_timestamp: '2020-01-01 00:00:00.000',
                timestamp_step: 10,
              },
            ],
          },
        ],
      }),
    );
    const c = loadBenchConfig(f, { yes: false });
    assert.equal(c.kind, 'insert');
    if (c.kind !== 'insert') return;
    assert.deepEqual(
      [
        c.plan.db,
        c.plan.tables,
        c.plan.rowsPerTable,
        c.plan.rowsPerRequest,
        c.plan.workers,
        c.plan.iface,
        c.plan.vgroups,
        c.plan.tablePrefix,
        c.plan.httpPort,
        c.plan.yes,
      ],
      ['db1', 50, 200, 1000, 3, 'rest', 4, 'm', 7041, true],
    );
    assert.equal(c.plan.startTsMs, Date.UTC(2020, 0, 1));
    assert.equal(c.plan.stepMs, 10);
    writeFileSync(
      f,
      JSON.stringify({
        filetype: 'insert',
        databases: [{ dbinfo: {}, super_tables: [{ columns: [{ type: 'DOUBLE', name: 'x' }] }] }],
      }),
    );
    assert.throws(() => loadBenchConfig(f, { yes: true }), /not part of the default meters schema/);
    writeFileSync(
      f,
      JSON.stringify({
        filetype: 'query',
        databases: 'test',
        query_times: 3,
        query_mode: 'rest',
        super_table_query: { stblname: 'meters', threads: 2, sqls: [{ sql: 'select last(ts) from xxxx' }] },
      }),
    );
    const q = loadBenchConfig(f, { yes: false });
    assert.equal(q.kind, 'query');
    if (q.kind !== 'query') return;
    assert.deepEqual(
      [q.plan.iface, q.plan.queryTimes, q.plan.superTable?.threads, q.plan.superTable?.sqls, q.plan.specified],
      ['rest', 3, 2, ['select last(ts) from xxxx'], null],
    );
    writeFileSync(f, JSON.stringify({ filetype: 'subscribe' }));
    assert.throws(() => loadBenchConfig(f, { yes: true }), /"filetype" 'subscribe' is not supported/);
    writeFileSync(f, '{ nope');
    assert.throws(() => loadBenchConfig(f, { yes: true }), /cannot be read as JSON/);
  } finally {
    tmp.remove();
  }
});

test('progress line: rows, share, rows/s and ETA, cleared at the end', async () => {
  let done = 0;
  const writes: string[] = [];
  const p = new Progress(
    1000,
    () => done,
    (s) => writes.push(s),
    20,
  );
  p.start();
  for (let i = 0; i < 50 && writes.length < 3; i++) {
    done = Math.min(1000, done + 100);
    await new Promise((r) => setTimeout(r, 10));
  }
  p.stop();
  assert.ok(writes.length >= 3, `ticks: ${writes.length}`);
  assert.match(writes[1]!, /^\rinserted \d+ of 1000 rows \(\d+\.\d%\), \d+ rows\/s, ETA \d+ s\s*$/);
  assert.match(writes[writes.length - 1]!, /^\r +\r$/, 'the last write clears the line');
});
