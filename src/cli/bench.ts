// `basalt bench`: taosBenchmark for Basalt. Flags or `-f config.json` become a plan
// (bench-options.ts, bench-config.ts); insert mode runs bench-insert.ts, query mode
// bench-query.ts. The database is dropped and recreated, so a run asks first unless -y;
// without a terminal to ask on it refuses rather than dropping data unasked.
import { createInterface } from 'node:readline/promises';
import type { Command } from 'commander';
import { BasaltError, toBasaltError } from '../common/errors.js';
import { Limits } from '../common/limits.js';
import { loadBenchConfig, type BenchConfig } from './bench-config.js';
import { runInsert, type BenchOutput } from './bench-insert.js';
import { BENCH_DEFAULTS, checkName, interfaceNote, intFlag, parseInterface, type InsertPlan } from './bench-options.js';
import { runQueries } from './bench-query.js';
import { resolveEndpoint } from './endpoint.js';

export interface BenchFlags {
  host?: string;
  port?: string;
  restPort?: string;
  user?: string;
  password?: string;
  database?: string;
  replica?: string;
  vgroups?: string;
  tables?: string;
  rows?: string;
  recordsPerRequest?: string;
  threads?: string;
  interface?: string;
  aggregate?: boolean;
  file?: string;
  output?: string;
  yes?: boolean;
}

/** The insert plan from command-line flags (taosBenchmark's defaults where absent). */
export function planFromFlags(
  f: BenchFlags,
  env: Readonly<Record<string, string | undefined>> = process.env,
): InsertPlan {
  // Like the shell (cli/endpoint.ts): -h/-P, else firstEp/serverPort of BASALT_*/TAOS_*, else 127.0.0.1:6030.
  const configured = resolveEndpoint({}, env);
  const port = f.port !== undefined ? intFlag(f.port, '-P', BENCH_DEFAULTS.port, 1, 65535) : configured.port;
  return {
    host: f.host ?? configured.host,
    port,
    httpPort: intFlag(f.restPort, '--rest-port', port + 11, 1, 65535),
    user: f.user ?? BENCH_DEFAULTS.user,
    password: f.password ?? BENCH_DEFAULTS.password,
    db: checkName(f.database ?? BENCH_DEFAULTS.db, '-d'),
    drop: true,
    replica: intFlag(f.replica, '-a', BENCH_DEFAULTS.replica, 1, 3),
    vgroups: f.vgroups === undefined ? null : intFlag(f.vgroups, '-v', 2, 1, 1024),
    stable: BENCH_DEFAULTS.stable,
    tablePrefix: BENCH_DEFAULTS.tablePrefix,
    tables: intFlag(f.tables, '-t', BENCH_DEFAULTS.tables, 1, Limits.benchMaxTables),
    rowsPerTable: intFlag(f.rows, '-n', BENCH_DEFAULTS.rowsPerTable, 1, Limits.benchMaxRowsPerTable),
    rowsPerRequest: intFlag(f.recordsPerRequest, '-r', BENCH_DEFAULTS.rowsPerRequest, 1, Limits.benchMaxRowsPerRequest),
    workers: intFlag(f.threads, '-T', BENCH_DEFAULTS.workers, 1, Limits.benchMaxWorkers),
    iface: parseInterface(f.interface),
    ifaceNote: interfaceNote(f.interface),
    startTsMs: BENCH_DEFAULTS.startTsMs,
    stepMs: BENCH_DEFAULTS.stepMs,
    aggregateQueries: f.aggregate === true,
    outputFile: f.output ?? BENCH_DEFAULTS.outputFile,
    yes: f.yes === true,
  };
}

