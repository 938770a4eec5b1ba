import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DataType } from '../../src/common/types.js';
import { openVnodeStore } from '../../src/storage/index.js';
import { METERS_COLUMNS, METERS_TAGS, metersBlock, options, rowsOf, tempDir } from './helpers.js';

const ALL = { from: -Infinity, to: Infinity };

test('write, scan, aggregate and last row survive flush and reopen', async () => {
  const dir = tempDir('store');
  let s = await openVnodeStore(dir, options());
  await s.createSuperTable({ name: 'meters', columns: METERS_COLUMNS, tags: METERS_TAGS });
  await s.write({
    createTables: [{ name: 'd0', stable: 'meters', tagValues: [1, 'California.SanJose'] }],
    rows: [{ table: 'd0', block: metersBlock(1_700_000_000_000, 5000) }],
  });
  await s.createChildTable({ name: 'd1', stable: 'meters', tagValues: [2, 'California.PaloAlto'] });
  await s.write({ rows: [{ table: 'd1', block: metersBlock(1_700_000_000_000, 100) }] });
  const before = rowsOf(s.scan('d0', ALL, [0, 1, 2, 3]));
  assert.equal(before.length, 5000);
  await s.flush();
  await s.write({ rows: [{ table: 'd0', block: metersBlock(1_700_000_000_000 + 5000 * 1000, 10) }] });
  assert.equal(rowsOf(s.scan('d0', ALL, [0])).length, 5010);
  await s.close();

  s = await openVnodeStore(dir, options());
  const after = rowsOf(s.scan('d0', ALL, [0, 1, 2, 3]));
  assert.equal(after.length, 5010);
  assert.deepEqual(after.slice(0, 5000), before);
  const agg = s.aggregate('d0', ALL, [2, 0]);
  assert.equal(agg.rows, 5010);
  assert.equal(agg.columns[0]!.min, 215);
  assert.equal(agg.columns[0]!.max, 225);
  assert.equal(agg.columns[1]!.lastTs, 1_700_000_000_000 + 5009 * 1000);
  const last = s.lastRow('d0')!;
  assert.equal((last.columns[0]!.data as Float64Array)[0], 1_700_000_000_000 + 5009 * 1000);
  assert.deepEqual(s.childTablesWithTag('meters', 'groupid', [2]), ['d1']);
  assert.equal(s.getTable('d1')!.kind, 'child');
  const made = s.getTable('d0')!.createdAtMs;
  assert.ok(made > 1_600_000_000_000 && made <= Date.now(), 'auto-created table keeps its creation time');
  await s.close();
});

test('duplicate timestamps keep the latest write, across memtable and files', async () => {
  const dir = tempDir('dup');
  const s = await openVnodeStore(dir, options());
  await s.createNormalTable({
    name: 't',
    columns: [
      { name: 'ts', type: DataType.TIMESTAMP, bytes: 8 },
      { name: 'v', type: DataType.INT, bytes: 4 },
    ],
  });
  const blk = (ts: number[], v: number[]) => ({
    numRows: ts.length,
    columns: [
      { type: DataType.TIMESTAMP, data: Float64Array.from(ts), nulls: null },
      { type: DataType.INT, data: Int32Array.from(v), nulls: null },
    ],
  });
  await s.write({ rows: [{ table: 't', block: blk([3, 1, 2, 1], [30, 10, 20, 11]) }] });
  assert.deepEqual(rowsOf(s.scan('t', ALL, [0, 1])), [
    [1, 11],
    [2, 20],
    [3, 30],
  ]);
  await s.flush();
  await s.write({ rows: [{ table: 't', block: blk([2, 4], [21, 40]) }] });
  assert.deepEqual(rowsOf(s.scan('t', ALL, [0, 1])), [
    [1, 11],
    [2, 21],
    [3, 30],
    [4, 40],
  ]);
  assert.equal(s.aggregate('t', ALL, [1]).columns[0]!.sum, 11 + 21 + 30 + 40);
  await s.flush();
  await s.compact();
  assert.deepEqual(rowsOf(s.scan('t', { from: 2, to: 3 }, [1])), [[21], [30]]);
  await s.close();
});

