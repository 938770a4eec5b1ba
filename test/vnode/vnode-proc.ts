// One replica process for test/vnode/crash.test.ts: a Raft node on 127.0.0.1 hosting one
// ReplicatedVnode (vgroup 7) in <dir>, founders = every id in the peer list. The test talks
// to it on the same RPC port with test-only message types:
//   PROC_SCHEMA: create meters + child tables (leader only)
//   PROC_WRITE {b, rows}: write batch b (harness.batch) and reply once applied here
//   PROC_STATUS: the VnodeStatus
//   PROC_CHECK {batches, rows}: per-table digest + rows found in each batch's time range
// Usage: node dist/test/vnode/vnode-proc.js <id> <port> <dir> <id=port,...>
import { BasaltError } from '../../src/common/errors.js';
import { startRaftNode } from '../../src/replica/standalone.js';
import { ReplicatedVnode } from '../../src/vnode/replicated-vnode.js';
import { options } from '../storage/helpers.js';
import { PROC_CHECK, PROC_SCHEMA, PROC_STATUS, PROC_WRITE } from './proc-proto.js';
import { batch, createSchema, digest, T0, TABLES, tableName, VGID } from './harness.js';

async function main(): Promise<void> {
  const [idS, portS, dir, peersS] = process.argv.slice(2);
  if (!idS || !portS || !dir || !peersS) throw new Error('usage: vnode-proc <id> <port> <dir> <id=port,...>');
  const id = Number(idS);
  const peers = peersS.split(',').map((p) => p.split('=').map(Number) as [number, number]);
  let vnode: ReplicatedVnode | undefined;
  const node = await startRaftNode({
    nodeId: id,
    host: '127.0.0.1',
    port: Number(portS),
    log: (level, m) => {
      if (level !== 'info') process.stderr.write(`[node ${id}] ${level}: ${m}\n`);
    },
    next: async (_conn, frame) => {
      if (!vnode) throw new BasaltError('NOT_READY', 'vnode not open yet');
      const c = (frame.control ?? {}) as { b?: number; rows?: number; batches?: number };
      switch (frame.msgType) {
        case PROC_SCHEMA:
          if (!vnode.getTable('meters')) await createSchema(vnode);
          return { control: { ok: true } };
        case PROC_WRITE:
          await vnode.write(batch(c.b!, c.rows!));
          return { control: { ok: true } };
        case PROC_STATUS:
          return { control: vnode.status() };
        case PROC_CHECK: {
          const s = vnode.local;
          const perBatch: number[] = [];
          for (let b = 0; b < c.batches!; b++) {
            const from = T0 + b * c.rows! * 1000;
            let n = 0;
            for (let i = 0; i < TABLES; i++) {
              if (s.getTable(tableName(i)))
                n += s.aggregate(tableName(i), { from, to: from + c.rows! * 1000 - 1 }, []).rows;
            }
            perBatch.push(n);
          }
          return { control: { digest: digest(s), perBatch } };
        }
        default:
          throw new BasaltError('BAD_FRAME', `unknown test message ${frame.msgType}`);
      }
    },
  });
  for (const [pid, pport] of peers) if (pid !== id) node.transport.setPeer(pid, '127.0.0.1', pport);
  const founders = [...new Set(peers.map(([p]) => p).concat(id))].sort((a, b) => a - b);
  vnode = await ReplicatedVnode.open({
    runtime: node.runtime,
    vgId: VGID,
    dir,
    options: options({ bufferBytes: 2 << 20 }),
    founders,
    writeTimeoutMs: 2000,
    snapshotEveryEntries: 200,
    keepEntriesAfterSnapshot: 50,
    leaderEndpoint: (n) => node.transport.endpointOf(n),
  });
  process.stdout.write(`ready ${id} ${node.port}\n`);
  const stop = (): void => {
    void vnode!
      .close()
      .then(() => node.close())
      .finally(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((e) => {
  process.stderr.write(`vnode-proc failed: ${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
