// Issue #13 finding 4, replayed against real processes: users and passwords were per dnode (a
// user created on dnode 1 was unknown on dnode 2; after root's password changed on dnode 1,
// dnode 2 still took the old one). Now they are cluster state: a change made on dnode 1 holds
// on dnodes 2 and 3 within one status interval, and a dropped or disabled user's open
// sessions end on every dnode.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { connect, type Connection } from '../../src/client/index.js';
import { freeBasePort, sleep, sql, TestCluster, waitFor, dnodes } from '../cluster/harness.js';

const STATUS_INTERVAL_MS = 1000; // the harness starts every dnode with statusInterval=1
const AUTH_FAILURE = 0x80000357;
const PERMISSION_DENIED = 0x80002644;

const cluster = new TestCluster();
let ports: [number, number, number];

function login(port: number, user: string, password: string, database?: string): Promise<Connection> {
  return connect({ host: '127.0.0.1', port, user, password, timeoutMs: 8_000, ...(database ? { database } : {}) });
}

async function run(port: number, user: string, password: string, text: string): Promise<unknown[][]> {
  const c = await login(port, user, password);
  try {
    return (await c.query(text)).rows();
  } finally {
    c.close();
  }
}

/** The error code a login fails with, or 0 when it succeeds. */
async function loginCode(port: number, user: string, password: string): Promise<number> {
  try {
    (await login(port, user, password)).close();
    return 0;
  } catch (e) {
    return (e as { code: number }).code >>> 0;
  }
}

/**
 * Polls until `check` holds on dnodes 2 and 3, returning how long that took from `sinceMs`:
 * the change must reach them within one status interval (plus the polling and scheduling
 * slack of a shared 2-core test machine).
 */
async function holdsWithin(what: string, sinceMs: number, check: (port: number) => Promise<boolean>): Promise<number> {
  await waitFor(
    what,
    4 * STATUS_INTERVAL_MS,
    async () => ((await check(ports[1])) && (await check(ports[2])) ? true : undefined),
    50,
  );
  return Date.now() - sinceMs;
}

before(async () => {
  const base = await freeBasePort(3);
  ports = [base, base + 100, base + 200];
  await cluster.start('d1', ports[0]);
  await cluster.start('d2', ports[1], { firstEp: `localhost:${ports[0]}` });
  await cluster.start('d3', ports[2], { firstEp: `localhost:${ports[0]}` });
  await sql(ports[0], `create dnode "localhost:${ports[1]}"`);
  await sql(ports[0], `create dnode "localhost:${ports[2]}"`);
  await waitFor('three ready dnodes', 15_000, async () => {
    const d = await dnodes(ports[0]);
    return d.size === 3 && [...d.values()].every((x) => x.status === 'ready') ? true : undefined;
  });
});

after(async () => {
  await cluster.cleanup();
});

test('a user and a root password change made on dnode 1 hold on dnodes 2 and 3 within one status interval', async () => {
  // While root has the default password, `basalt start` says so.
  await waitFor('the default-password warning', 5_000, async () =>
    /warning: root still has the default password/.test(cluster.procs.get('d1')!.stderr()) ? true : undefined,
  );
  // Before: root/taosdata works everywhere (the cluster's default root), alice is unknown.
  for (const p of ports) assert.equal(await loginCode(p, 'root', 'taosdata'), 0);
  assert.equal(await loginCode(ports[2], 'alice', 'alice-pw-1'), AUTH_FAILURE);

  const t0 = Date.now();
  await run(ports[0], 'root', 'taosdata', "create user alice pass 'alice-pw-1'");
  await run(ports[0], 'root', 'taosdata', "alter user root pass 'N3w-root-pw'");
  const took = await holdsWithin('the new users on dnodes 2 and 3', t0, async (p) => {
    return (
      (await loginCode(p, 'root', 'taosdata')) === AUTH_FAILURE &&
      (await loginCode(p, 'root', 'N3w-root-pw')) === 0 &&
      (await loginCode(p, 'alice', 'alice-pw-1')) === 0
    );
  });
  process.stdout.write(`# users and root's new password held on dnodes 2 and 3 after ${took} ms\n`);
  assert.ok(took <= 2 * STATUS_INTERVAL_MS + 1000, `took ${took} ms, more than one status interval and slack`);
  // The old password returns no rows anywhere (finding 4: dnode 2 returned the cluster's rows).
  await assert.rejects(run(ports[1], 'root', 'taosdata', 'show databases'), (e: { code: number }) => {
    return e.code >>> 0 === AUTH_FAILURE;
  });
  // The new user logs in on dnode 3 and sees users as the cluster has them.
  const users = await run(ports[2], 'root', 'N3w-root-pw', 'show users');
  assert.deepEqual(users.map((r) => String(r[0])).sort(), ['alice', 'root']);
  // Not a super user: alice may not manage users, on any dnode.
  await assert.rejects(run(ports[2], 'alice', 'alice-pw-1', "create user mallory pass 'x1'"), (e: { code: number }) => {
    return e.code >>> 0 === PERMISSION_DENIED;
  });
  // Anyone may change their own password; the change reaches the other dnodes too.
  const t1 = Date.now();
  await run(ports[2], 'alice', 'alice-pw-1', "alter user alice pass 'alice-pw-2'");
  await holdsWithin("alice's own new password", t1, async (p) => (await loginCode(p, 'alice', 'alice-pw-2')) === 0);
  assert.equal(await loginCode(ports[0], 'alice', 'alice-pw-1'), AUTH_FAILURE);
});