/** Asks before dropping the database; refuses when there is no terminal to ask on. */
async function confirmDrop(plan: InsertPlan): Promise<void> {
  if (!plan.drop || plan.yes) return;
  if (!process.stdin.isTTY) {
    throw new BasaltError(
      'INVALID_PARA',
      `basalt bench drops and recreates database '${plan.db}' and stdin is not a terminal to confirm on; pass -y to go ahead`,
    );
  }
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  try {
    // Ctrl-C or end of input at the prompt must end the run with nothing dropped, not hang.
    await new Promise<void>((resolve, reject) => {
      let settled = false;
      const cancel = (): void => {
        if (settled) return;
        settled = true;
        reject(new BasaltError('INVALID_PARA', `cancelled at the prompt; database '${plan.db}' was not touched`));
      };
      rl.once('SIGINT', cancel);
      rl.once('close', cancel);
      rl.question(
        `database '${plan.db}' on ${plan.host}:${plan.port} will be dropped and recreated, then ${plan.tables * plan.rowsPerTable} rows inserted.\nPress enter key to continue or Ctrl-C to stop`,
      ).then(() => {
        if (!settled) {
          settled = true;
          resolve();
        }
      }, cancel);
    });
  } finally {
    rl.close();
  }
}

export async function runBench(flags: BenchFlags, out: BenchOutput): Promise<void> {
  const cfg: BenchConfig =
    flags.file !== undefined
      ? loadBenchConfig(flags.file, {
          yes: flags.yes === true,
          ...(flags.output !== undefined ? { outputFile: flags.output } : {}),
        })
      : { kind: 'insert', plan: planFromFlags(flags) };
  if (cfg.kind === 'query') {
    await runQueries(cfg.plan, out);
    return;
  }
  await confirmDrop(cfg.plan);
  await runInsert(cfg.plan, out);
}

export function registerBench(program: Command): void {
  program
    .command('bench')
    .description(
      'taosBenchmark for Basalt: insert the meters data set (or run a -f query file) and print the SUCC lines',
    )
    .helpOption('--help', 'display help for bench')
    .option('-h, --host <host>', 'dnode host (default: firstEp of BASALT_*/TAOS_* config, else 127.0.0.1)')
    .option('-P, --port <port>', 'dnode serverPort (RPC); REST and line protocol use port + 11 unless --rest-port')
    .option('--rest-port <port>', 'REST port for -I rest and -I line')
    .option('-u, --user <user>', 'user name', BENCH_DEFAULTS.user)
    .option('-p, --password <password>', 'password', BENCH_DEFAULTS.password)
    .option('-d, --database <db>', 'database, dropped and recreated', BENCH_DEFAULTS.db)
    .option('-a, --replica <n>', 'replica of the database (1 or 3)')
    .option('-v, --vgroups <n>', 'vgroups of the database')
    .option('-t, --tables <n>', 'child tables d0..', String(BENCH_DEFAULTS.tables))
    .option('-n, --rows <n>', 'rows per child table', String(BENCH_DEFAULTS.rowsPerTable))
    .option('-r, --records-per-request <n>', 'rows per request', String(BENCH_DEFAULTS.rowsPerRequest))
    .option('-T, --threads <n>', 'workers (connections)', String(BENCH_DEFAULTS.workers))
    .option(
      '-I, --interface <native|rest|line>',
      'native: columnar bulk over RPC; rest: SQL over /rest/sql; line: /influxdb/v1/write',
      'native',
    )
    .option('-x, --aggregate', 'run aggregate queries after the insert')
    .option('-f, --file <config.json>', 'taosBenchmark-style JSON (filetype insert or query)')
    .option('-o, --output <file>', 'append results to this file (default ./output.txt)')
    .option('-y, --yes', 'do not ask before dropping the database')
    .action(async (flags: BenchFlags) => {
      const out: BenchOutput = {
        line: (s) => {
          process.stdout.write(s + '\n');
        },
        progress: process.stdout.isTTY
          ? (s) => {
              process.stdout.write(s);
            }
          : null,
      };
      try {
        await runBench(flags, out);
      } catch (e) {
        process.stderr.write(`basalt bench: ${toBasaltError(e).message}\n`);
        process.exitCode = 1;
      }
    });
}
