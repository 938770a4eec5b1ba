// Acceptance 3: real processes. `basalt start` in a temp dir on free ports; then the shell
// (`basalt sql -s`), REST (fetch, and curl when installed) and the client library each
// create, insert and query; SIGTERM; restart; everything written is still there.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { connect } from '../../src/client/index.js';
import { allocVector } from '../../src/common/block.js';
import { DataType } from '../../src/common/types.js';
import { freePort, tempDir } from '../rpc/harness.js';
import { runBasalt, spawnBasalt, stopChild } from '../cli/run-basalt.js';

const execFileP = promisify(execFile);
const HAVE_CURL = spawnSync('curl', ['--version']).status === 0;
const AUTH = 'Basic ' + Buffer.from('root:taosdata').toString('base64');

interface Rest {
  code: number;
  column_meta?: Array<[string, string, number]>;
  data?: unknown[][];
  rows?: number;
  desc?: string;
}

async function rest(httpPort: number, sql: string, db = ''): Promise<Rest> {
  const r = await fetch(`http://127.0.0.1:${httpPort}/rest/sql${db ? '/' + db : ''}`, {
    method: 'POST',
    body: sql,
    headers: { Authorization: AUTH },
  });
  assert.equal(r.status, 200);
  return (await r.json()) as Rest;
}

