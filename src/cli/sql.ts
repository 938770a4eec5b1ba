// `basalt sql`: the SQL shell, with taos's options (-h -P -u -p -s -f -d -k -z). Interactive
// mode keeps history in ~/.basalt_history; -s and -f run their statements in order, stop at
// the first error and exit 1, so scripts can rely on the exit code.
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import { checkServer, connect, type Connection } from '../client/index.js';
import { toBasaltError } from '../common/errors.js';
import { Limits } from '../common/limits.js';
import { splitStatements } from '../sql/index.js';
import { resolveEndpoint, type Endpoint } from './endpoint.js';
import { errorLine } from './shell-format.js';
import { ShellRunner, type ShellOutput } from './shell-runner.js';

interface SqlFlags {
  host?: string;
  port?: string;
  config?: string;
  user: string;
  password?: string | true;
  commands?: string;
  file?: string;
  database?: string;
  check?: boolean;
  timezone?: string;
  tls?: boolean;
  ca?: string;
}

/** `--tls [--ca file]` as the client's tls option; a CA file that cannot be read is an error line. */
function tlsFromFlags(flags: SqlFlags): { tls?: true | { ca: Buffer } } {
  if (flags.ca !== undefined) {
    try {
      return { tls: { ca: readFileSync(flags.ca) } };
    } catch (e) {
      throw new Error(`cannot read --ca ${flags.ca}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
  }
  return flags.tls ? { tls: true } : {};
}

const stdio: ShellOutput = {
  out: (t) => {
    process.stdout.write(t);
  },
  err: (t) => {
    process.stderr.write(t);
  },
};

/**
 * What a check's exit code answers: 'alive' (taos-check's, for liveness and startup probes:
 * the process is up, even while starting, joining or degraded) or 'ready' (readiness: a
 * cluster member the mnode leader currently accepts, `2: service ok`).
 */
export type CheckMode = 'alive' | 'ready';

/** Prints `<code>: <text>` (+ detail) like `taos --check`; returns the exit code for `mode`. */
export async function runCheck(
  host: string,
  port: number,
  io: ShellOutput = stdio,
  mode: CheckMode = 'alive',
  tls: { tls?: true | { ca: Buffer } } = {},
): Promise<number> {
  const s = await checkServer({ host, port, ...tls });
  io.out(`${s.code}: ${s.text}\n`);
  if (s.detail) io.out(`${s.detail}\n`);
  if (mode === 'ready') return s.code === 2 ? 0 : 1;
  // Like taos-check: starting (1) and degraded (3) still count as alive; 0 and 4 do not.
  return s.code === 0 || s.code === 4 ? 1 : 0;
}

function readHidden(prompt: string): Promise<string> {
  return new Promise((resolve) => {
    const rl = createInterface({
      input: process.stdin,
      output: process.stdout,
      terminal: process.stdin.isTTY === true,
    });
    const anyRl = rl as unknown as { _writeToOutput?: (s: string) => void };
    process.stdout.write(prompt);
    anyRl._writeToOutput = () => {
      /* keep the password off the screen */
    };
    rl.question('', (answer) => {
      rl.close();
      process.stdout.write('\n');
      resolve(answer);
    });
  });
}

/** Runs a script's statements in order; stops at the first error. */
export async function runScript(
  runner: ShellRunner,
  text: string,
  io: ShellOutput = stdio,
  echo = true,
): Promise<boolean> {
  for (const stmt of splitStatements(text)) {
    if (echo) io.out(`basalt> ${stmt};\n`);
    if (!(await runner.run(stmt))) return false;
  }
  return true;
}

function historyFile(): string {
  return join(homedir(), '.basalt_history');
}

function loadHistory(): string[] {
  try {
    if (!existsSync(historyFile())) return [];
    return readFileSync(historyFile(), 'utf8')
      .split('\n')
      .filter((l) => l.trim() !== '')
      .slice(-Limits.shellHistoryLines)
      .reverse();
  } catch {
    return [];
  }
}

function saveHistory(line: string): void {
  try {
    appendFileSync(historyFile(), line.replace(/\n/g, ' ') + '\n');
  } catch {
    /* history is a convenience; a read-only home must not break the shell */
  }
}

function trimHistoryFile(): void {
  try {
    const lines = readFileSync(historyFile(), 'utf8')
      .split('\n')
      .filter((l) => l !== '');
    if (lines.length > Limits.shellHistoryLines * 2)
      writeFileSync(historyFile(), lines.slice(-Limits.shellHistoryLines).join('\n') + '\n');
  } catch {
    /* see saveHistory */
  }
}

async function interactive(conn: Connection, version: string): Promise<number> {
  const runner = new ShellRunner(conn, stdio, { interactive: true, utc: false });
  process.stdout.write(
    `Welcome to the Basalt shell, client version ${version}, server version ${conn.serverVersion}.\n`,
  );
  process.stdout.write(`End statements with ';'. Add \\G for vertical output. quit, exit or Ctrl-D leaves.\n\n`);
  trimHistoryFile();
  const rl = createInterface({
    input: process.stdin,
    output: process.stdout,
    terminal: process.stdin.isTTY === true,
    history: loadHistory(),
    historySize: Limits.shellHistoryLines,
    prompt: 'basalt> ',
  });
  let buffer = '';
  let quitting = false;
  // Lines (typed or piped) are handled strictly in order, one statement at a time; at EOF
  // the shell waits for the queued statements before it exits.
  let chain: Promise<void> = Promise.resolve();
  rl.prompt();
  const done = new Promise<void>((resolve) =>
    rl.on('close', () => {
      chain.then(resolve, resolve);
    }),
  );
  rl.on('SIGINT', () => {
    if (buffer !== '') {
      buffer = '';
      process.stdout.write('\n');
      rl.setPrompt('basalt> ');
      rl.prompt();
    } else rl.close();
  });
  const handleLine = async (line: string): Promise<void> => {
    if (quitting) return;
    const trimmed = line.trim();
    if (buffer === '' && /^(quit|exit|q)\s*;?$/i.test(trimmed)) {
      quitting = true;
      rl.close();
      return;
    }
    const src = buffer === '' ? /^source\s+(.+?)\s*;?$/i.exec(trimmed) : null;
    if (src) {
      // taos's `source <file>`: run a script's statements, stopping at the first error.
      saveHistory(trimmed);
      let text: string | null = null;
      try {
        text = readFileSync(src[1]!.replace(/^['"]|['"]$/g, ''), 'utf8');
      } catch (e) {
        process.stderr.write(`cannot read ${src[1]}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}\n`);
      }
      if (text !== null) await runScript(runner, text);
      rl.prompt();
      return;
    }
    buffer += (buffer ? '\n' : '') + line;
    if (!/(;|\\G)\s*$/.test(trimmed)) {
      if (buffer.trim() !== '') rl.setPrompt('     -> ');
      rl.prompt();
      return;
    }
    const text = buffer;
    buffer = '';
    saveHistory(text);
    for (const stmt of splitStatements(text)) await runner.run(stmt);
    rl.setPrompt('basalt> ');
    rl.prompt();
  };
  rl.on('line', (line) => {
    chain = chain.then(() => handleLine(line));
  });
  await done;
  process.stdout.write('\n');
  return 0;
}

export async function sqlMain(flags: SqlFlags, version: string): Promise<number> {
  if (flags.timezone) process.env['TZ'] = flags.timezone;
  let ep: Endpoint;
  let tls: { tls?: true | { ca: Buffer } };
  try {
    ep = resolveEndpoint(flags);
    tls = tlsFromFlags(flags);
  } catch (e) {
    process.stderr.write(`basalt sql: ${(e as Error).message}\n`);
    return 2;
  }
  const { host, port } = ep;
  if (flags.check) return runCheck(host, port, stdio, 'alive', tls);
  let password = typeof flags.password === 'string' ? flags.password : 'taosdata';
  if (flags.password === true) password = await readHidden('Enter password: ');
  let script: string | null = null;
  if (flags.file !== undefined) {
    try {
      script = readFileSync(flags.file, 'utf8');
    } catch (e) {
      process.stderr.write(
        `basalt sql: cannot read -f ${flags.file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}\n`,
      );
      return 2;
    }
  }
  let conn: Connection;
  const t0 = performance.now();
  try {
    conn = await connect({
      host,
      port,
      user: flags.user,
      password,
      database: flags.database ?? null,
      timeoutMs: Limits.restRequestTimeoutMs,
      ...(ep.fallbacks ? { fallbacks: ep.fallbacks } : {}),
      ...tls,
    });
  } catch (e) {
    const err = toBasaltError(e);
    process.stderr.write(errorLine(err.message, err.code, performance.now() - t0));
    return 1;
  }
  try {
    if (flags.commands !== undefined || script !== null) {
      const runner = new ShellRunner(conn, stdio, { interactive: false, utc: false });
      if (flags.commands !== undefined && !(await runScript(runner, flags.commands))) return 1;
      if (script !== null && !(await runScript(runner, script))) return 1;
      return 0;
    }
    return await interactive(conn, version);
  } finally {
    conn.close();
  }
}

export function registerSql(program: Command, version: string): void {
  program
    .command('sql')
    .description('SQL shell (like taos): interactive, or -s "statements" / -f file')
    .helpOption('--help', 'display help for sql')
    .option(
      '-h, --host <host>',
      'dnode host, or several (h1,h2:6130) tried in turn when one does not answer (default: firstEp/secondEp of -c/BASALT_* config, else 127.0.0.1)',
    )
    .option('-P, --port <port>', 'dnode serverPort (default: from -c/BASALT_* config, else 6030)')
    .option('-c, --config <path>', 'basalt.cfg (or its directory) to take firstEp/secondEp/serverPort from')
    .option('-u, --user <user>', 'user name', 'root')
    .option('-p, --password [password]', 'password (glued: -ptaosdata; bare -p prompts)')
    .option('-s, --commands <sql>', 'run these statements (separated by ;) and exit')
    .option('-f, --file <file>', 'run the statements in this file and exit')
    .option('-d, --database <db>', 'current database after connecting')
    .option('-k, --check', 'print the server status (2: service ok ...) and exit')
    .option('-z, --timezone <tz>', 'time zone for printed timestamps (e.g. UTC)')
    .option('--tls', 'connect over TLS (the dnode has sslCert set); verifies with the system CAs unless --ca')
    .option('--ca <file>', 'PEM CA certificate that signed the dnode certificate (implies --tls)')
    .action(async (flags: SqlFlags) => {
      process.exitCode = await sqlMain(flags, version);
    });
}

export function registerCheck(program: Command): void {
  program
    .command('check')
    .description('health probe: prints the server status like `taos --check`; exit 0 when alive')
    .helpOption('--help', 'display help for check')
    .option('-h, --host <host>', 'dnode host (default: firstEp of -c/BASALT_* config, else 127.0.0.1)')
    .option('-P, --port <port>', 'dnode serverPort (default: from -c/BASALT_* config, else 6030)')
    .option('-c, --config <path>', 'basalt.cfg (or its directory) to take firstEp/serverPort from')
    .option(
      '--mode <mode>',
      'alive: exit 0 while the process is up (liveness, startup probes); ready: exit 0 only for 2: service ok (readiness)',
      'alive',
    )
    .action(async (flags: { host?: string; port?: string; config?: string; mode: string }) => {
      let ep: Endpoint;
      try {
        if (flags.mode !== 'alive' && flags.mode !== 'ready') {
          throw new Error(`--mode '${flags.mode}' is not a mode; use --mode alive or --mode ready`);
        }
        ep = resolveEndpoint(flags);
      } catch (e) {
        process.stderr.write(`basalt check: ${(e as Error).message}\n`);
        process.exitCode = 2;
        return;
      }
      process.exitCode = await runCheck(ep.host, ep.port, stdio, flags.mode);
    });
}
