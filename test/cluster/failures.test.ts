// Acceptance 3: the failure cases the seeds describe, each with real processes and each
// asserting what an operator sees (show dnodes rows, error codes, log lines, exit codes).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { dnodes, freeBasePort, mnodes, sleep, sql, sqlError, TestCluster, waitFor } from './harness.js';

const cluster = new TestCluster();
after(() => cluster.cleanup());

test('wrong firstEp: the dnode names the endpoint it cannot reach and keeps retrying', {
  timeout: 30_000,
}, async () => {
  const base = await freeBasePort(2);
  // With a token (as from create dnode): what it lacks is a reachable firstEp.
  const token = 'token-from-create-dnode-0001';
  const d = await cluster.start('wrong-ep', base, { firstEp: `localhost:${base + 100}`, joinToken: token });
  await waitFor('a log line naming the unreachable firstEp', 8_000, async () =>
    /WARN .*cannot join the cluster.*localhost:\d+ \(connection refused: nothing listens there\).*retrying every 1 s/.test(
      d.log(),
    )
      ? true
      : undefined,
  );
  assert.match(d.log(), new RegExp(`localhost:${base + 100}`));
  const dn = await cluster.start('wrong-host', base + 200, { firstEp: 'no-such-host.invalid:6030', joinToken: token });
  await waitFor('a log line saying the host does not resolve', 12_000, async () =>
    /no-such-host\.invalid:6030 \(host name does not resolve\)/.test(dn.log()) ? true : undefined,
  );
  await sleep(1_500);
  assert.equal(d.child.exitCode, null, 'it keeps running and retrying');
  const e = await sqlError(base, 'show dnodes');
  assert.match(e.message, /has not joined a cluster yet; run create dnode "localhost:\d+"/);
});

test('firstEp naming the REST port: the joiner says it is an HTTP port and which port to use', {
  timeout: 30_000,
}, async () => {
  const base = await freeBasePort(2);
  await cluster.start('rest-first', base);
  // httpPort defaults to serverPort + 11 (6041 for 6030).
  const j = await cluster.start('rest-joiner', base + 100, { firstEp: `localhost:${base + 11}` });
  await waitFor('a log line naming the HTTP port and serverPort', 10_000, async () =>
    new RegExp(
      `cannot join the cluster.*localhost:${base + 11} \\(Wrong port: the peer answered in HTTP: that is a dnode's REST port \\(httpPort, 6041 by default\\), not its serverPort; firstEp, secondEp and clients \\(-P\\) take serverPort`,
    ).test(j.log())
      ? true
      : undefined,
  );
  assert.doesNotMatch(j.log(), /Message too large/);
});

test('secondEp and redirects: any joined dnode can be the entry point of the next one', {
  timeout: 30_000,
}, async () => {
  const base = await freeBasePort(4);
  await cluster.start('se1', base);
  await cluster.start('se2', base + 100, { firstEp: `localhost:${base}` });
  await sql(base, `create dnode "localhost:${base + 100}"`);
  await waitFor('dnode 2 ready', 10_000, async () =>
    (await dnodes(base)).get(2)?.status === 'ready' ? true : undefined,
  );
  // firstEp names nothing; secondEp is dnode 2, which hosts no mnode and redirects to dnode 1.
  const third = await cluster.start('se3', base + 200, {
    firstEp: `localhost:${base + 300}`,
    set: [`secondEp=localhost:${base + 100}`],
    joinToken: cluster.founderToken(`localhost:${base}`),
  });
  await sql(base + 100, `create dnode "localhost:${base + 200}"`);
  await waitFor('dnode 3 ready', 10_000, async () =>
    (await dnodes(base)).get(3)?.status === 'ready' ? true : undefined,
  );
  await waitFor('dnode 3 logs its join', 5_000, async () =>
    /INFO {2}joined the cluster dnodeId=3 .*mnodes=localhost:\d+/.test(third.log()) ? true : undefined,
  );
  // After joining it uses its saved mnode set: it serves cluster statements as a gateway.
  assert.equal((await dnodes(base + 200)).size, 3);
  const last = await sqlError(base + 200, 'drop mnode on dnode 1');
  assert.equal(last.code, 0x800003a8);
  assert.match(last.message, /^The replica of mnode cannot less than 1: the mnode on dnode 1 is the only one/);
});

