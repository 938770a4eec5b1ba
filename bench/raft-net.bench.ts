// Raft over the network, parts (b)-(d) of the Raft benchmark (issue 4):
//  (b) three replica processes (bench/raft-net-node.ts) on loopback over TCP, each with a
//      fsyncing WAL: commits/s and p50/p99 latency at 1 and 64 proposals in flight, measured
//      by a client process sending puts to the leader (propose → applied on the leader);
//  (c) the same load against a 3-member etcd (Debian's etcd-server) started here on loopback,
//      through its HTTP/JSON gateway (POST /v3/kv/put), in the same run, with the ratio;
//      both fsync their WAL before acknowledging (equal durability);
//  (d) election: SIGKILL the leader process, time until a put issued after the kill is
//      acknowledged (and until a new leader is reported), restart it, repeat.
//   npm run bench:raft-net     env: RAFT_NET_SECONDS (10), RAFT_NET_TRIALS (2), RAFT_NET_KILLS (20),
//                              RAFT_NET_ETCD (1; 0 skips etcd), RAFT_NET_ETCD_KILLS (5),
//                              RAFT_NET_NODE_FLAGS ('--single-threaded-gc')
// Every server it starts listens on 127.0.0.1 and is stopped by its PID; every loop is bounded
// by a deadline and an operation cap.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, openSync, rmSync, closeSync, readFileSync } from 'node:fs';
import http from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RpcClient } from '../src/rpc/client.js';
import { standaloneClient } from '../src/replica/standalone.js';
import type { GroupStatus } from '../src/replica/group-host.js';
import { BENCH_PUT, BENCH_STATUS } from './raft-net-proto.js';

const SECONDS = Number(process.env['RAFT_NET_SECONDS'] ?? '10');
const KILLS = Number(process.env['RAFT_NET_KILLS'] ?? '20');
const TRIALS = Number(process.env['RAFT_NET_TRIALS'] ?? '2');
const WARMUP_SECONDS = 2;
/**
 * Node flags of the replica processes. Three replicas and the client share this machine's
 * cores, so V8's parallel scavenger often waits for helper threads that are not scheduled
 * (pauses of 30-60 ms instead of 0.5 ms, measured with --trace-gc); one GC thread per
 * process avoids that. RAFT_NET_NODE_FLAGS='' runs with Node's defaults.
 */
const NODE_FLAGS = (process.env['RAFT_NET_NODE_FLAGS'] ?? '--single-threaded-gc').split(' ').filter((f) => f !== '');
const WITH_ETCD = (process.env['RAFT_NET_ETCD'] ?? '1') !== '0';
const ETCD_KILLS = Number(process.env['RAFT_NET_ETCD_KILLS'] ?? '5');
const VALUE_BYTES = 100;
const CONCURRENCY = [1, 64];
const MAX_OPS = 5_000_000;
const IDS = [1, 2, 3];

const here = dirname(fileURLToPath(import.meta.url));
const nowMs = (): number => Number(process.hrtime.bigint()) / 1e6;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const work = mkdtempSync(join(tmpdir(), 'basalt-raftnet-'));
const started = new Set<ChildProcess>();

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

interface LoadResult {
  concurrency: number;
  seconds: number;
  ops: number;
  errors: number;
  opsPerS: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  errSample: string;
}

function summarize(
  concurrency: number,
  elapsedMs: number,
  lat: number[],
  errors: number,
  errSample: string,
): LoadResult {
  lat.sort((a, b) => a - b);
  const q = (p: number): number =>
    lat.length ? +lat[Math.min(lat.length - 1, Math.floor(p * lat.length))]!.toFixed(2) : NaN;
  return {
    concurrency,
    seconds: +(elapsedMs / 1000).toFixed(2),
    ops: lat.length,
    errors,
    opsPerS: Math.round(lat.length / (elapsedMs / 1000)),
    p50Ms: q(0.5),
    p99Ms: q(0.99),
    maxMs: lat.length ? +lat[lat.length - 1]!.toFixed(2) : NaN,
    errSample,
  };
}

function entry(tag: string, w: number, i: number): Uint8Array {
  const key = Buffer.from(`bench/${tag}/${w}/${i % 10000}`, 'latin1');
  const out = Buffer.alloc(key.length + 1 + VALUE_BYTES, 0x76);
  key.copy(out, 0);
  out[key.length] = 0;
  return out;
}