test('single dnode end to end: shell, REST, client library, SIGTERM, restart', async () => {
  const tmp = tempDir('e2e');
  const [rpcPort, httpPort] = [await freePort(), await freePort()];
  const dataDir = join(tmp.dir, 'data');
  const startArgs = [
    'start',
    '--data-dir',
    dataDir,
    '--server-port',
    String(rpcPort),
    '--http-port',
    String(httpPort),
    '--listen-host',
    '127.0.0.1',
    '--fqdn',
    'localhost',
  ];
  let server = await spawnBasalt(startArgs, /ready;/);
  try {
    assert.ok(existsSync(join(dataDir, 'dnode', 'dnode.json')), 'dataDir created on first start');
    // Listening first; ready once its own mnode leads and has accepted it.
    assert.match(server.stdout(), new RegExp(`dnode 1 \\(localhost:${rpcPort}\\) listening; REST on port ${httpPort}`));
    assert.match(
      server.stdout(),
      new RegExp(`basalt: dnode 1 \\(localhost:${rpcPort}\\) ready; member of cluster \\d+`),
    );
    const P = ['-P', String(rpcPort)];

    // --- the shell: the statements verbatim ---
    const sh = await runBasalt([
      'sql',
      ...P,
      '-s',
      'create database if not exists test1 replica 1; use test1; create table if not exists t1(ts timestamp, n int); insert into t1 values(now, 1)(now+1s, 2); select *from test1.t1; show databases; show test1.vgroups',
    ]);
    assert.equal(sh.code, 0, sh.stderr);
    assert.match(sh.stdout, /Create OK, 0 row\(s\) affected/);
    assert.match(sh.stdout, /Database changed\./);
    assert.match(sh.stdout, /Insert OK, 2 row\(s\) affected/);
    assert.match(
      sh.stdout,
      /\n {11}ts {12}\| {6}n {6}\|\n=+\n \d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} \| {11}1 \|\n \d{4}-.* \| {11}2 \|\nQuery OK, 2 row\(s\) in set/,
    );
    assert.match(sh.stdout, / test1 +\|/);
    const shErr = await runBasalt(['sql', ...P, '-s', 'select * from test1.no_such_table']);
    assert.equal(shErr.code, 1);
    assert.match(shErr.stderr, /^DB error: .*no_such_table.* \[0x8000[0-9a-f]{4}\] \(\d+\.\d{6}s\)\n$/);

    // --- REST ---
    assert.equal((await rest(httpPort, 'create database if not exists rdb')).code, 0);
    assert.equal(
      (
        await rest(
          httpPort,
          'create stable meters (ts timestamp, current float, voltage int, location varchar(24)) tags (groupid int)',
          'rdb',
        )
      ).code,
      0,
    );
    const ins = await rest(
      httpPort,
      "insert into d1 using meters tags (1) values (1700000000000, 10.3, 219, 'SF') (1700000001000, 12.5, 220, 'SF')",
      'rdb',
    );
    assert.deepEqual(ins, { code: 0, column_meta: [['affected_rows', 'INT', 4]], data: [[2]], rows: 1 });
    const sel = await rest(httpPort, 'select ts, current, voltage, location from rdb.meters order by ts');
    assert.equal(sel.code, 0, sel.desc);
    assert.deepEqual(sel.column_meta, [
      ['ts', 'TIMESTAMP', 8],
      ['current', 'FLOAT', 4],
      ['voltage', 'INT', 4],
      ['location', 'VARCHAR', 24],
    ]);
    assert.deepEqual(sel.data, [
      ['2023-11-14T22:13:20Z', 10.3, 219, 'SF'],
      ['2023-11-14T22:13:21Z', 12.5, 220, 'SF'],
    ]);
    const bad = await rest(httpPort, 'selec 1');
    assert.equal(bad.code, 0x2600);
    const unauth = await fetch(`http://127.0.0.1:${httpPort}/rest/sql`, {
      method: 'POST',
      body: 'show databases',
      headers: { Authorization: 'Basic ' + Buffer.from('root:x').toString('base64') },
    });
    assert.equal(unauth.status, 401);
    await unauth.text();
    const ping = await fetch(`http://127.0.0.1:${httpPort}/-/ping`);
    assert.equal(ping.status, 200);
    await ping.text();
    if (HAVE_CURL) {
      const { stdout } = await execFileP('curl', [
        '-s',
        '--noproxy',
        '*',
        '--max-time',
        '10',
        '-u',
        'root:taosdata',
        '-d',
        'show databases',
        `127.0.0.1:${httpPort}/rest/sql`,
      ]);
      const j = JSON.parse(stdout) as Rest;
      assert.equal(j.code, 0);
      assert.ok(j.data!.some((r) => r[0] === 'rdb'));
      const { stdout: c2 } = await execFileP('curl', [
        '-s',
        '--noproxy',
        '*',
        '--max-time',
        '10',
        '-u',
        'root:taosdata',
        '-d',
        "insert into d2 using meters tags (2) values (1700000002000, 1.5, 100, 'LA')",
        `127.0.0.1:${httpPort}/rest/sql/rdb/`,
      ]);
      assert.deepEqual((JSON.parse(c2) as Rest).data, [[1]]);
    } else {
      await rest(httpPort, "insert into d2 using meters tags (2) values (1700000002000, 1.5, 100, 'LA')", 'rdb');
    }

    // --- client library: SQL and the columnar bulk path ---
    const c = await connect({ port: rpcPort });
    try {
      await c.query('create database if not exists cdb');
      await c.query('use cdb');
      assert.equal(c.database, 'cdb');
      await c.query('create table m (ts timestamp, v double, tag_note varchar(10))');
      const r1 = await c.query("insert into m values (1700000001000, 1.5, 'a') (1700000002000, 2.5, 'b')");
      assert.equal(r1.affectedRows, 2);
      const ts = allocVector(DataType.TIMESTAMP, 1000);
      const v = allocVector(DataType.DOUBLE, 1000);
      const note = allocVector(DataType.VARCHAR, 1000);
      for (let i = 0; i < 1000; i++) {
        (ts.data as Float64Array)[i] = 1_700_000_010_000 + i;
        (v.data as Float64Array)[i] = i;
        (note.data as string[])[i] = `n${i}`;
      }
      assert.equal(
        await c.insertColumnar('cdb', [{ table: 'm', block: { numRows: 1000, columns: [ts, v, note] } }]),
        1000,
      );
      const q = await c.query('select count(*), sum(v) from m');
      assert.deepEqual(q.rows(), [[1002n, 4 + 499500]]);
      const first = await c.query('select ts, v, tag_note from m order by ts limit 2');
      assert.deepEqual(first.rows(), [
        [1_700_000_001_000, 1.5, 'a'],
        [1_700_000_002_000, 2.5, 'b'],
      ]);
    } finally {
      c.close();
    }

    // --- SIGTERM: clean stop ---
    const code = await stopChild(server.child, 'SIGTERM');
    assert.equal(code, 0, server.stderr());
    const log = readFileSync(join(dataDir, 'log', 'basalt.log'), 'utf8');
    assert.match(log, /INFO {2}dnode stopped/);

    // --- restart: everything is still there ---
    server = await spawnBasalt(startArgs, /ready;/);
    const again = await runBasalt(['sql', '-P', String(rpcPort), '-s', 'select count(*) from test1.t1']);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /=\n +2 \|\nQuery OK, 1 row\(s\) in set/);
    const sel2 = await rest(httpPort, 'select count(*) from meters', 'rdb');
    assert.deepEqual(sel2.data, [[3]]);
    const c2 = await connect({ port: rpcPort, database: 'cdb' });
    try {
      assert.deepEqual((await c2.query('select count(*) from m')).rows(), [[1002n]]);
    } finally {
      c2.close();
    }
    assert.equal(await stopChild(server.child, 'SIGINT'), 0);
  } finally {
    if (server.child.exitCode === null) await stopChild(server.child, 'SIGKILL');
    tmp.remove();
  }
});
