// Table-driven SQL cases against a real engine in a temp dir. A case is statement(s) and
// what the last one must give: rows, or an error code by name, or affected rows.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { valueAt } from '../../src/common/block.js';
import { Errors, isBasaltError, type ErrorName } from '../../src/common/errors.js';
import type { LocalEngine, Session, StatementResult } from '../../src/engine/engine-api.js';
import { createEngineWith } from '../../src/engine/engine.js';
import type { OpenStore } from '../../src/vnode/vnode-set.js';
import { MemoryStore } from '../query/memory-store.js';

/** Fixed clock for `now`: 2023-11-14T22:13:20Z. */
export const NOW_MS = 1_700_000_000_000;

export type Cell = number | bigint | string | boolean | null;

export interface SqlCase {
  readonly sql: string;
  /** Exact rows of the last statement, in order. */
  readonly rows?: readonly (readonly Cell[])[];
  /** Rows in any order. */
  readonly rowsAnyOrder?: readonly (readonly Cell[])[];
  /** Only these columns of each row (by name), exact order of rows. */
  readonly pick?: readonly string[];
  readonly columns?: readonly string[];
  readonly error?: ErrorName;
  /** Substring the error message must contain (names the table/column). */
  readonly errorText?: string;
  readonly affected?: number;
  /** Number of rows only. */
  readonly count?: number;
}

export interface TestEngine {
  readonly engine: LocalEngine;
  readonly dir: string;
  session: Session;
  reopen(): Promise<void>;
  close(): Promise<void>;
}

/** BASALT_TEST_MEMORY_STORE=1 runs the cases on the in-memory store double instead of storage. */
function defaultStore(): OpenStore | undefined {
  if (process.env['BASALT_TEST_MEMORY_STORE'] !== '1') return undefined;
  // Keyed by directory so a reopened vnode (alter database, restart) finds its data again.
  const stores = new Map<string, MemoryStore>();
  return (dir, o) => {
    const s = stores.get(dir) ?? new MemoryStore(o);
    stores.set(dir, s);
    return s;
  };
}

export async function openTestEngine(opts: { openStore?: OpenStore; dir?: string } = {}): Promise<TestEngine> {
  const openStore = opts.openStore ?? defaultStore();
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'basalt-sql-'));
  const make = (): Promise<LocalEngine> =>
    createEngineWith(
      {
        dataDir: dir,
        serverVersion: '0.1.0',
        nowMs: () => NOW_MS,
        dnode: {
          dnodeId: 1,
          endpoint: 'localhost:6030',
          supportVnodes: 256,
          startedAtMs: NOW_MS - 5000,
          variables: [
            { name: 'serverPort', value: '6030', scope: 'server' },
            { name: 'fqdn', value: 'localhost', scope: 'server' },
          ],
        },
      },
      openStore ? { openStore } : {},
    );
  const te: TestEngine = {
    engine: await make(),
    dir,
    session: { user: 'root', db: null },
    async reopen() {
      await te.engine.close();
      (te as { engine: LocalEngine }).engine = await make();
    },
    async close() {
      await te.engine.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return te;
}

export interface Collected {
  readonly columns: string[];
  readonly rows: Cell[][];
  readonly result: StatementResult;
}

export async function collect(r: StatementResult): Promise<Collected> {
  const rows: Cell[][] = [];
  for await (const b of r.blocks) {
    for (let i = 0; i < b.numRows; i++) rows.push(b.columns.map((c) => valueAt(c, i)));
  }
  return { columns: r.columns.map((c) => c.name), rows, result: r };
}

/** Runs every statement of `sql`; returns the last result (session follows `use`). */
export async function runSql(te: TestEngine, sql: string): Promise<Collected> {
  let last: Collected | null = null;
  for await (const r of te.engine.executeMany(sql, te.session)) {
    if (r.useDb !== undefined) te.session = { ...te.session, db: r.useDb };
    last = await collect(r);
  }
  assert.ok(last, `no statement in: ${sql}`);
  return last;
}

/**
 * Compares values, not representations: a BIGINT result within 2^53 equals the same number
 * (count(*) is BIGINT, sum of INT may be either), floats to 6 decimals.
 */
function norm(v: Cell): Cell {
  if (typeof v === 'bigint' && v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER))
    return Number(v);
  return typeof v === 'number' && !Number.isInteger(v) ? Math.round(v * 1e6) / 1e6 : v;
}

export async function checkCase(te: TestEngine, c: SqlCase): Promise<void> {
  let got: Collected;
  try {
    got = await runSql(te, c.sql);
  } catch (e) {
    if (c.error && isBasaltError(e)) {
      assert.equal(e.errorName, c.error, `${c.sql}\n  expected ${c.error}, got ${e.errorName}: ${e.message}`);
      assert.equal(e.code, Errors[c.error].code);
      if (c.errorText)
        assert.ok(e.message.includes(c.errorText), `${c.sql}\n  message '${e.message}' lacks '${c.errorText}'`);
      return;
    }
    throw e;
  }
  assert.ok(!c.error, `${c.sql}\n  expected error ${c.error ?? ''}, got ${got.rows.length} row(s)`);
  if (c.columns) assert.deepEqual(got.columns, c.columns, c.sql);
  if (c.affected !== undefined) assert.equal(got.result.affectedRows, c.affected, c.sql);
  let rows = got.rows;
  if (c.pick) {
    const idx = c.pick.map((n) => {
      const i = got.columns.indexOf(n);
      assert.ok(i >= 0, `${c.sql}: no column ${n} in ${got.columns.join(',')}`);
      return i;
    });
    rows = rows.map((r) => idx.map((i) => r[i]!));
  }
  rows = rows.map((r) => r.map(norm));
  if (c.rows)
    assert.deepEqual(
      rows,
      c.rows.map((r) => r.map(norm)),
      c.sql,
    );
  if (c.rowsAnyOrder) {
    const key = (r: readonly Cell[]): string => JSON.stringify(r, (_, v) => (typeof v === 'bigint' ? `${v}n` : v));
    assert.deepEqual(rows.map(key).sort(), c.rowsAnyOrder.map((r) => key(r.map(norm))).sort(), c.sql);
  }
  if (c.count !== undefined) assert.equal(rows.length, c.count, c.sql);
}

/** Runs the cases in order on one engine, each as its own subtest so failures name the SQL. */
export async function runCases(
  t: { test: (name: string, fn: () => Promise<void>) => Promise<void> },
  te: TestEngine,
  cases: readonly SqlCase[],
): Promise<void> {
  for (const c of cases) await t.test(c.sql.length > 100 ? c.sql.slice(0, 100) + '…' : c.sql, () => checkCase(te, c));
}
