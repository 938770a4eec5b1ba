// `npm run bench:cluster` (issue 6, acceptance 3): replicated ingest and write recovery on
// real dnode processes on 127.0.0.1.
//   1. Ingest rows/s of taosBenchmark's `meters` through the client's columnar bulk path
//      (the `basalt bench -I native` writers): a single dnode (replica 1, reference), then a
//      3-dnode cluster with 3 mnodes: a replica-1 database and a replica-3 database. Prints
//      replica-3 / single-dnode (target >= 35%).
//   2. Write recovery (issue 20) on three more dnodes, each in its own network namespace when
//      run as root (loopback otherwise, without partitions): BENCH_KILLS (20) SIGKILLs,
//      BENCH_STOPS (20) SIGSTOPs and BENCH_PARTITIONS (20) network partitions of the dnode
//      leading the vgroup of a replica-3 database (show <db>.vgroups); each time until an
//      insert into a table of that vgroup succeeds through a surviving dnode; then the fault
//      is healed (restart on the same dataDir, SIGCONT, link up) and the dnode must be ready
//      with every row before the next round. Prints median and max per kind (targets:
//      median <= 1 s, max <= 2 s).
// Settings (env): BENCH_TABLES (100), BENCH_ROWS_PER_TABLE (200000: 20 M rows per run, so the
// single dnode's runs last about a second rather than a quarter of one, mostly warm-up), BENCH_ROWS_PER_REQUEST
// (30000) and BENCH_WORKERS (8) as in `basalt bench`, BENCH_VGROUPS (4), BENCH_REPS (3 runs
// per configuration, interleaved, median reported), BENCH_KILLS, BENCH_STOPS, BENCH_PARTITIONS (20 each), BENCH_ATTEMPT_TIMEOUT_MS (1500:
// the client timeout of each insert attempt after the fault), BENCH_PHASES
// (ingest,recovery), BENCH_PROFILE_DIR (unset: with it, every dnode runs with
// bench/peers/prof-hook.mjs and writes a V8 CPU profile of each ingest run to
// <dir>/<dnode>/<n>-<config>.cpuprofile), BENCH_DNODE_NODE_OPTIONS (unset: node options for
// the dnodes, e.g. --trace-gc; with BENCH_PROFILE_DIR their stdout is kept there). Replica 3 is measured twice: writers on one dnode (as `basalt bench`
// connects; the client sends each table's rows to its vgroup's leader) and, for comparison,
// with that routing off (the connected dnode forwards to the leaders).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os';
import { connect } from '../src/client/index.js';
import { allocRows, MetersWalk, METERS_COLUMNS_SQL, METERS_TAGS_SQL } from '../src/cli/bench-data.js';
import type { InsertPlan } from '../src/cli/bench-options.js';
import { openWriter, type BatchPart } from '../src/cli/bench-writers.js';
import { workerRange } from '../src/cli/bench-insert.js';
import {
  dnodes,
  sleep,
  sql,
  startThreeMnodeCluster,
  TestCluster,
  waitFor,
  freeBasePort,
} from '../test/cluster/harness.js';
import { ChaosCluster, netnsUnavailable } from '../test/cluster/chaos-net.js';

const envInt = (name: string, dflt: number): number => {
  const v = process.env[name];
  const n = v === undefined ? dflt : Number(v);
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`${name}='${v}' is not a non-negative integer`);
  return n;
};

const S = {
  tables: envInt('BENCH_TABLES', 100),
  rowsPerTable: envInt('BENCH_ROWS_PER_TABLE', 200_000),
  rowsPerRequest: envInt('BENCH_ROWS_PER_REQUEST', 30_000),
  workers: envInt('BENCH_WORKERS', 8),
  reps: Math.max(1, envInt('BENCH_REPS', 3)),
  vgroups: envInt('BENCH_VGROUPS', 4),
  kills: envInt('BENCH_KILLS', 20),
  stops: envInt('BENCH_STOPS', 20),
  partitions: envInt('BENCH_PARTITIONS', 20),
  attemptTimeoutMs: envInt('BENCH_ATTEMPT_TIMEOUT_MS', 1500),
  phases: (process.env['BENCH_PHASES'] ?? 'ingest,recovery').split(','),
  profileDir: process.env['BENCH_PROFILE_DIR'] ? resolve(process.env['BENCH_PROFILE_DIR']) : '',
};

