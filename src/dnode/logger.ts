// A small structured logger: one readable line per event,
//   2026-11-23T19:50:00.123Z INFO  dnode started endpoint=localhost:6030
// appended to <logDir>/basalt.log and, when asked, echoed to stderr. Levels follow
// TDengine's debugFlag: 131 = info (default), 135 = debug, 143 = trace.
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';

export type LogLevel = 'error' | 'warn' | 'info' | 'debug' | 'trace';
const RANK: Record<LogLevel, number> = { error: 0, warn: 1, info: 2, debug: 3, trace: 4 };

export interface Logger {
  log(level: LogLevel, message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  debug(message: string, fields?: Record<string, unknown>): void;
  /** Writes to the log file only (for lines the caller also prints itself). */
  fileOnly(level: LogLevel, message: string, fields?: Record<string, unknown>): void;
  close(): Promise<void>;
  /** Changes the level at run time (`alter dnode N 'debugFlag' '135'`). */
  setLevel(level: LogLevel): void;
  /** The log file, or null when logging only to stderr. */
  readonly file: string | null;
}

export function levelFromDebugFlag(flag: number): LogLevel {
  if (flag >= 143) return 'trace';
  if (flag >= 135) return 'debug';
  return 'info';
}

function formatField(v: unknown): string {
  const s = typeof v === 'string' ? v : v instanceof Error ? v.message : (JSON.stringify(v) ?? String(v));
  return /[\s"=]/.test(s) ? JSON.stringify(s) : s;
}

export function formatLogLine(
  level: LogLevel,
  message: string,
  fields?: Record<string, unknown>,
  now = new Date(),
): string {
  let line = `${now.toISOString()} ${level.toUpperCase().padEnd(5)} ${message.replace(/\n/g, '\\n')}`;
  if (fields) for (const [k, v] of Object.entries(fields)) if (v !== undefined) line += ` ${k}=${formatField(v)}`;
  return line + '\n';
}

export interface LoggerOptions {
  /** Directory for basalt.log; null: no file. */
  readonly logDir: string | null;
  readonly level: LogLevel;
  /** Echo lines at or above this level to stderr (null: never). */
  readonly stderrLevel: LogLevel | null;
}

export function createLogger(opts: LoggerOptions): Logger {
  let stream: WriteStream | null = null;
  let file: string | null = null;
  if (opts.logDir !== null) {
    mkdirSync(opts.logDir, { recursive: true });
    file = join(opts.logDir, 'basalt.log');
    stream = createWriteStream(file, { flags: 'a' });
    stream.on('error', (e) => process.stderr.write(`basalt: cannot write log file ${file}: ${e.message}\n`));
  }
  let current: LogLevel = opts.level;
  const write = (
    level: LogLevel,
    message: string,
    fields: Record<string, unknown> | undefined,
    echo: boolean,
  ): void => {
    if (RANK[level] > RANK[current]) return;
    const line = formatLogLine(level, message, fields);
    stream?.write(line);
    if (echo && opts.stderrLevel !== null && RANK[level] <= RANK[opts.stderrLevel]) process.stderr.write(line);
  };
  const log = (level: LogLevel, message: string, fields?: Record<string, unknown>): void =>
    write(level, message, fields, true);
  return {
    file,
    log,
    error: (m, f) => log('error', m, f),
    warn: (m, f) => log('warn', m, f),
    info: (m, f) => log('info', m, f),
    debug: (m, f) => log('debug', m, f),
    fileOnly: (level, m, f) => write(level, m, f, false),
    setLevel: (l) => {
      current = l;
    },
    close: () =>
      new Promise<void>((resolve) => {
        if (stream) stream.end(() => resolve());
        else resolve();
      }),
  };
}
