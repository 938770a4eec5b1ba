// Client-side write routing on three real dnodes: a bulk write through one dnode sends each
// table's rows straight to its vgroup's leader (VGROUP_MAP), every row lands exactly once,
// and when a routed dnode is killed the rows go through the connected dnode instead.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { Limits } from '../../src/common/limits.js';
import { connect, type BulkTable } from '../../src/client/index.js';
import { allocVector } from '../../src/common/block.js';
import { DataType } from '../../src/common/types.js';
import { RpcClient } from '../../src/rpc/client.js';
import { MsgType, type VgroupMapResponse } from '../../src/rpc/messages.js';
import { ClusterMsg } from '../../src/mnode/cluster-messages.js';
import { vgroupIndexForTable } from '../../src/common/routing.js';
import { sql, TestCluster, waitFor, startThreeMnodeCluster, vgroupRoles, dnodes, peerClient } from './harness.js';

const cluster = new TestCluster();
after(() => cluster.cleanup());

const TABLES = 16;
const ROWS = 100;
const T0 = 1_700_000_000_000;

/** TABLES child tables × ROWS rows starting at row `from` (same timestamps → idempotent). */
function tables(from: number): BulkTable[] {
  const out: BulkTable[] = [];
  for (let t = 0; t < TABLES; t++) {
    const ts = allocVector(DataType.TIMESTAMP, ROWS),
      v = allocVector(DataType.INT, ROWS);
    for (let r = 0; r < ROWS; r++) {
      (ts.data as Float64Array)[r] = T0 + (from + r) * 1000;
      (v.data as Int32Array)[r] = from + r;
    }
    out.push({ table: `d${t}`, using: { stable: 'meters', tags: [t] }, block: { numRows: ROWS, columns: [ts, v] } });
  }
  return out;
}

async function count(port: number): Promise<number> {
  return Number((await sql(port, 'select count(*) from rt.meters'))[0]![0]);
}

