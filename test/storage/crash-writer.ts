// Child process of the crash test: writes batches with wal_level 2 into the store at argv[2]
// and prints "ack <id>" after each write resolves, until it is killed. Batch b writes
// batchRows(b) rows to two tables (atomicity across tables is part of the check); every row
// carries b in `voltage`. Flushes and compactions run now and then so kills land in them too.
import { openVnodeStore } from '../../src/storage/index.js';
import { batchBlock, batchTables, CRASH_OPTIONS, crashSchemaReady } from './crash-shared.js';

async function main(): Promise<void> {
  const dir = process.argv[2]!;
  const store = await openVnodeStore(dir, CRASH_OPTIONS);
  await crashSchemaReady(store);
  let next = 1;
  for (const t of store.listTables({ kind: 'child' })) {
    const m = store.aggregate(t.name, { from: -Infinity, to: Infinity }, [2]).columns[0]!.max;
    if (typeof m === 'number' && m + 1 > next) next = m + 1;
  }
  process.stdout.write('ready\n');
  for (let b = next; ; b++) {
    await store.write({ rows: batchTables(b).map((table) => ({ table, block: batchBlock(b) })) });
    process.stdout.write(`ack ${b}\n`);
    if (b % 25 === 0) await store.flush();
    if (b % 60 === 0) await store.compact();
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`crash-writer: ${String(e instanceof Error ? e.stack : e)}\n`);
  process.exit(1);
});
