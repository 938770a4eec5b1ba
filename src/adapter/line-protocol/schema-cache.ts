// What the schemaless writer knows about each database: its precision and the schema of the
// super tables line protocol has touched. Loaded with SQL (`show databases`, `show stables`,
// `describe`) once, then kept up to date by the writer's own DDL, so a steady stream of
// requests costs no DDL or metadata round trip. A write that fails against a stale cache
// (the database or a table was dropped or altered behind our back) drops the cache and is
// retried once with fresh metadata.
import { valueAt, type ColumnBlock } from '../../common/block.js';
import { BasaltError, isBasaltError } from '../../common/errors.js';
import { Limits } from '../../common/limits.js';
import { parseDurationMs } from '../../common/time.js';
import { DataType, TYPE_BYTES, TYPE_NAMES, type ColumnSchema, type Precision } from '../../common/types.js';
import type { BulkTable } from '../../client/index.js';
import { SeriesCache } from './series-cache.js';

/**
 * The two calls the writer needs, run as the user the target was opened for: a client
 * connection (lineProtocolTarget: the connection's authenticated user), or in tests and
 * benchmarks a statement engine with a session of their choosing.
 */
export interface LineProtocolTarget {
  /** Runs one statement with `db` as its default database (for this statement only). */
  execute(
    sql: string,
    db: string | null,
  ): Promise<{
    readonly columns: ReadonlyArray<{ readonly name: string }>;
    readonly blocks: AsyncIterable<ColumnBlock>;
  }>;
  insertColumnar(db: string, tables: readonly BulkTable[]): Promise<number>;
}

export interface StableSchema {
  readonly name: string;
  /** columns[0] is the TIMESTAMP primary key. */
  readonly columns: readonly ColumnSchema[];
  readonly tags: readonly ColumnSchema[];
}

export class DbSchema {
  /** Super table name → schema, or null when known not to exist. */
  readonly stables = new Map<string, StableSchema | null>();
  /** Serializes this process's DDL on the database (new columns, tags, super tables). */
  ddlChain: Promise<unknown> = Promise.resolve();
  /** Child table names derived from series keys (`t_<md5>`), bounded. */
  readonly derivedNames = new Map<string, string>();
  /** Series keys decoded by earlier requests, bounded. */
  readonly seriesCache = new SeriesCache();
  /** Child table → super table, for the tables this process has written (bounded). */
  readonly tableOwners = new Map<string, string>();

  rememberOwner(table: string, stable: string): void {
    if (this.tableOwners.get(table) === stable) return;
    if (this.tableOwners.size >= Limits.lineProtocolMaxRememberedOwners) this.tableOwners.clear();
    this.tableOwners.set(table, stable);
  }

  /** Names of super tables that exist (their schemas are loaded on first use). */
  readonly known: Set<string>;

  constructor(
    readonly name: string,
    readonly precision: Precision,
    /** Rows older than now − keepMs are refused (the engine would too, without the line number). */
    readonly keepMs: number,
    /** The keep as `show databases` prints it, for messages. */
    readonly keepText: string,
    stableNames: readonly string[],
  ) {
    this.known = new Set(stableNames);
  }
}

/** Backtick-quoted identifier; names with a backtick cannot be written in Basalt SQL. */
export function quoteName(name: string): string {
  return '`' + name + '`';
}

const TYPE_BY_NAME = new Map<string, DataType>(
  (Object.entries(TYPE_NAMES) as Array<[string, string]>).map(([id, n]) => [n, Number(id) as DataType]),
);

async function rows(
  target: LineProtocolTarget,
  sql: string,
  db: string | null,
): Promise<{ names: string[]; rows: unknown[][] }> {
  const r = await target.execute(sql, db);
  const out: unknown[][] = [];
  for await (const b of r.blocks) {
    for (let i = 0; i < b.numRows; i++) out.push(b.columns.map((c) => valueAt(c, i)));
  }
  return { names: r.columns.map((c) => c.name), rows: out };
}

// Promises, so that concurrent first requests share one DbSchema (and its DDL lock).
const caches = new WeakMap<LineProtocolTarget, Map<string, Promise<DbSchema>>>();

function cacheOf(target: LineProtocolTarget): Map<string, Promise<DbSchema>> {
  let m = caches.get(target);
  if (!m) {
    m = new Map();
    caches.set(target, m);
  }
  return m;
}

