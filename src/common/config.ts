// The dnode configuration: `basalt.cfg` in the taos.cfg format (`name value` per line, `#`
// comments, names case-insensitive), then `BASALT_*` environment variables, then
// command-line flags; later sources win. Every key is typed and range-checked here, so a
// typo or a bad value stops start-up with one line naming the key, where it came from and
// the fix, instead of surfacing later as a confusing runtime failure.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { cpus, hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { BasaltError } from './errors.js';
import { Limits } from './limits.js';

export interface BasaltConfig {
  firstEp: string;
  secondEp: string;
  fqdn: string;
  serverPort: number;
  httpPort: number;
  dataDir: string;
  logDir: string;
  statusInterval: number;
  timezone: string;
  locale: string;
  charset: string;
  ttlChangeOnWrite: number;
  supportVnodes: number;
  debugFlag: number;
  maxFrameBytes: number;
  maxHttpBodyBytes: number;
  /** Address the RPC and HTTP ports bind to (0.0.0.0: every interface). */
  listenHost: string;
  /**
   * A join token: a new dnode presents it to receive the cluster secret; on the founding
   * dnode it becomes the cluster's multi-use token. '' when none.
   */
  joinToken: string;
  /** A file holding the join token (a mounted Kubernetes Secret); read at each join attempt. */
  joinTokenFile: string;
  /** A file whose first line is root's password at cluster init ('' : BASALT_ROOT_PASSWORD or taosdata). */
  rootPasswordFile: string;
  /** PEM certificate (chain) of this dnode: with sslKey, serverPort and httpPort serve TLS; '' = plain. */
  sslCert: string;
  /** PEM private key of sslCert. */
  sslKey: string;
  /** PEM CA certificate(s) peers verify each other with (peerTls); '' = none. */
  sslCa: string;
  /** 1: dnodes connect to each other over TLS, verified against sslCa; 0: plain. */
  peerTls: number;
  /** Open RPC connections one source address may hold. */
  maxConnectionsPerSourceIp: number;
  /** OpenTSDB telnet put listener's port; 0: off (the default). */
  opentsdbTelnetPort: number;
  /** Database the telnet listener writes into. */
  opentsdbTelnetDb: string;
  /** User the telnet listener writes as (the telnet protocol carries no credentials). */
  opentsdbTelnetUser: string;
  /** That user's password (shown masked). */
  opentsdbTelnetPassword: string;
}

export type ConfigKey = keyof BasaltConfig;
export type ConfigSource = 'default' | 'file' | 'env' | 'flag';

export interface LoadedConfig {
  readonly config: BasaltConfig;
  /** Where each effective value came from (for `show variables` and `-C`-style dumps). */
  readonly sources: Readonly<Record<ConfigKey, ConfigSource>>;
  /** The cfg file read, or null when none was given. */
  readonly file: string | null;
  /** Non-fatal notes, e.g. an unknown BASALT_* environment variable. */
  readonly warnings: readonly string[];
}

export interface LoadConfigOptions {
  /** `-c`: a basalt.cfg file, or a directory holding one. */
  readonly configPath?: string;
  /** Environment (defaults to process.env). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Command-line overrides by key name (any case), values as typed on the command line. */
  readonly flags?: Readonly<Record<string, string | number | undefined>>;
  /** Base for relative dataDir/logDir (defaults to process.cwd()). */
  readonly cwd?: string;
}

type Kind = 'string' | 'int' | 'endpoint' | 'path';
interface KeySpec {
  readonly kind: Kind;
  readonly min?: number;
  readonly max?: number;
  readonly help: string;
}

