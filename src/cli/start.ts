// `basalt start`: one dnode with the embedded REST adapter. Config comes from
// `-c <basalt.cfg or its dir>`, then BASALT_* environment variables, then flags. Any
// start-up problem (bad config, port in use, unwritable dataDir) is one line on stderr and
// exit code 1. SIGTERM/SIGINT stop it cleanly: in-flight requests are answered, the engine
// closes, and a restart finds everything.
import { dirname, isAbsolute, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { OpenTsdbTelnetServer } from '../adapter/opentsdb-telnet.js';
import { RestServer } from '../adapter/rest-server.js';
import { loadConfig, readTlsFiles, SECRET_KEYS, type BasaltConfig, type LoadedConfig } from '../common/config.js';
import { Limits } from '../common/limits.js';
import { BasaltError, toBasaltError } from '../common/errors.js';
import { ensureWritableDir } from '../dnode/data-dir.js';
import { Dnode, listenError } from '../dnode/dnode.js';
import { hasServerNodeFlags, SERVER_NODE_FLAGS } from './node-flags.js';
import { createLogger, levelFromDebugFlag, type Logger } from '../dnode/logger.js';
import type { CreateEngine } from '../engine/engine-api.js';
import { createEngine } from '../engine/engine.js';

export interface StartFlags {
  config?: string;
  fqdn?: string;
  serverPort?: string;
  httpPort?: string;
  dataDir?: string;
  logDir?: string;
  firstEp?: string;
  secondEp?: string;
  listenHost?: string;
  joinTokenFile?: string;
  set?: string[];
  dumpConfig?: boolean;
}

export interface RunningServer {
  readonly config: BasaltConfig;
  readonly dnode: Dnode;
  readonly rest: RestServer;
  readonly logger: Logger;
  stop(): Promise<void>;
}

/** The REST adapter's HTTPS key material (the dnode read and checked the same files already). */
function tlsOf(config: BasaltConfig): { tls?: { cert: Buffer; key: Buffer } } {
  const f = readTlsFiles(config);
  return f ? { tls: { cert: f.cert, key: f.key } } : {};
}

/** Collects the flag overrides (`--server-port 7030`, `--set key=value`) by config key. */
export function flagOverrides(flags: StartFlags): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {
    fqdn: flags.fqdn,
    serverPort: flags.serverPort,
    httpPort: flags.httpPort,
    dataDir: flags.dataDir,
    logDir: flags.logDir,
    firstEp: flags.firstEp,
    secondEp: flags.secondEp,
    listenHost: flags.listenHost,
    joinTokenFile: flags.joinTokenFile,
  };
  for (const kv of flags.set ?? []) {
    const i = kv.indexOf('=');
    if (i <= 0)
      throw new BasaltError('CONFIG_BAD_VALUE', `--set '${kv}' is not key=value; write it like --set statusInterval=2`);
    out[kv.slice(0, i)] = kv.slice(i + 1);
  }
  return out;
}

/** Starts dnode + REST from an effective configuration. */
export interface StartServerOptions {
  /** Log lines at or above this level also go to stderr (default warn). */
  readonly stderrLevel?: 'warn' | 'info';
  /** Engine factory (tests may pass a fake). */
  readonly createEngine?: CreateEngine;
}

export async function startServer(
  loaded: LoadedConfig,
  version: string,
  opts: StartServerOptions = {},
): Promise<RunningServer> {
  const stderrLevel = opts.stderrLevel ?? 'warn';
  const { config } = loaded;
  // dataDir first: logDir defaults inside it, and an unwritable one must be the error named.
  ensureWritableDir(config.dataDir);
  let fileLogger: Logger;
  try {
    fileLogger = createLogger({ logDir: config.logDir, level: levelFromDebugFlag(config.debugFlag), stderrLevel });
  } catch (e) {
    throw new BasaltError(
      'DATA_DIR_UNWRITABLE',
      `logDir ${config.logDir} cannot be written (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); fix its permissions or set logDir`,
    );
  }
  if (!hasServerNodeFlags()) {
    fileLogger.warn(
      `node runs without ${SERVER_NODE_FLAGS.join(' ')}: garbage collection will cost ingest throughput (up to 30 %); start the dnode as ./bin/basalt start, or as node ${SERVER_NODE_FLAGS.join(' ')} bin/basalt start`,
    );
  }
  let dnode: Dnode;
  try {
    dnode = await Dnode.start({
      config,
      serverVersion: version,
      createEngine: opts.createEngine ?? createEngine,
      logger: fileLogger,
      // Dropped from the cluster: say why on stderr (the log has it too) and exit non-zero.
      onDropped: (message) => {
        process.stderr.write(`basalt start: ${message}\n`);
        void dnode.stop().finally(() => fileLogger.close().finally(() => process.exit(1)));
      },
    });
  } catch (e) {
    fileLogger.fileOnly('error', 'start failed', { error: toBasaltError(e).message });
    await fileLogger.close();
    throw e;
  }
  for (const w of loaded.warnings) fileLogger.warn(w);
  fileLogger.info('configuration', {
    file: loaded.file ?? '(none)',
    ...Object.fromEntries(Object.entries(config).map(([k, v]) => [k, String(v)])),
  });
  const rpcHost = config.listenHost === '0.0.0.0' || config.listenHost === '::' ? '127.0.0.1' : config.listenHost;
  const rest = new RestServer({
    host: config.listenHost,
    port: config.httpPort,
    rpcHost,
    rpcPort: dnode.rpcPort,
    maxBodyBytes: config.maxHttpBodyBytes,
    ...tlsOf(config),
    log: (level, m) => fileLogger.log(level, m),
  });
  try {
    await rest.listen();
  } catch (e) {
    await dnode.stop();
    await fileLogger.close();
    throw listenError(e, config.httpPort, 'httpPort', config.listenHost);
  }
  fileLogger.info('rest listening', { host: config.listenHost, port: rest.port });
  let telnet: OpenTsdbTelnetServer | null;
  try {
    telnet = await startTelnet(config, rpcHost, dnode.rpcPort, fileLogger);
  } catch (e) {
    await rest.close();
    await dnode.stop();
    await fileLogger.close();
    throw e;
  }
  const d = dnode;
  let stopping: Promise<void> | null = null;
  return {
    config,
    dnode: d,
    rest,
    logger: fileLogger,
    stop(): Promise<void> {
      stopping ??= (async () => {
        await telnet?.close();
        await rest.close();
        await d.stop();
        await fileLogger.close();
      })();
      return stopping;
    },
  };
}