test("a dropped or disabled user's open sessions end on other dnodes; a password change ends old sessions", async () => {
  const root = (t: string): Promise<unknown[][]> => run(ports[0], 'root', 'N3w-root-pw', t);
  await root("create user bob pass 'bob-pw-1'");
  await root("create user carol pass 'carol-pw-1'");
  await root("create user dave pass 'dave-pw-1'");
  // Each opens a session on dnode 2 or 3 once the users reached them.
  const open = async (port: number, u: string, p: string): Promise<Connection> =>
    waitFor(`${u} can log in on ${port}`, 4 * STATUS_INTERVAL_MS, async () => login(port, u, p), 100);
  const bob = await open(ports[1], 'bob', 'bob-pw-1');
  const carol = await open(ports[2], 'carol', 'carol-pw-1');
  const dave = await open(ports[1], 'dave', 'dave-pw-1');
  try {
    for (const c of [bob, carol, dave]) assert.equal((await c.query('select server_version()')).numRows, 1);
    await root('drop user bob');
    await root('alter user carol enable 0');
    await root("alter user dave pass 'dave-pw-2'");
    const ended = async (c: Connection, why: RegExp): Promise<string> =>
      waitFor(
        `the session to end (${why})`,
        4 * STATUS_INTERVAL_MS,
        async () => {
          try {
            await c.query('select server_version()');
            return undefined;
          } catch (e) {
            const err = e as { code: number; message: string };
            assert.equal(err.code >>> 0, AUTH_FAILURE, err.message);
            assert.match(err.message, why);
            return err.message;
          }
        },
        100,
      );
    process.stdout.write(`# dropped: ${await ended(bob, /bob.*dropped/)}\n`);
    process.stdout.write(`# disabled: ${await ended(carol, /carol.*disabled/)}\n`);
    process.stdout.write(`# password changed: ${await ended(dave, /password of user 'dave' changed/)}\n`);
    // New logins agree on every dnode.
    for (const p of ports) {
      assert.equal(await loginCode(p, 'bob', 'bob-pw-1'), AUTH_FAILURE);
      assert.equal(await loginCode(p, 'carol', 'carol-pw-1'), AUTH_FAILURE);
      assert.equal(await loginCode(p, 'dave', 'dave-pw-1'), AUTH_FAILURE);
    }
    await root('alter user carol enable 1');
    await waitFor('carol enabled again', 4 * STATUS_INTERVAL_MS, async () =>
      (await loginCode(ports[2], 'carol', 'carol-pw-1')) === 0 ? true : undefined,
    );
  } finally {
    for (const c of [bob, carol, dave]) c.close();
  }
});

test('a statement forwarded to the dnode that holds the database is checked there, as the user who sent it', async () => {
  const root = (t: string): Promise<unknown[][]> => run(ports[0], 'root', 'N3w-root-pw', t);
  await root('create database fw');
  await root('create table fw.t (ts timestamp, v int)');
  await root('insert into fw.t values (1700000000000, 1)');
  await root("create user erin pass 'erin-pw-1'");
  await root("create user frank pass 'frank-pw-1'");
  await root('grant read on fw.* to erin');
  await sleep(2 * STATUS_INTERVAL_MS);
  // From every dnode (the database lives on one of them; the others forward the statement).
  for (const p of ports) {
    assert.deepEqual(await run(p, 'erin', 'erin-pw-1', 'select count(*) from fw.t'), [[1n]]);
    await assert.rejects(
      run(p, 'erin', 'erin-pw-1', 'insert into fw.t values (1700000000001, 2)'),
      (e: { code: number; message: string }) =>
        e.code >>> 0 === PERMISSION_DENIED && /grant write on fw\.\*/.test(e.message),
    );
    await assert.rejects(
      run(p, 'frank', 'frank-pw-1', 'select count(*) from fw.t'),
      (e: { code: number }) => e.code >>> 0 === PERMISSION_DENIED,
    );
  }
});

test("BASALT_ROOT_PASSWORD sets root's password when a cluster is created; no default-password warning then", async () => {
  const base = await freeBasePort(1);
  const p = base + 300;
  await cluster.start('solo', p, { env: { BASALT_ROOT_PASSWORD: 'Init-root-pw-9' } });
  await waitFor('root with the configured password', 5_000, async () =>
    (await loginCode(p, 'root', 'Init-root-pw-9')) === 0 ? true : undefined,
  );
  assert.equal(await loginCode(p, 'root', 'taosdata'), AUTH_FAILURE);
  await sleep(1500);
  assert.doesNotMatch(cluster.procs.get('solo')!.stderr(), /default password/);
  await cluster.kill('solo');
});