const SPECS: Readonly<Record<ConfigKey, KeySpec>> = {
  firstEp: { kind: 'endpoint', help: 'host:port of the first dnode to contact, e.g. td1:6030' },
  secondEp: { kind: 'endpoint', help: 'host:port tried when firstEp is unreachable' },
  fqdn: { kind: 'string', help: "this dnode's host name as other dnodes and clients reach it" },
  serverPort: { kind: 'int', min: 1, max: 65056, help: 'RPC port for clients and peers (1-65056)' },
  httpPort: { kind: 'int', min: 1, max: 65535, help: 'REST port (default serverPort + 11)' },
  dataDir: { kind: 'path', help: 'directory for all data of this dnode' },
  logDir: { kind: 'path', help: 'directory for log files (default <dataDir>/log)' },
  statusInterval: { kind: 'int', min: 1, max: 30, help: 'seconds between status messages (1-30)' },
  timezone: { kind: 'string', help: 'IANA time zone, e.g. UTC or Asia/Shanghai' },
  locale: { kind: 'string', help: 'locale, e.g. en_US.UTF-8' },
  charset: { kind: 'string', help: 'character set, e.g. UTF-8' },
  ttlChangeOnWrite: { kind: 'int', min: 0, max: 1, help: '0 or 1' },
  supportVnodes: { kind: 'int', min: 0, max: 4096, help: 'vnodes this dnode may host (0-4096)' },
  debugFlag: { kind: 'int', min: 0, max: 255, help: 'log level: 131 info, 135 debug, 143 trace' },
  maxFrameBytes: { kind: 'int', min: 1024, max: 1024 * 1024 * 1024, help: 'largest RPC frame in bytes' },
  maxHttpBodyBytes: { kind: 'int', min: 1024, max: 1024 * 1024 * 1024, help: 'largest REST request body in bytes' },
  listenHost: { kind: 'string', help: 'address to bind, e.g. 0.0.0.0 (all interfaces) or 127.0.0.1' },
  joinToken: {
    kind: 'string',
    help: "join token from 'create dnode' (or dnode 1's dataDir/dnode/join-token); on a founding dnode: the cluster's token",
  },
  joinTokenFile: { kind: 'path', help: 'file holding the join token (e.g. a mounted Secret)' },
  rootPasswordFile: { kind: 'path', help: "file whose first line is root's password when the cluster is created" },
  sslCert: {
    kind: 'path',
    help: 'PEM certificate file; with sslKey, serverPort and httpPort serve TLS (clients connect with --tls)',
  },
  sslKey: { kind: 'path', help: 'PEM private key file of sslCert' },
  sslCa: { kind: 'path', help: 'PEM CA certificate file peers are verified against (with peerTls 1)' },
  peerTls: {
    kind: 'int',
    min: 0,
    max: 1,
    help: '1 for TLS between dnodes (needs sslCert, sslKey and sslCa), 0 for plain',
  },
  maxConnectionsPerSourceIp: {
    kind: 'int',
    min: 1,
    max: 1_000_000,
    help: 'most open RPC connections from one source address',
  },
  opentsdbTelnetPort: {
    kind: 'int',
    min: 0,
    max: 65535,
    help: 'port of the OpenTSDB telnet put listener; 0 (default) keeps it off',
  },
  opentsdbTelnetDb: { kind: 'string', help: 'database the OpenTSDB telnet listener writes into' },
  opentsdbTelnetUser: { kind: 'string', help: 'user the OpenTSDB telnet listener writes as' },
  opentsdbTelnetPassword: { kind: 'string', help: 'password of opentsdbTelnetUser' },
};

/** Settings whose values are secrets: shown masked. */
export const SECRET_KEYS: ReadonlySet<ConfigKey> = new Set<ConfigKey>(['joinToken', 'opentsdbTelnetPassword']);

export const CONFIG_KEYS = Object.keys(SPECS) as ConfigKey[];
const BY_LOWER = new Map<string, ConfigKey>(CONFIG_KEYS.map((k) => [k.toLowerCase(), k]));

/** Environment prefixes read, weakest first: TDengine's own names (so seed files work unchanged), then Basalt's. */
const ENV_PREFIXES = ['TAOS_', 'BASALT_'] as const;
/** BASALT_* variables that are read where they are used, not settings (root's initial password). */
const NOT_SETTINGS = new Set(['BASALT_ROOT_PASSWORD']);

