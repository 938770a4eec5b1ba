// The pieces under ReplicatedVnode: the snapshot image framing, the store-directory swap
// repair, the storage state machine (apply with refusals, snapshot, restore), and the
// VnodeSet opener for replicated vnodes.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { BasaltError } from '../../src/common/errors.js';
import type { Entry } from '../../src/raft/index.js';
import { startRaftNode } from '../../src/replica/standalone.js';
import { encodeMetaPayload, encodeWritePayload, openVnodeStore } from '../../src/storage/index.js';
import { replicatedStoreOpener, vgIdOfDir } from '../../src/vnode/replicated-open.js';
import { ReplicatedVnode } from '../../src/vnode/replicated-vnode.js';
import { packSnapshotImage, unpackSnapshotImage } from '../../src/vnode/snapshot-image.js';
import { repairStoreDirs, storeDirOf, VnodeStateMachine } from '../../src/vnode/vnode-state-machine.js';
import { VnodeSet } from '../../src/vnode/vnode-set.js';
import { METERS_COLUMNS, METERS_TAGS, metersBlock, options, tempDir } from '../storage/helpers.js';
import { batch, createSchema, digest, sleep } from './harness.js';

const noLog = (): void => undefined;
const entry = (index: number, data: Uint8Array): Entry => ({ index, term: 1, type: 'normal', data });

async function* gen(chunks: Uint8Array[]): AsyncGenerator<Uint8Array> {
  for (const c of chunks) yield c;
}

test('snapshot image: round trip, and damage is SNAPSHOT_INVALID', async () => {
  const chunks = [Uint8Array.of(1, 2, 3), new Uint8Array(0), new Uint8Array(70_000).fill(9)];
  const img = await packSnapshotImage(gen(chunks));
  assert.deepEqual(
    unpackSnapshotImage(img).map((c) => Buffer.from(c).toString('hex')),
    chunks.map((c) => Buffer.from(c).toString('hex')),
  );
  const isInvalid = (e: unknown): boolean => e instanceof BasaltError && e.errorName === 'SNAPSHOT_INVALID';
  assert.throws(() => unpackSnapshotImage(img.subarray(0, img.length - 1)), isInvalid);
  assert.throws(() => unpackSnapshotImage(Buffer.concat([img, Uint8Array.of(0)])), isInvalid);
  assert.throws(() => unpackSnapshotImage(Uint8Array.of(1, 2, 3, 4, 0, 0, 0, 0)), isInvalid);
});

test('state machine: applies in order, a refused entry is a no-op with its error, snapshot restores elsewhere', async () => {
  const a = await VnodeStateMachine.open(tempDir('vsm-a'), options(), noLog);
  const payloads = [
    encodeMetaPayload({
      op: 'createSuper',
      def: { name: 'meters', columns: METERS_COLUMNS, tags: METERS_TAGS },
      atMs: 1,
    }),
    encodeWritePayload(
      {
        createTables: [{ name: 'd0', stable: 'meters', tagValues: [1, 'x'] }],
        rows: [{ table: 'd0', block: metersBlock(1_700_000_000_000, 500) }],
      },
      2,
    ),
    encodeWritePayload({ rows: [{ table: 'nope', block: metersBlock(1, 1) }] }),
    encodeWritePayload({ rows: [{ table: 'd0', block: metersBlock(1_700_001_000_000, 300) }] }),
  ];
  const res = a.apply(payloads.map((p, i) => entry(i + 3, p))); // Raft index 1, 2 were conf entries
  assert.equal(res[0], undefined);
  assert.ok(res[2] instanceof BasaltError && res[2].errorName === 'TABLE_NOT_EXIST');
  assert.equal(a.refusedEntries, 1);
  assert.equal(a.appliedIndex(), 6);
  assert.equal(a.store.aggregate('d0', { from: -Infinity, to: Infinity }, []).rows, 800);
  // An entry out of order is a bug, not a refusal: it must not be swallowed.
  assert.throws(() => a.apply([entry(6, payloads[3]!)]), /BUG/);

  const img = await a.snapshot();
  assert.equal(a.store.flushedIndex(), 6, 'the snapshot flushed everything applied');
  // Restore into a replica that holds other data: it is replaced wholly.
  const bDir = tempDir('vsm-b');
  const b = await VnodeStateMachine.open(bDir, options(), noLog);
  b.apply([
    entry(1, payloads[0]!),
    entry(2, encodeMetaPayload({ op: 'createNormal', def: { name: 'other', columns: METERS_COLUMNS }, atMs: 5 })),
  ]);
  await b.restore({ meta: { index: 9, term: 2, conf: { voters: [1], learners: [] } }, data: img });
  assert.equal(b.store.getTable('other'), undefined);
  assert.deepEqual(digest(b.store), digest(a.store));
  assert.equal(b.appliedIndex(), 6, 'store index of the image (entries 7..9 held no data)');
  b.apply([entry(10, encodeWritePayload({ rows: [{ table: 'd0', block: metersBlock(1_700_002_000_000, 7) }] }))]);
  await b.close();
  const b2 = await VnodeStateMachine.open(bDir, options(), noLog);
  assert.equal(
    b2.store.aggregate('d0', { from: -Infinity, to: Infinity }, []).rows,
    800,
    "unflushed entry 10 is the Raft log's to replay",
  );
  assert.equal(b2.appliedIndex(), 6);
  await b2.close();
  await a.close();
});