test('bulk writes go to each vgroup leader; a killed routed dnode falls back to the connected one', {
  timeout: 120_000,
}, async () => {
  const ports = await startThreeMnodeCluster(cluster, ['r1', 'r2', 'r3']);
  await sql(ports[0], 'create database rt replica 3 vgroups 4');
  await sql(ports[0], 'create stable rt.meters (ts timestamp, v int) tags (g int)');
  const roles = await waitFor('a leader per vgroup', 15_000, async () => {
    const v = await vgroupRoles(ports[0], 'rt');
    return v.size === 4 && [...v.values()].every((reps) => reps.some(([, r]) => r === 'leader')) ? v : undefined;
  });
  const leaders = new Set([...roles.values()].map((reps) => reps.find(([, r]) => r === 'leader')![0]));
  assert.ok(leaders.size >= 2, `create database spreads leaders over the dnodes: ${[...leaders].join(', ')}`);

  // The map a client gets: 4 vgroups covering the hash space, leaders as show vgroups has them.
  const raw = new RpcClient({ host: '127.0.0.1', port: ports[0] });
  await raw.connect();
  await raw.request(MsgType.CONNECT, { user: 'root', password: 'taosdata', db: null, clientVersion: 'test' });
  const map = (await raw.request(MsgType.VGROUP_MAP, { db: 'rt' })).control as VgroupMapResponse;
  raw.close();
  assert.equal(map.self, `localhost:${ports[0]}`);
  assert.equal(map.vgroups.length, 4);
  assert.equal(map.vgroups[0]!.hashBegin, 0);
  assert.equal(map.vgroups[3]!.hashEnd, 0xffffffff);
  const eps = new Map([...(await dnodes(ports[0]))].map(([id, d]) => [id, d.endpoint]));
  for (const vg of map.vgroups) {
    const leader = roles.get(vg.vgId)!.find(([, r]) => r === 'leader')![0];
    assert.equal(vg.leader, eps.get(leader), `vgroup ${vg.vgId}: the map names its leader dnode ${leader}`);
  }

  const c = await connect({ host: '127.0.0.1', port: ports[0] });
  try {
    assert.equal(await c.insertColumnar('rt', tables(0)), TABLES * ROWS);
    // Which tables the map sends home (their vgroup is led by dnode 1) and which elsewhere.
    const home = tables(0).filter(
      (t) => map.vgroups[vgroupIndexForTable(map.vgroups, t.table)]!.leader === map.self,
    ).length;
    assert.ok(home < TABLES, 'some of the tables belong to vgroups led by other dnodes');
    assert.deepEqual(
      c.writeRouting,
      { routedTables: TABLES - home, homeTables: home, fallbackTables: 0 },
      'tables led by dnode 1 went through the connection itself, the others straight to their leaders',
    );
    for (const p of ports) assert.equal(await count(p), TABLES * ROWS, `exact count through port ${p}`);

    const victim = [...leaders].find((id) => id !== 1)!;
    const k = ports.indexOf(Number(eps.get(victim)!.split(':')[1]));

    // Freeze (SIGSTOP) a dnode that leads a vgroup: it answers nothing and keeps its
    // connections. Once dnode 1's map names the new leader the client sends those rows
    // through dnode 1, without waiting out the routed attempt (issue 20).
    const frozen = cluster.procs.get(['r1', 'r2', 'r3'][k]!)!.child;
    const resentBefore = c.writeRouting.fallbackTables;
    frozen.kill('SIGSTOP');
    let frozenMs = 0;
    try {
      const t0 = Date.now();
      assert.equal(await c.insertColumnar('rt', tables(ROWS), 8_000), TABLES * ROWS);
      frozenMs = Date.now() - t0;
    } finally {
      frozen.kill('SIGCONT');
    }
    process.stdout.write(`# bulk write while routed leader dnode ${victim} is frozen: ${frozenMs} ms\n`);
    assert.ok(c.writeRouting.fallbackTables > resentBefore, "the frozen leader's rows went through dnode 1");
    assert.ok(
      frozenMs < Limits.clientRoutedAttemptMs,
      `resent once the map named a new leader (${frozenMs} ms), not after the ${Limits.clientRoutedAttemptMs} ms attempt`,
    );
    assert.equal(await count(ports[0]), 2 * TABLES * ROWS);

    // Kill a dnode that leads a vgroup and is not the connected one: its rows go through dnode 1.
    await cluster.kill(['r1', 'r2', 'r3'][k]!, 'SIGKILL');
    const t0 = Date.now();
    let written = 0;
    for (let attempt = 0; attempt < 30 && written === 0; attempt++) {
      try {
        written = await c.insertColumnar('rt', tables(ROWS));
      } catch {
        await new Promise((r) => setTimeout(r, 500));
      }
    }
    assert.equal(written, TABLES * ROWS, 'the write after the kill succeeds');
    assert.ok(Date.now() - t0 < 20_000, `within 20 s (took ${Date.now() - t0} ms)`);
    assert.ok(
      c.writeRouting.fallbackTables > 0,
      `rows for the killed dnode were resent through dnode 1: ${JSON.stringify(c.writeRouting)}`,
    );
    assert.equal(await count(ports[0]), 2 * TABLES * ROWS);

    // Routing off: everything through the connected dnode, same result.
    const plain = await connect({ host: '127.0.0.1', port: ports[0], routeWrites: false });
    try {
      assert.equal(await plain.insertColumnar('rt', tables(0)), TABLES * ROWS);
      assert.deepEqual(plain.writeRouting, { routedTables: 0, homeTables: TABLES, fallbackTables: 0 });
    } finally {
      plain.close();
    }
    assert.equal(await count(ports[0]), 2 * TABLES * ROWS, 'rewritten rows (same timestamps) are not counted twice');
  } finally {
    c.close();
  }

  // Dropping the database releases dnode 1's replicas: it no longer answers for them (a
  // closed replica kept in its index would also keep its memtable and log cache in memory).
  await sql(ports[0], 'drop database rt');
  const probe = peerClient(ports[0], cluster.procs.get('r2')!.dataDir, 2);
  await probe.connect();
  try {
    const vgId = map.vgroups[0]!.vgId;
    await assert.rejects(
      probe.request(ClusterMsg.VNODE_META, { vgId }),
      (e: Error) => /hosts no replica of vgroup/.test(e.message),
      'a dropped replica is gone from the dnode',
    );
  } finally {
    probe.close();
  }
});

test('a columnar insert through a dnode without a replica-1 database is forwarded to the dnode holding it', {
  timeout: 90_000,
}, async () => {
  const ports = await startThreeMnodeCluster(cluster, ['f1', 'f2', 'f3']);
  // Replica-1 databases go whole to the dnode with the fewest vnodes: fa fills one, fb lands on another.
  await sql(ports[0], 'create database fa vgroups 4');
  await sql(ports[0], 'create database fb vgroups 2');
  const holder = Number((await sql(ports[0], 'show fb.vgroups'))[0]![3]);
  const other = [1, 2, 3].find((id) => id !== holder)!;
  await sql(ports[holder - 1]!, 'create stable fb.meters (ts timestamp, v int) tags (g int)');
  // Without client routing every table goes to the connected dnode, which holds no vnode of fb.
  const c = await connect({ port: ports[other - 1]!, routeWrites: false });
  try {
    assert.equal(await c.insertColumnar('fb', tables(0)), TABLES * ROWS);
  } finally {
    c.close();
  }
  for (const p of ports) {
    assert.equal(Number((await sql(p, 'select count(*) from fb.meters'))[0]![0]), TABLES * ROWS, `count through ${p}`);
  }
});
