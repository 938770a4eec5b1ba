// Child process for engine-crash tests: runs DDL and inserts against an engine in argv[2]
// and prints `ack <i> <rows>` after each statement resolves, until it is killed.
import { createEngine } from '../../src/engine/engine.js';

const dir = process.argv[2]!;
const startAt = Number(process.argv[3] ?? '0');
const T = 1_700_000_000_000;
const engine = await createEngine({
  dataDir: dir,
  serverVersion: 'crash',
  nowMs: () => T + 86_400_000,
  dnode: { dnodeId: 1, endpoint: 'localhost:6030', supportVnodes: 64, startedAtMs: T, variables: [] },
});
const session = { user: 'root', db: 'crash' };
const run = async (sql: string): Promise<void> => {
  for await (const _ of engine.executeMany(sql, session)) {
    /* exec */
  }
};
await run('create database if not exists crash vgroups 3 wal_level 2');
for (let s = 0; s < 3; s++) await run(`create stable if not exists s${s} (ts timestamp, v int) tags (g int)`);
process.stdout.write('ready\n');
for (let i = startAt; ; i++) {
  const st = `s${i % 3}`;
  if (i % 7 === 3) {
    // Schema change across every vgroup: a crash in the middle must be reconciled at start.
    await run(`alter stable ${st} add column a${i} int`);
    process.stdout.write(`alter ${i} ${st}\n`);
    continue;
  }
  const rows = 1 + (i % 5);
  const vals = Array.from({ length: rows }, (_, k) => `(${T + k}, ${i})`).join(' ');
  await run(`insert into c${i} using ${st} tags (${i}) (ts, v) values ${vals}`);
  process.stdout.write(`ack ${i} ${rows}\n`);
}