test('two dnodes started without firstEp form two clusters that never merge', { timeout: 40_000 }, async () => {
  const base = await freeBasePort(2);
  const a = base;
  const b = base + 100;
  await cluster.start('clusterA', a);
  const bp = await cluster.start('clusterB', b);
  const idA = (await sql(a, 'show cluster'))[0]![0];
  const idB = (await sql(b, 'show cluster'))[0]![0];
  assert.notEqual(idA, idB);
  await sql(a, `create dnode "localhost:${b}"`);
  const rows = await waitFor("the other cluster's dnode refused with a note", 10_000, async () => {
    const d = await dnodes(a);
    return d.get(2)?.note === 'clusterId not match' ? d : undefined;
  });
  assert.equal(rows.get(2)!.status, 'offline');
  // B is still its own one-dnode cluster and says why in its log.
  const bRows = await dnodes(b);
  assert.equal(bRows.size, 1);
  assert.equal((await sql(b, 'show cluster'))[0]![0], idB);
  await waitFor('B logs that another cluster tried to add it', 5_000, async () =>
    /refused peer with a wrong cluster secret .*another cluster tried to add this dnode/.test(bp.log())
      ? true
      : undefined,
  );
});

test('a config mismatch keeps the dnode offline with note "timezone not match"', { timeout: 40_000 }, async () => {
  const base = await freeBasePort(2);
  const first = base;
  await cluster.start('tz1', first);
  const j = await cluster.start('tz2', base + 100, { firstEp: `localhost:${first}`, set: ['timezone=Asia/Shanghai'] });
  await sql(first, `create dnode "localhost:${base + 100}"`);
  const d = await waitFor('note timezone not match', 10_000, async () => {
    const r = await dnodes(first);
    return r.get(2)?.note === 'timezone not match' ? r : undefined;
  });
  assert.equal(d.get(2)!.status, 'offline');
  await waitFor('the joining dnode logs the refusal and the fix', 5_000, async () =>
    /refused this dnode.*timezone is 'Asia\/Shanghai' on this dnode but 'UTC' in the cluster; set timezone UTC/.test(
      j.log(),
    )
      ? true
      : undefined,
  );
  // Still offline later: the refusal is not a one-off.
  await sleep(2_000);
  assert.equal((await dnodes(first)).get(2)!.note, 'timezone not match');
});

test("every mismatching config key is named at once, on the cluster and in the joining dnode's log", {
  timeout: 40_000,
}, async () => {
  const base = await freeBasePort(2);
  const first = base;
  await cluster.start('mm1', first);
  const j = await cluster.start('mm2', base + 100, {
    firstEp: `localhost:${first}`,
    set: ['timezone=Asia/Shanghai', 'locale=C'],
  });
  await sql(first, `create dnode "localhost:${base + 100}"`);
  const d = await waitFor('note naming both keys', 10_000, async () => {
    const r = await dnodes(first);
    return r.get(2)?.note === 'timezone, locale not match' ? r : undefined;
  });
  assert.equal(d.get(2)!.status, 'offline');
  await waitFor('the joining dnode logs both keys and one fix', 5_000, async () =>
    /timezone is 'Asia\/Shanghai' on this dnode but 'UTC' in the cluster; locale is 'C' on this dnode but '[^']+' in the cluster; set timezone UTC, locale [^ ]+ in its basalt.cfg/.test(
      j.log(),
    )
      ? true
      : undefined,
  );
});

test('a dropped dnode exits non-zero, logs how to wipe its dataDir, and refuses to start again', {
  timeout: 40_000,
}, async () => {
  const base = await freeBasePort(2);
  await cluster.start('keep', base);
  const victim = await cluster.start('victim', base + 100, { firstEp: `localhost:${base}` });
  await sql(base, `create dnode "localhost:${base + 100}"`);
  await waitFor('dnode 2 ready', 10_000, async () =>
    (await dnodes(base)).get(2)?.status === 'ready' ? true : undefined,
  );
  await sql(base, 'drop dnode 2');
  const r = await Promise.race([victim.exited, sleep(8_000).then(() => null)]);
  assert.ok(r !== null, 'the dropped dnode exits by itself');
  assert.equal(r.code, 1);
  assert.match(victim.log(), /ERROR dnode 2 was dropped from cluster \d+ .*delete everything in dataDir .*victim/);
  assert.equal((await dnodes(base)).size, 1);
  const again = await cluster.start('victim-again', base + 100, {
    noWait: true,
    dataDir: victim.dataDir,
    firstEp: `localhost:${base}`,
  });
  const r2 = await Promise.race([again.exited, sleep(8_000).then(() => null)]);
  assert.ok(r2 !== null, 'the restart exits by itself');
  assert.equal(r2.code, 1);
  assert.match(again.stderr(), /was dropped from cluster \d+ and will not start; .*delete everything in dataDir/);
  assert.match(again.log(), /will not start/);
  // Ids are never reused: the next dnode gets id 3.
  await sql(base, `create dnode "localhost:${base + 300}"`);
  assert.ok((await dnodes(base)).has(3));
});

