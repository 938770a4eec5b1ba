// describe, show [db.]tables|stables, show create table|stable|database: what users see of
// their schemas. Column names and shapes follow TDengine 3.x.
import { BasaltError } from '../common/errors.js';
import { DataType, TYPE_NAMES, isStringType, type ColumnSchema } from '../common/types.js';
import type { TagValue } from '../storage/api.js';
import { formatMinutes } from '../common/db-options.js';
import type {
  DescribeStmt,
  ShowCreateDatabaseStmt,
  ShowCreateStableStmt,
  ShowCreateTableStmt,
  ShowStablesStmt,
  ShowTablesStmt,
} from '../sql/ast.js';
import type { Session, StatementResult } from './engine-api.js';
import type { EngineCore } from './engine-core.js';
import { likeToRegExp } from '../common/like.js';
import { queryResult, varcharCol, col, type Cell } from './result-rows.js';

function typeText(c: ColumnSchema): string {
  return isStringType(c.type) ? `${TYPE_NAMES[c.type]}(${c.bytes})` : TYPE_NAMES[c.type];
}

export function describe(core: EngineCore, s: DescribeStmt, session: Session): StatementResult {
  const db = core.db(core.dbName(s.table.db, session));
  const st = db.stables.find((t) => t.name === s.table.name);
  const info = st ? { columns: st.columns, tags: st.tags } : core.requireTable(db, s.table.name).info;
  const rows: Cell[][] = [];
  for (const c of info.columns) rows.push([c.name, TYPE_NAMES[c.type], c.bytes, '']);
  for (const c of info.tags) rows.push([c.name, TYPE_NAMES[c.type], c.bytes, 'TAG']);
  return queryResult(
    [varcharCol('field', 64), varcharCol('type', 20), col('length', DataType.INT), varcharCol('note', 8)],
    rows,
  );
}

function filterLike(names: string[], like: string | null): string[] {
  if (like === null) return names;
  const re = likeToRegExp(like);
  return names.filter((n) => re.test(n));
}

export function showTables(core: EngineCore, s: ShowTablesStmt, session: Session): StatementResult {
  const db = core.db(core.dbName(s.db, session));
  const names: string[] = [];
  for (const vg of db.vgroups) {
    const store = core.store(vg.vgId);
    for (const t of store.listTables()) if (t.kind !== 'super') names.push(t.name);
  }
  names.sort();
  return queryResult(
    [varcharCol('table_name', 192)],
    filterLike(names, s.like).map((n) => [n]),
  );
}

export function showStables(core: EngineCore, s: ShowStablesStmt, session: Session): StatementResult {
  const db = core.db(core.dbName(s.db, session));
  const names = db.stables.map((t) => t.name).sort();
  return queryResult(
    [varcharCol('stable_name', 192)],
    filterLike(names, s.like).map((n) => [n]),
  );
}

function quoteIdent(n: string): string {
  return '`' + n.replace(/`/g, '``') + '`';
}

function colsText(cols: readonly ColumnSchema[]): string {
  return cols.map((c) => `${quoteIdent(c.name)} ${typeText(c)}`).join(', ');
}

function tagLiteral(v: TagValue, t: ColumnSchema): string {
  if (v === null) return 'NULL';
  if (isStringType(t.type)) return `"${String(v).replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
  return String(v);
}

export function showCreateTable(
  core: EngineCore,
  s: ShowCreateTableStmt | ShowCreateStableStmt,
  session: Session,
): StatementResult {
  const db = core.db(core.dbName(s.table.db, session));
  const name = s.table.name;
  const st = db.stables.find((t) => t.name === name);
  let text: string;
  if (st) {
    text = `CREATE STABLE ${quoteIdent(name)} (${colsText(st.columns)}) TAGS (${colsText(st.tags)})`;
  } else {
    if (s.kind === 'showCreateStable') {
      throw new BasaltError('STB_NOT_EXIST', `super table '${db.name}.${name}' does not exist`);
    }
    const info = core.requireTable(db, name).info;
    if (info.kind === 'child') {
      const tagNames = info.tags.map((t) => quoteIdent(t.name)).join(', ');
      const tagVals = info.tags.map((t, i) => tagLiteral(info.tagValues[i] ?? null, t)).join(', ');
      text = `CREATE TABLE ${quoteIdent(name)} USING ${quoteIdent(info.stable ?? '')} (${tagNames}) TAGS (${tagVals})`;
    } else {
      text = `CREATE TABLE ${quoteIdent(name)} (${colsText(info.columns)})`;
    }
  }
  return queryResult([varcharCol('Table', 192), varcharCol('Create Table', Math.max(text.length, 1))], [[name, text]]);
}

export function createDatabaseText(core: EngineCore, name: string): string {
  const o = core.catalog.requireDb(name).options;
  return (
    `CREATE DATABASE ${quoteIdent(name)} BUFFER ${o.bufferMb} DURATION ${formatMinutes(o.durationMinutes)} ` +
    `KEEP ${o.keepMinutes.map(formatMinutes).join(',')} MAXROWS ${o.maxRows} MINROWS ${o.minRows} ` +
    `PRECISION '${o.precision}' REPLICA ${o.replica} VGROUPS ${o.vgroups} WAL_LEVEL ${o.walLevel} ` +
    `WAL_FSYNC_PERIOD ${o.walFsyncPeriodMs}`
  );
}

export function showCreateDatabase(core: EngineCore, s: ShowCreateDatabaseStmt): StatementResult {
  core.db(s.name);
  const text = createDatabaseText(core, s.name);
  return queryResult([varcharCol('Database', 64), varcharCol('Create Database', text.length)], [[s.name, text]]);
}
