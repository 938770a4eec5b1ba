// A canned Engine for testing the front ends (RPC, REST, client, shell) without the SQL
// engine. It understands a handful of fixed statement shapes:
//   create database X            exec Create              show databases   query (name)
//   use X                        exec Use (unknown X → DB_NOT_EXIST)
//   insert ... (a)(b)...         exec Insert, affected = number of '(' groups after VALUES
//   select big N                 N rows: ts TIMESTAMP, i INT (every 7th null), b BIGINT, f FLOAT, s VARCHAR(20), ok BOOL
//   select db                    one row: the session's database (or NULL)
//   select inserted              one row: BIGINT total rows received through insertColumnar
//   slow MS                      waits MS ms, then exec Query
//   fail                         SYNTAX_ERROR
//   alter user root pass 'x'     changes root's password
import { allocVector, type ColumnBlock } from '../../src/common/block.js';
import { BasaltError } from '../../src/common/errors.js';
import { DataType } from '../../src/common/types.js';
import type { BulkTable, LocalEngine, ResultColumn, Session, StatementResult } from '../../src/engine/engine-api.js';
import type { Statement } from '../../src/sql/index.js';

export const BIG_BASE_TS = 1_700_000_000_000;

export function bigBlock(start: number, rows: number): ColumnBlock {
  const ts = allocVector(DataType.TIMESTAMP, rows);
  const i = allocVector(DataType.INT, rows, true);
  const b = allocVector(DataType.BIGINT, rows);
  const f = allocVector(DataType.FLOAT, rows);
  const s = allocVector(DataType.VARCHAR, rows);
  const ok = allocVector(DataType.BOOL, rows);
  for (let r = 0; r < rows; r++) {
    const k = start + r;
    (ts.data as Float64Array)[r] = BIG_BASE_TS + k * 1000;
    if (k % 7 === 3) i.nulls![r] = 1;
    else (i.data as Int32Array)[r] = k;
    (b.data as BigInt64Array)[r] = BigInt(k) * 10_000_000_000n;
    (f.data as Float32Array)[r] = k + 0.5;
    (s.data as string[])[r] = `row-${k}`;
    (ok.data as Uint8Array)[r] = k % 2;
  }
  return { numRows: rows, columns: [ts, i, b, f, s, ok] };
}

export const BIG_COLUMNS: ResultColumn[] = [
  { name: 'ts', type: DataType.TIMESTAMP, bytes: 8 },
  { name: 'i', type: DataType.INT, bytes: 4 },
  { name: 'b', type: DataType.BIGINT, bytes: 8 },
  { name: 'f', type: DataType.FLOAT, bytes: 4 },
  { name: 's', type: DataType.VARCHAR, bytes: 20 },
  { name: 'ok', type: DataType.BOOL, bytes: 1 },
];

function exec(verb: string, affectedRows = 0, useDb?: string): StatementResult {
  return {
    kind: 'exec',
    verb,
    columns: [],
    precision: 'ms',
    affectedRows,
    blocks: {
      async *[Symbol.asyncIterator]() {
        /* no rows */
      },
    },
    ...(useDb !== undefined ? { useDb } : {}),
  };
}

function query(columns: ResultColumn[], blocks: () => AsyncGenerator<ColumnBlock>): StatementResult {
  return {
    kind: 'query',
    verb: 'Query',
    columns,
    precision: 'ms',
    affectedRows: 0,
    blocks: { [Symbol.asyncIterator]: blocks },
  };
}

export interface FakeEngine extends LocalEngine {
  readonly databases: Set<string>;
  /** Blocks received through insertColumnar, with their tables. */
  readonly bulk: BulkTable[];
  /** Iterators of `select big` results that were closed before their end. */
  abandoned: number;
  closed: boolean;
}

function generationOf(p: string): number {
  let h = 0;
  for (const ch of p) h = (h * 31 + ch.charCodeAt(0)) | 0;
  return h;
}

