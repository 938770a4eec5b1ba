// `basalt bench -f config.json`: taosBenchmark's JSON (filetype insert | query) turned into a
// plan. Only what Basalt's bench can honour is accepted; anything else is refused by name so a
// file written for taosBenchmark never silently measures something different.
import { readFileSync } from 'node:fs';
import { BasaltError } from '../common/errors.js';
import { Limits } from '../common/limits.js';
import {
  BENCH_DEFAULTS,
  checkName,
  intFlag,
  parseInterface,
  type InsertPlan,
  type QueryPlan,
  type QuerySet,
} from './bench-options.js';

type Json = Record<string, unknown>;

function obj(v: unknown, where: string): Json {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw bad(`${where} must be a JSON object`);
  return v as Json;
}

function bad(msg: string): BasaltError {
  return new BasaltError('INVALID_PARA', `bench config: ${msg}`);
}

function str(j: Json, key: string, dflt: string): string {
  const v = j[key];
  if (v === undefined) return dflt;
  if (typeof v !== 'string' && typeof v !== 'number') throw bad(`"${key}" must be a string`);
  return String(v);
}

function num(j: Json, key: string, dflt: number, min: number, max: number): number {
  const v = j[key];
  return v === undefined ? dflt : intFlag(String(v), `"${key}"`, dflt, min, max);
}

const yes = (v: string): boolean => /^(yes|true|1)$/i.test(v);

export type BenchConfig = { kind: 'insert'; plan: InsertPlan } | { kind: 'query'; plan: QueryPlan };

export function loadBenchConfig(file: string, overrides: { yes: boolean; outputFile?: string }): BenchConfig {
  let j: Json;
  try {
    j = obj(JSON.parse(readFileSync(file, 'utf8')), 'the file');
  } catch (e) {
    if (e instanceof BasaltError) throw e;
    throw bad(`${file} cannot be read as JSON (${(e as Error).message}); check the path and the syntax`);
  }
  const port = num(j, 'port', BENCH_DEFAULTS.port, 1, 65535);
  const endpoint = {
    host: str(j, 'host', BENCH_DEFAULTS.host),
    port,
    httpPort: num(j, 'rest_port', port + 11, 1, 65535),
    user: str(j, 'user', BENCH_DEFAULTS.user),
    password: str(j, 'password', BENCH_DEFAULTS.password),
  };
  const outputFile = overrides.outputFile ?? str(j, 'result_file', BENCH_DEFAULTS.outputFile);
  const filetype = str(j, 'filetype', 'insert');
  if (filetype === 'insert') return { kind: 'insert', plan: insertPlan(j, endpoint, outputFile, overrides.yes) };
  if (filetype === 'query') return { kind: 'query', plan: queryPlan(j, endpoint, outputFile) };
  throw bad(`"filetype" '${filetype}' is not supported; use "insert" or "query"`);
}

const DEFAULT_COLUMNS = ['current:float', 'voltage:int', 'phase:float'];
const DEFAULT_TAGS = ['groupid:int', 'location:varchar', 'location:binary'];

/** Custom columns/tags would need a general generator; only the default meters schema is accepted. */
function checkSchema(list: unknown, allowed: readonly string[], what: string): void {
  if (list === undefined) return;
  if (!Array.isArray(list)) throw bad(`"${what}" must be an array`);
  for (const c of list) {
    const o = obj(c, `an entry of "${what}"`);
    const key = `${String(o['name'] ?? '').toLowerCase()}:${String(o['type'] ?? '')
      .toLowerCase()
      .replace(/\(.*$/, '')}`;
    if (!allowed.includes(key) || (o['count'] !== undefined && Number(o['count']) !== 1)) {
      throw bad(
        `"${what}" entry ${JSON.stringify(c)} is not part of the default meters schema; basalt bench generates only meters (ts, current float, voltage int, phase float) tags (groupid int, location varchar(24)); remove "${what}"`,
      );
    }
  }
}

