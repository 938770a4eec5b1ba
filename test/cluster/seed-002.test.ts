// Seed 002 on real dnode processes: a replica-1 database with 10 vgroups on one dnode, a
// second dnode joins, `balance vgroup` moves half of the vgroups to it (10:0 → 5:5) while a
// writer keeps inserting, `redistribute vgroup` moves one back, `drop dnode 2` moves the rest
// back (→ 10:0), and every count stays exact, also after a restart. A replica-1 vgroup moves
// as a Raft group of one voter: the new dnode joins as a learner, catches up by snapshot and
// log, is promoted, and the old replica leaves; the writer's longest pause is printed.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { dnodes, freeBasePort, sql, sqlError, TestCluster, waitFor, movesSettled } from './harness.js';

const cluster = new TestCluster();
after(() => cluster.cleanup());

const TABLES = 40;
const ROWS = 250;
const T0 = 1_700_000_000_000;

async function count(port: number): Promise<number> {
  return Number((await sql(port, 'select count(*) from r1.meters'))[0]![0]);
}

async function vnodeSplit(port: number): Promise<number[]> {
  return [...(await dnodes(port)).values()].map((d) => d.vnodes);
}

/** Inserts one row at a time into r1.w0..w19 (spread over the vgroups) until stopped; the longest time one insert took, and the errors. */
function startWriter(port: number): { stop(): Promise<{ rows: number; maxMs: number; errors: string[] }> } {
  let running = true;
  let rows = 0;
  let maxMs = 0;
  const errors: string[] = [];
  const loop = (async () => {
    for (let i = 0; running && i < 100_000; i++) {
      const t = Date.now();
      try {
        await sql(port, `insert into r1.w${i % 20} using r1.meters tags (-1) values (${T0 + i}, ${i})`);
        rows++;
      } catch (e) {
        errors.push((e as Error).message);
      }
      maxMs = Math.max(maxMs, Date.now() - t);
      if (Date.now() - t > 300)
        console.log(`# slow insert w${i % 20} at ${new Date(t).toISOString()}: ${Date.now() - t} ms`);
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return { rows, maxMs, errors };
    },
  };
}

test('seed 002: replica-1 vgroups move 10:0 → 5:5 → 10:0 with exact counts', { timeout: 240_000 }, async () => {
  const base = await freeBasePort(2);
  const [p1, p2] = [base, base + 100];
  // The seed's hosts had 4 cores (supportVnodes 13 by TDengine's 2 × cores + 5); this one may have 2.
  const set = ['supportVnodes=16'];
  await cluster.start('d1', p1, { set });
  await waitFor('dnode 1 ready', 15_000, async () =>
    (await dnodes(p1)).get(1)?.status === 'ready' ? true : undefined,
  );
  await sql(p1, 'create database r1 vgroups 10');
  await sql(p1, 'create stable r1.meters (ts timestamp, v int) tags (g int)');
  for (let t = 0; t < TABLES; t++) {
    const vals = Array.from({ length: ROWS }, (_, r) => `(${T0 + r * 1000}, ${t * 10_000 + r})`).join(' ');
    await sql(p1, `insert into r1.d${t} using r1.meters tags (${t}) values ${vals}`);
  }
  const total = TABLES * ROWS;
  assert.equal(await count(p1), total);
  assert.deepEqual(await vnodeSplit(p1), [10], 'all 10 vnodes on dnode 1');

  await cluster.start('d2', p2, { firstEp: `localhost:${p1}`, set });
  await sql(p1, `create dnode "localhost:${p2}"`);
  await waitFor('dnode 2 ready with no vnodes', 15_000, async () => {
    const d = (await dnodes(p1)).get(2);
    return d?.status === 'ready' && d.vnodes === 0 ? true : undefined;
  });
  assert.deepEqual(await vnodeSplit(p1), [10, 0], '10:0 after the join');

  // balance vgroup with a writer running: nothing lost, the pause printed.
  const writer = startWriter(p2);
  await sql(p1, 'balance vgroup');
  await movesSettled(p1, 'balance vgroup finished');
  const w = await writer.stop();
  console.log(
    `# balance vgroup under writes: ${w.rows} single-row inserts, longest ${w.maxMs} ms, ${w.errors.length} errors ${w.errors.join(' | ')}`,
  );
  assert.deepEqual(w.errors, [], 'no write failed while vgroups moved');
  assert.deepEqual(await vnodeSplit(p1), [5, 5], '5:5 after balance vgroup');
  assert.equal((await sql(p2, 'show vnodes on dnode 2')).length, 5);
  for (const p of [p1, p2]) assert.equal(await count(p), total + w.rows, `exact count after balance through ${p}`);
  const byTable = await sql(p2, 'select tbname, sum(v) from r1.meters where g >= 0 partition by tbname');
  assert.equal(byTable.length, TABLES);
  for (const r of byTable) {
    const t = Number(String(r[0]).slice(1));
    assert.equal(Number(r[1]), t * 10_000 * ROWS + (ROWS * (ROWS - 1)) / 2, `rows of ${String(r[0])} intact`);
  }

  // redistribute one of dnode 2's vgroups back: 6:4.
  const onTwo = (await sql(p1, 'show r1.vgroups')).filter((r) => Number(r[3]) === 2).map((r) => Number(r[0]));
  assert.equal(onTwo.length, 5);
  await sql(p1, `redistribute vgroup ${onTwo[0]} dnode 1`);
  await movesSettled(p1, 'redistribute finished');
  assert.deepEqual(await vnodeSplit(p1), [6, 4], '6:4 after redistribute');
  assert.match(
    (await sqlError(p1, `redistribute vgroup ${onTwo[1]} dnode 1 dnode 2`)).message,
    /has replica 1; name exactly 1 dnode/,
  );

  // drop dnode 2 moves its vnodes back: 10:0, then dnode 2 is gone.
  await sql(p1, 'drop dnode 2');
  await waitFor('dnode 2 removed', 60_000, async () => ((await dnodes(p1)).has(2) ? undefined : true));
  assert.deepEqual(await vnodeSplit(p1), [10], '10 on dnode 1 after drop dnode 2');
  assert.equal(await count(p1), total + w.rows, 'exact count after drop dnode');

  // Data after a restart of the only dnode.
  await cluster.kill('d1');
  await cluster.start('d1', p1, { set });
  await waitFor('count after restart', 20_000, async () => ((await count(p1).catch(() => -1)) >= 0 ? true : undefined));
  assert.equal(await count(p1), total + w.rows, 'exact count after restart');
  await sql(p1, `insert into r1.d0 values (${T0 + ROWS * 1000}, 1)`);
  assert.equal(await count(p1), total + w.rows + 1, 'writes after restart');
});

test('drop dnode force on a dead dnode with the only copy of replica-1 vgroups needs unsafe', {
  timeout: 120_000,
}, async () => {
  const base = await freeBasePort(2);
  const [p1, p2] = [base, base + 100];
  await cluster.start('f1', p1);
  await waitFor('dnode 1 ready', 15_000, async () =>
    (await dnodes(p1)).get(1)?.status === 'ready' ? true : undefined,
  );
  await cluster.start('f2', p2, { firstEp: `localhost:${p1}` });
  await sql(p1, `create dnode "localhost:${p2}"`);
  await waitFor('dnode 2 ready', 15_000, async () =>
    (await dnodes(p1)).get(2)?.status === 'ready' ? true : undefined,
  );
  await sql(p1, 'create database lost vgroups 4');
  await sql(p1, 'create database kept vgroups 1');
  assert.deepEqual(await vnodeSplit(p1), [3, 2], 'vgroups spread at creation');
  const keptOn = Number((await sql(p1, 'show kept.vgroups'))[0]![3]);
  assert.equal(keptOn, 1, "'kept' placed on the less loaded dnode 1");
  await sql(p1, 'create table kept.t (ts timestamp, v int)');
  await sql(p1, `insert into kept.t values (${T0}, 7)`);

  await cluster.kill('f2');
  await waitFor('dnode 2 offline', 15_000, async () =>
    (await dnodes(p1)).get(2)?.status === 'offline' ? true : undefined,
  );
  assert.match((await sqlError(p1, 'drop dnode 2')).message, /is offline/);
  assert.match(
    (await sqlError(p1, 'drop dnode 2 force')).message,
    /holds the only copy of data of replica-1 database\(s\) lost.*drop dnode 2 force unsafe/,
  );
  await sql(p1, 'drop dnode 2 force unsafe');
  await waitFor('dnode 2 removed', 30_000, async () => ((await dnodes(p1)).has(2) ? undefined : true));
  const dbs = (await sql(p1, 'show databases')).map((r) => String(r[0]));
  assert.ok(!dbs.includes('lost') && dbs.includes('kept'), dbs.join(','));
  assert.deepEqual(await sql(p1, 'select v from kept.t'), [[7]]);
});