// ---------------------------------------------------------------- Basalt processes

interface Replica {
  id: number;
  port: number;
  dir: string;
  proc: ChildProcess | undefined;
  client: RpcClient;
}

const replicas = new Map<number, Replica>();

async function startReplica(r: Replica): Promise<void> {
  const peers = IDS.map((id) => `${id}=${replicas.get(id)!.port}`).join(',');
  const logFd = openSync(join(work, `node${r.id}.log`), 'a');
  const proc = spawn(
    process.execPath,
    [...NODE_FLAGS, join(here, 'raft-net-node.js'), String(r.id), String(r.port), r.dir, peers],
    { stdio: ['ignore', 'pipe', logFd] },
  );
  closeSync(logFd);
  started.add(proc);
  proc.on('exit', () => started.delete(proc));
  r.proc = proc;
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(
      () => reject(new Error(`replica ${r.id} not ready in 15 s; see ${work}/node${r.id}.log`)),
      15_000,
    );
    let buf = '';
    proc.stdout!.on('data', (c: Buffer) => {
      buf += c.toString();
      if (buf.includes('ready')) {
        clearTimeout(t);
        resolve();
      }
    });
    proc.once('exit', (code) => {
      clearTimeout(t);
      reject(new Error(`replica ${r.id} exited with ${code}; see ${work}/node${r.id}.log`));
    });
  });
}

async function status(r: Replica): Promise<GroupStatus | undefined> {
  if (!r.proc) return undefined;
  try {
    return (await r.client.request(BENCH_STATUS, {}, [], 300)).control as GroupStatus;
  } catch {
    return undefined;
  }
}

async function findLeader(ms: number): Promise<Replica> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    for (const r of replicas.values()) {
      const s = await status(r);
      if (s?.role === 'leader') return r;
    }
    await sleep(10);
  }
  throw new Error(`no Basalt leader within ${ms} ms`);
}

/**
 * `concurrency` closed-loop workers for `seconds` (at most MAX_OPS puts in all): each put is
 * timed; `put(w, i)` resolves to null when acknowledged, else to an error text for the sample.
 */
