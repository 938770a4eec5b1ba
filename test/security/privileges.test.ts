// Issue #13 finding 4 ("there are no privileges: any user may drop any database"), as a
// matrix against a real dnode process: users (super, read-only, write-only, all, none with
// sysinfo 0) × statements (select, insert, create table, drop database, create user, create
// dnode, show dnodes) × interfaces (RPC through the client library, REST with Basic auth, line
// protocol through the REST adapter's InfluxDB endpoint). Every cell's expected allow/deny is
// asserted, and the matrix is printed.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { connect } from '../../src/client/index.js';
import { freeBasePort, sql, TestCluster } from '../cluster/harness.js';

const PERMISSION_DENIED = 0x80002644;

type Iface = 'rpc' | 'rest' | 'line';
type Outcome = 'allow' | 'deny' | 'n/a';

interface User {
  readonly name: string;
  readonly password: string;
}

const USERS: readonly User[] = [
  { name: 'root', password: 'taosdata' },
  { name: 'ro', password: 'ro-pw-1' },
  { name: 'wo', password: 'wo-pw-1' },
  { name: 'al', password: 'al-pw-1' },
  { name: 'nobody', password: 'nobody-pw-1' },
];

const STATEMENTS = [
  'select',
  'insert',
  'create table',
  'drop database',
  'create user',
  'create dnode',
  'show dnodes',
] as const;
type Stmt = (typeof STATEMENTS)[number];

/** Who may: root is super; ro/wo/al hold read/write/all on power.*; nobody has no grant and sysinfo 0. */
const EXPECTED: Record<Stmt, Record<string, boolean>> = {
  select: { root: true, ro: true, wo: false, al: true, nobody: false },
  insert: { root: true, ro: false, wo: true, al: true, nobody: false },
  'create table': { root: true, ro: false, wo: false, al: true, nobody: false },
  'drop database': { root: true, ro: false, wo: false, al: false, nobody: false },
  'create user': { root: true, ro: false, wo: false, al: false, nobody: false },
  'create dnode': { root: true, ro: false, wo: false, al: false, nobody: false },
  'show dnodes': { root: true, ro: true, wo: true, al: true, nobody: false },
};

const cluster = new TestCluster();
let port = 0;
let httpPort = 0;
let seq = 0;

/** The SQL of one cell (unique names, so cells do not depend on each other). */
function sqlOf(stmt: Stmt, u: User, iface: Iface): string {
  const tag = `${u.name}_${iface}`;
  switch (stmt) {
    case 'select':
      return 'select count(*) from power.meters';
    case 'insert':
      return `insert into power.d1 values (${1_700_000_000_000 + ++seq}, 1.5)`;
    case 'create table':
      return `create table power.ct_${tag} (ts timestamp, v int)`;
    case 'drop database':
      // root drops a scratch database made for it; the others try the real one.
      return u.name === 'root' ? `drop database scratch_${iface}` : 'drop database power';
    case 'create user':
      return `create user x_${tag} pass 'x-pw-123'`;
    case 'create dnode':
      return `create dnode "localhost:${40_000 + ++seq}"`;
    case 'show dnodes':
      return 'show dnodes';
  }
}

function basic(u: User): string {
  return `Basic ${Buffer.from(`${u.name}:${u.password}`).toString('base64')}`;
}

/** allow, or deny with PERMISSION_DENIED (any other error fails the test: it would hide the check). */
async function viaRpc(u: User, text: string): Promise<{ outcome: Outcome; message: string }> {
  const c = await connect({ host: '127.0.0.1', port, user: u.name, password: u.password, timeoutMs: 8_000 });
  try {
    await c.query(text);
    return { outcome: 'allow', message: '' };
  } catch (e) {
    const err = e as { code: number; message: string };
    assert.equal(err.code >>> 0, PERMISSION_DENIED, `rpc ${u.name}: ${text}: ${err.message}`);
    return { outcome: 'deny', message: err.message };
  } finally {
    c.close();
  }
}

async function viaRest(u: User, text: string): Promise<{ outcome: Outcome; message: string }> {
  const r = await fetch(`http://127.0.0.1:${httpPort}/rest/sql`, {
    method: 'POST',
    headers: { authorization: basic(u) },
    body: text,
  });
  const body = (await r.json()) as { code: number; desc?: string };
  if (body.code === 0) return { outcome: 'allow', message: '' };
  assert.equal(body.code & 0xffff, PERMISSION_DENIED & 0xffff, `rest ${u.name}: ${text}: ${JSON.stringify(body)}`);
  return { outcome: 'deny', message: body.desc ?? '' };
}

async function lineWrite(u: User, lines: string): Promise<{ outcome: Outcome; message: string }> {
  const r = await fetch(`http://127.0.0.1:${httpPort}/influxdb/v1/write?db=power&precision=ms`, {
    method: 'POST',
    headers: { authorization: basic(u) },
    body: lines,
  });
  if (r.status === 204) return { outcome: 'allow', message: '' };
  const text = await r.text();
  const body = JSON.parse(text) as { code: number; message: string };
  assert.equal(r.status, 403, `line ${u.name}: ${text}`);
  assert.equal(body.code & 0xffff, PERMISSION_DENIED & 0xffff, `line ${u.name}: ${text}`);
  return { outcome: 'deny', message: body.message };
}