/** The env that makes a dnode profilable (SIGUSR2 starts / stops its CPU profiler), or none. */
function profileEnv(name: string): Record<string, string> {
  const extra = process.env['BENCH_DNODE_NODE_OPTIONS'] ?? '';
  if (!S.profileDir) return extra ? { NODE_OPTIONS: extra } : {};
  const dir = join(S.profileDir, name);
  mkdirSync(dir, { recursive: true });
  return { BASALT_PROF_DIR: dir, NODE_OPTIONS: `--import ${resolve('bench/peers/prof-hook.mjs')} ${extra}`.trim() };
}

/** With BENCH_PROFILE_DIR: keeps each dnode's stdout beside its profiles. */
function keepStdout(clusters: readonly TestCluster[]): void {
  if (!S.profileDir) return;
  for (const c of clusters)
    for (const [name, p] of c.procs) writeFileSync(join(S.profileDir, name, 'stdout.txt'), p.stdout());
}

/** Starts (phase undefined) or stops and saves (phase = file name) the dnodes' CPU profiles. */
function profileSignal(names: readonly string[], pids: readonly number[], phase?: string): void {
  if (!S.profileDir) return;
  pids.forEach((pid, i) => {
    if (phase) writeFileSync(join(S.profileDir, names[i]!, 'phase'), phase);
    process.kill(pid, 'SIGUSR2');
  });
}

const out = (s: string): void => {
  process.stdout.write(`${s}\n`);
};
const load = (): string =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');

interface Ep {
  host: string;
  port: number;
}

function plan(db: string, replica: number, ep: Ep, routeWrites: boolean): InsertPlan {
  return {
    routeWrites,
    host: ep.host,
    port: ep.port,
    httpPort: ep.port + 11,
    user: 'root',
    password: 'taosdata',
    db,
    drop: false,
    replica,
    vgroups: S.vgroups,
    stable: 'meters',
    tablePrefix: 'd',
    tables: S.tables,
    rowsPerTable: S.rowsPerTable,
    rowsPerRequest: S.rowsPerRequest,
    workers: S.workers,
    iface: 'native',
    startTsMs: 1_700_000_000_000,
    stepMs: 1,
    aggregateQueries: false,
    outputFile: '',
    yes: true,
  };
}

/**
 * One ingest run: create the database and meters, then S.workers writers (worker w on
 * endpoint w % eps.length) each send their range of child tables in requests of
 * rowsPerRequest rows, as `basalt bench` does. Returns rows/s over the wall time of the writes.
 */
/** CPU seconds [user, system] and minor page faults a process had so far, from /proc (NaN where unavailable). */
function cpuTimes(pid: number | undefined): [number, number, number] {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
    // minflt, utime, stime (clock ticks, USER_HZ 100)
    return [Number(rest[11]) / 100, Number(rest[12]) / 100, Number(rest[7])];
  } catch {
    return [NaN, NaN, NaN];
  }
}