/**
 * `BASALT_FIRST_EP` or TDengine's `TAOS_FIRST_EP` → `firstEp` (strip the prefix, lowercase,
 * `_x` → `X`), as taosd does for TAOS_*; null for any other variable.
 */
export function envNameToKey(name: string): string | null {
  const prefix = ENV_PREFIXES.find((p) => name.startsWith(p));
  if (prefix === undefined) return null;
  return name
    .slice(prefix.length)
    .toLowerCase()
    .replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
}

/** `firstEp` → `BASALT_FIRST_EP`. */
export function keyToEnvName(key: string): string {
  return `BASALT_${key.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;
}

export function lookupKey(name: string): ConfigKey | undefined {
  return BY_LOWER.get(name.toLowerCase());
}

function suggest(name: string): string {
  const best = closestKey(name);
  return best ? ` (did you mean '${best}'?)` : '';
}

/** The setting whose name is within 3 edits of `name`, if any. */
function closestKey(name: string): ConfigKey | undefined {
  const n = name.toLowerCase();
  let best: ConfigKey | undefined;
  let bestD = 4;
  for (const k of CONFIG_KEYS) {
    const d = editDistance(n, k.toLowerCase());
    if (d < bestD) {
      bestD = d;
      best = k;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  const prev = new Array<number>(b.length + 1);
  for (let j = 0; j <= b.length; j++) prev[j] = j;
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j]!;
      prev[j] = Math.min(prev[j]! + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[b.length]!;
}

/** Parses and checks one value; `where` names its origin for the error line. */
function parseValue(key: ConfigKey, raw: string, where: string): string | number {
  const spec = SPECS[key];
  const v = raw.trim();
  const bad = (why: string): never => {
    throw new BasaltError('CONFIG_BAD_VALUE', `${key} '${raw}' ${where} ${why}; set ${key} to ${spec.help}`);
  };
  switch (spec.kind) {
    case 'int': {
      if (!/^[+-]?\d+$/.test(v)) bad('is not an integer');
      const n = Number(v);
      if ((spec.min !== undefined && n < spec.min) || (spec.max !== undefined && n > spec.max)) bad('is out of range');
      return n;
    }
    case 'endpoint': {
      if (v === '') return '';
      const m = /^([^:\s]+)(?::(\d{1,5}))?$/.exec(v);
      if (!m) bad('is not an endpoint');
      if (m![2] !== undefined && (Number(m![2]) < 1 || Number(m![2]) > 65535)) bad('has a port outside 1-65535');
      return v;
    }
    case 'path': {
      if (v === '') bad('is empty');
      // taos.cfg allows `dataDir <path> <level> <primary>`; one tier only, so accept `0 1`.
      const tier = /^(.*\S)\s+(\d+)\s+(\d+)$/.exec(v);
      if (tier && key === 'dataDir') {
        if (tier[2] !== '0' || tier[3] !== '1')
          bad('names a storage tier; Basalt has one tier, so use `dataDir <path>` or level 0 primary 1');
        return tier[1]!;
      }
      return v;
    }
    case 'string':
      if (v === '') bad('is empty');
      if (/\s/.test(v)) bad('contains whitespace');
      return v;
  }
}

interface RawEntry {
  key: ConfigKey;
  value: string;
  line: number;
}

/** Parses cfg text; throws CONFIG_UNKNOWN_KEY / CONFIG_BAD_VALUE naming file and line. */
export function parseConfigText(text: string, fileName: string): RawEntry[] {
  const out: RawEntry[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i]!;
    const hash = line.search(/(^|\s)#/);
    if (hash >= 0) line = line.slice(0, hash);
    line = line.trim();
    if (line === '') continue;
    const m = /^(\S+)(?:\s+(.*))?$/.exec(line)!;
    const name = m[1]!;
    equalsFormHint(name, m[2], fileName, i + 1);
    const key = lookupKey(name);
    if (key === undefined) {
      throw new BasaltError(
        'CONFIG_UNKNOWN_KEY',
        `'${name}' in ${fileName} line ${i + 1} is not a Basalt setting${suggest(name)}; fix or remove that line`,
      );
    }
    if (m[2] === undefined || m[2].trim() === '') {
      throw new BasaltError(
        'CONFIG_BAD_VALUE',
        `${key} in ${fileName} line ${i + 1} has no value; write it as '${key} <value>' (${SPECS[key].help})`,
      );
    }
    out.push({ key, value: m[2], line: i + 1 });
  }
  return out;
}

/**
 * `firstEp=host:6030` or `firstEp = host:6030`: taos.cfg separates a setting from its value
 * with white space only; say so instead of "not a Basalt setting".
 */
function equalsFormHint(name: string, rest: string | undefined, fileName: string, line: number): void {
  const eq = name.indexOf('=');
  const [k, v] = eq > 0 ? [name.slice(0, eq), `${name.slice(eq + 1)} ${rest ?? ''}`] : [name, rest ?? ''];
  if (eq <= 0 && !/^=/.test(v.trim())) return;
  const key = lookupKey(k);
  if (key === undefined) return;
  const value = v.trim().replace(/^=\s*/, '');
  throw new BasaltError(
    'CONFIG_BAD_VALUE',
    `${fileName} line ${line} sets ${key} with '=': taos.cfg separates a setting from its value with spaces; write '${key} ${value}'`,
  );
}

/** Resolves `-c`: a file, or a directory holding basalt.cfg. */
export function resolveConfigFile(configPath: string, cwd: string): string {
  const p = resolve(cwd, configPath);
  if (!existsSync(p)) {
    throw new BasaltError(
      'CONFIG_BAD_VALUE',
      `config path ${p} does not exist; pass -c <basalt.cfg file or the directory holding it>`,
    );
  }
  if (statSync(p).isDirectory()) {
    const f = join(p, 'basalt.cfg');
    if (!existsSync(f))
      throw new BasaltError('CONFIG_BAD_VALUE', `${p} holds no basalt.cfg; create it there or pass -c <file>`);
    return f;
  }
  return p;
}

function defaultTimezone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
}

export function loadConfig(opts: LoadConfigOptions = {}): LoadedConfig {
  const cwd = opts.cwd ?? process.cwd();
  const env = opts.env ?? process.env;
  const layers: ConfigLayers = { values: {}, sources: {} };
  const warnings: string[] = [];
  let file: string | null = null;

  if (opts.configPath !== undefined && opts.configPath !== '') {
    file = resolveConfigFile(opts.configPath, cwd);
    readFileLayer(layers, file);
  }
  readEnvLayer(layers, env, warnings);
  readFlagLayer(layers, opts.flags ?? {});

  const config = withDefaults(layers, cwd, env);
  if (config.httpPort === config.serverPort) {
    throw new BasaltError(
      'CONFIG_BAD_VALUE',
      `httpPort ${config.httpPort} equals serverPort; give them different ports (httpPort defaults to serverPort + 11)`,
    );
  }
  if (config.opentsdbTelnetPort > 0 && (config.opentsdbTelnetDb === '' || config.opentsdbTelnetUser === '')) {
    throw new BasaltError(
      'CONFIG_BAD_VALUE',
      `opentsdbTelnetPort ${config.opentsdbTelnetPort} needs opentsdbTelnetDb and opentsdbTelnetUser (and opentsdbTelnetPassword): the telnet protocol carries no credentials, so the listener writes into that database as that user`,
    );
  }
  return { config, sources: layers.sources as Record<ConfigKey, ConfigSource>, file, warnings };
}

/** Values set so far and where each came from; a later layer (file, env, flags) overrides an earlier one. */
interface ConfigLayers {
  readonly values: Partial<Record<ConfigKey, string | number>>;
  readonly sources: Partial<Record<ConfigKey, ConfigSource>>;
}

/** The cfg file (`-c`). */
function readFileLayer(layers: ConfigLayers, file: string): void {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new BasaltError(
      'CONFIG_BAD_VALUE',
      `cannot read ${file} (${(e as Error).message}); check the path and its permissions`,
    );
  }
  for (const e of parseConfigText(text, file)) {
    layers.values[e.key] = parseValue(e.key, e.value, `in ${file} line ${e.line}`);
    layers.sources[e.key] = 'file';
  }
}

/**
 * TAOS_* (TDengine's names, as seed 001's manifests set them) then BASALT_* environment
 * variables: BASALT_* wins where both set a key. An unknown one is a warning naming the
 * closest setting: environments carry unrelated variables, so it is not fatal.
 */
function readEnvLayer(
  layers: ConfigLayers,
  env: Readonly<Record<string, string | undefined>>,
  warnings: string[],
): void {
  for (const prefix of ENV_PREFIXES) {
    for (const [name, raw] of Object.entries(env)) {
      if (!name.startsWith(prefix) || raw === undefined || NOT_SETTINGS.has(name)) continue;
      const keyName = envNameToKey(name)!;
      const key = lookupKey(keyName);
      if (key === undefined) {
        warnings.push(unknownEnvWarning(name, keyName, prefix));
        continue;
      }
      layers.values[key] = parseValue(key, raw, `from environment variable ${name}`);
      layers.sources[key] = 'env';
    }
  }
}

function unknownEnvWarning(name: string, keyName: string, prefix: (typeof ENV_PREFIXES)[number]): string {
  const near = closestKey(keyName);
  const hint = near === undefined ? '' : ` (did you mean ${keyToEnvName(near)}, setting '${near}'?)`;
  const what = prefix === 'TAOS_' ? 'is a TDengine setting Basalt does not have' : 'is not a Basalt setting';
  return `environment variable ${name} ${what} and was ignored${hint}`;
}

/** Command-line overrides; an unknown key is an error. */
function readFlagLayer(layers: ConfigLayers, flags: NonNullable<LoadConfigOptions['flags']>): void {
  for (const [name, raw] of Object.entries(flags)) {
    if (raw === undefined) continue;
    const key = lookupKey(name);
    if (key === undefined)
      throw new BasaltError(
        'CONFIG_UNKNOWN_KEY',
        `'${name}' given on the command line is not a Basalt setting${suggest(name)}`,
      );
    layers.values[key] = parseValue(key, String(raw), 'on the command line');
    layers.sources[key] = 'flag';
  }
}

/** The configuration: each setting from the layers or its default (whose source becomes 'default'). */
function withDefaults(
  layers: ConfigLayers,
  cwd: string,
  env: Readonly<Record<string, string | undefined>>,
): BasaltConfig {
  const { values, sources } = layers;
  const get = <T extends string | number>(k: ConfigKey, dflt: () => T): T => {
    if (values[k] !== undefined) return values[k] as T;
    sources[k] = 'default';
    return dflt();
  };
  const fqdn = get('fqdn', () => hostname() || 'localhost');
  const serverPort = get('serverPort', () => 6030);
  const dataDir = resolve(
    cwd,
    get('dataDir', () => 'data'),
  );
  return {
    fqdn,
    serverPort,
    firstEp: get('firstEp', () => `${fqdn}:${serverPort}`) || `${fqdn}:${serverPort}`,
    secondEp: get('secondEp', () => ''),
    httpPort: get('httpPort', () => serverPort + 11),
    dataDir,
    logDir: resolve(
      cwd,
      get('logDir', () => join(dataDir, 'log')),
    ),
    statusInterval: get('statusInterval', () => 1),
    timezone: get('timezone', defaultTimezone),
    locale: get('locale', () => env['LANG'] || 'en_US.UTF-8'),
    charset: get('charset', () => 'UTF-8'),
    ttlChangeOnWrite: get('ttlChangeOnWrite', () => 0),
    supportVnodes: get('supportVnodes', () => 2 * Math.max(1, cpus().length) + 5),
    debugFlag: get('debugFlag', () => 131),
    maxFrameBytes: get('maxFrameBytes', () => Limits.maxFrameBytes),
    maxHttpBodyBytes: get('maxHttpBodyBytes', () => Limits.maxHttpBodyBytes),
    listenHost: get('listenHost', () => '0.0.0.0'),
    joinToken: get('joinToken', () => ''),
    joinTokenFile: ((f: string) => (f === '' ? '' : resolve(cwd, f)))(get('joinTokenFile', () => '')),
    rootPasswordFile: get('rootPasswordFile', () => ''),
    sslCert: optionalPath(
      cwd,
      get('sslCert', () => ''),
    ),
    sslKey: optionalPath(
      cwd,
      get('sslKey', () => ''),
    ),
    sslCa: optionalPath(
      cwd,
      get('sslCa', () => ''),
    ),
    peerTls: get('peerTls', () => 0),
    maxConnectionsPerSourceIp: get('maxConnectionsPerSourceIp', () => Limits.maxConnectionsPerSourceIp),
    opentsdbTelnetPort: get('opentsdbTelnetPort', () => 0),
    opentsdbTelnetDb: get('opentsdbTelnetDb', () => ''),
    opentsdbTelnetUser: get('opentsdbTelnetUser', () => ''),
    opentsdbTelnetPassword: get('opentsdbTelnetPassword', () => ''),
  };
}

function optionalPath(cwd: string, p: string): string {
  return p === '' ? '' : resolve(cwd, p);
}

/** The TLS files of a configuration, read (PEM bytes). */
export interface TlsFiles {
  readonly cert: Buffer;
  readonly key: Buffer;
  readonly ca: Buffer | null;
}

/**
 * Reads sslCert, sslKey and sslCa; null when TLS is off (no sslCert). A missing or unreadable
 * file, or one key without the other, is a config error naming the key and the file, at
 * start-up rather than at the first connection.
 */
export function readTlsFiles(cfg: Pick<BasaltConfig, 'sslCert' | 'sslKey' | 'sslCa' | 'peerTls'>): TlsFiles | null {
  if (cfg.sslCert === '' && cfg.sslKey === '') {
    if (cfg.peerTls === 1)
      throw new BasaltError('CONFIG_BAD_VALUE', 'peerTls 1 needs sslCert, sslKey and sslCa; set them or peerTls 0');
    return null;
  }
  if (cfg.sslCert === '' || cfg.sslKey === '') {
    const missing = cfg.sslCert === '' ? 'sslCert' : 'sslKey';
    throw new BasaltError(
      'CONFIG_BAD_VALUE',
      `${missing} is not set but ${missing === 'sslCert' ? 'sslKey' : 'sslCert'} is; TLS needs both (PEM files), or neither for plain connections`,
    );
  }
  if (cfg.peerTls === 1 && cfg.sslCa === '')
    throw new BasaltError(
      'CONFIG_BAD_VALUE',
      'peerTls 1 needs sslCa (the CA that signed every dnode certificate); set sslCa or peerTls 0',
    );
  const read = (key: 'sslCert' | 'sslKey' | 'sslCa', file: string): Buffer => {
    try {
      const b = readFileSync(file);
      if (!b.includes('-----BEGIN')) throw new Error('not a PEM file');
      return b;
    } catch (e) {
      throw new BasaltError(
        'CONFIG_BAD_VALUE',
        `${key} ${file} cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); set ${key} to a readable PEM file`,
      );
    }
  };
  return {
    cert: read('sslCert', cfg.sslCert),
    key: read('sslKey', cfg.sslKey),
    ca: cfg.sslCa === '' ? null : read('sslCa', cfg.sslCa),
  };
}

/** The effective configuration as `show variables` rows. */
export function configVariables(cfg: BasaltConfig): Array<{ name: string; value: string; scope: string }> {
  return CONFIG_KEYS.map((k) => ({
    name: k,
    value: SECRET_KEYS.has(k) && cfg[k] !== '' ? '******' : String(cfg[k]),
    scope: 'server',
  }));
}