function insertPlan(
  j: Json,
  ep: Pick<InsertPlan, 'host' | 'port' | 'httpPort' | 'user' | 'password'>,
  outputFile: string,
  yesFlag: boolean,
): InsertPlan {
  const dbs = j['databases'];
  if (!Array.isArray(dbs) || dbs.length !== 1) throw bad('"databases" must be an array with exactly one database');
  const db = obj(dbs[0], 'databases[0]');
  const info = obj(db['dbinfo'] ?? {}, 'databases[0].dbinfo');
  const precision = str(info, 'precision', 'ms');
  if (precision !== 'ms') throw bad(`dbinfo.precision '${precision}' is not supported yet; use "ms"`);
  const sts = db['super_tables'];
  if (!Array.isArray(sts) || sts.length !== 1)
    throw bad('"super_tables" must be an array with exactly one super table');
  const st = obj(sts[0], 'super_tables[0]');
  checkSchema(st['columns'], DEFAULT_COLUMNS, 'columns');
  checkSchema(st['tags'], DEFAULT_TAGS, 'tags');
  if (yes(str(st, 'child_table_exists', 'no')))
    throw bad('"child_table_exists": "yes" is not supported; let basalt bench create the child tables');
  const confirm = str(j, 'confirm_parameter_prompt', 'no');
  const tables = num(st, 'childtable_count', BENCH_DEFAULTS.tables, 1, Limits.benchMaxTables);
  const rowsPerTable = num(st, 'insert_rows', BENCH_DEFAULTS.rowsPerTable, 1, Limits.benchMaxRowsPerTable);
  const stepMs = num(st, 'timestamp_step', 1, 1, 86_400_000);
  const startTsMs = startTimestamp(str(st, 'start_timestamp', ''), rowsPerTable * stepMs);
  return {
    ...ep,
    db: checkName(str(info, 'name', BENCH_DEFAULTS.db), 'dbinfo.name'),
    drop: yes(str(info, 'drop', 'yes')),
    replica: num(info, 'replica', 1, 1, 3),
    vgroups: info['vgroups'] === undefined ? null : num(info, 'vgroups', 2, 1, 1024),
    stable: checkName(str(st, 'name', BENCH_DEFAULTS.stable), 'super_tables[0].name'),
    tablePrefix: checkName(str(st, 'childtable_prefix', BENCH_DEFAULTS.tablePrefix), 'childtable_prefix'),
    tables,
    rowsPerTable,
    rowsPerRequest: num(
      st,
      'num_of_records_per_req',
      num(j, 'num_of_records_per_req', BENCH_DEFAULTS.rowsPerRequest, 1, Limits.benchMaxRowsPerRequest),
      1,
      Limits.benchMaxRowsPerRequest,
    ),
    workers: num(j, 'thread_count', BENCH_DEFAULTS.workers, 1, Limits.benchMaxWorkers),
    iface: parseInterface(str(st, 'insert_mode', 'native')),
    startTsMs,
    stepMs,
    aggregateQueries: false,
    outputFile,
    yes: yesFlag || !yes(confirm),
  };
}

/** taosBenchmark's default start is 2017-07-14 10:40:00 UTC; "now" ends the rows at now, not in the future. */
function startTimestamp(text: string, spanMs: number): number {
  if (text === '') return BENCH_DEFAULTS.startTsMs;
  if (text === 'now') return Date.now() - spanMs;
  const ms = /^\d+$/.test(text)
    ? Number(text)
    : Date.parse(text.replace(' ', 'T') + (/[zZ]$|[+-]\d\d:?\d\d$/.test(text) ? '' : 'Z'));
  if (!Number.isFinite(ms))
    throw bad(`"start_timestamp" '${text}' is not a date; write it like "2017-07-14 10:40:00.000"`);
  return ms;
}

function querySet(v: unknown, where: string): QuerySet | null {
  if (v === undefined) return null;
  const o = obj(v, where);
  const sqls = o['sqls'];
  if (!Array.isArray(sqls) || sqls.length === 0) throw bad(`${where}.sqls must be a non-empty array of {"sql": "..."}`);
  return {
    threads: num(o, 'threads', 1, 1, Limits.benchMaxWorkers),
    intervalMs: num(o, 'query_interval', 0, 0, 3_600_000),
    sqls: sqls.map((s, i) => {
      const q = typeof s === 'string' ? s : str(obj(s, `${where}.sqls[${i}]`), 'sql', '');
      if (q.trim() === '') throw bad(`${where}.sqls[${i}] has no "sql"`);
      return q;
    }),
  };
}

function queryPlan(
  j: Json,
  ep: Pick<QueryPlan, 'host' | 'port' | 'httpPort' | 'user' | 'password'>,
  outputFile: string,
): QueryPlan {
  const mode = str(j, 'query_mode', 'native');
  const iface = mode === 'rest' ? 'rest' : mode === 'native' || mode === 'taosc' ? 'native' : null;
  if (iface === null) throw bad(`"query_mode" '${mode}' is not supported; use "taosc" (native) or "rest"`);
  const specified = querySet(j['specified_table_query'], 'specified_table_query');
  const stq = querySet(j['super_table_query'], 'super_table_query');
  const superTable = stq
    ? {
        ...stq,
        stable: checkName(
          str(obj(j['super_table_query'], 'super_table_query'), 'stblname', BENCH_DEFAULTS.stable),
          'stblname',
        ),
      }
    : null;
  if (!specified && !superTable)
    throw bad('a query file needs "specified_table_query" or "super_table_query" with "sqls"');
  return {
    ...ep,
    db: checkName(str(j, 'databases', BENCH_DEFAULTS.db), '"databases"'),
    iface,
    queryTimes: num(j, 'query_times', 1, 1, Limits.benchMaxQueryTimes),
    specified,
    superTable,
    outputFile,
  };
}