async function ingest(
  label: string,
  db: string,
  replica: number,
  eps: readonly Ep[],
  pids: readonly number[],
  names: readonly string[],
  routeWrites: boolean,
): Promise<number> {
  const admin = eps[0]!;
  await sql(
    admin.port,
    `create database if not exists ${db} replica ${replica} vgroups ${S.vgroups} precision 'ms'`,
    admin.host,
  );
  await sql(
    admin.port,
    `create stable if not exists ${db}.meters (${METERS_COLUMNS_SQL}) tags (${METERS_TAGS_SQL})`,
    admin.host,
  );
  const workers = Math.min(S.workers, S.tables);
  const done = new Array<number>(workers).fill(0);
  const load0 = load();
  const cpu0 = pids.map(cpuTimes);
  profileSignal(names, pids);
  const client0 = process.cpuUsage();
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: workers }, async (_, w) => {
      const p = plan(db, replica, eps[w % eps.length]!, routeWrites);
      const { first, count } = workerRange(p.tables, workers, w);
      if (count === 0) return;
      const writer = await openWriter(p);
      try {
        const capacity = Math.min(p.rowsPerRequest, count * p.rowsPerTable);
        const buf = allocRows(capacity);
        const walk = new MetersWalk(first, count, 0x5eed + w * 7919);
        let table = first,
          row = 0;
        const end = first + count;
        const parts: BatchPart[] = [];
        while (table < end) {
          parts.length = 0;
          let filled = 0;
          while (filled < capacity && table < end) {
            const n = Math.min(capacity - filled, p.rowsPerTable - row);
            walk.fill(table, row, n, p.startTsMs, p.stepMs, buf, filled);
            parts.push({ table, offset: filled, n });
            filled += n;
            row += n;
            if (row === p.rowsPerTable) {
              table++;
              row = 0;
            }
          }
          await writer.write(parts, filled, buf);
          done[w]! += filled;
        }
      } finally {
        writer.close();
      }
    }),
  );
  const s = (performance.now() - t0) / 1000;
  const clientCpu = process.cpuUsage(client0);
  profileSignal(names, pids, db);
  const cpu1 = pids.map(cpuTimes);
  const userS = cpu1.reduce((sum, c, i) => sum + c[0] - cpu0[i]![0], 0);
  const sysS = cpu1.reduce((sum, c, i) => sum + c[1] - cpu0[i]![1], 0);
  const cpu = userS + sysS;
  const faults = cpu1.reduce((sum, c, i) => sum + c[2] - cpu0[i]![2], 0);
  const rows = done.reduce((a, b) => a + b, 0);
  const counted = Number((await sql(admin.port, `select count(*) from ${db}.meters`, admin.host))[0]![0]);
  const rate = rows / s;
  out(
    `ingest ${label}: ${rows} rows in ${s.toFixed(2)} s = ${Math.round(rate)} rows/s (count(*) ${counted}${counted === rows ? '' : ' MISMATCH'}; ${workers} workers on ${new Set(eps.slice(0, workers).map((e) => e.port)).size} dnode(s); dnode CPU ${cpu.toFixed(1)} s (user ${userS.toFixed(1)}, system ${sysS.toFixed(1)}; ${(faults / 1000).toFixed(0)} k minor page faults) = ${(cpu / (rows / 1e6)).toFixed(2)} CPU s per million rows; bench client (this process) CPU ${((clientCpu.user + clientCpu.system) / 1e6).toFixed(1)} s; dnode RSS ${pids.map(rssMiB).join('/')} MiB; load ${load0} -> ${load()})`,
  );
  if (counted !== rows) throw new Error(`${label}: count(*) ${counted} != ${rows} rows written`);
  return rate;
}

/** Resident memory of a process in MiB, from /proc (NaN where unavailable). */
function rssMiB(pid: number): number {
  try {
    return Math.round(Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024);
  } catch {
    return NaN;
  }
}

/** vgId → [dnodeId, role][] as dnode `ep` sees them. */
async function vgroupRoles(ep: Ep, db: string): Promise<Map<number, [number, string][]>> {
  const rows = await sql(ep.port, `show ${db}.vgroups`, ep.host);
  const m = new Map<number, [number, string][]>();
  for (const r of rows) {
    const reps: [number, string][] = [];
    for (let i = 0; i < 4; i++) if (r[3 + 2 * i] !== null) reps.push([Number(r[3 + 2 * i]), String(r[4 + 2 * i])]);
    m.set(Number(r[0]), reps);
  }
  return m;
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  return n === 0 ? NaN : n % 2 ? s[(n - 1) / 2]! : (s[n / 2 - 1]! + s[n / 2]!) / 2;
}

type Fault = 'kill' | 'stop' | 'partition';
const FAULT_WORD: Record<Fault, string> = { kill: 'SIGKILL', stop: 'SIGSTOP', partition: 'network partition' };

/**
 * Write recovery after `rounds` faults of one kind, each on the dnode leading the vgroup of a
 * replica-3 database: the time from the fault until an insert through a surviving dnode
 * succeeds (fresh connection per attempt, S.attemptTimeoutMs each). After each round the
 * fault is healed (restart on the same dataDir, SIGCONT, link up) and the dnode must be ready
 * with its replica holding every row before the next round.
 */
