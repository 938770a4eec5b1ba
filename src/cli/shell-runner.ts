// Runs statements for `basalt sql` and prints them like taos: rows are printed as their
// blocks arrive (a large result never sits whole in memory), then the footer with the
// elapsed time. Errors go to stderr as `DB error: <message> [0x........] (...s)`.
import type { Connection } from '../client/index.js';
import { toBasaltError } from '../common/errors.js';
import { Limits } from '../common/limits.js';
import {
  columnWidth,
  errorLine,
  execFooter,
  headerLines,
  queryFooter,
  rowLine,
  verticalRecord,
} from './shell-format.js';

export interface ShellOutput {
  out(text: string): void;
  err(text: string): void;
}

export interface ShellRunnerOptions {
  /** Interactive sessions show at most Limits.shellDisplayRows rows unless the SQL asks for more. */
  readonly interactive: boolean;
  /** Print timestamps in UTC instead of local time. */
  readonly utc: boolean;
}

/** Splits a trailing `\G` (vertical output) off a statement. */
export function takeVertical(stmt: string): { sql: string; vertical: boolean } {
  const m = /\\G\s*$/.exec(stmt);
  return m ? { sql: stmt.slice(0, m.index).trim(), vertical: true } : { sql: stmt.trim(), vertical: false };
}

export class ShellRunner {
  constructor(
    private readonly conn: Connection,
    private readonly io: ShellOutput,
    private readonly opts: ShellRunnerOptions,
  ) {}

  /** Runs one statement; returns false after printing its error. */
  async run(statement: string): Promise<boolean> {
    const { sql, vertical } = takeVertical(statement);
    const t0 = performance.now();
    try {
      const r = await this.conn.queryStream(sql);
      if (r.kind === 'exec') {
        await r.close();
        this.io.out(execFooter(r.verb, r.affectedRows, performance.now() - t0));
        return true;
      }
      const limitRows =
        this.opts.interactive && !/\b(limit|show|describe|desc)\b/i.test(sql) ? Limits.shellDisplayRows : Infinity;
      const widths = r.columns.map((c) => columnWidth(c, r.precision));
      let rows = 0;
      let headerDone = false;
      for await (const b of r.blocks) {
        let text = '';
        if (!vertical && !headerDone) {
          text += headerLines(r.columns, widths);
          headerDone = true;
        }
        for (let i = 0; i < b.numRows; i++) {
          if (rows < limitRows) {
            text += vertical
              ? verticalRecord(r.columns, b.columns, i, rows + 1, r.precision, this.opts.utc)
              : rowLine(b.columns, i, widths, r.precision, this.opts.utc);
          }
          rows++;
        }
        if (text) this.io.out(text);
      }
      if (!vertical && !headerDone) this.io.out(headerLines(r.columns, widths));
      if (rows > limitRows) {
        this.io.out(`[${limitRows} of ${rows} rows shown; add LIMIT, or use -s / -f to print them all]\n`);
      }
      this.io.out(queryFooter(rows, performance.now() - t0));
      return true;
    } catch (e) {
      const err = toBasaltError(e);
      this.io.err(errorLine(err.message, err.code, performance.now() - t0));
      return false;
    }
  }
}
