// Issue 6 acceptance 1: the flow of seed 001 with real processes on loopback. Three dnodes
// with three mnodes; `basalt bench -I stmt -a 3 -v 8` writes SEED001_ROWS rows (1,000,000 in
// npm test; `npm run test:scale` writes 100,000,000) into test.meters → exact count → 8
// vgroups, one leader and two followers each, leaders on all 3 dnodes → the seed's manual
// statements on test1 (through `basalt sql -s`) → SIGKILL the mnode leader's dnode → the
// seed's insert and select on test1.t1 succeed within 5 s → restart it, start a 4th dnode,
// create dnode, balance vgroup → it holds vnodes, counts unchanged → drop dnode 4 → its
// vnodes move back, counts unchanged → its restarted process is refused as dropped.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runBasalt } from '../cli/run-basalt.js';
import { dnodes, mnodes, sql, TestCluster, waitFor, startThreeMnodeCluster, vgroupRoles } from './harness.js';

const cluster = new TestCluster();
after(() => cluster.cleanup());

const ROWS = Number(process.env['SEED001_ROWS'] ?? 1_000_000);
const TABLES = ROWS >= 100_000_000 ? 10_000 : 1_000;
const PER_TABLE = Math.floor(ROWS / TABLES);
const scale = ROWS > 10_000_000;
/** Memtable budget per vnode (MB) for the test database; 0 leaves the default (256). */
const BUFFER_MB = Number(process.env['SEED001_BUFFER_MB'] ?? (scale ? 32 : 0));

async function count(port: number, table = 'test.meters'): Promise<number> {
  return Number((await sql(port, `select count(*) from ${table}`))[0]![0]);
}

const healthy = (reps: [number, string][]): boolean =>
  reps.length === 3 &&
  reps.filter(([, r]) => r === 'leader').length === 1 &&
  reps.filter(([, r]) => r === 'follower').length === 2;

