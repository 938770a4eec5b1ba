// A replica-3 database on three real dnode processes: per-vgroup placement on all three,
// one leader and two followers per vgroup, DDL and inserts through any dnode (followers
// forward mutations to their vgroup's leader), exact counts everywhere; SIGKILL of one
// dnode → inserts and selects work again within 5 s and its replicas show offline; after its
// restart its replicas are followers and hold every row.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from '../../src/client/index.js';
import { allocVector } from '../../src/common/block.js';
import { DataType } from '../../src/common/types.js';
import { dnodes, sql, TestCluster, waitFor, startThreeMnodeCluster, vgroupRoles } from './harness.js';
import { runBasalt } from '../cli/run-basalt.js';

const cluster = new TestCluster();
after(() => cluster.cleanup());

const TABLES = 8;
const ROWS_PER_TABLE = 50;
const T0 = 1_700_000_000_000;
const BULK_ROWS = 100;

/** One multi-table insert: rows [from, to) of every child table (same timestamps → idempotent). */
function insertSql(from: number, to: number): string {
  const parts: string[] = [];
  for (let t = 0; t < TABLES; t++) {
    const vals: string[] = [];
    for (let r = from; r < to; r++) vals.push(`(${T0 + r * 1000}, ${r})`);
    parts.push(`test.d${t} using test.meters tags (${t}) values ${vals.join(' ')}`);
  }
  return `insert into ${parts.join(' ')}`;
}

async function count(port: number): Promise<number> {
  const rows = await sql(port, 'select count(*) from test.meters');
  return Number(rows[0]![0]);
}

const oneLeaderTwoFollowers = (reps: [number, string][]): boolean =>
  reps.length === 3 &&
  reps.filter(([, r]) => r === 'leader').length === 1 &&
  reps.filter(([, r]) => r === 'follower').length === 2;