async function closedLoop(
  concurrency: number,
  seconds: number,
  put: (w: number, i: number) => Promise<string | null>,
): Promise<{ el: number; lat: number[]; errors: number; errSample: string }> {
  const lat: number[] = [];
  let errors = 0;
  let errSample = '';
  let issued = 0;
  const t0 = nowMs();
  const deadline = t0 + seconds * 1000;
  const worker = async (w: number): Promise<void> => {
    let i = 0;
    while (nowMs() < deadline && issued < MAX_OPS) {
      issued++;
      const s = nowMs();
      const err = await put(w, i++);
      if (err === null) lat.push(nowMs() - s);
      else {
        errors++;
        if (!errSample) errSample = err.slice(0, 160);
        await sleep(5);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, (_, w) => worker(w)));
  return { el: nowMs() - t0, lat, errors, errSample };
}

async function basaltLoad(concurrency: number, tag: string, seconds = SECONDS): Promise<LoadResult> {
  const leader = await findLeader(10_000);
  const client = standaloneClient({ host: '127.0.0.1', port: leader.port, maxInFlight: concurrency + 8 });
  const r = await closedLoop(concurrency, seconds, async (w, i) => {
    try {
      await client.request(BENCH_PUT, {}, [entry(tag, w, i)], 5000);
      return null;
    } catch (e) {
      return (e as Error).message;
    }
  });
  client.close();
  if (process.env['RAFT_NET_VERBOSE']) {
    for (const x of replicas.values())
      console.log(
        `  node ${x.id}${x === leader ? ' (leader)' : ''} fsync ms: ${JSON.stringify((await x.client.request(BENCH_STATUS, { sync: true })).control)}`,
      );
  }
  return summarize(concurrency, r.el, r.lat, r.errors, r.errSample);
}

/** SIGKILLs the leader, then times until a put issued after the kill is acknowledged. */
async function basaltKill(round: number): Promise<{ writeResumeMs: number; newLeaderMs: number }> {
  const leader = await findLeader(10_000);
  const survivors = [...replicas.values()].filter((r) => r !== leader);
  await sleep(300);
  const killAt = nowMs();
  leader.proc!.kill('SIGKILL');
  leader.proc = undefined;
  let newLeaderMs = NaN;
  const watcher = (async () => {
    const end = nowMs() + 10_000;
    while (nowMs() < end && Number.isNaN(newLeaderMs)) {
      for (const r of survivors) {
        const s = await status(r);
        if (s?.role === 'leader' && s.leader === r.id) {
          newLeaderMs = nowMs() - killAt;
          break;
        }
      }
      await sleep(5);
    }
  })();
  let resumed = NaN;
  const end = killAt + 15_000;
  let k = 0;
  let i = 0;
  while (nowMs() < end) {
    const r = survivors[k++ % survivors.length]!;
    try {
      await r.client.request(BENCH_PUT, {}, [entry(`kill${round}`, 0, i++)], 300);
      resumed = nowMs() - killAt;
      break;
    } catch {
      await sleep(5);
    }
  }
  await watcher;
  // Restart the killed replica on its data and wait until it has caught up.
  await startReplica(leader);
  const target = (await status(survivors[0]!))?.commit ?? 0;
  const caughtBy = Date.now() + 15_000;
  while (Date.now() < caughtBy) {
    const s = await status(leader);
    if (s && s.applied >= target) break;
    await sleep(20);
  }
  return { writeResumeMs: +resumed.toFixed(1), newLeaderMs: +newLeaderMs.toFixed(1) };
}

// ---------------------------------------------------------------- etcd

interface EtcdMember {
  name: string;
  clientPort: number;
  peerPort: number;
  dir: string;
  proc: ChildProcess | undefined;
}
const etcd: EtcdMember[] = [];

function etcdArgs(m: EtcdMember): string[] {
  const cluster = etcd.map((e) => `${e.name}=http://127.0.0.1:${e.peerPort}`).join(',');
  return [
    '--name',
    m.name,
    '--data-dir',
    m.dir,
    '--listen-client-urls',
    `http://127.0.0.1:${m.clientPort}`,
    '--advertise-client-urls',
    `http://127.0.0.1:${m.clientPort}`,
    '--listen-peer-urls',
    `http://127.0.0.1:${m.peerPort}`,
    '--initial-advertise-peer-urls',
    `http://127.0.0.1:${m.peerPort}`,
    '--initial-cluster',
    cluster,
    '--initial-cluster-state',
    'new',
    '--initial-cluster-token',
    'basalt-raftnet',
    '--logger',
    'zap',
    '--log-level',
    'warn',
  ];
}

function startEtcd(m: EtcdMember): void {
  const logFd = openSync(join(work, `${m.name}.log`), 'a');
  const proc = spawn('etcd', etcdArgs(m), { stdio: ['ignore', logFd, logFd] });
  closeSync(logFd);
  started.add(proc);
  proc.on('exit', () => started.delete(proc));
  m.proc = proc;
}

function post(
  agent: http.Agent,
  port: number,
  path: string,
  obj: unknown,
  timeoutMs: number,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve) => {
    const body = Buffer.from(JSON.stringify(obj));
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: 'POST',
        agent,
        headers: { 'Content-Type': 'application/json', 'Content-Length': body.length },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', (e) => resolve({ status: 0, text: String(e) }));
      },
    );
    req.setTimeout(timeoutMs, () => req.destroy(new Error('timeout')));
    req.on('error', (e) => resolve({ status: 0, text: String(e) }));
    req.end(body);
  });
}

function putOk(r: { status: number; text: string }): boolean {
  if (r.status !== 200) return false;
  try {
    const j = JSON.parse(r.text) as { header?: { revision?: string } };
    return !!j.header?.revision;
  } catch {
    return false;
  }
}

async function etcdLeader(ms: number): Promise<EtcdMember> {
  const agent = new http.Agent({ keepAlive: false });
  const end = Date.now() + ms;
  try {
    while (Date.now() < end) {
      for (const m of etcd) {
        if (!m.proc) continue;
        const r = await post(agent, m.clientPort, '/v3/maintenance/status', {}, 1000);
        try {
          const j = JSON.parse(r.text) as { header?: { member_id?: string }; leader?: string };
          if (j.header?.member_id && j.header.member_id === j.leader) return m;
        } catch {
          /* not up yet */
        }
      }
      await sleep(50);
    }
  } finally {
    agent.destroy();
  }
  throw new Error(`no etcd leader within ${ms} ms; see ${work}/m*.log`);
}

