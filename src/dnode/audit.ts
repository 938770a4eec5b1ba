// The audit trail (issue #13): DDL, user, grant and cluster statements and failed logins, one
// JSON line each in <logDir>/audit.log, written by the dnode the client sent them to, and the
// newest records kept in memory for `show audit`. Passwords never reach the file.
import { appendFileSync, mkdirSync, renameSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { assert } from '../common/assert.js';
import { Limits } from '../common/limits.js';
import type { Statement } from '../sql/index.js';

export interface AuditRecord {
  readonly ts: string;
  readonly user: string;
  /** Client address:port, or `internal`. */
  readonly source: string;
  readonly dnode: number;
  /** Statement kind (`createUser`) or `login`. */
  readonly operation: string;
  /** The statement text, passwords replaced by '******'. */
  readonly statement: string;
  /** `ok`, or `0x80002644 Permission denied …`. */
  readonly result: string;
}

/** Statement kinds audited: schema, users and grants, and the cluster's own. */
const AUDITED = new Set<Statement['kind']>([
  'createDatabase',
  'dropDatabase',
  'alterDatabase',
  'flushDatabase',
  'compactDatabase',
  'createTable',
  'createStable',
  'createChildTables',
  'dropTable',
  'dropStable',
  'alterTable',
  'createUser',
  'alterUser',
  'dropUser',
  'grant',
  'revoke',
  'createDnode',
  'createJoinToken',
  'dropDnode',
  'alterDnode',
  'createMnode',
  'dropMnode',
  'balanceVgroup',
  'balanceVgroupLeader',
  'redistributeVgroup',
]);

export function isAudited(kind: Statement['kind']): boolean {
  return AUDITED.has(kind);
}

// `pass '…'` in create/alter user, with either quote and doubled or escaped quotes inside.
const PASSWORD = /(\bpass\s+)('(?:[^'\\]|\\.|'')*'|"(?:[^"\\]|\\.|"")*")/gi;

/** The statement text with every password literal replaced by '******'. */
export function maskPasswords(sql: string): string {
  return sql.replace(PASSWORD, "$1'******'");
}

export class AuditLog {
  private readonly ring: AuditRecord[] = [];
  private next = 0;
  private bytes: number;
  readonly file: string | null;

  /** `logDir` null: memory only (tests, an engine without a dnode). */
  constructor(
    logDir: string | null,
    private readonly dnodeId: () => number,
    private readonly onError: (message: string) => void = () => undefined,
  ) {
    this.file = logDir === null ? null : join(logDir, 'audit.log');
    this.bytes = 0;
    if (logDir !== null) {
      mkdirSync(logDir, { recursive: true });
      try {
        this.bytes = statSync(this.file!).size;
      } catch {
        this.bytes = 0;
      }
    }
  }

  record(r: Omit<AuditRecord, 'ts' | 'dnode'>): void {
    const rec: AuditRecord = {
      ts: new Date().toISOString(),
      user: r.user,
      source: r.source,
      dnode: this.dnodeId(),
      operation: r.operation,
      statement: maskPasswords(r.statement).slice(0, Limits.auditStatementMaxChars),
      result: r.result,
    };
    if (this.ring.length < Limits.auditMemoryRecords) this.ring.push(rec);
    else this.ring[this.next] = rec;
    this.next = (this.next + 1) % Limits.auditMemoryRecords;
    assert(this.ring.length <= Limits.auditMemoryRecords, 'audit ring over its bound');
    if (this.file === null) return;
    const line = `${JSON.stringify(rec)}\n`;
    try {
      if (this.bytes + line.length > Limits.auditLogFileBytes) {
        // One old file kept: the trail stays bounded on disk and the last rotation is readable.
        renameSync(this.file, `${this.file}.1`);
        this.bytes = 0;
      }
      // Synchronous: these statements are rare, and a record must not be lost to a crash that
      // follows the change it describes.
      appendFileSync(this.file, line, { mode: 0o600 });
      this.bytes += Buffer.byteLength(line);
    } catch (e) {
      this.onError(`audit log ${this.file}: ${(e as Error).message}`);
    }
  }

  /** The records in memory, oldest first. */
  recent(): AuditRecord[] {
    if (this.ring.length < Limits.auditMemoryRecords) return [...this.ring];
    return [...this.ring.slice(this.next), ...this.ring.slice(0, this.next)];
  }
}
