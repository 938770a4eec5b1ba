// Writes issued while flushes, compactions and a snapshot run (nothing awaited in between):
// the final contents equal the writes applied in call order.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DataType } from '../../src/common/types.js';
import { openVnodeStore } from '../../src/storage/index.js';
import { options, rowsOf, tempDir } from './helpers.js';

test('writes racing flushes, compactions and a snapshot are all kept, newest wins', async () => {
  const dir = tempDir('race');
  const s = await openVnodeStore(dir, options({ maxRows: 50, minRows: 20, durationMs: 5000 }));
  await s.createNormalTable({
    name: 't',
    columns: [
      { name: 'ts', type: DataType.TIMESTAMP, bytes: 8 },
      { name: 'v', type: DataType.INT, bytes: 4 },
    ],
  });
  const model = new Map<number, number>();
  const pending: Promise<unknown>[] = [];
  let x = 99;
  const rnd = (n: number): number => {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    return x % n;
  };
  for (let i = 0; i < 400; i++) {
    const n = 1 + rnd(40);
    const ts = Float64Array.from({ length: n }, () => rnd(20_000));
    const v = Int32Array.from({ length: n }, (_, k) => i * 100 + k);
    pending.push(
      s.write({
        rows: [
          {
            table: 't',
            block: {
              numRows: n,
              columns: [
                { type: DataType.TIMESTAMP, data: ts, nulls: null },
                { type: DataType.INT, data: v, nulls: null },
              ],
            },
          },
        ],
      }),
    );
    ts.forEach((t, k) => {
      model.set(t, v[k]!);
    });
    if (i % 37 === 0) pending.push(s.flush());
    if (i % 91 === 0) pending.push(s.compact());
    if (i === 200)
      pending.push(
        (async () => {
          for await (const c of s.snapshot(4096)) void c;
        })(),
      );
    if (i % 13 === 0) await new Promise<void>((r) => setImmediate(r));
  }
  await Promise.all(pending);
  const want = [...model.entries()].sort((a, b) => a[0] - b[0]);
  const check = (): void => assert.deepEqual(rowsOf(s.scan('t', { from: -Infinity, to: Infinity }, [0, 1])), want);
  check();
  assert.equal(s.aggregate('t', { from: -Infinity, to: Infinity }, []).rows, want.length);
  await s.flush();
  await s.compact();
  check();
  await s.close();
});