async function etcdLoad(concurrency: number, tag: string, seconds = SECONDS): Promise<LoadResult> {
  const m = await etcdLeader(15_000);
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const value = Buffer.alloc(VALUE_BYTES, 0x76).toString('base64');
  const r = await closedLoop(concurrency, seconds, async (w, i) => {
    const key = Buffer.from(`bench/${tag}/${w}/${i % 10000}`).toString('base64');
    const res = await post(agent, m.clientPort, '/v3/kv/put', { key, value }, 5000);
    return putOk(res) ? null : `${res.status} ${res.text}`;
  });
  agent.destroy();
  return summarize(concurrency, r.el, r.lat, r.errors, r.errSample);
}

async function etcdKill(round: number): Promise<number> {
  const leader = await etcdLeader(15_000);
  const other = etcd.find((m) => m !== leader && m.proc)!;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  await sleep(300);
  const killAt = nowMs();
  const exited = new Promise<void>((r) => leader.proc!.once('exit', () => r()));
  leader.proc!.kill('SIGKILL');
  leader.proc = undefined;
  let resumed = NaN;
  let i = 0;
  while (nowMs() < killAt + 15_000) {
    const r = await post(
      agent,
      other.clientPort,
      '/v3/kv/put',
      { key: Buffer.from(`kill${round}/${i++}`).toString('base64'), value: 'dg==' },
      300,
    );
    if (putOk(r)) {
      resumed = nowMs() - killAt;
      break;
    }
    await sleep(10);
  }
  agent.destroy();
  await exited;
  startEtcd(leader); // restarts on its data dir; the initial-cluster flags are ignored then
  await etcdLeader(15_000);
  await sleep(1000);
  return +resumed.toFixed(1);
}

// ---------------------------------------------------------------- main

function stats(xs: number[]): { median: number; max: number; min: number } {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  const mid = s.length >> 1;
  return {
    median: s.length === 0 ? NaN : s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2,
    max: s.length ? s[s.length - 1]! : NaN,
    min: s.length ? s[0]! : NaN,
  };
}

function line(name: string, r: LoadResult): string {
  return `${name.padEnd(9)} in-flight ${String(r.concurrency).padStart(2)}: ${String(r.opsPerS).padStart(6)} commits/s  p50 ${r.p50Ms.toFixed(2).padStart(6)} ms  p99 ${r.p99Ms.toFixed(2).padStart(6)} ms  (${r.ops} ops, ${r.errors} errors${r.errSample ? `: ${r.errSample}` : ''})`;
}

