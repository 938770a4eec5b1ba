// Issue #13 audit: DDL, user, grant and cluster statements and failed logins are written by
// the dnode the client reached, one JSON line each in <logDir>/audit.log (passwords masked),
// and `show audit` returns them to super users only.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { connect, type Connection } from '../../src/client/index.js';
import { freeBasePort, TestCluster, waitFor } from '../cluster/harness.js';

const PERMISSION_DENIED = 0x80002644;
const AUTH_FAILURE = 0x80000357;

const cluster = new TestCluster();
let port = 0;

function login(user = 'root', password = 'taosdata'): Promise<Connection> {
  return connect({ host: '127.0.0.1', port, user, password, timeoutMs: 8_000 });
}

before(async () => {
  port = await freeBasePort(1);
  await cluster.start('d1', port);
});

after(async () => {
  await cluster.cleanup();
});

interface Line {
  ts: string;
  user: string;
  source: string;
  dnode: number;
  operation: string;
  statement: string;
  result: string;
}

function auditLines(): Line[] {
  const f = join(cluster.procs.get('d1')!.dataDir, 'log', 'audit.log');
  if (!existsSync(f)) return [];
  return readFileSync(f, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Line);
}

test('DDL, users, denied statements and failed logins are audited; show audit is for super users', async () => {
  const root = await login();
  try {
    await root.query("create user auditee pass 'S3cret-pw'");
    await root.query('create database audited');
    await root.query('drop database audited');
    await root.query('select server_version()'); // not audited
  } finally {
    root.close();
  }
  const u = await waitFor('auditee can log in', 5_000, async () => login('auditee', 'S3cret-pw'), 100);
  try {
    await assert.rejects(u.query('create database nope'), (e: { code: number }) => e.code >>> 0 === PERMISSION_DENIED);
    await assert.rejects(u.query('show audit'), (e: { code: number }) => e.code >>> 0 === PERMISSION_DENIED);
  } finally {
    u.close();
  }
  await assert.rejects(login('root', 'wrong-password'), (e: { code: number }) => e.code >>> 0 === AUTH_FAILURE);

  const lines = auditLines();
  const raw = readFileSync(join(cluster.procs.get('d1')!.dataDir, 'log', 'audit.log'), 'utf8');
  assert.ok(!raw.includes('S3cret-pw'), 'a password reached audit.log');
  const ops = lines.map((l) => `${l.user} ${l.operation} ${l.result.split(' ')[0]}`);
  assert.deepEqual(ops, [
    'root createUser ok',
    'root createDatabase ok',
    'root dropDatabase ok',
    `auditee createDatabase 0x${PERMISSION_DENIED.toString(16)}`,
    `root login 0x${AUTH_FAILURE.toString(16)}`,
  ]);
  assert.equal(lines[0]!.statement, "create user auditee pass '******'");
  for (const l of lines) {
    assert.match(l.source, /^127\.0\.0\.1:\d+$/);
    assert.equal(l.dnode, 1);
    assert.ok(!Number.isNaN(Date.parse(l.ts)));
  }
  process.stdout.write(`# audit.log:\n${raw.replace(/^/gm, '#   ')}\n`);

  const r = await login();
  try {
    const rows = (await r.query('show audit')).rows();
    assert.deepEqual(
      rows.map((row) => [row[1], row[3], String(row[5]).split(' ')[0]]),
      lines.map((l) => [l.user, l.operation, l.result.split(' ')[0]]),
    );
    assert.equal(rows[0]![4], "create user auditee pass '******'");
  } finally {
    r.close();
  }
});