async function recovery(cc: ChaosCluster, fault: Fault, rounds: number): Promise<{ fault: Fault; times: number[] }> {
  const db = `rec${fault}`;
  const nodes = cc.nodes;
  const ep = (k: number): Ep => ({ host: nodes[k]!.host, port: nodes[k]!.port });
  const sqlAt = (k: number, text: string): Promise<unknown[][]> => sql(nodes[k]!.port, text, nodes[k]!.host);
  // Right after a restart the mnode leader may not count a dnode's free vnodes yet: retry
  // (bounded) and say so.
  for (let attempt = 0; ; attempt++) {
    try {
      await sqlAt(0, `create database ${db} replica 3 vgroups 1`);
      break;
    } catch (e) {
      if (attempt >= 40) throw e;
      if (attempt === 0) out(`# create database ${db} refused, retrying: ${(e as Error).message.slice(0, 200)}`);
      await sleep(500);
    }
  }
  await sqlAt(0, `create table ${db}.t1 (ts timestamp, v int)`);
  const idToK = new Map<number, number>(nodes.map((n) => [n.dnodeId, n.k]));
  let ts = Date.now() - 3_600_000;
  let written = 0;
  const insertVia = async (k: number, timeoutMs: number): Promise<void> => {
    const c = await connect({ ...ep(k), timeoutMs });
    try {
      ts += 1;
      await c.query(`insert into ${db}.t1 values (${ts}, ${written + 1})`);
      written++;
    } finally {
      c.close();
    }
  };
  await insertVia(0, 10_000);
  const times: number[] = [];
  for (let round = 0; round < rounds; round++) {
    // The leader every dnode agrees on.
    const leaderId = await waitFor(
      'one agreed leader of the vgroup',
      30_000,
      async () => {
        const seen = new Set<number>();
        for (let k = 0; k < 3; k++) {
          const v = [...(await vgroupRoles(ep(k), db)).values()][0]!;
          const l = v.filter(([, r]) => r === 'leader');
          if (l.length !== 1 || v.length !== 3 || v.some(([, r]) => r !== 'leader' && r !== 'follower'))
            return undefined;
          seen.add(l[0]![0]);
        }
        return seen.size === 1 ? [...seen][0]! : undefined;
      },
      100,
    );
    const k = idToK.get(leaderId)!;
    const node = nodes[k]!;
    const survivors = [0, 1, 2].filter((x) => x !== k);
    const loadNow = load();
    const t0 = performance.now();
    if (fault === 'kill') await cc.kill(node);
    else if (fault === 'stop') cc.stop(node);
    else cc.partition(node);
    // Inserts through the survivors, alternating, each bounded, until one succeeds (<= 30 s).
    let ok = false,
      attempts = 0,
      firstErr = '';
    for (let i = 0; i < 300 && performance.now() - t0 < 30_000; i++) {
      attempts++;
      try {
        await insertVia(survivors[i % 2]!, S.attemptTimeoutMs);
        ok = true;
        break;
      } catch (e) {
        if (!firstErr)
          firstErr = `; first failed attempt after ${(performance.now() - t0).toFixed(0)} ms: ${(e as Error).message.slice(0, 160)}`;
        await sleep(20);
      }
    }
    const ms = performance.now() - t0;
    if (!ok) throw new Error(`round ${round}: no insert succeeded within 30 s after the ${fault} of dnode ${leaderId}`);
    times.push(ms);
    const after = await vgroupRoles(ep(survivors[0]!), db);
    const newLeader = [...after.values()][0]!.find(([, r]) => r === 'leader')?.[0] ?? 0;
    const tr = performance.now();
    if (fault === 'kill') await cc.restart(node);
    else if (fault === 'stop') cc.cont(node);
    else cc.unpartition(node);
    // A timed-out attempt may still have been applied: the reference is a survivor's count.
    let state = '';
    try {
      await waitFor(
        'the faulted dnode ready and caught up',
        60_000,
        async () => {
          const d = await dnodes(ep(survivors[0]!).port, ep(survivors[0]!).host);
          state = `dnodes ${[...d].map(([id, x]) => `${id}:${x.status}`).join(' ')}`;
          if (![...d.values()].every((x) => x.status === 'ready')) return undefined;
          const vn = await sqlAt(k, 'show vnodes');
          const role = String(vn.find((r) => r[2] === db)?.[3] ?? 'none');
          state += `; its replica is ${role}`;
          if (role !== 'follower' && role !== 'leader') return undefined;
          const want = Number((await sqlAt(survivors[0]!, `select count(*) from ${db}.t1`))[0]![0]);
          const n = Number((await sqlAt(k, `select count(*) from ${db}.t1`))[0]![0]);
          state += `; count ${n} on the faulted dnode, ${want} on a survivor (${written} acknowledged)`;
          return n === want && n >= written ? true : undefined;
        },
        200,
      );
    } catch (e) {
      throw new Error(`${(e as Error).message}; ${state}`);
    }
    out(
      `${fault} ${round + 1}/${rounds}: leader dnode ${leaderId} ${FAULT_WORD[fault]}; insert through a survivor succeeded after ${ms.toFixed(0)} ms (${attempts} attempt(s); new leader ${newLeader}${firstErr}); healed, ready and caught up in ${((performance.now() - tr) / 1000).toFixed(1)} s; load ${loadNow}`,
    );
  }
  const med = median(times),
    max = Math.max(...times);
  out(
    `write recovery after ${FAULT_WORD[fault]} of the vgroup leader, ${times.length} rounds: median ${(med / 1000).toFixed(2)} s (target <= 1 s: ${med <= 1000 ? 'met' : 'NOT met'}), max ${(max / 1000).toFixed(2)} s (target <= 2 s: ${max <= 2000 ? 'met' : 'NOT met'}), min ${(Math.min(...times) / 1000).toFixed(2)} s; all: ${times.map((t) => (t / 1000).toFixed(2)).join(' ')}`,
  );
  return { fault, times };
}