test('replica 3 vgroups 4 on 3 dnodes: placement, leaders, exact counts, SIGKILL failover and rejoin', {
  timeout: 120_000,
}, async () => {
  const ports = await startThreeMnodeCluster(cluster, ['a1', 'a2', 'a3']);

  await sql(ports[1], 'create database test replica 3 vgroups 4');
  const d = await dnodes(ports[0]);
  assert.deepEqual(
    [...d.values()].map((x) => x.vnodes),
    [4, 4, 4],
    'every dnode hosts one replica of each of the 4 vgroups',
  );
  const placed = await waitFor('one leader and two followers per vgroup', 15_000, async () => {
    const v = await vgroupRoles(ports[0]);
    return v.size === 4 && [...v.values()].every(oneLeaderTwoFollowers) ? v : undefined;
  });
  for (const reps of placed.values()) assert.deepEqual(reps.map(([id]) => id).sort(), [1, 2, 3]);

  for (const p of ports) {
    const names = (await sql(p, 'show databases')).map((r) => String(r[0]));
    assert.equal(
      names.filter((n) => n === 'test').length,
      1,
      `show databases through port ${p} lists test once: ${names.join(', ')}`,
    );
  }
  await sql(ports[2], 'create stable test.meters (ts timestamp, v int) tags (loc int)');
  await sql(ports[1], insertSql(0, ROWS_PER_TABLE));
  // The columnar bulk path through a dnode: 2 more child tables × BULK_ROWS rows.
  const c = await connect({ host: '127.0.0.1', port: ports[2], timeoutMs: 8_000 });
  try {
    const ts = allocVector(DataType.TIMESTAMP, BULK_ROWS);
    const v = allocVector(DataType.INT, BULK_ROWS);
    for (let r = 0; r < BULK_ROWS; r++) {
      (ts.data as Float64Array)[r] = T0 + r * 1000;
      (v.data as Int32Array)[r] = r;
    }
    const n = await c.insertColumnar(
      'test',
      [100, 101].map((t) => ({
        table: `d${t}`,
        using: { stable: 'meters', tags: [t] },
        block: { numRows: BULK_ROWS, columns: [ts, v] },
      })),
    );
    assert.equal(n, 2 * BULK_ROWS);
  } finally {
    c.close();
  }
  const total = TABLES * ROWS_PER_TABLE + 2 * BULK_ROWS;
  for (const p of ports) assert.equal(await count(p), total, `count through dnode on port ${p}`);

  // A client on dnode 3 that knows other dnodes (like TDengine's secondEp).
  const fo = await connect({
    host: '127.0.0.1',
    port: ports[2],
    timeoutMs: 8_000,
    fallbacks: [{ host: '127.0.0.1', port: ports[0] }],
  });

  // SIGKILL dnode 3: every vgroup loses one replica (and some their leader).
  await cluster.kill('a3', 'SIGKILL');
  const killedAt = Date.now();
  await waitFor(
    'inserts and selects succeed again',
    5_000,
    async () => {
      try {
        await sql(ports[0], insertSql(ROWS_PER_TABLE, ROWS_PER_TABLE + 10));
        return (await count(ports[1])) === total + TABLES * 10 ? true : undefined;
      } catch {
        return undefined;
      }
    },
    100,
  );
  const recoveredMs = Date.now() - killedAt;
  assert.ok(recoveredMs < 5_000, `recovered in ${recoveredMs} ms`);
  const afterKill = total + TABLES * 10;
  assert.equal(await count(ports[0]), afterKill);
  try {
    // Its dnode is gone: the client moves to the fallback and the statement runs there.
    assert.equal(Number((await fo.query('select count(*) from test.meters')).rows()[0]![0]), afterKill);
    assert.equal(fo.endpoint, `127.0.0.1:${ports[0]}`);
  } finally {
    fo.close();
  }
  const cli = await runBasalt([
    'sql',
    '-h',
    `127.0.0.1:${ports[2]},127.0.0.1:${ports[1]}`,
    '-s',
    'select count(*) from test.meters',
  ]);
  assert.equal(cli.code, 0, cli.stderr);
  assert.match(cli.stdout, new RegExp(`\\b${afterKill}\\b`));

  // Once the mnode leader shows dnode 3 offline, so do its replicas; 1 and 2 lead and follow.
  await waitFor('dnode 3 replicas offline in show vgroups', 20_000, async () => {
    const v = await vgroupRoles(ports[0]);
    const ok = [...v.values()].every(
      (reps) =>
        reps.some(([id, r]) => id === 3 && r === 'offline') &&
        reps.filter(([id, r]) => id !== 3 && r === 'leader').length === 1 &&
        reps.filter(([id, r]) => id !== 3 && r === 'follower').length === 1,
    );
    return v.size === 4 && ok ? true : undefined;
  });

  // Restart dnode 3 from its dataDir: its replicas catch up and are followers or leaders again.
  await cluster.start('a3b', ports[2], { dataDir: cluster.procs.get('a3')!.dataDir });
  await waitFor('dnode 3 replicas rejoin with every row', 20_000, async () => {
    try {
      const v = await vgroupRoles(ports[2]);
      if (v.size !== 4 || ![...v.values()].every(oneLeaderTwoFollowers)) return undefined;
      return (await count(ports[2])) === afterKill ? true : undefined;
    } catch {
      return undefined;
    }
  });
  const vn = await sql(ports[0], 'show vnodes on dnode 3');
  assert.equal(vn.length, 4);
  for (const r of vn)
    assert.ok(['follower', 'leader'].includes(String(r[3])), `vnode ${String(r[1])} on dnode 3 is ${String(r[3])}`);
  for (const p of ports) assert.equal(await count(p), afterKill);

  // Drop: every replica dnode removes its vnodes.
  await sql(ports[1], 'drop database test');
  await waitFor('no vnodes left after drop database', 10_000, async () => {
    const d = await dnodes(ports[0]);
    return [...d.values()].every((x) => x.vnodes === 0) ? true : undefined;
  });
  for (const p of ports) {
    assert.ok(!(await sql(p, 'show databases')).some((r) => r[0] === 'test'));
    assert.equal((await sql(p, 'show vnodes')).length, 0);
  }
});
