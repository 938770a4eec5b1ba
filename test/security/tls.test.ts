// TLS end to end (issue #13 acceptance 4) on real `basalt start` processes with a CA and a
// localhost certificate made by openssl in a temp dir: curl --cacert to REST over HTTPS
// (Basic auth login without the password in the URL), `basalt sql --tls --ca`, the client
// library, the errors of a plain client on a TLS port and of a TLS client on a plain port,
// an unreadable certificate at start-up, and a 3-dnode cluster with TLS between peers
// running a replica-3 database.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateCerts } from '../../src/cli/tls-certs.js';
import { connect, type Value } from '../../src/client/index.js';
import { BasaltError, Errors } from '../../src/common/errors.js';
import { RpcClient } from '../../src/rpc/client.js';
import { RpcServer } from '../../src/rpc/server.js';
import { freeBasePort, TestCluster, waitFor } from '../cluster/harness.js';
import { runBasalt } from '../cli/run-basalt.js';

const cluster = new TestCluster();
after(() => cluster.cleanup());
const certs = generateCerts(join(cluster.dir, 'certs'));
const ca = readFileSync(certs.caCert);
const tlsSet = [`sslCert=${certs.cert}`, `sslKey=${certs.key}`, `sslCa=${certs.caCert}`];

async function sqlTls(port: number, text: string): Promise<Value[][]> {
  const c = await connect({ host: '127.0.0.1', port, timeoutMs: 8_000, tls: { ca } });
  try {
    return (await c.query(text)).rows();
  } finally {
    c.close();
  }
}

