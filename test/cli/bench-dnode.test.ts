// `basalt bench` end to end against a real dnode process (`basalt start` in a temp dir): each
// -I mode inserts exactly tables × rows (count(*) checked), the SUCC lines are printed, -x and
// a -f query file run, and without -y and without a terminal nothing is dropped.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { connect, type Connection } from '../../src/client/index.js';
import { freePort, tempDir } from '../rpc/harness.js';
import { runBasalt, spawnBasalt, stopChild } from './run-basalt.js';

let child: ChildProcess;
let conn: Connection;
let port = 0;
/** The dnode's REST port, passed as --rest-port (bench would otherwise assume serverPort + 11). */
let restPort = 0;
let tmp: { dir: string; remove(): void };

before(async () => {
  tmp = tempDir('bench');
  port = await freePort();
  const httpPort = await freePort();
  ({ child } = await spawnBasalt(
    [
      'start',
      '--data-dir',
      join(tmp.dir, 'data'),
      '--server-port',
      String(port),
      '--http-port',
      String(httpPort),
      '--listen-host',
      '127.0.0.1',
      '--fqdn',
      'localhost',
    ],
    /ready/,
    { timeoutMs: 30_000 },
  ));
  conn = await connect({ port });
  restPort = httpPort;
});

after(async () => {
  conn?.close();
  if (child) await stopChild(child);
  tmp?.remove();
});

async function count(db: string): Promise<number> {
  return Number((await conn.query(`select count(*) from ${db}.meters`)).rows()[0]![0]);
}

const SUCC =
  /^SUCC: Spent \d+\.\d{4} \(real \d+\.\d{4}\) seconds to insert rows: (\d+) with (\d+) thread\(s\) into (\w+) \d+\.\d{2} \(real \d+\.\d{2}\) records\/second$/m;
const DELAY =
  /^SUCC: insert delay, min: \d+\.\d\dms, avg: \d+\.\d\dms, p90: \d+\.\d\dms, p95: \d+\.\d\dms, p99: \d+\.\d\dms, max: \d+\.\d\dms$/m;

for (const iface of ['native', 'rest', 'line'] as const) {
  test(`-I ${iface}: 7 tables x 333 rows, 250 rows per request, 3 workers; count exact`, async () => {
    const out = join(tmp.dir, `out-${iface}.txt`);
    const r = await runBasalt(
      [
        'bench',
        '-y',
        '-P',
        String(port),
        '--rest-port',
        String(restPort),
        '-d',
        `b_${iface}`,
        '-t',
        '7',
        '-n',
        '333',
        '-r',
        '250',
        '-T',
        '3',
        '-I',
        iface,
        '-o',
        out,
      ],
      { timeoutMs: 60_000 },
    );
    assert.equal(r.code, 0, r.stderr);
    const m = SUCC.exec(r.stdout);
    assert.ok(m, r.stdout);
    assert.deepEqual([m[1], m[2], m[3]], ['2331', '3', `b_${iface}`]);
    assert.match(r.stdout, DELAY);
    assert.equal(await count(`b_${iface}`), 7 * 333);
    const tags = (
      await conn.query(`select tbname, groupid, location from b_${iface}.meters where tbname = 'd4' limit 1`)
    ).rows();
    assert.deepEqual(tags, [['d4', 5, 'California.PaloAlto']]);
    const ts = (await conn.query(`select first(ts), last(ts) from b_${iface}.d6`)).rows()[0]!;
    assert.deepEqual(ts.map(Number), [1_500_000_000_000, 1_500_000_000_332]);
  });
}

test('rerun drops and recreates; -x runs the aggregates; without -y and a terminal nothing is dropped', async () => {
  const r = await runBasalt(
    [
      'bench',
      '-y',
      '-P',
      String(port),
      '-d',
      'b_x',
      '-t',
      '3',
      '-n',
      '100',
      '-T',
      '2',
      '-x',
      '-o',
      join(tmp.dir, 'x.txt'),
    ],
    { timeoutMs: 60_000 },
  );
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /for query: select count\(\*\) from b_x\.meters \(1 row\(s\); first: 300\)/);
  assert.doesNotMatch(r.stdout, /FAIL/);
  const again = await runBasalt(
    ['bench', '-y', '-P', String(port), '-d', 'b_x', '-t', '2', '-n', '50', '-o', join(tmp.dir, 'x.txt')],
    { timeoutMs: 60_000 },
  );
  assert.equal(again.code, 0, again.stderr);
  assert.equal(await count('b_x'), 100, 'dropped and recreated, not appended');
  const refused = await runBasalt(['bench', '-P', String(port), '-d', 'b_x', '-t', '1', '-n', '1'], {
    timeoutMs: 30_000,
  });
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /pass -y/);
  assert.equal(await count('b_x'), 100);
});

test('-f query file: per-SQL latency lines and the QPS line', async () => {
  const f = join(tmp.dir, 'q.json');
  writeFileSync(
    f,
    JSON.stringify({
      filetype: 'query',
      host: '127.0.0.1',
      port,
      rest_port: restPort,
      databases: 'b_native',
      query_times: 2,
      query_mode: 'rest',
      specified_table_query: { threads: 2, sqls: [{ sql: 'select count(*) from meters' }] },
      super_table_query: { stblname: 'meters', threads: 3, sqls: [{ sql: 'select last(ts) from xxxx' }] },
    }),
  );
  const r = await runBasalt(['bench', '-f', f, '-o', join(tmp.dir, 'q.txt')], { timeoutMs: 60_000 });
  assert.equal(r.code, 0, r.stderr);
  assert.match(
    r.stdout,
    /^complete query with 2 threads and 4 query delay avg: \d+\.\d{6}s min: .* SQL command: select count\(\*\) from meters$/m,
  );
  assert.match(
    r.stdout,
    /^complete query with 3 threads and 14 query delay avg: .* SQL command: select last\(ts\) from xxxx$/m,
  );
  assert.match(
    r.stdout,
    /^INFO: Spend \d+\.\d{4} second completed total queries: 18, the QPS of all threads: \d+\.\d{3}$/m,
  );
  const bad = await runBasalt(['bench', '-f', join(tmp.dir, 'missing.json')], { timeoutMs: 30_000 });
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /cannot be read as JSON/);
});
