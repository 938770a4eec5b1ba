// Chaos test (issue 6, acceptance 2): a replica-3 database on three real dnodes (three
// mnodes) while a seeded nemesis injects one fault at a time into a random dnode — SIGKILL
// and restart, SIGSTOP/SIGCONT, and a network partition (netns mode: root with `ip netns`;
// skipped with a message otherwise) — and several clients write uniquely identified rows,
// switching dnode when theirs does not answer. Afterwards, with every fault healed:
//   - every acknowledged row is present exactly once with its value (lost must be 0);
//     unacknowledged rows that are present are allowed and counted;
//   - after a clean stop, every replica of every vgroup (opened offline from its directory)
//     holds the same rows: equal count and checksum;
//   - availability (issue 20): per fault, the longest stretch of the fault and its recovery
//     without any acknowledged write (and, from the readers, without any answered read); per
//     fault kind the median, p90 and max of those stretches are printed as a table and must
//     stay within the bounds below (p90 2 s, max 3 s; median 1 s in the 10-minute run).
// CHAOS_MINUTES (default 2; `npm run test:chaos` sets 10), CHAOS_SEED replays a nemesis
// schedule, CHAOS_NET=loopback forces the loopback mode, CHAOS_CLIENTS (default 5) writers,
// CHAOS_READERS (default 2), CHAOS_FAULTS (a comma list of kill, stop, partition: only these).
import { Limits } from '../../src/common/limits.js';
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mulberry32 } from '../../src/common/random.js';
import { ChaosCluster, netnsUnavailable, type ChaosNode, type NetMode } from './chaos-net.js';
import { AckLog, ChaosClient, ChaosReader, RowState, Spread, tableOf } from './chaos-clients.js';
import { gapTable, longestGap, overBound, summarize, type FaultRecord } from './chaos-gaps.js';
import { digestAll } from './chaos-replicas.js';
import { sleep, sql } from './harness.js';

const MINUTES = Number(process.env['CHAOS_MINUTES'] ?? '2');
const SEED =
  process.env['CHAOS_SEED'] !== undefined
    ? Number(process.env['CHAOS_SEED']) >>> 0
    : (Date.now() ^ (process.pid << 8)) >>> 0;
const CLIENTS = Math.max(4, Number(process.env['CHAOS_CLIENTS'] ?? '5'));
const READERS = Math.max(1, Number(process.env['CHAOS_READERS'] ?? '2'));
// Issue 20's bound: per fault kind, the longest stretch without an acknowledged write (and
// without an answered read) at most 2 s at p90 and 3 s at max, 1 s at the median. The
// 2-minute run inside `npm test` (about four faults per kind, so its p90 is nearly its max)
// holds the same p90 and max; its median may be 1.5 s, since there another suite shares the
// two cores. CHAOS_GAP_*_MS override them.
const LONG = MINUTES >= 10;
const GAP_MEDIAN_MS = Number(process.env['CHAOS_GAP_MEDIAN_MS'] ?? (LONG ? '1000' : '1500'));
const GAP_P90_MS = Number(process.env['CHAOS_GAP_P90_MS'] ?? '2000');
const GAP_MAX_MS = Number(process.env['CHAOS_GAP_MAX_MS'] ?? '3000');
const TABLES_PER_CLIENT = 3;
const VGROUPS = 4;
const REQUEST_TIMEOUT_MS = 5_000;
const ATTEMPTS = 4;

const say = (s: string): void => {
  process.stdout.write(`${s}\n`);
};

function pickMode(): { mode: NetMode; why: string } {
  if (process.env['CHAOS_NET'] === 'loopback') return { mode: 'loopback', why: 'CHAOS_NET=loopback' };
  const no = netnsUnavailable();
  return no === null ? { mode: 'netns', why: 'root with ip netns' } : { mode: 'loopback', why: no };
}

const { mode, why } = pickMode();
const cc = new ChaosCluster(mode, say);
after(() => cc.close());

/** A statement through any dnode that answers (bounded attempts). */
async function anySql(text: string, timeoutMs = 30_000): Promise<unknown[][]> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (let i = 0; i < 100 && Date.now() < deadline; i++) {
    const n = cc.nodes[i % 3]!;
    try {
      return await sql(n.port, text, n.host);
    } catch (e) {
      last = e;
      await sleep(200);
    }
  }
  throw new Error(`'${text}' failed on every dnode: ${(last as Error)?.message}`);
}