function curl(args: string[]): { code: number | null; out: string; err: string } {
  const r = spawnSync('curl', ['-sS', '--max-time', '10', ...args], { encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

let single = 0;
test('one dnode with sslCert: REST over HTTPS with curl --cacert, basalt sql --tls --ca, the client library', {
  timeout: 60_000,
}, async () => {
  single = await freeBasePort(1);
  const p = await cluster.start('tls1', single, { set: tlsSet });
  assert.match(p.stdout(), /HTTPS; RPC over TLS/);
  const https = `https://127.0.0.1:${single + 11}`;

  const q = curl([
    '--cacert',
    certs.caCert,
    '-u',
    'root:taosdata',
    '-d',
    'select server_version()',
    `${https}/rest/sql`,
  ]);
  assert.equal(q.code, 0, q.err);
  assert.equal((JSON.parse(q.out) as { code: number }).code, 0, q.out);
  // Without the CA curl refuses the certificate; plain HTTP gets no answer.
  assert.notEqual(curl(['-u', 'root:taosdata', '-d', 'select 1', `${https}/rest/sql`]).code, 0);
  assert.notEqual(curl(['-u', 'root:taosdata', '-d', 'select 1', `http://127.0.0.1:${single + 11}/rest/sql`]).code, 0);
  // A token from Basic auth on /rest/login, then used as Taosd auth; the old URL form still works.
  const login = curl(['--cacert', certs.caCert, '-u', 'root:taosdata', `${https}/rest/login`]);
  const token = (JSON.parse(login.out) as { desc: string }).desc;
  const byToken = curl([
    '--cacert',
    certs.caCert,
    '-H',
    `Authorization: Taosd ${token}`,
    '-d',
    'select 1',
    `${https}/rest/sql`,
  ]);
  assert.equal((JSON.parse(byToken.out) as { code: number }).code, 0, byToken.out);
  const urlLogin = curl(['--cacert', certs.caCert, `${https}/rest/login/root/taosdata`]);
  assert.equal((JSON.parse(urlLogin.out) as { code: number }).code, 0);
  const noAuth = curl(['--cacert', certs.caCert, '-o', '/dev/null', '-w', '%{http_code}', `${https}/rest/login`]);
  assert.equal(noAuth.out, '401');

  const shell = await runBasalt([
    'sql',
    '-h',
    '127.0.0.1',
    '-P',
    String(single),
    '--ca',
    certs.caCert,
    '-s',
    'select server_version()',
  ]);
  assert.equal(shell.code, 0, shell.stderr);
  assert.match(shell.stdout, /server_version\(\)/);
  const plainShell = await runBasalt(['sql', '-h', '127.0.0.1', '-P', String(single), '-s', 'select 1']);
  assert.equal(plainShell.code, 1);
  assert.match(plainShell.stderr, /TLS mismatch: this dnode serves TLS \(sslCert is set\).*--tls/);
  assert.match(plainShell.stderr, /0x8000003a/);
  // Status probes stay plain (basalt check in a Kubernetes probe needs no certificate). A
  // founding dnode is ready once its mnode accepted its first status, which may still be
  // coming when the statements above were quick: ask until it says so (bounded).
  await waitFor('basalt check --mode ready over plain TCP', 15_000, async () => {
    const ck = await runBasalt(['check', '-h', '127.0.0.1', '-P', String(single), '--mode', 'ready']);
    return ck.code === 0 ? true : undefined;
  });

  assert.deepEqual(await sqlTls(single, 'select 1 + 1'), [[2]]);
  await assert.rejects(connect({ host: '127.0.0.1', port: single, timeoutMs: 5_000 }), (e: BasaltError) => {
    assert.equal(e.code, Errors.TLS_MISMATCH.code);
    return true;
  });
  await assert.rejects(connect({ host: '127.0.0.1', port: single, timeoutMs: 5_000, tls: true }), (e: BasaltError) => {
    assert.equal(e.code, Errors.TLS_HANDSHAKE_FAILED.code);
    assert.match(e.message, /--ca/);
    return true;
  });
});

test('a TLS client on a plain port gets TLS_MISMATCH naming sslCert; the server counts it', async () => {
  const srv = new RpcServer({ host: '127.0.0.1', port: 0, handler: async () => ({ control: {} }) });
  const port = await srv.listen();
  const c = new RpcClient({ host: '127.0.0.1', port, tls: { ca } });
  try {
    await assert.rejects(c.request(7, {}), (e: BasaltError) => {
      assert.equal(e.code, Errors.TLS_MISMATCH.code);
      assert.match(e.message, /does not serve TLS.*sslCert/);
      return true;
    });
    assert.equal(srv.stats().tlsNotEnabled, 1);
  } finally {
    c.close();
    await srv.close(10);
  }
});

test('an unreadable sslCert stops start-up with one line naming the key and the file', async () => {
  const port = await freeBasePort(1);
  const r = await runBasalt([
    'start',
    '--server-port',
    String(port),
    '--data-dir',
    join(cluster.dir, 'badcert'),
    '--listen-host',
    '127.0.0.1',
    '--set',
    'sslCert=/nonexistent/server.crt',
    '--set',
    `sslKey=${certs.key}`,
  ]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /sslCert \/nonexistent\/server\.crt cannot be read \(ENOENT\)/);
});

test('three dnodes with peerTls 1: a replica-3 database takes and returns rows', { timeout: 90_000 }, async () => {
  const base = await freeBasePort(3);
  const ports = [base + 100, base + 200, base + 300] as const;
  const set = [...tlsSet, 'peerTls=1'];
  await cluster.start('p1', ports[0], { set });
  await cluster.start('p2', ports[1], { set, firstEp: `localhost:${ports[0]}` });
  await cluster.start('p3', ports[2], { set, firstEp: `localhost:${ports[0]}` });
  await sqlTls(ports[0], `create dnode "localhost:${ports[1]}"`);
  await sqlTls(ports[0], `create dnode "localhost:${ports[2]}"`);
  await waitFor('three ready dnodes', 20_000, async () => {
    const rows = await sqlTls(ports[0], 'show dnodes');
    return rows.length === 3 && rows.every((r) => String(r[4]) === 'ready') ? true : undefined;
  });
  await sqlTls(ports[1], 'create database sec replica 3 vgroups 2');
  await sqlTls(ports[2], 'create stable sec.m (ts timestamp, v int) tags (t int)');
  const values = Array.from({ length: 100 }, (_, i) => `(${1_700_000_000_000 + i * 1000}, ${i})`).join(' ');
  await sqlTls(
    ports[0],
    `insert into sec.d1 using sec.m tags (1) values ${values} sec.d2 using sec.m tags (2) values ${values}`,
  );
  for (const port of ports) {
    const rows = await waitFor(`200 rows on ${port}`, 15_000, async () => {
      const r = await sqlTls(port, 'select count(*), sum(v) from sec.m');
      return Number(r[0]![0]) === 200 ? r : undefined;
    });
    assert.deepEqual(
      rows.map((r) => r.map(Number)),
      [[200, 9900]],
    );
  }
  // No peer connection was refused for lack of TLS (all of them spoke it).
  for (const name of ['p1', 'p2', 'p3']) assert.doesNotMatch(cluster.procs.get(name)!.log(), /rpc: tlsRequired/);
});
