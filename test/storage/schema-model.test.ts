// Model-based test of schema changes mixed with data: add/drop column, drop and re-create a
// table, writes, flushes, compactions and restarts, checked against rows kept as plain maps.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { DataType } from '../../src/common/types.js';
import { openVnodeStore } from '../../src/storage/index.js';
import { options, rowsOf, tempDir } from './helpers.js';

type Op =
  | { k: 'write'; ts: number[]; seed: number }
  | { k: 'add' }
  | { k: 'drop' }
  | { k: 'recreate' }
  | { k: 'flush' }
  | { k: 'compact' }
  | { k: 'restart' }
  | { k: 'read' };

const OPTS = options({ maxRows: 6, minRows: 3, durationMs: 50, bufferBytes: 2048 });
const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      k: fc.constant('write' as const),
      ts: fc.array(fc.integer({ min: 0, max: 120 }), { minLength: 1, maxLength: 15 }),
      seed: fc.nat(1000),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom<Op>(
      { k: 'add' },
      { k: 'drop' },
      { k: 'recreate' },
      { k: 'flush' },
      { k: 'compact' },
      { k: 'restart' },
    ),
  },
  { weight: 2, arbitrary: fc.constant<Op>({ k: 'read' }) },
);

test('schema changes with data match a model across flush, compaction and restart', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 30 }), async (ops) => {
      const dir = tempDir('schema');
      let store = await openVnodeStore(dir, OPTS);
      let cols: string[] = ['v'];
      let nextCol = 1;
      const create = () =>
        store.createNormalTable({
          name: 't',
          columns: [
            { name: 'ts', type: DataType.TIMESTAMP, bytes: 8 },
            ...cols.map((name) => ({ name, type: DataType.INT, bytes: 4 })),
          ],
        });
      await create();
      let model = new Map<number, Map<string, number | null>>();
      const check = (): void => {
        const want = [...model.entries()]
          .sort((a, b) => a[0] - b[0])
          .map(([ts, r]) => [ts, ...cols.map((c) => r.get(c) ?? null)]);
        assert.deepEqual(
          rowsOf(store.scan('t', { from: -Infinity, to: Infinity }, [0, ...cols.map((_, i) => i + 1)])),
          want,
        );
        const agg = store.aggregate(
          't',
          { from: -Infinity, to: Infinity },
          cols.map((_, i) => i + 1),
        );
        assert.equal(agg.rows, want.length);
        cols.forEach((_, i) => {
          const vs = want.map((r) => r[i + 1]).filter((x): x is number => x !== null);
          assert.equal(agg.columns[i]!.count, vs.length);
          assert.equal(agg.columns[i]!.sum, vs.length ? vs.reduce((a, b) => a + b, 0) : null);
        });
      };
      try {
        for (const op of ops) {
          switch (op.k) {
            case 'write': {
              const n = op.ts.length;
              const block = {
                numRows: n,
                columns: [
                  { type: DataType.TIMESTAMP, data: Float64Array.from(op.ts), nulls: null },
                  ...cols.map((_, ci) => ({
                    type: DataType.INT,
                    data: Int32Array.from(op.ts, (t, r) => (t * 31 + op.seed + ci * 7 + r) % 1000),
                    nulls: null,
                  })),
                ],
              };
              await store.write({ rows: [{ table: 't', block }] });
              op.ts.forEach((t, r) => {
                model.set(t, new Map(cols.map((c, ci) => [c, (t * 31 + op.seed + ci * 7 + r) % 1000])));
              });
              break;
            }
            case 'add': {
              const name = `c${nextCol++}`;
              await store.addColumn('t', { name, type: DataType.INT, bytes: 4 });
              cols.push(name);
              break;
            }
            case 'drop':
              if (cols.length > 1) {
                const name = cols[cols.length - 1]!;
                await store.dropColumn('t', name);
                cols = cols.slice(0, -1);
                for (const r of model.values()) r.delete(name);
              }
              break;
            case 'recreate':
              await store.dropTable('t');
              await create();
              model = new Map();
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
              check();
              break;
          }
        }
        check();
        await store.flush();
        await store.compact();
        check();
      } finally {
        await store.close();
      }
    }),
    { numRuns: Number(process.env.MODEL_RUNS ?? 100) },
  );
});