test('store swap interrupted by a crash is finished or undone at open', async () => {
  const make = async (dir: string, rows: number): Promise<void> => {
    const s = await openVnodeStore(dir, options(), { externalLog: true });
    s.applyLogged(1, encodeMetaPayload({ op: 'createNormal', def: { name: 't', columns: METERS_COLUMNS }, atMs: 1 }));
    s.applyLogged(2, encodeWritePayload({ rows: [{ table: 't', block: metersBlock(1_700_000_000_000, rows) }] }));
    await s.flush();
    await s.close();
  };
  const rowsIn = async (dir: string): Promise<number> => {
    const sm = await VnodeStateMachine.open(dir, options(), noLog);
    const n = sm.store.aggregate('t', { from: -Infinity, to: Infinity }, []).rows;
    await sm.close();
    return n;
  };
  // 1. Crash after store → store.old, before incoming → store: the complete incoming wins.
  const d1 = tempDir('swap1');
  await make(`${storeDirOf(d1)}.old`, 10);
  await make(`${storeDirOf(d1)}.incoming`, 20);
  assert.equal(await rowsIn(d1), 20);
  assert.ok(!existsSync(`${storeDirOf(d1)}.old`) && !existsSync(`${storeDirOf(d1)}.incoming`));
  // 2. Same, but the incoming install was not finished (no manifest): the old store comes back.
  const d2 = tempDir('swap2');
  await make(`${storeDirOf(d2)}.old`, 10);
  mkdirSync(`${storeDirOf(d2)}.incoming/data`, { recursive: true });
  writeFileSync(`${storeDirOf(d2)}.incoming/data/f1-1.dat`, 'partial');
  assert.equal(await rowsIn(d2), 10);
  // 3. Crash while installing into incoming, store untouched: leftovers are dropped.
  const d3 = tempDir('swap3');
  await make(storeDirOf(d3), 30);
  mkdirSync(`${storeDirOf(d3)}.incoming`, { recursive: true });
  repairStoreDirs(d3);
  assert.ok(!existsSync(`${storeDirOf(d3)}.incoming`));
  assert.equal(await rowsIn(d3), 30);
});

test('VnodeSet hosts replicated vnodes through replicatedStoreOpener (single-replica group)', {
  timeout: 20_000,
}, async () => {
  assert.equal(vgIdOfDir('/x/vnode/vnode12'), 12);
  assert.throws(() => vgIdOfDir('/x/vnode/other'), /not a vnode directory/);
  const node = await startRaftNode({ nodeId: 1, host: '127.0.0.1', port: 0 });
  const dataDir = tempDir('vset');
  try {
    const set = new VnodeSet(dataDir, replicatedStoreOpener({ runtime: node.runtime, foundersOf: () => [1] }));
    const v = await set.open(12, options());
    assert.ok(v instanceof ReplicatedVnode);
    const deadline = Date.now() + 5000;
    while (!v.isLeader() && Date.now() < deadline) await sleep(20);
    assert.ok(v.isLeader(), 'a single voter elects itself');
    await createSchema(v);
    await v.write(batch(0, 50));
    assert.equal(await v.read((s) => s.aggregate('d1', { from: -Infinity, to: Infinity }, []).rows), 50);
    assert.equal(v.status().vgId, 12);
    assert.ok(
      existsSync(join(dataDir, 'vnode', 'vnode12', 'raft')) && existsSync(join(dataDir, 'vnode', 'vnode12', 'store')),
    );
    await set.closeAll();
  } finally {
    await node.close();
  }
});
