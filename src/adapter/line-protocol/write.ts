// One line-protocol request end to end: parse all of it, plan every measurement against the
// cached super tables, build every block, and only then run the DDL (if a field, tag or super
// table is new or a string outgrew its column) and the one bulk insert. A bad line, a type
// conflict or an out-of-range value therefore leaves the database as it was.
import { BasaltError, isBasaltError, toBasaltError } from '../../common/errors.js';
import { Limits } from '../../common/limits.js';
import type { BulkTable } from '../../client/index.js';
import { buildTables } from './build-tables.js';
import type { LinePrecision } from './parse.js';
import { parseLineProtocolAsync } from './parse-pool.js';
import { msToTicks, ticksToRfc3339 } from '../../common/time.js';
import type { ColumnSchema } from '../../common/types.js';
import type { MeasurementData } from './batch.js';
import {
  dbSchema,
  dropDbSchema,
  stableSchema,
  type DbSchema,
  type LineProtocolTarget,
  type StableSchema,
} from './schema-cache.js';
import { planMeasurement, type MeasurementPlan } from './schemaless.js';

export interface WriteSummary {
  /** Data points (lines) written. */
  readonly points: number;
  /** Child tables written to. */
  readonly tables: number;
}

/** Marks a failure that may come from a stale schema cache, worth one retry with fresh metadata. */
class StaleCacheSuspect extends Error {
  constructor(readonly original: unknown) {
    super('write failed against cached schema');
  }
}

/** Writes a line-protocol body into database `db`. Throws BasaltError naming the line on bad input. */
export async function writeLineProtocol(
  target: LineProtocolTarget,
  db: string,
  body: Uint8Array,
  precision: LinePrecision,
  nowMs: number,
): Promise<WriteSummary> {
  for (let attempt = 0; ; attempt++) {
    const { schema } = await dbSchema(target, db);
    try {
      // A failed insert is retried once with freshly loaded metadata: the cache may be stale
      // (database or super table dropped, a column added by a concurrent request).
      return await writeOnce(target, schema, body, precision, nowMs, attempt > 0);
    } catch (e) {
      if (e instanceof StaleCacheSuspect) {
        dropDbSchema(target, db);
        if (attempt === 0) continue;
        throw e.original;
      }
      throw e;
    }
  }
}

async function writeOnce(
  target: LineProtocolTarget,
  schema: DbSchema,
  body: Uint8Array,
  precision: LinePrecision,
  nowMs: number,
  retried: boolean,
): Promise<WriteSummary> {
  // Large bodies are parsed on a worker thread (parse-pool.ts), small ones inline.
  const parsed = await parseLineProtocolAsync({
    db: schema.name,
    body,
    precision,
    tsPrecision: schema.precision,
    nowMs,
    seriesCache: schema.seriesCache,
  });
  if (parsed.points === 0) return { points: 0, tables: 0 };
  checkKeep(schema, parsed.measurements, nowMs);
  const plan = async (reload: boolean): Promise<MeasurementPlan[]> => {
    const plans: MeasurementPlan[] = [];
    for (const m of parsed.measurements)
      plans.push(planMeasurement(schema.name, m, await stableSchema(target, schema, m.name, reload)));
    return plans;
  };
  const build = (plans: readonly MeasurementPlan[]): BulkTable[] => {
    // Owners as known before this request, plus what earlier measurements of it claim.
    const owners = new Map<string, string>();
    const ownerOf = (t: string): string | undefined => owners.get(t) ?? schema.tableOwners.get(t);
    const out: BulkTable[] = [];
    for (const p of plans) {
      const tables = buildTables(p, schema.derivedNames, ownerOf);
      for (const t of tables) owners.set(t.table, p.schema.name);
      out.push(...tables);
    }
    return out;
  };
  const insert = async (tables: BulkTable[]): Promise<WriteSummary> => {
    try {
      await target.insertColumnar(schema.name, tables);
      for (const t of tables) schema.rememberOwner(t.table, t.using!.stable);
    } catch (e) {
      if (!retried && !userError(e)) throw new StaleCacheSuspect(e);
      throw e;
    }
    return { points: parsed.points, tables: tables.length };
  };

  const plans = await plan(false);
  if (plans.every((p) => p.ddl.length === 0)) return insert(build(plans));

  // Schema changes: one at a time per database in this process; re-plan under the lock
  // against freshly described super tables, since another request may have just changed them.
  // The bulk insert is positional (columns in schema order), so after DDL the super table is
  // described again and must be exactly what the blocks were built for: `create stable if not
  // exists` is a no-op when another writer created it first with other columns.
  return serialized(schema, async () => {
    for (let round = 1; ; round++) {
      const plans = await plan(true);
      const tables = build(plans);
      let drifted = false;
      for (const p of plans) {
        if (p.ddl.length === 0) continue;
        for (const change of p.ddl) {
          try {
            await target.execute(change.sql, schema.name);
          } catch (e) {
            schema.stables.delete(p.schema.name); // described afresh next time
            const err = toBasaltError(e);
            throw new BasaltError(err.errorName, `${change.why}, which failed: ${err.message}`, err.data);
          }
        }
        const actual = await stableSchema(target, schema, p.schema.name, true);
        if (actual === null || !sameSchema(actual, p.schema)) drifted = true;
      }
      if (!drifted) return insert(tables);
      if (round === Limits.lineProtocolMaxSchemaRounds) {
        throw new BasaltError(
          'TRANS_CONFLICT',
          `the super tables of '${schema.name}' kept changing while this request was adding columns (${Limits.lineProtocolMaxSchemaRounds} attempts); retry the request`,
        );
      }
    }
  });
}