test('create mnode: on an offline dnode, twice on one dnode, a 4th time; drop mnode of the leader', {
  timeout: 60_000,
}, async () => {
  const base = await freeBasePort(4);
  await cluster.start('m1', base);
  await cluster.start('m2', base + 100, { firstEp: `localhost:${base}` });
  await cluster.start('m3', base + 200, { firstEp: `localhost:${base}` });
  for (const k of [1, 2, 3]) await sql(base, `create dnode "localhost:${base + 100 * k}"`); // dnode 4 is never started
  await waitFor('dnodes 2 and 3 ready', 10_000, async () => {
    const d = await dnodes(base);
    return d.get(2)?.status === 'ready' && d.get(3)?.status === 'ready' ? true : undefined;
  });
  const off = await sqlError(base, 'create mnode on dnode 4');
  assert.equal(off.code, 0x80000408);
  assert.match(off.message, /^Dnode is offline: dnode 4 .* \(status not received\)/);
  const missing = await sqlError(base, 'create mnode on dnode 9');
  assert.equal(missing.code, 0x80000331);
  await sql(base, 'create mnode on dnode 2');
  const twice = await sqlError(base + 100, 'create mnode on dnode 2');
  assert.equal(twice.code, 0x800003a0);
  assert.match(twice.message, /^Mnode already exists/);
  await sql(base, 'create mnode on dnode 3');
  const fourth = await sqlError(base, 'create mnode on dnode 4');
  assert.equal(fourth.code, 0x800003a9);
  assert.match(fourth.message, /^The replica of mnode cannot exceed 3/);
  const leader = [...(await mnodes(base))].find(([, r]) => r === 'leader')![0];
  const dropLeader = await sqlError(base, `drop mnode on dnode ${leader}`);
  assert.equal(dropLeader.code, 0x80000333);
  const follower = [1, 2, 3].find((x) => x !== leader)!;
  await sql(base, `drop mnode on dnode ${follower}`);
  assert.equal((await mnodes(base)).size, 2);
  // Run-time config through any dnode: alter one dnode, read it back; refuse keys that must match.
  await sql(base + 200, "alter dnode 2 'debugFlag' '135'");
  const vars = await sql(base, "show dnode 2 variables like 'debugFlag'");
  assert.deepEqual(
    vars.map((r) => [r[0], r[1], r[2]]),
    [[2, 'debugFlag', '135']],
  );
  await sql(base, "alter all dnodes 'debugFlag' '131'");
  assert.equal((await sql(base, "show dnode 3 variables like 'debugFlag'"))[0]![2], '131');
  const tz = await sqlError(base, "alter all dnodes 'timezone' 'UTC'");
  assert.equal(tz.code, 0x80002650);
  assert.match(tz.message, /'timezone' cannot be changed at run time .* all with the same value/);
  const offVars = await sqlError(base, 'show dnode 4 variables');
  assert.equal(offVars.code, 0x80000408);
  const bad = await sqlError(base, 'create dnode "localhost:70000"');
  assert.equal(bad.code, 0x800003b3);
  const dup = await sqlError(base, `create dnode "localhost:${base + 100}"`);
  assert.equal(dup.code, 0x80000330);
});

test('port already in use: start exits 1 with a message naming the port', { timeout: 20_000 }, async () => {
  const base = await freeBasePort(1);
  const blocker: Server = createServer();
  await new Promise<void>((res) => blocker.listen(base, '127.0.0.1', () => res()));
  try {
    const p = await cluster.start('busy', base, { noWait: true });
    const r = await Promise.race([p.exited, sleep(10_000).then(() => null)]);
    assert.ok(r !== null);
    assert.equal(r.code, 1);
    assert.match(p.stderr(), new RegExp(`serverPort ${base} on 127\\.0\\.0\\.1 is already in use`));
  } finally {
    blocker.close();
  }
});
