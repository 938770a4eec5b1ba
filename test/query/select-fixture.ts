// Test setup for the select path: an engine over a temp dir (the real storage engine, or
// the in-memory store double with BASALT_SELECT_MEMORY_STORE=1), and a helper that runs a
// statement and returns its rows as JS values.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { valueAt } from '../../src/common/block.js';
import { isStringType } from '../../src/common/types.js';
import type { ColumnAggregate, RangeAggregate, TimeRange } from '../../src/storage/api.js';
import type { Engine, ResultColumn, Session } from '../../src/engine/engine-api.js';
import { createEngineWith } from '../../src/engine/engine.js';
import { MemoryStore } from './memory-store.js';

export const FIXED_NOW_MS = 1_700_000_000_000;

export type Cell = number | bigint | string | boolean | null;

export interface SelectFixture {
  readonly engine: Engine;
  readonly session: Session;
  rows(sql: string): Promise<Cell[][]>;
  query(sql: string): Promise<{ columns: readonly ResultColumn[]; rows: Cell[][] }>;
  exec(sql: string): Promise<void>;
  close(): Promise<void>;
}

export async function openSelectFixture(
  realStore = process.env['BASALT_SELECT_MEMORY_STORE'] !== '1',
): Promise<SelectFixture> {
  const dir = mkdtempSync(join(tmpdir(), 'basalt-select-'));
  const stores = new Map<string, MemoryStore>();
  const engine = await createEngineWith(
    {
      dataDir: dir,
      serverVersion: '0.1.0',
      nowMs: () => FIXED_NOW_MS,
      dnode: { dnodeId: 1, endpoint: 'localhost:6030', supportVnodes: 64, startedAtMs: FIXED_NOW_MS, variables: [] },
    },
    realStore
      ? {}
      : {
          openStore: (d, o) => {
            const s = stores.get(d) ?? new StatsMemoryStore(o);
            stores.set(d, s);
            return s;
          },
        },
  );
  const session: Session = { user: 'root', db: null };
  const query = async (sql: string): Promise<{ columns: readonly ResultColumn[]; rows: Cell[][] }> => {
    const r = await engine.execute(sql, session);
    if (r.useDb !== undefined) session.db = r.useDb;
    const rows: Cell[][] = [];
    for await (const b of r.blocks) {
      for (let i = 0; i < b.numRows; i++) rows.push(b.columns.map((c) => valueAt(c, i)));
    }
    return { columns: r.columns, rows };
  };
  return {
    engine,
    session,
    query,
    rows: async (sql) => (await query(sql)).rows,
    exec: async (sql) => {
      for await (const r of engine.executeMany(sql, session)) if (r.useDb !== undefined) session.db = r.useDb;
    },
    close: async () => {
      await engine.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The store double with a real aggregate(): per-column summaries computed from the rows. */
export class StatsMemoryStore extends MemoryStore {
  override aggregate(table: string, range: TimeRange, idx: readonly number[]): RangeAggregate {
    const cols: ColumnAggregate[] = idx.map(() => ({
      count: 0,
      min: null,
      max: null,
      sum: null,
      firstTs: null,
      first: null,
      lastTs: null,
      last: null,
    }));
    let rows = 0;
    for (const b of this.scan(table, range, [0, ...idx])) {
      const ts = b.columns[0]!.data as Float64Array;
      rows += b.numRows;
      idx.forEach((_ci, k) => {
        const v = b.columns[k + 1]!,
          a = cols[k]!;
        for (let r = 0; r < b.numRows; r++) {
          const x = valueAt(v, r);
          if (x === null) continue;
          a.count++;
          if (a.firstTs === null) {
            a.firstTs = ts[r]!;
            a.first = x;
          }
          a.lastTs = ts[r]!;
          a.last = x;
          if (typeof x === 'boolean') continue;
          if (a.min === null || x < a.min) a.min = x;
          if (a.max === null || x > a.max) a.max = x;
          if (!isStringType(v.type)) {
            a.sum = typeof x === 'bigint' ? BigInt(a.sum ?? 0n) + x : Number(a.sum ?? 0) + Number(x);
          }
        }
      });
    }
    return { rows, columns: cols };
  }
}