/** The recovery phase: its own three dnodes (in network namespaces when root: partitions need them). */
async function recoveryPhase(): Promise<void> {
  const no = netnsUnavailable();
  const cc = new ChaosCluster(no === null ? 'netns' : 'loopback', out);
  try {
    await cc.start();
    out(
      `# recovery: 3 dnodes, 3 mnodes, ${no === null ? 'each in its own network namespace' : `on loopback (${no}: partitions skipped)`}`,
    );
    const results: Array<{ fault: Fault; times: number[] }> = [];
    const plan: Array<[Fault, number]> = [
      ['kill', S.kills],
      ['stop', S.stops],
      ['partition', no === null ? S.partitions : 0],
    ];
    for (const [fault, n] of plan) if (n > 0) results.push(await recovery(cc, fault, n));
    out('write recovery summary (time until an insert through a survivor succeeds):');
    for (const r of results)
      out(
        `  ${FAULT_WORD[r.fault].padEnd(18)} ${String(r.times.length).padStart(3)} rounds: median ${(median(r.times) / 1000).toFixed(2)} s, max ${(Math.max(...r.times) / 1000).toFixed(2)} s (targets median <= 1 s, max <= 2 s: ${median(r.times) <= 1000 && Math.max(...r.times) <= 2000 ? 'met' : 'NOT met'})`,
      );
  } finally {
    await cc.close();
  }
}

interface Config {
  label: string;
  key: string;
  replica: number;
  eps: () => Ep[];
  route?: false;
}

