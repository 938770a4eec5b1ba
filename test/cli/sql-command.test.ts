// `basalt sql` and `basalt check` as real child processes against an in-process dnode
// (fake engine): -s/-f output and exit codes, error lines on stderr, -d, \G, -p, -k.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startFakeServer, startTestServer, freePort, type FakeServer } from '../rpc/harness.js';
import { runBasalt } from './run-basalt.js';

let srv: FakeServer;
before(async () => {
  srv = await startFakeServer();
});
after(async () => {
  await srv.stop();
});

const P = (): string[] => ['-P', String(srv.rpcPort)];

test('-s runs statements in order with taos footers and exit 0', async () => {
  const r = await runBasalt([
    'sql',
    ...P(),
    '-s',
    'create database s1; use s1; insert into t values (1,2)(3,4); select big 2; show databases',
  ]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, '');
  const out = r.stdout;
  assert.match(out, /^basalt> create database s1;\nCreate OK, 0 row\(s\) affected \(\d+\.\d{6}s\)\n/);
  assert.match(out, /basalt> use s1;\nDatabase changed\.\n/);
  assert.match(out, /Insert OK, 2 row\(s\) affected/);
  assert.match(out, /\n {11}ts {12}\|/);
  assert.ok(
    out.includes(
      '           ts            |      i      |           b           |          f           |           s            |  ok   |\n' +
        '='.repeat(120) +
        '\n' +
        ' 2023-11-14 22:13:20.000 |           0 |                     0 |              0.50000 | row-0                  | false |\n' +
        ' 2023-11-14 22:13:21.000 |           1 |           10000000000 |              1.50000 | row-1                  | true  |\n',
    ),
    out,
  );
  assert.match(out, /Query OK, 2 row\(s\) in set \(\d+\.\d{6}s\)/);
  assert.match(out, / information_schema {13}\|/);
});

test('an error goes to stderr as DB error [0x...], stops the script, exit 1', async () => {
  const r = await runBasalt(['sql', ...P(), '-s', 'select big 1; fail; select big 1']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^DB error: Syntax error in SQL: near 'fail'.* \[0x80002600\] \(\d+\.\d{6}s\)\n$/);
  assert.equal((r.stdout.match(/Query OK/g) ?? []).length, 1, 'statements after the error do not run');
});

test('-f file, -d database, \\G vertical output', async () => {
  await runBasalt(['sql', ...P(), '-s', 'create database fdb']);
  const f = join(srv.dir, 'script.sql');
  writeFileSync(f, '-- a comment\nselect db;\nselect big 1\\G;\n');
  const r = await runBasalt(['sql', ...P(), '-d', 'fdb', '-f', f]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /\n fdb {28}\|\n/);
  assert.match(
    r.stdout,
    /\*{27} 1\.row \*{27}\nts: 2023-11-14 22:13:20\.000\n i: 0\n b: 0\n f: 0\.50000\n s: row-0\nok: false\n/,
  );
  const missing = await runBasalt(['sql', ...P(), '-f', join(srv.dir, 'nope.sql')]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /cannot read -f .*nope\.sql: ENOENT/);
});

test('-p glued password; a wrong one fails to connect with exit 1', async () => {
  const ok = await runBasalt(['sql', ...P(), '-u', 'root', '-ptaosdata', '-s', 'select big 1']);
  assert.equal(ok.code, 0, ok.stderr);
  const bad = await runBasalt(['sql', ...P(), '-pnope', '-s', 'select big 1']);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /^DB error: Authentication failure.*\[0x80000357\]/);
});

test('-k and basalt check print the status code line and exit accordingly', async () => {
  const k = await runBasalt(['sql', ...P(), '-k']);
  assert.equal(k.stdout, '2: service ok\n');
  assert.equal(k.code, 0);
  const c = await runBasalt(['check', ...P()]);
  assert.equal(c.stdout, '2: service ok\n');
  assert.equal(c.code, 0);
  // Without -P, the port comes from BASALT_SERVER_PORT (or -c basalt.cfg), as taos reads taos.cfg.
  const env = await runBasalt(['check'], { env: { BASALT_SERVER_PORT: String(srv.rpcPort) } });
  assert.equal(env.stdout, '2: service ok\n');
  const viaEp = await runBasalt(['sql', '-k'], { env: { BASALT_FIRST_EP: `127.0.0.1:${srv.rpcPort}` } });
  assert.equal(viaEp.stdout, '2: service ok\n');
  const dead = await freePort();
  const d = await runBasalt(['check', '-P', String(dead)]);
  assert.match(d.stdout, /^0: unavailable\n/);
  assert.equal(d.code, 1);
  const ready = await runBasalt(['check', '--mode', 'ready', ...P()]);
  assert.equal(ready.stdout, '2: service ok\n');
  assert.equal(ready.code, 0);
  const badMode = await runBasalt(['check', '--mode', 'started', ...P()]);
  assert.equal(badMode.code, 2);
  assert.match(badMode.stderr, /--mode 'started' is not a mode; use --mode alive or --mode ready/);
});

test('a dnode that has not joined a cluster is alive but not ready, and says what it waits for', async () => {
  // firstEp names a dnode that is not there: this one waits to be created and never founds a cluster.
  const joiner = await startTestServer({
    firstEp: `localhost:${await freePort()}`,
    joinToken: 'a-token-from-create-dnode',
  });
  const tokenless = await startTestServer({ firstEp: `localhost:${await freePort()}` });
  try {
    const noToken = await runBasalt(['check', '-P', String(tokenless.rpcPort)]);
    assert.match(
      noToken.stdout,
      /^1: network ok\nnot a cluster member yet: it has no join token: set joinToken in basalt.cfg, BASALT_JOIN_TOKEN or joinTokenFile; create dnode "localhost:\d+" on the cluster at firstEp localhost:\d+ prints one/,
    );
    const port = ['-P', String(joiner.rpcPort)];
    const alive = await runBasalt(['check', ...port]);
    assert.match(
      alive.stdout,
      /^1: network ok\nnot a cluster member yet: waiting to be created; run create dnode "localhost:\d+" on the cluster at firstEp localhost:\d+\n$/,
    );
    assert.equal(alive.code, 0, 'alive: the process is up');
    const ready = await runBasalt(['check', '--mode', 'ready', ...port]);
    assert.match(ready.stdout, /^1: network ok\n/);
    assert.equal(ready.code, 1, 'not ready: not a member');
  } finally {
    await joiner.stop();
    await tokenless.stop();
  }
});

test('interactive mode reads statements across lines from stdin and quits', async () => {
  const script = join(srv.dir, 'interactive.sql');
  writeFileSync(script, 'select big 4;\n');
  const r = await runBasalt(['sql', ...P()], { input: `select\nbig 3;\nselect big 1\\G\nsource ${script}\nquit\n` });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /Welcome to the Basalt shell/);
  assert.match(r.stdout, /Query OK, 3 row\(s\) in set/);
  assert.match(r.stdout, /basalt> select big 4;\n[\s\S]*Query OK, 4 row\(s\) in set/);
  assert.match(r.stdout, /\*{27} 1\.row \*{27}/);
});

test('a -P that is not a port is refused with the fix, before any connection', async () => {
  for (const cmd of ['sql', 'check']) {
    const r = await runBasalt([cmd, '-P', 'abc']);
    assert.notEqual(r.code, 0, `${cmd} -P abc must fail`);
    assert.match(r.stderr, /Invalid config value: -P 'abc' is not a port number; give the dnode's serverPort, 1-65535/);
  }
});