test('a flipped byte in a data block is reported with file and offset, never returned as data', async () => {
  const dir = tempDir('flip');
  let s = await openVnodeStore(dir, options());
  await s.createSuperTable({ name: 'meters', columns: METERS_COLUMNS, tags: METERS_TAGS });
  await s.createChildTable({ name: 'd0', stable: 'meters', tagValues: [1, 'x'] });
  await s.write({ rows: [{ table: 'd0', block: metersBlock(1_700_000_000_000, 3000) }] });
  await s.flush();
  const [h] = [...s.files.files.values()];
  const chunk = h!.reader.blocks[0]!.cols[2]!; // voltage of the first block
  const path = h!.reader.path;
  await s.close();
  const fs = await import('node:fs');
  const buf = fs.readFileSync(path);
  buf[chunk.off + 6] = buf[chunk.off + 6]! ^ 0x10;
  fs.writeFileSync(path, buf);
  s = await openVnodeStore(dir, options());
  assert.throws(
    () => [...s.scan('d0', ALL, [0, 2])],
    (e: Error) => {
      assert.match(e.message, new RegExp(`${path} at byte offset ${chunk.off}\\b.*CRC32C`));
      return true;
    },
  );
  // Columns whose chunks are intact still read; statistics of whole blocks need no decoding.
  assert.equal(rowsOf(s.scan('d0', ALL, [0, 1])).length, 3000);
  assert.equal(s.aggregate('d0', ALL, [2]).columns[0]!.max, 225);
  await s.close();
});

test('meta: tag index, add/drop column, set tag, drop super table; all recovered from WAL and manifest', async () => {
  const dir = tempDir('meta');
  let s = await openVnodeStore(dir, options());
  await s.createSuperTable({ name: 'meters', columns: METERS_COLUMNS, tags: METERS_TAGS });
  for (let i = 0; i < 20; i++)
    await s.createChildTable({ name: `d${i}`, stable: 'meters', tagValues: [i % 3, `loc${i % 5}`] });
  await s.write({ rows: [{ table: 'd1', block: metersBlock(1000, 10) }] });
  await assert.rejects(s.createChildTable({ name: 'd1', stable: 'meters', tagValues: [1, 'x'] }), /already exists/);
  await assert.rejects(s.write({ rows: [{ table: 'nope', block: metersBlock(1000, 1) }] }), /does not exist/);
  await s.flush();
  await s.addColumn('meters', { name: 'extra', type: DataType.BIGINT, bytes: 8 });
  await s.setTag('d4', 'groupid', 7);
  await s.addTag('meters', { name: 'kind', type: DataType.NCHAR, bytes: 8 });
  const wide = metersBlock(20_000, 5);
  wide.columns.push({ type: DataType.BIGINT, data: BigInt64Array.from([1n, 2n, 3n, 2n ** 62n, -5n]), nulls: null });
  await s.write({ rows: [{ table: 'd1', block: wide }] });
  for (const reopen of [false, true]) {
    if (reopen) {
      await s.close();
      s = await openVnodeStore(dir, options());
    }
    assert.deepEqual(s.childTablesWithTag('meters', 'groupid', [0]).sort(), [
      'd0',
      'd12',
      'd15',
      'd18',
      'd3',
      'd6',
      'd9',
    ]);
    assert.deepEqual(s.childTablesWithTag('meters', 'groupid', [7, 2]).sort(), [
      'd11',
      'd14',
      'd17',
      'd2',
      'd4',
      'd5',
      'd8',
    ]);
    assert.equal(s.childTablesWithTag('meters', 'kind', [null]).length, 20);
    const rows = rowsOf(s.scan('d1', ALL, [0, 4]));
    assert.equal(rows.length, 15);
    assert.deepEqual(rows.slice(8, 12), [
      [9000, null],
      [10000, null],
      [20000, 1n],
      [21000, 2n],
    ]);
    assert.equal(s.aggregate('d1', ALL, [4]).columns[0]!.sum, 1n + 2n + 3n + 2n ** 62n - 5n);
  }
  await s.dropColumn('meters', 'voltage');
  assert.deepEqual(
    s.getTable('d1')!.columns.map((c) => c.name),
    ['ts', 'current', 'phase', 'extra'],
  );
  await s.dropTable('meters');
  assert.equal(s.listTables().length, 0);
  await s.flush();
  await s.compact();
  assert.equal(s.files.files.size, 0, "compaction removed the dropped tables' blocks");
  await s.close();
  s = await openVnodeStore(dir, options());
  assert.equal(s.getTable('d1'), undefined);
  await s.close();
});