export function createFakeEngine(): FakeEngine {
  let password = 'taosdata';
  let inserted = 0n;
  const eng: FakeEngine = {
    databases: new Set<string>(),
    bulk: [],
    abandoned: 0,
    closed: false,
    // The generation is the password itself (hashed): a session lives while root's password is
    // the one it logged in with, so changing it back revives it (what the client test checks).
    async login(u, p) {
      if (u !== 'root' || p !== password)
        throw new BasaltError('AUTH_FAILURE', `wrong user name or password for '${u}'`);
      return { user: u, generation: generationOf(p) };
    },
    authenticate: (u, p) => u === 'root' && p === password,
    checkLogin(l) {
      if (generationOf(password) !== l.generation)
        throw new BasaltError('AUTH_FAILURE', `the password of user '${l.user}' changed; reconnect`);
    },
    async execute(sqlText: string, session: Session): Promise<StatementResult> {
      const sql = sqlText
        .replace(/--[^\n]*\n?/g, '')
        .replace(/\s+/g, ' ')
        .trim()
        .replace(/;\s*$/, '');
      let m: RegExpExecArray | null;
      if ((m = /^create database (?:if not exists )?(\w+)/i.exec(sql))) {
        eng.databases.add(m[1]!);
        return exec('Create');
      }
      if ((m = /^use (\w+)$/i.exec(sql))) {
        if (!eng.databases.has(m[1]!))
          throw new BasaltError('DB_NOT_EXIST', `database '${m[1]}' does not exist; create it first`);
        session.db = m[1]!;
        return exec('Use', 0, m[1]!);
      }
      if (/^insert\b/i.test(sql)) {
        const values = sql.slice(sql.toLowerCase().indexOf('values'));
        return exec('Insert', (values.match(/\(/g) ?? []).length);
      }
      if ((m = /^alter user root pass '([^']*)'$/i.exec(sql))) {
        password = m[1]!;
        return exec('Alter');
      }
      if (/^show databases$/i.test(sql)) {
        const names = ['information_schema', 'performance_schema', ...eng.databases];
        return query([{ name: 'name', type: DataType.VARCHAR, bytes: 64 }], async function* () {
          const v = allocVector(DataType.VARCHAR, names.length);
          names.forEach((n, i) => {
            (v.data as string[])[i] = n;
          });
          yield { numRows: names.length, columns: [v] };
        });
      }
      if ((m = /^select big (\d+)$/i.exec(sql))) {
        const n = Number(m[1]);
        return query(BIG_COLUMNS, async function* () {
          let done = false;
          try {
            for (let k = 0; k < n; k += 1000) yield bigBlock(k, Math.min(1000, n - k));
            done = true;
          } finally {
            if (!done) eng.abandoned++;
          }
        });
      }
      if (/^select db$/i.test(sql)) {
        return query([{ name: 'database()', type: DataType.VARCHAR, bytes: 64 }], async function* () {
          const v = allocVector(DataType.VARCHAR, 1, true);
          if (session.db === null) v.nulls![0] = 1;
          else (v.data as string[])[0] = session.db;
          yield { numRows: 1, columns: [v] };
        });
      }
      if (/^select inserted$/i.test(sql)) {
        return query([{ name: 'n', type: DataType.BIGINT, bytes: 8 }], async function* () {
          const v = allocVector(DataType.BIGINT, 1);
          (v.data as BigInt64Array)[0] = inserted;
          yield { numRows: 1, columns: [v] };
        });
      }
      if ((m = /^slow (\d+)$/i.exec(sql))) {
        await new Promise((r) => setTimeout(r, Number(m![1])));
        return exec('Query');
      }
      throw new BasaltError('SYNTAX_ERROR', `near '${sql.slice(0, 20)}': the fake engine does not know this statement`);
    },
    executeStatement(_stmt: Statement, session: Session, text: string): Promise<StatementResult> {
      return eng.execute(text, session);
    },
    // A database the mnode placed (every create database in a cluster) is recorded by name
    // only: the RPC and REST tests run one dnode and need no vgroups behind it.
    async hostPlacedDatabase(name: string): Promise<void> {
      eng.databases.add(name);
    },
    async dropPlacedDatabase(name: string): Promise<void> {
      eng.databases.delete(name);
    },
    placedDatabases: () => [],
    async useDatabase(name: string): Promise<string> {
      if (!eng.databases.has(name))
        throw new BasaltError('DB_NOT_EXIST', `database '${name}' does not exist; create it first`);
      return name;
    },
    async *executeMany(sql: string, session: Session): AsyncIterable<StatementResult> {
      for (const s of sql.split(';')) if (s.trim()) yield await eng.execute(s, session);
    },
    vgroupMap(db: string) {
      if (!eng.databases.has(db)) throw new BasaltError('DB_NOT_EXIST', `database '${db}' does not exist`);
      return [{ vgId: 2, hashBegin: 0, hashEnd: 0xffffffff, leader: null }];
    },
    async insertColumnar(db: string, tables: readonly BulkTable[]): Promise<number> {
      if (!eng.databases.has(db))
        throw new BasaltError('DB_NOT_EXIST', `database '${db}' does not exist; create it first`);
      let n = 0;
      for (const t of tables) {
        eng.bulk.push(t);
        n += t.block.numRows;
      }
      inserted += BigInt(n);
      return n;
    },
    async close(): Promise<void> {
      eng.closed = true;
    },
  };
  return eng;
}