type FaultKind = 'kill' | 'stop' | 'partition';

test(`chaos: replica 3, ${MINUTES} min, seeded nemesis (kill / stop / partition), no acknowledged write lost, replicas identical`, {
  timeout: (MINUTES * 60 + 240) * 1000,
}, async () => {
  const t00 = Date.now();
  say(
    `# chaos: seed ${SEED} (CHAOS_SEED=${SEED} replays the schedule), ${MINUTES} min, ${CLIENTS} clients, network mode ${mode} (${why})`,
  );
  const kinds: FaultKind[] = ['kill', 'stop'];
  if (mode === 'netns') kinds.push('partition');
  else
    say(
      `# chaos: partitions skipped: ${why} (they need root and a working 'ip netns'; iptables on loopback cannot cut a dnode's outgoing connections)`,
    );
  // CHAOS_FAULTS=stop (or kill,partition ...) narrows the nemesis to some kinds, to study them.
  const only = process.env['CHAOS_FAULTS']?.split(',').filter((x) => x !== '');
  if (only?.length) kinds.splice(0, kinds.length, ...kinds.filter((k) => only.includes(k)));
  assert.ok(
    kinds.length > 0,
    `CHAOS_FAULTS='${process.env['CHAOS_FAULTS']}' leaves no fault kind this mode can inject`,
  );

  await cc.start();
  const [n0] = cc.nodes as [ChaosNode, ChaosNode, ChaosNode];
  await sql(n0.port, `create database chaos replica 3 vgroups ${VGROUPS}`, n0.host);
  await anySql('create stable chaos.m (ts timestamp, c int, s bigint) tags (cl int, k int)');
  for (let i = 0; i < CLIENTS; i++) {
    for (let k = 0; k < TABLES_PER_CLIENT; k++)
      await anySql(`create table if not exists chaos.t${i}_${k} using chaos.m tags (${i}, ${k})`);
  }
  const t0 = Date.now() - 3_600_000; // rows an hour back: well inside keep, never in the future
  say(
    `# chaos: cluster up in ${((Date.now() - t00) / 1000).toFixed(1)} s; dnodes ${cc.nodes.map((n) => `${n.dnodeId}@${n.host}:${n.port}`).join(' ')}`,
  );

  const targets = cc.nodes.map((n) => ({ host: n.host, port: n.port }));
  const writeAcks = new AckLog();
  const readAcks = new AckLog();
  const writeSpread = new Spread(targets.length);
  const readSpread = new Spread(targets.length);
  const clients = Array.from(
    { length: CLIENTS },
    (_, i) =>
      new ChaosClient({
        id: i,
        tables: TABLES_PER_CLIENT,
        t0,
        targets,
        first: i % 3,
        columnar: i % 2 === 1,
        requestTimeoutMs: REQUEST_TIMEOUT_MS,
        attempts: ATTEMPTS,
        retryUnknown: i % 4 < 2,
        acks: writeAcks,
        spread: writeSpread,
      }),
  );
  const tables: string[] = [];
  for (let i = 0; i < CLIENTS; i++) for (let k = 0; k < TABLES_PER_CLIENT; k++) tables.push(`t${i}_${k}`);
  const readers = Array.from(
    { length: READERS },
    (_, i) =>
      new ChaosReader({
        id: i,
        targets,
        first: i + 1,
        tables: tables.slice(i).concat(tables.slice(0, i)),
        requestTimeoutMs: REQUEST_TIMEOUT_MS,
        acks: readAcks,
        spread: readSpread,
      }),
  );
  const runMs = MINUTES * 60_000;
  const tStart = Date.now();
  const hardEnd = tStart + runMs + 60_000;
  const running = [...clients.map((c) => c.run(hardEnd)), ...readers.map((r) => r.run(hardEnd))];

  // ------------------------------------------------------------ nemesis
  const rnd = mulberry32(SEED);
  const between = (lo: number, hi: number): number => lo + Math.floor(rnd() * (hi - lo));
  const injected: Record<FaultKind, number> = { kill: 0, stop: 0, partition: 0 };
  const notReadyAfterFault: string[] = [];
  const records: FaultRecord[] = [];
  const died: string[] = [];
  const at = (): string => `${((Date.now() - tStart) / 1000).toFixed(1)}s`;
  let faults = 0;
  try {
    for (let round = 0; round < 10_000 && Date.now() - tStart < runMs - 5_000; round++) {
      await sleep(between(1_500, 4_000));
      if (Date.now() - tStart >= runMs - 5_000) break;
      const kind = kinds[Math.floor(rnd() * kinds.length)]!;
      const node = cc.nodes[Math.floor(rnd() * 3)]!;
      const holdMs = between(2_000, 6_000);
      const acked0 = clients.reduce((s, c) => s + c.acked, 0);
      const perClient0 = clients.map((c) => c.acked);
      const on0 = clients.map((c) => cc.nodes[c.target]!.dnodeId);
      const from = performance.now();
      say(`# ${at()} fault ${++faults}: ${kind} dnode ${node.dnodeId} for ${holdMs} ms (${new Date().toISOString()})`);
      try {
        if (kind === 'kill') {
          await cc.kill(node);
          await sleep(holdMs);
          await cc.restart(node);
        } else if (kind === 'stop') {
          cc.stop(node);
          await sleep(holdMs);
          cc.cont(node);
        } else {
          cc.partition(node);
          await sleep(holdMs);
          cc.unpartition(node);
        }
        injected[kind]++;
      } finally {
        cc.unpartition(node);
        cc.cont(node);
        if (!cc.alive(node)) await cc.restart(node);
      }
      // A dnode that died on its own (not the one just killed) is a defect: say why, go on.
      for (const n of cc.nodes) {
        if (cc.alive(n)) continue;
        const why = n.proc.stderr().trim().split('\n').slice(-8).join(' | ');
        died.push(
          `dnode ${n.dnodeId} after fault ${faults}: ${n.proc.child.exitCode ?? n.proc.child.signalCode}: ${why}`,
        );
        say(
          `# ${at()} dnode ${n.dnodeId} DIED on its own (exit ${n.proc.child.exitCode ?? n.proc.child.signalCode}): ${why}`,
        );
        await cc.restart(n);
      }
      try {
        await cc.waitAllReady(30_000);
      } catch (e) {
        notReadyAfterFault.push(`fault ${faults} (${kind} dnode ${node.dnodeId}): ${(e as Error).message}`);
        say(`# ${at()} not all dnodes ready 30 s after healing fault ${faults}: ${(e as Error).message}`);
      }
      const to = performance.now();
      const rec: FaultRecord = {
        n: faults,
        kind,
        dnodeId: node.dnodeId,
        holdMs,
        rows: clients.reduce((s, c) => s + c.acked, 0) - acked0,
        write: longestGap(writeAcks.at, from, to),
        read: longestGap(readAcks.at, from, to),
        writers: clients.map((c, i) => `c${i}@d${on0[i]}:${c.acked - perClient0[i]!}`).join(' '),
      };
      records.push(rec);
      say(
        `# ${at()} healed; ${rec.rows} rows acknowledged during fault ${faults} and its recovery (${((to - from) / 1000).toFixed(1)} s); longest gap without an acknowledged write ${rec.write.ms.toFixed(0)} ms from +${rec.write.fromMs.toFixed(0)} ms, without an answered read ${rec.read.ms.toFixed(0)} ms from +${rec.read.fromMs.toFixed(0)} ms`,
      );
    }
    const left = runMs - (Date.now() - tStart);
    if (left > 0) await sleep(left);
  } finally {
    for (const c of clients) c.stop = true;
    for (const r of readers) r.stop = true;
    await cc.healAll();
  }
  await Promise.all(running);
  const stoppedAtMs = Date.now();
  say(
    `# ${at()} nemesis and clients stopped; ${injected.kill} kills, ${injected.stop} stops, ${injected.partition} partitions`,
  );
  for (const c of clients) {
    const k = c.counts();
    say(
      `#   client ${c.o.id} (${c.o.columnar ? 'columnar' : 'sql'}, ${c.o.retryUnknown ? 'retries' : 'no retry after'} unknown outcomes): ${c.requests} requests, ${k.acked} rows acked, ${k.unknown} unknown, ${k.failed} failed, ${c.switches} dnode switches; errors ${JSON.stringify(Object.fromEntries(c.errors))}`,
    );
  }
  for (const r of readers)
    say(
      `#   reader ${r.o.id}: ${r.requests} requests, ${r.answered} answered; errors ${JSON.stringify(Object.fromEntries(r.errors))}`,
    );
  const gapSummary = summarize(records, kinds);
  say('# availability per fault kind: the longest stretch of each fault and its recovery without an acknowledgement');
  for (const line of gapTable(gapSummary)) say(`# ${line}`);
  const overGap = overBound(gapSummary, GAP_MEDIAN_MS, GAP_P90_MS, GAP_MAX_MS);
  const worst = [...records].sort((a, b) => Math.max(b.write.ms, b.read.ms) - Math.max(a.write.ms, a.read.ms));
  say(
    `# longest gaps: ${worst
      .slice(0, 5)
      .map(
        (r) =>
          `fault ${r.n} (${r.kind} dnode ${r.dnodeId}, ${r.holdMs} ms): write ${r.write.ms.toFixed(0)} ms at +${r.write.fromMs.toFixed(0)}, read ${r.read.ms.toFixed(0)} ms at +${r.read.fromMs.toFixed(0)}; writers (dnode at the fault: rows acked) ${r.writers}`,
      )
      .join('; ')}`,
  );

  // ------------------------------------------------------------ check the rows
  await cc.waitAllReady(60_000);
  // A write whose client gave up (unknown outcome) may still be applied while a dnode forwards
  // it to its vgroup's leader (bounded by these deadlines): read only after that window, or the
  // rows read and the count(*) below would see two different moments (seen once: 8 rows, two
  // unknown-outcome requests, landed between the two).
  const inFlightMs = Limits.vnodeForwardDeadlineMs + Limits.vgroupRequestDeadlineMs;
  const settleMs = stoppedAtMs + inFlightMs - Date.now();
  if (settleMs > 0) await sleep(settleMs);
  const readRows = async (table: string, via: number): Promise<unknown[][]> => {
    const n = cc.nodes[via % 3]!;
    return sql(n.port, `select ts, c, s from chaos.${table}`, n.host);
  };
  let lost: string[] = [];
  let unackedPresent: string[] = [];
  let anomalies: string[] = [];
  let present = 0;
  let acked = 0;
  const deadline = Date.now() + 60_000;
  for (let pass = 0; pass < 30; pass++) {
    lost = [];
    unackedPresent = [];
    anomalies = [];
    present = 0;
    acked = 0;
    for (const c of clients) {
      const id = c.o.id;
      const seen = new Uint8Array(c.nextSeq);
      for (let k = 0; k < TABLES_PER_CLIENT; k++) {
        const table = `t${id}_${k}`;
        const rows = await readRows(table, pass + id + k);
        for (const r of rows) {
          const ts = Number(r[0]),
            cv = Number(r[1]),
            sv = Number(r[2]);
          const seq = ts - t0;
          present++;
          if (!Number.isInteger(seq) || seq < 0 || seq >= c.nextSeq || tableOf(id, seq, TABLES_PER_CLIENT) !== table) {
            anomalies.push(`${table}: row ts ${ts} was never written there`);
            continue;
          }
          if (cv !== id || sv !== seq)
            anomalies.push(`${table}: row seq ${seq} holds (${cv}, ${sv}), expected (${id}, ${seq})`);
          if (seen[seq]) anomalies.push(`${table}: row seq ${seq} present twice`);
          seen[seq] = 1;
          const st = c.state[seq]!;
          if (st === RowState.NONE) anomalies.push(`${table}: row seq ${seq} present but never sent`);
          else if (st === RowState.FAILED)
            anomalies.push(`${table}: row seq ${seq} present although no attempt reached a dnode`);
          else if (st === RowState.UNKNOWN) unackedPresent.push(`${table}#${seq}`);
        }
      }
      for (let s = 0; s < c.nextSeq; s++) {
        if (c.state[s] !== RowState.ACKED) continue;
        acked++;
        if (!seen[s]) lost.push(`${tableOf(id, s, TABLES_PER_CLIENT)}#${s}`);
      }
    }
    if (lost.length === 0 || Date.now() > deadline) break;
    say(`# pass ${pass}: ${lost.length} acknowledged rows not visible yet; reading again`);
    await sleep(2_000);
  }
  say(
    `# rows: ${acked} acknowledged, ${present} present, ${unackedPresent.length} unacknowledged-present${unackedPresent.length ? ` (${unackedPresent.slice(0, 40).join(' ')}${unackedPresent.length > 40 ? ' ...' : ''})` : ''}, ${lost.length} lost`,
  );
  if (lost.length) say(`# LOST: ${lost.slice(0, 100).join(' ')}`);
  if (anomalies.length) say(`# ANOMALIES: ${anomalies.slice(0, 50).join('; ')}`);

  // Every dnode's view (a ReadIndex on its own replicas) counts the same.
  const counts: number[] = [];
  for (const n of cc.nodes) counts.push(Number((await sql(n.port, 'select count(*) from chaos.m', n.host))[0]![0]));
  say(`# count(*) through each dnode: ${counts.join(' / ')}`);

  // ------------------------------------------------------------ replicas, offline
  await sleep(2_000); // followers learn the final commit index from heartbeats
  await cc.stopAllCleanly();
  const digests = await digestAll(cc.nodes.map((n) => n.dataDir));
  const vgLines: string[] = [];
  const mismatched: string[] = [];
  let vgRows = 0;
  for (const [vgId, reps] of [...digests].sort((a, b) => a[0] - b[0])) {
    const same = reps.length === 3 && reps.every((r) => r.rows === reps[0]!.rows && r.checksum === reps[0]!.checksum);
    vgRows += reps[0]?.rows ?? 0;
    vgLines.push(
      `vg${vgId}: ${reps.map((r) => `d${r.dnodeId}=${r.rows}/${r.checksum}`).join(' ')}${same ? '' : ' DIFFER'}`,
    );
    if (!same) {
      mismatched.push(`vgroup ${vgId}`);
      for (const r of reps)
        say(
          `#   vg${vgId} dnode ${r.dnodeId}: applied ${r.applied} commit ${r.commit} tables ${JSON.stringify(r.perTable)}`,
        );
    }
  }
  say(`# replicas: ${vgLines.join('; ')}`);

  const k = clients.reduce(
    (s, c) => {
      const x = c.counts();
      return { unknown: s.unknown + x.unknown, failed: s.failed + x.failed };
    },
    { unknown: 0, failed: 0 },
  );
  say(
    `CHAOS SUMMARY seed=${SEED} minutes=${MINUTES} mode=${mode} faults=${faults} kill=${injected.kill} stop=${injected.stop} partition=${injected.partition}${mode === 'netns' ? '' : '(skipped)'} ` +
      `acked=${acked} unacked_present=${unackedPresent.length} unknown=${k.unknown} failed=${k.failed} lost=${lost.length} anomalies=${anomalies.length} ` +
      `replicas_equal=${mismatched.length === 0 ? 'yes' : `NO (${mismatched.join(', ')})`} vgroups=${digests.size} rows_in_vgroups=${vgRows} total_s=${((Date.now() - t00) / 1000).toFixed(0)}`,
  );
  if (notReadyAfterFault.length) say(`# availability: ${notReadyAfterFault.join('; ')}`);
  say(
    `CHAOS GAPS ${gapSummary.map((g) => `${g.kind}: write ${g.write.median.toFixed(0)}/${g.write.p90.toFixed(0)}/${g.write.max.toFixed(0)} ms read ${g.read.median.toFixed(0)}/${g.read.p90.toFixed(0)}/${g.read.max.toFixed(0)} ms`).join('; ')} (median/p90/max)`,
  );

  assert.equal(lost.length, 0, `acknowledged rows lost: ${lost.slice(0, 20).join(' ')}`);
  assert.equal(anomalies.length, 0, `anomalies: ${anomalies.slice(0, 10).join('; ')}`);
  assert.ok(acked > 0, 'some rows were acknowledged');
  assert.ok(
    counts.every((x) => x === present),
    `every dnode counts ${present}: ${counts.join(' / ')}`,
  );
  assert.equal(digests.size, VGROUPS, `${VGROUPS} vgroups on disk`);
  assert.deepEqual(mismatched, [], 'every replica of every vgroup holds the same rows');
  assert.equal(vgRows, present, 'the vgroups hold exactly the rows the cluster returns');
  assert.ok(faults > 0, 'the nemesis injected faults');
  assert.deepEqual(died, [], 'no dnode died on its own');
  assert.deepEqual(
    overGap,
    [],
    `writes and reads resume within ${GAP_MEDIAN_MS} ms at the median, ${GAP_P90_MS} ms at p90 and ${GAP_MAX_MS} ms at max of every fault kind`,
  );
});