test('retention drops whole file sets past keep; compaction is idempotent', async () => {
  const dir = tempDir('keep');
  const day = 86_400_000;
  const s = await openVnodeStore(dir, options({ durationMs: day, keepMs: 3 * day }));
  await s.createNormalTable({ name: 't', columns: METERS_COLUMNS });
  const t0 = 1_700_000_000_000 - (1_700_000_000_000 % day);
  for (let d = 0; d < 6; d++) await s.write({ rows: [{ table: 't', block: metersBlock(t0 + d * day, 100, 60_000) }] });
  await s.flush();
  assert.equal(s.files.files.size, 6);
  await s.applyRetention(t0 + 6 * day);
  assert.equal(s.files.files.size, 3);
  assert.equal(s.aggregate('t', ALL, []).rows, 300);
  assert.equal(rowsOf(s.scan('t', ALL, [0]))[0]![0], t0 + 3 * day);
  await s.applyRetention(t0 + 6 * day);
  assert.equal(s.files.files.size, 3);
  await s.compact();
  const names = [...s.files.files.keys()];
  await s.compact();
  assert.deepEqual([...s.files.files.keys()], names);
  await s.close();
});

test('snapshot: stream meta + files + memtable, install into an empty vnode, same answers', async () => {
  const { installSnapshot } = await import('../../src/storage/index.js');
  const src = await openVnodeStore(tempDir('snap-src'), options());
  await src.createSuperTable({ name: 'meters', columns: METERS_COLUMNS, tags: METERS_TAGS });
  for (let i = 0; i < 3; i++) await src.createChildTable({ name: `d${i}`, stable: 'meters', tagValues: [i, `l${i}`] });
  await src.write({ rows: [{ table: 'd0', block: metersBlock(1_700_000_000_000, 5000) }] });
  await src.flush();
  await src.write({ rows: [{ table: 'd1', block: metersBlock(1_700_000_000_000, 777) }] }); // still in the memtable
  const chunks: Uint8Array[] = [];
  for await (const c of src.snapshot(64 << 10)) chunks.push(c);
  assert.ok(chunks.length > 3);
  await src.write({ rows: [{ table: 'd2', block: metersBlock(1_700_000_000_000, 5) }] }); // after the snapshot
  const dstDir = tempDir('snap-dst');
  // A damaged chunk is refused.
  const bad = chunks.map((c) => new Uint8Array(c)); // copies (Buffer.slice would alias)
  bad[1]![100] = bad[1]![100]! ^ 1;
  await assert.rejects(installSnapshot(`${dstDir}/bad`, bad), /chunk 1 fails its CRC32C/);
  const info = await installSnapshot(`${dstDir}/ok`, chunks);
  assert.equal(info.index, src.flushedIndex());
  const dst = await openVnodeStore(`${dstDir}/ok`, options());
  for (const t of ['d0', 'd1'])
    assert.deepEqual(rowsOf(dst.scan(t, ALL, [0, 1, 2, 3])), rowsOf(src.scan(t, ALL, [0, 1, 2, 3])));
  assert.equal(dst.aggregate('d2', ALL, []).rows, 0);
  assert.deepEqual(dst.childTablesWithTag('meters', 'groupid', [1]), ['d1']);
  await dst.write({ rows: [{ table: 'd2', block: metersBlock(1_700_000_000_000, 5) }] });
  await dst.close();
  await src.close();
});