function sameSchema(a: StableSchema, b: StableSchema): boolean {
  const same = (x: readonly ColumnSchema[], y: readonly ColumnSchema[]): boolean =>
    x.length === y.length &&
    x.every((c, i) => c.name === y[i]!.name && c.type === y[i]!.type && c.bytes === y[i]!.bytes);
  return same(a.columns, b.columns) && same(a.tags, b.tags);
}

/** Errors that are about the data, not about what we believed of the schema. */
function userError(e: unknown): boolean {
  if (!isBasaltError(e)) return false;
  return (
    e.errorName === 'INVALID_TIMESTAMP' ||
    e.errorName === 'VALUE_TOO_LONG' ||
    e.errorName === 'MEMTABLE_FULL' ||
    e.errorName === 'QUEUE_FULL' ||
    e.httpStatus >= 500
  );
}

/** Refuses rows older than the database's keep, naming the first such line. */
function checkKeep(schema: DbSchema, measurements: readonly MeasurementData[], nowMs: number): void {
  if (!Number.isFinite(schema.keepMs)) return;
  const oldest = msToTicks(nowMs - schema.keepMs, schema.precision);
  for (const m of measurements) {
    const ts = m.ts;
    for (let r = 0; r < m.rows; r++) {
      if (ts[r]! < oldest) {
        throw new BasaltError(
          'INVALID_TIMESTAMP',
          `line ${m.lineOfRow[r]}: timestamp ${ticksToRfc3339(ts[r]!, schema.precision)} is older than the keep of database '${schema.name}' (${schema.keepText}); ` +
            `check the precision parameter of the request, or raise keep with 'alter database ${schema.name} keep ...'`,
        );
      }
    }
  }
}

function serialized<T>(schema: DbSchema, fn: () => Promise<T>): Promise<T> {
  const run = schema.ddlChain.then(fn, fn);
  schema.ddlChain = run.catch(() => undefined);
  return run;
}

/** `precision=` of an InfluxDB write: ns (default), us, ms, s; InfluxDB 1.x's n and u too. */
export function parsePrecision(p: string | null | undefined): LinePrecision {
  switch (p ?? '') {
    case '':
    case 'ns':
    case 'n':
      return 'ns';
    case 'us':
    case 'u':
      return 'us';
    case 'ms':
      return 'ms';
    case 's':
      return 's';
    default:
      throw new BasaltError(
        'SML_INVALID_PRECISION',
        `precision '${p}' is not supported; use precision=ns (default), us, ms or s`,
      );
  }
}