/** Forgets what is cached about `db` (after a failed write, or a drop). */
export function dropDbSchema(target: LineProtocolTarget, db: string): void {
  cacheOf(target).delete(db);
}

/** The cached schema of `db`, loading precision and super table names on first use. */
export async function dbSchema(target: LineProtocolTarget, db: string): Promise<{ schema: DbSchema; fresh: boolean }> {
  const cache = cacheOf(target);
  const hit = cache.get(db);
  if (hit) return { schema: await hit, fresh: false };
  const loading = loadDbSchema(target, db);
  cache.set(db, loading);
  try {
    return { schema: await loading, fresh: true };
  } catch (e) {
    if (cache.get(db) === loading) cache.delete(db);
    throw e;
  }
}

async function loadDbSchema(target: LineProtocolTarget, db: string): Promise<DbSchema> {
  const dbs = await rows(target, 'show databases', db).catch((e: unknown) => {
    // `show databases` with a session on a missing db may itself complain; retry without it.
    if (isBasaltError(e) && e.errorName === 'DB_NOT_EXIST') return rows(target, 'show databases', null);
    throw e;
  });
  const nameIdx = dbs.names.indexOf('name');
  const precIdx = dbs.names.indexOf('precision');
  // Database names are case-insensitive in SQL (unquoted names are lower-cased), so db=Power
  // finds `power`.
  const row = dbs.rows.find((r) => r[nameIdx] === db) ?? dbs.rows.find((r) => r[nameIdx] === db.toLowerCase());
  if (!row) {
    throw new BasaltError(
      'DB_NOT_EXIST',
      `database '${db}' does not exist; create it first: create database ${db} precision 'ms' (or 'us'/'ns')`,
    );
  }
  const precision = String(row[precIdx]) as Precision;
  // keep is `keep0,keep1,keep2`; data older than the last one is refused.
  const keepText =
    String(row[dbs.names.indexOf('keep')] ?? '')
      .split(',')
      .pop() ?? '';
  let keepMs = Infinity;
  try {
    if (keepText !== '') keepMs = parseDurationMs(keepText);
  } catch {
    keepMs = Infinity; // an unknown format: leave the check to the engine
  }
  const st = await rows(target, `show ${quoteName(String(row[nameIdx]))}.stables`, db);
  const names = st.rows.map((r) => String(r[0]));
  return new DbSchema(String(row[nameIdx]), precision, keepMs, keepText, names);
}

/** Schema of super table `name` (cached), or null when it does not exist. */
export async function stableSchema(
  target: LineProtocolTarget,
  db: DbSchema,
  name: string,
  reload = false,
): Promise<StableSchema | null> {
  if (!reload) {
    const hit = db.stables.get(name);
    if (hit !== undefined) return hit;
    if (!db.known.has(name)) {
      db.stables.set(name, null);
      return null;
    }
  }
  let r: { names: string[]; rows: unknown[][] };
  try {
    r = await rows(target, `describe ${quoteName(db.name)}.${quoteName(name)}`, db.name);
  } catch (e) {
    if (isBasaltError(e) && (e.errorName === 'STB_NOT_EXIST' || e.errorName === 'TABLE_NOT_EXIST')) {
      db.stables.set(name, null);
      db.known.delete(name);
      return null;
    }
    throw e;
  }
  const columns: ColumnSchema[] = [];
  const tags: ColumnSchema[] = [];
  for (const row of r.rows) {
    const type = TYPE_BY_NAME.get(String(row[1]));
    if (type === undefined)
      throw new BasaltError('INTERNAL', `describe ${db.name}.${name}: unknown type '${String(row[1])}'`);
    const c: ColumnSchema = { name: String(row[0]), type, bytes: Number(row[2] ?? TYPE_BYTES[type]) };
    (row[3] === 'TAG' ? tags : columns).push(c);
  }
  if (tags.length === 0) {
    // A normal table of that name: not something line protocol can write as a super table.
    throw new BasaltError(
      'SML_INVALID_DATA',
      `'${db.name}.${name}' is a normal table, not a super table; line protocol writes measurements as super tables — rename the measurement or drop the table`,
    );
  }
  const s: StableSchema = { name, columns, tags };
  db.stables.set(name, s);
  db.known.add(name);
  return s;
}