test(`seed 001: replica-3 cluster, ${ROWS} rows, failover, scale out and in`, {
  timeout: scale ? 7_200_000 : 300_000,
}, async (t) => {
  // The seed's dnodes have support_vnodes 16 (this machine's default, 2 × cores + 5, is 9).
  const set = ['supportVnodes=16'];
  const ports = [...(await startThreeMnodeCluster(cluster, ['s1', 's2', 's3'], { set }))];

  // taosBenchmark -I stmt -d test -n 10000 -t 10000 -a 3 (scaled), with 8 vgroups. With
  // BUFFER_MB (always at scale) the database is made first with that memtable budget per
  // vnode, and the bench writes into it (dbinfo "drop": "no"): the seed's dnodes each have a
  // machine of their own, but here four share 24 GiB, and 10 vnodes × 256 MB × 2 (memtable
  // and the one flushing) per dnode would not fit.
  let bench: Awaited<ReturnType<typeof runBasalt>>;
  if (BUFFER_MB > 0) {
    await sql(ports[0]!, `create database test replica 3 vgroups 8 buffer ${BUFFER_MB}`);
    const cfg = join(cluster.dir, 'bench.json');
    writeFileSync(
      cfg,
      JSON.stringify({
        filetype: 'insert',
        host: '127.0.0.1',
        port: ports[0],
        thread_count: 8,
        num_of_records_per_req: 30_000,
        confirm_parameter_prompt: 'no',
        databases: [
          {
            dbinfo: { name: 'test', drop: 'no', replica: 3, vgroups: 8, precision: 'ms' },
            super_tables: [
              {
                name: 'meters',
                childtable_count: TABLES,
                childtable_prefix: 'd',
                insert_rows: PER_TABLE,
                insert_mode: 'stmt',
              },
            ],
          },
        ],
      }),
    );
    bench = await runBasalt(['bench', '-P', String(ports[0]), '-f', cfg], { timeoutMs: scale ? 7_000_000 : 240_000 });
  } else {
    bench = await runBasalt(
      [
        'bench',
        '-y',
        '-P',
        String(ports[0]),
        '-I',
        'stmt',
        '-d',
        'test',
        '-t',
        String(TABLES),
        '-n',
        String(PER_TABLE),
        '-a',
        '3',
        '-v',
        '8',
      ],
      { timeoutMs: scale ? 7_000_000 : 240_000 },
    );
  }
  assert.equal(bench.code, 0, `bench failed: ${bench.stdout}\n${bench.stderr}`);
  const succ = /SUCC: Spent .* insert rows: (\d+) .* ([\d.]+) \(real ([\d.]+)\) records\/second/.exec(bench.stdout);
  assert.ok(succ, `bench printed its SUCC line: ${bench.stdout}`);
  t.diagnostic(`bench: ${succ[0]}`);
  const total = TABLES * PER_TABLE;
  assert.equal(Number(succ[1]), total);
  for (const p of ports) assert.equal(await count(p), total, `select count(*) from test.meters through port ${p}`);

  const vg = await waitFor('8 vgroups, one leader and two followers each', 15_000, async () => {
    const v = await vgroupRoles(ports[0]!, 'test');
    return v.size === 8 && [...v.values()].every(healthy) ? v : undefined;
  });
  const leaders = new Set([...vg.values()].map((reps) => reps.find(([, r]) => r === 'leader')![0]));
  assert.deepEqual([...leaders].sort(), [1, 2, 3], 'leaders spread over the 3 dnodes');
  const d = await dnodes(ports[0]!);
  assert.deepEqual(
    [...d.values()].map((x) => x.vnodes),
    [8, 8, 8],
  );

  // The seed's manual statements, as one `taos -s` string.
  const manual = await runBasalt([
    'sql',
    '-h',
    '127.0.0.1',
    '-P',
    String(ports[1]),
    '-s',
    'create database if not exists test1 replica 3; use test1; create table if not exists t1(ts timestamp, n int); insert into t1 values(now, 1)(now+1s, 2);',
  ]);
  assert.equal(manual.code, 0, manual.stdout + manual.stderr);
  assert.match(manual.stdout, /Insert OK, 2 row\(s\) affected/);
  const v1 = await waitFor('test1: 2 vgroups with leaders', 10_000, async () => {
    const v = await vgroupRoles(ports[2]!, 'test1');
    return v.size === 2 && [...v.values()].every(healthy) ? v : undefined;
  });
  assert.equal(v1.size, 2);

  // SIGKILL the dnode of the mnode leader; the seed's insert and select through another dnode.
  const roles = await mnodes(ports[0]!);
  const leaderId = [...roles].find(([, r]) => r === 'leader')![0];
  const leaderName = `s${leaderId}`;
  const other = ports[leaderId % 3]!;
  await cluster.kill(leaderName, 'SIGKILL');
  const killedAt = Date.now();
  // An attempt that fails may still have been applied (the outcome of a write cut off by the
  // kill is unknown), so the rows are 2 (before) + 2 per applied insert, at least 4.
  await waitFor(
    'insert on test1.t1 after the kill',
    5_000,
    async () => {
      const r = await runBasalt(
        ['sql', '-h', '127.0.0.1', '-P', String(other), '-s', 'insert into test1.t1 values(now, 1)(now+1s, 2)'],
        { timeoutMs: 4_000 },
      ).catch(() => null);
      return r !== null && r.code === 0 && /Insert OK, 2 row\(s\) affected/.test(r.stdout) ? true : undefined;
    },
    100,
  );
  const sel = await waitFor(
    'select on test1.t1 after the kill',
    Math.max(100, 5_000 - (Date.now() - killedAt)),
    async () => {
      const r = await runBasalt(['sql', '-h', '127.0.0.1', '-P', String(other), '-s', 'select * from test1.t1'], {
        timeoutMs: 4_000,
      }).catch(() => null);
      const m = r !== null && r.code === 0 ? /Query OK, (\d+) row\(s\) in set/.exec(r.stdout) : null;
      return m ? Number(m[1]) : undefined;
    },
    100,
  );
  assert.ok(sel >= 4 && sel % 2 === 0, `test1.t1 holds the 2 first rows and 2 per applied insert: ${sel}`);
  t.diagnostic(
    `insert + select on test1.t1 succeeded ${Date.now() - killedAt} ms after SIGKILL of dnode ${leaderId} (mnode leader)`,
  );
  assert.equal(await count(other), total);

  // Back to three, then scale out: a 4th dnode, balance vgroup.
  await cluster.start(`${leaderName}b`, ports[leaderId - 1]!, { dataDir: cluster.procs.get(leaderName)!.dataDir, set });
  await waitFor('all three ready again', 20_000, async () => {
    const x = await dnodes(ports[0]!);
    return [...x.values()].every((y) => y.status === 'ready') ? true : undefined;
  });
  const p4 = ports[2]! + 100;
  await cluster.start('s4', p4, { firstEp: `localhost:${ports[0]}`, set });
  await sql(ports[0]!, `create dnode "localhost:${p4}"`);
  await waitFor('dnode 4 ready with 0 vnodes', 15_000, async () => {
    const x = await dnodes(ports[0]!);
    return x.get(4)?.status === 'ready' && x.get(4)!.vnodes === 0 ? true : undefined;
  });
  await sql(ports[0]!, 'balance vgroup');
  await waitFor(
    'balance finished',
    scale ? 3_600_000 : 120_000,
    async () => ((await sql(ports[0]!, 'show transactions')).length === 0 ? true : undefined),
    500,
  );
  const after4 = await dnodes(ports[0]!);
  assert.ok(
    after4.get(4)!.vnodes > 0,
    `dnode 4 holds vnodes: ${JSON.stringify([...after4.values()].map((x) => x.vnodes))}`,
  );
  assert.equal(
    [...after4.values()].reduce((n, x) => n + x.vnodes, 0),
    30,
    '10 vgroups × 3 replicas',
  );
  for (const p of [...ports, p4]) assert.equal(await count(p), total, `count after balance through port ${p}`);
  assert.equal(await count(p4, 'test1.t1'), sel);

  // Scale in: drop dnode 4 moves its vnodes back.
  await sql(ports[1]!, 'drop dnode 4');
  await waitFor(
    'dnode 4 dropped',
    scale ? 3_600_000 : 120_000,
    async () => ((await dnodes(ports[0]!)).has(4) ? undefined : true),
    500,
  );
  assert.deepEqual(
    [...(await dnodes(ports[0]!)).values()].map((x) => x.vnodes),
    [10, 10, 10],
  );
  for (const p of ports) assert.equal(await count(p), total, `count after drop dnode through port ${p}`);
  const exited = await Promise.race([
    cluster.procs.get('s4')!.exited,
    new Promise<null>((r) => setTimeout(() => r(null), 15_000)),
  ]);
  assert.ok(exited !== null && exited.code !== 0, 'dnode 4 exits once dropped');
  const again = await cluster.start('s4b', p4, { dataDir: cluster.procs.get('s4')!.dataDir, noWait: true, set });
  const r = await Promise.race([again.exited, new Promise<null>((res) => setTimeout(() => res(null), 15_000))]);
  assert.ok(r !== null && r.code !== 0, 'its restarted process is refused');
  assert.match(again.stderr() + again.stdout(), /dropped/);
});
