// Crash safety with real processes: three replica processes (bench/raft-net-node.ts) with
// fsyncing WALs, 8 clients writing unique keys, and a chaos loop that SIGKILLs a random
// replica (leader or not) and restarts it on its data, over and over. Whatever the disks
// lost, every acknowledged key must end up applied exactly once, in one order shared by
// all three replicas. Snapshots are taken every 500 entries so restarts also go through
// snapshot restore and snapshot transfer.
//   npm run test:replica-crash        (REPLICA_CRASH_KILLS, default 15)
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { RpcClient } from '../../src/rpc/client.js';
import { standaloneClient } from '../../src/replica/standalone.js';
import { freePort } from '../rpc/harness.js';
import { sigkillLoop, waitConverged } from '../support/sigkill-loop.js';
import type { GroupStatus } from '../../src/replica/group-host.js';
import { BENCH_DUMP, BENCH_PUT, BENCH_STATUS } from '../../bench/raft-net-proto.js';
import { sleep, tempDir } from './harness.js';

const KILLS = Number(process.env['REPLICA_CRASH_KILLS'] ?? '15');
const nodeJs = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bench', 'raft-net-node.js');

interface Replica {
  id: number;
  port: number;
  dir: string;
  proc: ChildProcess | undefined;
  client: RpcClient;
}

test(`replicas SIGKILLed ${KILLS} times under load lose no acknowledged write`, { timeout: 300_000 }, async () => {
  const tmp = tempDir('crash');
  const replicas: Replica[] = [];
  for (const id of [1, 2, 3]) {
    const port = await freePort();
    replicas.push({
      id,
      port,
      dir: join(tmp.dir, `n${id}`),
      proc: undefined,
      client: standaloneClient({ host: '127.0.0.1', port, connectTimeoutMs: 300, requestTimeoutMs: 3000 }),
    });
  }
  const peers = replicas.map((r) => `${r.id}=${r.port}`).join(',');
  const start = async (r: Replica): Promise<void> => {
    const log = openSync(join(tmp.dir, `n${r.id}.log`), 'a');
    const p = spawn(process.execPath, [nodeJs, String(r.id), String(r.port), r.dir, peers], {
      stdio: ['ignore', 'pipe', log],
      env: { ...process.env, RAFT_NET_TRACK: '1', RAFT_NET_SNAPSHOT_EVERY: '500', RAFT_NET_SNAPSHOT_KEEP: '100' },
    });
    closeSync(log);
    r.proc = p;
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`replica ${r.id} not ready`)), 15_000);
      p.stdout!.on('data', (c: Buffer) => {
        if (c.toString().includes('ready')) {
          clearTimeout(t);
          resolve();
        }
      });
      p.once('exit', (code) => {
        clearTimeout(t);
        reject(new Error(`replica ${r.id} exited ${code}; see ${tmp.dir}/n${r.id}.log`));
      });
    });
  };
  const status = async (r: Replica): Promise<GroupStatus | undefined> => {
    if (!r.proc) return undefined;
    try {
      return (await r.client.request(BENCH_STATUS, {}, [], 500)).control as GroupStatus;
    } catch {
      return undefined;
    }
  };
  const acked = new Set<string>();
  let stop = false;
  try {
    for (const r of replicas) await start(r);
    // Writers: unique keys; a failed put is not retried with the same key (its fate is unknown).
    const writer = async (w: number): Promise<void> => {
      let seq = 0;
      let k = w;
      while (!stop && seq < 1_000_000) {
        const r = replicas[k % 3]!;
        const key = `k${w}-${seq++}`;
        const data = Buffer.concat([Buffer.from(key, 'latin1'), Buffer.from([0]), Buffer.alloc(32, 0x61)]);
        try {
          await r.client.request(BENCH_PUT, {}, [data], 3000);
          acked.add(key);
        } catch {
          k++;
          await sleep(5);
        }
      }
    };
    const writers = Array.from({ length: 8 }, (_, w) => writer(w));
    await sigkillLoop(replicas, { kills: KILLS, upMs: [700, 1500], downMs: [200, 800], start });
    await sleep(1000);
    stop = true;
    await Promise.all(writers);
    // Converge: every replica applies what the leader committed.
    await waitConverged(() => Promise.all(replicas.map(status)), 20_000);
    const dumps = await Promise.all(
      replicas.map(
        async (r) => (await r.client.request(BENCH_DUMP, {}, [], 5000)).control as { applied: number; order: string[] },
      ),
    );
    const order = dumps[0]!.order;
    for (const d of dumps) assert.deepEqual(d.order, order, 'every replica applied the same keys in the same order');
    assert.equal(new Set(order).size, order.length, 'no key applied twice');
    const applied = new Set(order);
    const lost = [...acked].filter((k) => !applied.has(k));
    assert.deepEqual(lost.slice(0, 10), [], `${lost.length} acknowledged keys lost`);
    assert.ok(acked.size > 500, `only ${acked.size} writes acknowledged`);
    console.log(
      `# ${KILLS} kills, ${acked.size} acknowledged writes, ${order.length} applied, identical on 3 replicas`,
    );
  } finally {
    stop = true;
    for (const r of replicas) {
      r.client.close();
      r.proc?.kill('SIGKILL');
    }
    await sleep(200);
    tmp.remove();
  }
});
