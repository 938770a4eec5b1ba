// Model-based test: random writes (duplicate timestamps, out-of-order batches, nulls),
// flushes, compactions, restarts and reads, checked against a Map per table.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { ColumnBlock } from '../../src/common/block.js';
import { DataType } from '../../src/common/types.js';
import { openVnodeStore, type LocalVnodeStore } from '../../src/storage/index.js';
import { options, rowsOf, tempDir } from './helpers.js';

type Row = [number | null, number | null, string | null];
type Op =
  | { k: 'write'; table: number; rows: { ts: number; row: Row }[] }
  | { k: 'flush' }
  | { k: 'compact' }
  | { k: 'restart' }
  | { k: 'read'; table: number; from: number; to: number };

const TABLES = ['a', 'b'];
const COLUMNS = [
  { name: 'ts', type: DataType.TIMESTAMP, bytes: 8 },
  { name: 'v', type: DataType.INT, bytes: 4 },
  { name: 'd', type: DataType.DOUBLE, bytes: 8 },
  { name: 's', type: DataType.VARCHAR, bytes: 10 },
];
const OPTS = options({ maxRows: 8, minRows: 4, durationMs: 64, bufferBytes: 4096 });

const rowArb: fc.Arbitrary<Row> = fc.tuple(
  fc.option(fc.integer({ min: -1000, max: 1000 }), { freq: 4 }),
  fc.option(
    fc.oneof(
      fc.integer({ min: -50, max: 50 }).map((x) => x / 4),
      fc.constantFrom(-0.5, 1e300),
    ),
    { freq: 4 },
  ),
  fc.option(fc.constantFrom('', 'x', 'yy', 'zzz', '日本'), { freq: 4 }),
);
const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      k: fc.constant('write' as const),
      table: fc.nat(1),
      rows: fc.array(fc.record({ ts: fc.integer({ min: 0, max: 300 }), row: rowArb }), { minLength: 1, maxLength: 30 }),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ k: 'flush' as const }) },
  { weight: 1, arbitrary: fc.constant({ k: 'compact' as const }) },
  { weight: 1, arbitrary: fc.constant({ k: 'restart' as const }) },
  {
    weight: 3,
    arbitrary: fc.record({
      k: fc.constant('read' as const),
      table: fc.nat(1),
      from: fc.integer({ min: -10, max: 310 }),
      to: fc.integer({ min: -10, max: 310 }),
    }),
  },
);

function block(rows: { ts: number; row: Row }[]): ColumnBlock {
  const n = rows.length;
  const nul = () => new Uint8Array(n);
  const vn = nul(),
    dn = nul(),
    sn = nul();
  const v = new Int32Array(n),
    d = new Float64Array(n),
    s = new Array<string>(n).fill('');
  rows.forEach((r, i) => {
    if (r.row[0] === null) vn[i] = 1;
    else v[i] = r.row[0];
    if (r.row[1] === null) dn[i] = 1;
    else d[i] = r.row[1];
    if (r.row[2] === null) sn[i] = 1;
    else s[i] = r.row[2];
  });
  return {
    numRows: n,
    columns: [
      { type: DataType.TIMESTAMP, data: Float64Array.from(rows, (r) => r.ts), nulls: null },
      { type: DataType.INT, data: v, nulls: vn },
      { type: DataType.DOUBLE, data: d, nulls: dn },
      { type: DataType.VARCHAR, data: s, nulls: sn },
    ],
  };
}

async function check(
  store: LocalVnodeStore,
  model: Map<number, Row>[],
  t: number,
  from: number,
  to: number,
): Promise<void> {
  const want = [...model[t]!.entries()]
    .filter(([ts]) => ts >= from && ts <= to)
    .sort((x, y) => x[0] - y[0])
    .map(([ts, r]) => [ts, ...r]);
  const got = rowsOf(store.scan(TABLES[t]!, { from, to }, [0, 1, 2, 3]));
  assert.deepEqual(got, want);
  const agg = store.aggregate(TABLES[t]!, { from, to }, [1, 3, 0]);
  assert.equal(agg.rows, want.length);
  const vs = want.map((r) => r[1]).filter((x): x is number => x !== null);
  assert.equal(agg.columns[0]!.count, vs.length);
  assert.equal(agg.columns[0]!.sum, vs.length ? vs.reduce((a, b) => a + b, 0) : null);
  assert.equal(agg.columns[0]!.min, vs.length ? Math.min(...vs) : null);
  assert.equal(agg.columns[0]!.max, vs.length ? Math.max(...vs) : null);
  const ss = want.filter((r) => r[3] !== null);
  assert.equal(agg.columns[1]!.last, ss.length ? ss[ss.length - 1]![3] : null);
  assert.equal(agg.columns[2]!.firstTs, want.length ? want[0]![0] : null);
  const all = [...model[t]!.entries()].sort((x, y) => x[0] - y[0]);
  const lr = store.lastRow(TABLES[t]!);
  if (all.length === 0) assert.equal(lr, undefined);
  else assert.deepEqual(rowsOf([lr!])[0], [all[all.length - 1]![0], ...all[all.length - 1]![1]]);
}

test('random writes, flushes, compactions and restarts match an in-memory model', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 40 }), async (ops) => {
      const dir = tempDir('model');
      let store = await openVnodeStore(dir, OPTS);
      for (const name of TABLES) await store.createNormalTable({ name, columns: COLUMNS });
      const model = TABLES.map(() => new Map<number, Row>());
      try {
        for (const op of ops) {
          switch (op.k) {
            case 'write':
              await store.write({ rows: [{ table: TABLES[op.table]!, block: block(op.rows) }] });
              for (const r of op.rows) model[op.table]!.set(r.ts, r.row);
              break;
            case 'flush':
              await store.flush();
              break;
            case 'compact':
              await store.compact();
              break;
            case 'restart':
              await store.close();
              store = await openVnodeStore(dir, OPTS);
              break;
            case 'read':
              await check(store, model, op.table, Math.min(op.from, op.to), Math.max(op.from, op.to));
              break;
          }
        }
        for (let t = 0; t < TABLES.length; t++) await check(store, model, t, -Infinity, Infinity);
        // Compaction is idempotent: a second run leaves the files as they are.
        await store.flush();
        await store.compact();
        const files = [...store.files.files.keys()].sort();
        await store.compact();
        assert.deepEqual([...store.files.files.keys()].sort(), files);
        for (let t = 0; t < TABLES.length; t++) await check(store, model, t, -Infinity, Infinity);
      } finally {
        await store.close();
      }
    }),
    { numRuns: Number(process.env.MODEL_RUNS ?? 60) },
  );
});
