// `basalt bench` plans: the command-line flags and the `-f config.json` file both become one
// of these, so the runners never look at where a setting came from.
import { BasaltError } from '../common/errors.js';

export type InsertInterface = 'native' | 'rest' | 'line';

export interface Endpoint {
  readonly host: string;
  /** RPC port (taosBenchmark's -P); REST and line protocol use httpPort. */
  readonly port: number;
  readonly httpPort: number;
  readonly user: string;
  readonly password: string;
}

export interface InsertPlan extends Endpoint {
  readonly db: string;
  /** Native writers send each table's rows to its vgroup's leader (default true; see ConnectOptions.routeWrites). */
  readonly routeWrites?: boolean;
  /** Drop and recreate the database first (asks unless `yes`). */
  readonly drop: boolean;
  readonly replica: number;
  readonly vgroups: number | null;
  readonly stable: string;
  readonly tablePrefix: string;
  readonly tables: number;
  readonly rowsPerTable: number;
  readonly rowsPerRequest: number;
  readonly workers: number;
  readonly iface: InsertInterface;
  /** Printed after the interface when taosBenchmark's name for it was given (-I stmt → native). */
  readonly ifaceNote?: string;
  /** First timestamp in ms and the step between rows of a table (taosBenchmark: 1500000000000, 1). */
  readonly startTsMs: number;
  readonly stepMs: number;
  readonly aggregateQueries: boolean;
  readonly outputFile: string;
  readonly yes: boolean;
}

export interface QuerySet {
  readonly threads: number;
  readonly intervalMs: number;
  readonly sqls: readonly string[];
}

export interface QueryPlan extends Endpoint {
  readonly db: string;
  readonly iface: 'native' | 'rest';
  readonly queryTimes: number;
  readonly specified: QuerySet | null;
  /** `xxxx` in each SQL is replaced by every child table of `stable`, the tables split over threads. */
  readonly superTable: (QuerySet & { readonly stable: string }) | null;
  readonly outputFile: string;
}

/** taosBenchmark's defaults. */
export const BENCH_DEFAULTS = {
  host: 'localhost',
  port: 6030,
  user: 'root',
  password: 'taosdata',
  db: 'test',
  replica: 1,
  tables: 10_000,
  rowsPerTable: 10_000,
  rowsPerRequest: 30_000,
  workers: 8,
  iface: 'native' as InsertInterface,
  startTsMs: 1_500_000_000_000,
  stepMs: 1,
  outputFile: './output.txt',
  stable: 'meters',
  tablePrefix: 'd',
};

/** Parses a positive integer flag value within [min, max], naming the flag when it is not. */
export function intFlag(
  text: string | number | undefined,
  flag: string,
  dflt: number,
  min: number,
  max: number,
): number {
  if (text === undefined) return dflt;
  const s = String(text).trim();
  const n = /^\d+$/.test(s) ? Number(s) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new BasaltError(
      'INVALID_PARA',
      `${flag} '${String(text)}' is not an integer in ${min}..${max}; pass for example ${flag} ${dflt || min}`,
    );
  }
  return n;
}

export function parseInterface(text: string | undefined): InsertInterface {
  if (text === undefined) return BENCH_DEFAULTS.iface;
  const t = text.toLowerCase();
  // taosBenchmark's names map onto ours: taosc/stmt → native, sml/sml-rest → line.
  if (t === 'native' || t === 'taosc' || t === 'stmt') return 'native';
  if (t === 'rest') return 'rest';
  if (t === 'line' || t === 'sml' || t === 'sml-rest' || t === 'influx') return 'line';
  throw new BasaltError('INVALID_PARA', `-I '${text}' is not an interface; use -I native, -I rest or -I line`);
}

/** What runs when -I names one of taosBenchmark's interfaces ('' when it names ours). */
export function interfaceNote(text: string | undefined): string {
  const t = (text ?? '').toLowerCase();
  if (t === 'stmt') return " (taosBenchmark's -I stmt, parameter binding, runs as Basalt's native columnar insert)";
  if (t === 'taosc') return " (taosBenchmark's -I taosc runs as Basalt's native columnar insert)";
  if (t === 'sml' || t === 'sml-rest' || t === 'influx') return ` (-I ${t} runs as InfluxDB line protocol over REST)`;
  return '';
}

/** Database and table names go into SQL text unquoted: keep them to plain identifiers. */
export function checkName(name: string, what: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(name)) {
    throw new BasaltError(
      'INVALID_PARA',
      `${what} '${name}' must be letters, digits and _ (not starting with a digit, at most 64); pick another name`,
    );
  }
  return name;
}