async function main(): Promise<void> {
  const results: Record<string, unknown> = { seconds: SECONDS, valueBytes: VALUE_BYTES };
  for (const id of IDS) {
    const port = await freePort();
    replicas.set(id, {
      id,
      port,
      dir: join(work, `basalt${id}`),
      proc: undefined,
      client: standaloneClient({ host: '127.0.0.1', port, connectTimeoutMs: 300, requestTimeoutMs: 5000 }),
    });
  }
  for (const r of replicas.values()) await startReplica(r);
  await findLeader(10_000);
  console.log(
    `raft-net: 3 Basalt replica processes on 127.0.0.1 (${[...replicas.values()].map((r) => r.port).join(', ')}), WAL fsync per Ready, node flags '${NODE_FLAGS.join(' ')}'; data in ${work}`,
  );

  const haveEtcd = WITH_ETCD && spawnSync('etcd', ['--version']).status === 0;
  if (WITH_ETCD && !haveEtcd)
    console.log('raft-net: etcd not found (apt-get install etcd-server etcd-client); part (c) skipped');
  if (haveEtcd) {
    for (let i = 0; i < 3; i++)
      etcd.push({
        name: `m${i}`,
        clientPort: await freePort(),
        peerPort: await freePort(),
        dir: join(work, `etcd${i}`),
        proc: undefined,
      });
    for (const m of etcd) startEtcd(m);
    await etcdLeader(20_000);
    const v = spawnSync('etcd', ['--version']).stdout.toString().split('\n')[0];
    console.log(
      `raft-net: 3 etcd members (${v}) on 127.0.0.1 client ports ${etcd.map((m) => m.clientPort).join(', ')}, puts via /v3/kv/put`,
    );
  }

  // (b) and (c), interleaved per trial and concurrency so both see the same machine state
  // (this machine's speed drifts between minutes; compare within a trial, report medians).
  // Warm-up (JIT, connections, first WAL segment), not counted.
  await basaltLoad(16, 'warm', WARMUP_SECONDS);
  if (haveEtcd) await etcdLoad(16, 'warm', WARMUP_SECONDS);
  const load: Record<string, LoadResult[]> = { basalt: [], etcd: [] };
  const ratios = new Map<number, number[]>();
  for (let t = 1; t <= TRIALS; t++) {
    for (const c of CONCURRENCY) {
      if (process.env['RAFT_NET_VERBOSE'])
        for (const r of replicas.values()) await r.client.request(BENCH_STATUS, { sync: true });
      const b = await basaltLoad(c, `t${t}b${c}`);
      load['basalt']!.push(b);
      console.log(line(`basalt#${t}`, b));
      if (haveEtcd) {
        const e = await etcdLoad(c, `t${t}e${c}`);
        load['etcd']!.push(e);
        console.log(line(`etcd#${t}`, e));
        const r = b.opsPerS / e.opsPerS;
        ratios.set(c, [...(ratios.get(c) ?? []), r]);
        console.log(
          `ratio#${t}  in-flight ${String(c).padStart(2)}: Basalt/etcd commits/s = ${r.toFixed(2)}×, p50 latency ${(b.p50Ms / e.p50Ms).toFixed(2)}×`,
        );
      }
    }
  }
  for (const [c, rs] of ratios) {
    const bs = load['basalt']!.filter((x) => x.concurrency === c).map((x) => x.opsPerS);
    const es = load['etcd']!.filter((x) => x.concurrency === c).map((x) => x.opsPerS);
    console.log(
      `summary  in-flight ${String(c).padStart(2)}: Basalt ${bs.join(' / ')} commits/s, etcd ${es.join(' / ')}; ratio per trial ${rs.map((r) => r.toFixed(2)).join(', ')} (median ${stats(rs).median.toFixed(2)}×)`,
    );
  }
  results['load'] = load;

  // (d) elections.
  const kills: { writeResumeMs: number; newLeaderMs: number }[] = [];
  for (let k = 0; k < KILLS; k++) {
    const r = await basaltKill(k);
    kills.push(r);
    process.stdout.write(
      `kill ${k + 1}/${KILLS}: writes resumed ${r.writeResumeMs} ms, new leader seen ${r.newLeaderMs} ms\n`,
    );
  }
  const w = stats(kills.map((k) => k.writeResumeMs));
  const l = stats(kills.map((k) => k.newLeaderMs));
  console.log(
    `election after SIGKILL of the leader, ${KILLS} kills (tick 100 ms, electionTicks 10): writes resume median ${w.median} ms, max ${w.max} ms (min ${w.min}); new leader seen median ${l.median} ms, max ${l.max} ms`,
  );
  results['kills'] = { basalt: kills, writeResume: w, newLeader: l };

  if (haveEtcd && ETCD_KILLS > 0) {
    const ek: number[] = [];
    for (let k = 0; k < ETCD_KILLS; k++) ek.push(await etcdKill(k));
    const s = stats(ek);
    console.log(
      `etcd: writes resume after SIGKILL of the leader, ${ETCD_KILLS} kills: median ${s.median} ms, max ${s.max} ms (${ek.join(', ')})`,
    );
    results['etcdKills'] = { samples: ek, ...s };
  }
  console.log(JSON.stringify(results));
}

async function cleanup(): Promise<void> {
  for (const r of replicas.values()) r.client.close();
  for (const p of started) {
    try {
      p.kill('SIGKILL');
    } catch {
      /* gone */
    }
  }
  await sleep(200);
  rmSync(work, { recursive: true, force: true });
}

process.on('SIGINT', () => {
  void cleanup().finally(() => process.exit(130));
});
main().then(cleanup, async (e: unknown) => {
  console.error(`raft-net failed: ${(e as Error).stack ?? String(e)}`);
  for (const r of replicas.values()) {
    try {
      console.error(readFileSync(join(work, `node${r.id}.log`), 'utf8').slice(-2000));
    } catch {
      /* none */
    }
  }
  await cleanup();
  process.exit(1);
});