/** How to run this CLI from the current directory (`./bin/basalt` in a checkout). */
export function cliCommand(): string {
  const bin = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'bin', 'basalt');
  const rel = relative(process.cwd(), bin);
  return rel.startsWith('..') || isAbsolute(rel) ? bin : './' + rel;
}

/** Installs SIGTERM/SIGINT handlers that stop the server once; a second signal exits at once. */
export function stopOnSignals(server: RunningServer, onStopped: (code: number) => void): void {
  let signalled = false;
  const handler = (sig: NodeJS.Signals): void => {
    if (signalled) {
      process.stderr.write(`basalt: ${sig} again, exiting without a clean stop\n`);
      process.exit(1);
    }
    signalled = true;
    server.logger.info('signal received, stopping', { signal: sig });
    server.stop().then(
      () => onStopped(0),
      (e: unknown) => {
        process.stderr.write(`basalt: stop failed: ${toBasaltError(e).message}\n`);
        onStopped(1);
      },
    );
  };
  process.on('SIGTERM', handler);
  process.on('SIGINT', handler);
}

export function registerStart(program: Command, version: string): void {
  program
    .command('start')
    .description('start a dnode (RPC on serverPort, REST on httpPort)')
    .option('-c, --config <path>', 'basalt.cfg, or the directory holding it')
    .option('--fqdn <host>', "this dnode's host name")
    .option('--server-port <port>', 'RPC port (default 6030)')
    .option('--http-port <port>', 'REST port (default serverPort + 11)')
    .option('--data-dir <dir>', 'data directory (default ./data)')
    .option('--log-dir <dir>', 'log directory (default <dataDir>/log)')
    .option('--first-ep <ep>', 'first endpoint of the cluster')
    .option('--second-ep <ep>', 'endpoint tried when firstEp is unreachable')
    .option('--listen-host <addr>', 'address to bind (default 0.0.0.0)')
    .option(
      '--join-token-file <file>',
      "a new dnode's join token (create dnode prints one; dnode 1 keeps one in dataDir/dnode/join-token)",
    )
    .option('--set <key=value...>', 'any other setting, e.g. --set statusInterval=2')
    .option('-C, --dump-config', 'print the effective configuration and where each value came from, then exit')
    .action(async (flags: StartFlags) => {
      let server: RunningServer;
      // A signal during start-up (engine recovery) must not kill the process mid-write:
      // remember it and stop cleanly as soon as start-up finishes.
      let earlySignal: NodeJS.Signals | null = null;
      const early = (sig: NodeJS.Signals): void => {
        earlySignal = sig;
      };
      process.on('SIGTERM', early);
      process.on('SIGINT', early);
      try {
        const loaded = loadConfig({
          ...(flags.config !== undefined ? { configPath: flags.config } : {}),
          flags: flagOverrides(flags),
        });
        if (flags.dumpConfig) {
          process.stdout.write(dumpConfig(loaded));
          return;
        }
        server = await startServer(loaded, version);
      } catch (e) {
        process.stderr.write(`basalt start: ${toBasaltError(e).message}\n`);
        process.exitCode = 1;
        return;
      } finally {
        process.off('SIGTERM', early);
        process.off('SIGINT', early);
      }
      const c = server.config;
      const id = server.dnode.identity?.dnodeId ?? 0;
      const who = id > 0 ? `dnode ${id}` : `new dnode, joining through firstEp ${c.firstEp},`;
      process.stdout.write(
        `basalt ${version}: ${who} (${c.fqdn}:${c.serverPort}) listening; REST on port ${server.rest.port}${c.sslCert !== '' ? ' (HTTPS; RPC over TLS)' : ''}; dataDir ${c.dataDir}; log ${server.logger.file ?? '-'}\n`,
      );
      reportReadiness(server);
      void warnWhileRootIsDefault(server);
      stopOnSignals(server, (code) => {
        process.stdout.write('basalt: stopped\n');
        process.exit(code);
      });
      if (earlySignal !== null) process.emit(earlySignal, earlySignal);
    });
}