async function main(): Promise<void> {
  const tStart = Date.now();
  out(
    `# bench:cluster — machine: ${availableParallelism()} cpu(s) (${cpus()[0]?.model ?? '?'}), ${(totalmem() / 2 ** 30).toFixed(1)} GiB, load average ${load()}, node ${process.version}`,
  );
  out(
    `# settings: ${S.tables} tables x ${S.rowsPerTable} rows = ${S.tables * S.rowsPerTable} rows per ingest run, ${S.rowsPerRequest} rows/request, ${S.workers} workers, vgroups ${S.vgroups}, ${S.reps} repetition(s) per configuration (interleaved; medians reported), ${S.kills} kills + ${S.stops} stops + ${S.partitions} partitions, insert attempts time out after ${S.attemptTimeoutMs} ms; phases ${S.phases.join(',')}; dnodes on 127.0.0.1 (statusInterval 1, other settings default: wal_level 1, buffer 256 MB)`,
  );
  const single = new TestCluster();
  const cluster = new TestCluster();
  try {
    if (S.phases.includes('ingest')) {
      const names = ['c1', 'c2', 'c3'];
      const ports = await startThreeMnodeCluster(cluster, names as [string, string, string], { envOf: profileEnv });
      const eps = ports.map((port) => ({ host: '127.0.0.1', port }));
      const sport = await freeBasePort(1);
      await single.start('single', sport, { env: profileEnv('single') });
      let r1Host: Ep | undefined;
      const configs: Config[] = [
        {
          label: 'single dnode, replica 1',
          key: 'single',
          replica: 1,
          eps: () => [{ host: '127.0.0.1', port: sport }],
        },
        // A replica-1 database lives whole on one dnode: its writers go there.
        { label: '3-dnode cluster, replica 1', key: 'r1', replica: 1, eps: () => [r1Host!] },
        // As `basalt bench` does: every writer on one dnode (it forwards to each vgroup's leader).
        { label: '3-dnode cluster, replica 3, writers on one dnode', key: 'r3one', replica: 3, eps: () => [eps[0]!] },
        {
          label: '3-dnode cluster, replica 3, one dnode, no client routing',
          key: 'r3fwd',
          replica: 3,
          eps: () => [eps[0]!],
          route: false,
        },
      ];
      const rates = new Map<string, number[]>(configs.map((c) => [c.key, []]));
      for (let rep = 0; rep < S.reps; rep++) {
        for (const c of configs) {
          const db = `b${c.key}${rep}`;
          const ep0 = c.key === 'single' ? c.eps()[0]! : eps[0]!;
          if (c.key === 'r1') {
            await sql(
              ep0.port,
              `create database if not exists ${db} replica 1 vgroups ${S.vgroups} precision 'ms'`,
              ep0.host,
            );
            const hosts = await sql(ep0.port, `show ${db}.vgroups`, ep0.host);
            const hostId = Number(hosts[0]![3]);
            const d = (await dnodes(ep0.port)).get(hostId)!;
            r1Host = { host: '127.0.0.1', port: Number(d.endpoint.split(':')[1]) };
          }
          rates
            .get(c.key)!
            .push(
              await ingest(
                `${c.label} (run ${rep + 1})`,
                db,
                c.replica,
                c.eps(),
                c.key === 'single'
                  ? [single.procs.get('single')!.child.pid!]
                  : names.map((n) => cluster.procs.get(n)!.child.pid!),
                c.key === 'single' ? ['single'] : names,
                c.route !== false,
              ),
            );
          await sql(ep0.port, `drop database ${db}`, ep0.host);
        }
      }
      const med = (k: string): number => median(rates.get(k)!);
      out('ingest medians (rows/s):');
      for (const c of configs)
        out(
          `  ${c.label.padEnd(62)} ${String(Math.round(med(c.key))).padStart(10)}   runs: ${rates
            .get(c.key)!
            .map((x) => Math.round(x))
            .join(' ')}`,
        );
      const ratio = (k: string): string => `${((100 * med(k)) / med('single')).toFixed(1)}%`;
      out(
        `ingest ratio replica-3 / single dnode: ${ratio('r3one')} with writers on one dnode (target >= 35%: ${med('r3one') / med('single') >= 0.35 ? 'met' : 'NOT met'}), ${ratio('r3fwd')} without client routing (the dnode forwards); replica-1 cluster / single: ${ratio('r1')}`,
      );
    }
  } finally {
    keepStdout([single, cluster]);
    await single.cleanup();
    await cluster.cleanup();
  }
  if (S.phases.includes('recovery')) await recoveryPhase();
  out(`# done in ${((Date.now() - tStart) / 1000).toFixed(0)} s; load average ${load()}`);
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    process.stderr.write(`bench:cluster failed: ${(e as Error).stack ?? String(e)}\n`);
    process.exit(1);
  },
);