/** Line protocol writes rows (insert) and, for a new measurement, creates its super table (create table). */
async function viaLine(stmt: Stmt, u: User): Promise<{ outcome: Outcome; message: string }> {
  const ts = 1_700_000_000_000 + ++seq;
  if (stmt === 'insert') return lineWrite(u, `lp,loc=a v=1.5 ${ts}`);
  if (stmt === 'create table') return lineWrite(u, `lpnew_${u.name},loc=a v=1.5 ${ts}`);
  return { outcome: 'n/a', message: '' };
}

before(async () => {
  port = await freeBasePort(1);
  httpPort = port + 11;
  await cluster.start('d1', port);
  const root = (t: string): Promise<unknown> => sql(port, t);
  await root('create database power');
  await root('create stable power.meters (ts timestamp, v double) tags (loc binary(16))');
  await root("create table power.d1 using power.meters tags ('a')");
  await root('insert into power.d1 values (1700000000000, 1.0)');
  for (const i of ['rpc', 'rest']) await root(`create database scratch_${i}`);
  await root("create user ro pass 'ro-pw-1'");
  await root("create user wo pass 'wo-pw-1'");
  await root("create user al pass 'al-pw-1'");
  await root("create user nobody pass 'nobody-pw-1' sysinfo 0");
  await root('grant read on power.* to ro');
  await root('grant write on power.* to wo');
  await root('grant all on power.* to al');
  // The line protocol measurement the insert cells write to, created by root.
  const r = await lineWrite(USERS[0]!, 'lp,loc=a v=1.0 1700000000000');
  assert.equal(r.outcome, 'allow');
});

after(async () => {
  await cluster.cleanup();
});

test('privilege matrix: users × statements × RPC, REST, line protocol', { timeout: 120_000 }, async () => {
  const ifaces: readonly Iface[] = ['rpc', 'rest', 'line'];
  const lines: string[] = [];
  const pad = (s: string, n: number): string => s.padEnd(n);
  lines.push(`${pad('statement', 15)}${USERS.map((u) => pad(u.name, 22)).join('')}`);
  lines.push(`${pad('', 15)}${USERS.map(() => pad(ifaces.join('/'), 22)).join('')}`);
  const failures: string[] = [];
  for (const stmt of STATEMENTS) {
    let row = pad(stmt, 15);
    for (const u of USERS) {
      const cell: string[] = [];
      for (const iface of ifaces) {
        const text = sqlOf(stmt, u, iface);
        const got =
          iface === 'rpc' ? await viaRpc(u, text) : iface === 'rest' ? await viaRest(u, text) : await viaLine(stmt, u);
        cell.push(got.outcome === 'n/a' ? '-' : got.outcome === 'allow' ? 'Y' : 'N');
        if (got.outcome === 'n/a') continue;
        const want = EXPECTED[stmt][u.name] ? 'allow' : 'deny';
        if (got.outcome !== want) failures.push(`${stmt} by ${u.name} over ${iface}: ${got.outcome}, expected ${want}`);
        // A refusal names the user and what to do about it.
        if (got.outcome === 'deny') {
          if (!got.message.includes(`'${u.name}'`))
            failures.push(`${stmt}/${u.name}/${iface}: message lacks the user: ${got.message}`);
          if (!/grant |super user|sysinfo 1/.test(got.message))
            failures.push(`${stmt}/${u.name}/${iface}: message lacks the fix: ${got.message}`);
        }
      }
      row += pad(cell.join('/'), 22);
    }
    lines.push(row);
  }
  process.stdout.write(
    `# privilege matrix (Y allowed, N denied, - not a line-protocol operation):\n${lines.map((l) => `# ${l}`).join('\n')}\n`,
  );
  assert.deepEqual(failures, []);
  // Nothing a denied cell tried took effect.
  const dbs = (await sql(port, 'show databases')).map((r) => String(r[0]));
  assert.ok(dbs.includes('power'), 'power still exists');
  assert.ok(!dbs.includes('scratch_rpc') && !dbs.includes('scratch_rest'), 'root dropped its scratch databases');
  const users = (await sql(port, 'show users')).map((r) => String(r[0]));
  assert.deepEqual(
    users.filter((n) => n.startsWith('x_')).sort(),
    ['x_root_rest', 'x_root_rpc'],
    'only root created users',
  );
  const tables = (await sql(port, 'show power.tables')).map((r) => String(r[0]));
  for (const t of tables.filter((n) => n.startsWith('ct_'))) assert.match(t, /^ct_(root|al)_/);
});

test('the denial says which privilege is missing and the grant that fixes it', async () => {
  const wo = USERS[2]!;
  const r = await viaRpc(wo, 'select count(*) from power.meters');
  assert.equal(r.outcome, 'deny');
  assert.match(r.message, /user 'wo' may not run select on database 'power'/);
  assert.match(r.message, /grant read on power\.\* .*to wo/);
  const privileges = await sql(port, 'show user privileges');
  assert.deepEqual(
    privileges.filter((p) => ['ro', 'wo', 'al'].includes(String(p[0]))).map((p) => p.map(String)),
    [
      ['al', 'all', 'power', '*'],
      ['ro', 'read', 'power', '*'],
      ['wo', 'write', 'power', '*'],
    ],
  );
  // Revoking takes effect at once on this dnode: ro may no longer read.
  await sql(port, 'revoke read on power.* from ro');
  assert.equal((await viaRpc(USERS[1]!, 'select count(*) from power.meters')).outcome, 'deny');
  await sql(port, 'grant read on power.d1 to ro');
  // A table grant covers that table only.
  assert.equal((await viaRpc(USERS[1]!, 'select count(*) from power.d1')).outcome, 'allow');
  assert.equal((await viaRpc(USERS[1]!, 'select count(*) from power.meters')).outcome, 'deny');
});