test('writes go on while a flush runs; wal_level 1 fsyncs within the period', async () => {
  const s = await openVnodeStore(tempDir('during'), options({ walFsyncPeriodMs: 20 }));
  await s.createSuperTable({ name: 'meters', columns: METERS_COLUMNS, tags: METERS_TAGS });
  for (let i = 0; i < 40; i++) await s.createChildTable({ name: `d${i}`, stable: 'meters', tagValues: [i, 'x'] });
  for (let i = 0; i < 40; i++)
    await s.write({ rows: [{ table: `d${i}`, block: metersBlock(1_700_000_000_000, 10_000) }] });
  const order: string[] = [];
  const flushing = s.flush().then(() => order.push('flush'));
  await new Promise<void>((r) => setImmediate(r));
  await s.write({ rows: [{ table: 'd0', block: metersBlock(1_800_000_000_000, 10) }] });
  order.push('write');
  assert.equal(rowsOf(s.scan('d0', ALL, [0])).length, 10_010, 'rows being flushed stay readable');
  await flushing;
  assert.deepEqual(order, ['write', 'flush']);
  assert.equal(s.aggregate('d0', ALL, []).rows, 10_010);
  assert.equal(s.wal.hasUnsynced(), true);
  await new Promise<void>((r) => setTimeout(r, 100));
  assert.equal(s.wal.hasUnsynced(), false, 'the periodic fsync ran');
  await s.close();
});

test('a failed flush stops the store; reopening replays the rows from the WAL', async () => {
  const fs = await import('node:fs');
  const dir = tempDir('flushfail');
  let s = await openVnodeStore(dir, options());
  await s.createNormalTable({ name: 't', columns: METERS_COLUMNS });
  await s.write({ rows: [{ table: 't', block: metersBlock(1_700_000_000_000, 1000) }] });
  fs.rmSync(`${dir}/data`, { recursive: true });
  fs.writeFileSync(`${dir}/data`, 'not a directory');
  await assert.rejects(s.flush(), /ENOTDIR/);
  await assert.rejects(s.write({ rows: [{ table: 't', block: metersBlock(1, 1) }] }), /ENOTDIR/);
  assert.throws(() => s.aggregate('t', ALL, []), /ENOTDIR/, 'reads refuse rather than miss the frozen rows');
  await s.close();
  fs.rmSync(`${dir}/data`);
  s = await openVnodeStore(dir, options());
  assert.equal(s.aggregate('t', ALL, []).rows, 1000);
  await s.close();
});

test('a flipped byte in the WAL stops opening the vnode with file and offset', async () => {
  const fs = await import('node:fs');
  const dir = tempDir('walflip');
  const s = await openVnodeStore(dir, options());
  await s.createNormalTable({ name: 't', columns: METERS_COLUMNS });
  for (let i = 0; i < 5; i++)
    await s.write({ rows: [{ table: 't', block: metersBlock(1_700_000_000_000 + i * 1e6, 100) }] });
  await s.close();
  const [seg] = fs.readdirSync(`${dir}/wal`);
  const file = `${dir}/wal/${seg}`;
  const buf = fs.readFileSync(file);
  let off = 0;
  for (let k = 0; k < 3; k++) off += 12 + buf.readUInt32LE(off); // start of the 4th entry
  buf[off + 200] = buf[off + 200]! ^ 0xff;
  fs.writeFileSync(file, buf);
  await assert.rejects(openVnodeStore(dir, options()), (e: Error) => {
    assert.match(e.message, new RegExp(`WAL file ${file}: entry at byte offset ${off} fails its CRC32C`));
    return true;
  });
});

test('window aggregates over partly covered blocks add up and reuse decoded chunks', async () => {
  const s = await openVnodeStore(tempDir('windows'), options());
  await s.createNormalTable({ name: 't', columns: METERS_COLUMNS });
  const t0 = 1_700_000_000_000;
  await s.write({ rows: [{ table: 't', block: metersBlock(t0, 10_000) }] });
  await s.flush();
  const total = s.aggregate('t', ALL, [2]);
  let rows = 0,
    sum = 0,
    max = -Infinity;
  for (let w = t0; w < t0 + 10_000_000; w += 60_000) {
    const a = s.aggregate('t', { from: w, to: w + 59_999 }, [2]);
    rows += a.rows;
    sum += a.columns[0]!.sum as number;
    max = Math.max(max, a.columns[0]!.max as number);
  }
  assert.equal(rows, 10_000);
  assert.equal(sum, total.columns[0]!.sum);
  assert.equal(max, total.columns[0]!.max);
  assert.ok(
    s.files.cache.hits > s.files.cache.misses * 10,
    `cache hits ${s.files.cache.hits}, misses ${s.files.cache.misses}`,
  );
  await s.close();
});