/**
 * Says `ready` on the console only once the dnode is a ready member (what `basalt check --mode
 * ready` answers 2 for), and meanwhile what it waits for; later changes (lost the mnode leader,
 * ready again) get a line each. Polled, because readiness is a verdict of the mnode leader.
 */
function reportReadiness(server: RunningServer): void {
  const c = server.config;
  let last = '';
  let lastCode = -1;
  let waitingSinceMs = Date.now();
  const timer = setInterval(() => {
    const s = server.dnode.status();
    const id = server.dnode.identity?.dnodeId ?? 0;
    const who = `${id > 0 ? `dnode ${id}` : 'new dnode'} (${c.fqdn}:${c.serverPort})`;
    if (s.code === 2 && lastCode !== 2) {
      const cluster = server.dnode.identity?.clusterId ?? '';
      process.stdout.write(`basalt: ${who} ready; member of cluster ${cluster}\n`);
      last = '';
    } else if (s.code !== 2 && s.code !== 4) {
      const line = `${STATUS_WORDS[s.code] ?? 'waiting'}: ${s.detail || s.text}`;
      // A new reason at once; the same one again at most every readinessRepeatMs.
      if (line !== last || Date.now() - waitingSinceMs >= Limits.readinessRepeatMs) {
        process.stdout.write(`basalt: ${who} not ready yet, ${line}\n`);
        last = line;
        waitingSinceMs = Date.now();
      }
    }
    lastCode = s.code;
  }, Limits.readinessPollMs);
  timer.unref();
}

const STATUS_WORDS: Readonly<Record<number, string>> = { 0: 'unavailable', 1: 'waiting', 3: 'degraded' };

/** `-C`: one line per key, value and source, like `taosd -C`. */
export function dumpConfig(loaded: LoadedConfig): string {
  const keys = Object.keys(loaded.config) as Array<keyof BasaltConfig>;
  const w = Math.max(...keys.map((k) => k.length));
  let out = `# effective configuration (file: ${loaded.file ?? 'none'})\n`;
  for (const k of keys) {
    const v = SECRET_KEYS.has(k) && loaded.config[k] !== '' ? '******' : String(loaded.config[k]);
    out += `${k.padEnd(w)}  ${v.padEnd(28)}  # ${loaded.sources[k]}\n`;
  }
  for (const wmsg of loaded.warnings) out += `# warning: ${wmsg}\n`;
  return out;
}

/**
 * Says so on stderr (and in the log) while root's password is TDengine's well-known default,
 * once the dnode has the cluster's users (a joining dnode gets them when it is admitted).
 */
async function warnWhileRootIsDefault(server: RunningServer): Promise<void> {
  for (let i = 0; i < 120; i++) {
    const d = await server.dnode.rootHasDefaultPassword().catch(() => null);
    if (d === false) return;
    if (d === true) {
      const msg =
        "root still has the default password 'taosdata': anyone who can reach this cluster can log in as root; change it with: alter user root pass '<new password>' (new clusters: set BASALT_ROOT_PASSWORD or rootPasswordFile before the first start)";
      process.stderr.write(`basalt start: warning: ${msg}\n`);
      server.logger.warn(msg);
      return;
    }
    await new Promise((r) => setTimeout(r, 1000).unref());
  }
}

/** The OpenTSDB telnet listener when opentsdbTelnetPort is set (null otherwise), listening. */
async function startTelnet(
  config: BasaltConfig,
  rpcHost: string,
  rpcPort: number,
  fileLogger: Logger,
): Promise<OpenTsdbTelnetServer | null> {
  if (config.opentsdbTelnetPort === 0) return null;
  const telnet = new OpenTsdbTelnetServer({
    host: config.listenHost,
    port: config.opentsdbTelnetPort,
    rpcHost,
    rpcPort,
    db: config.opentsdbTelnetDb,
    user: config.opentsdbTelnetUser,
    password: config.opentsdbTelnetPassword,
    log: (level, m) => fileLogger.log(level, m),
  });
  try {
    const port = await telnet.listen();
    fileLogger.info('opentsdb telnet listening', { host: config.listenHost, port, db: config.opentsdbTelnetDb });
    return telnet;
  } catch (e) {
    throw listenError(e, config.opentsdbTelnetPort, 'opentsdbTelnetPort', config.listenHost);
  }
}
