// create / drop / alter of super, child and normal tables. Super tables are recorded in the
// catalog (the mnode's view) and created in every vgroup of the database; child and normal
// tables live only in the vgroup their name hashes to.
import { BasaltError } from '../common/errors.js';
import { DataType, TYPE_NAMES, isStringType, type ColumnSchema } from '../common/types.js';
import type { ChildTableDef as StoreChildDef, TagValue, VnodeTables } from '../storage/api.js';
import type { DbRecord, StableRecord } from './catalog.js';
import type {
  AlterTableStmt,
  CreateChildTablesStmt,
  CreateStableStmt,
  CreateTableStmt,
  DropStableStmt,
  DropTableStmt,
  Expr,
  Session,
} from './ddl-types.js';
import type { StatementResult } from './engine-api.js';
import type { EngineCore } from './engine-core.js';
import { execResult } from './result-rows.js';
import { checkColumns, checkTableName, checkTags, columnSchemaOf } from './schema-check.js';
import { convertVal, evalConst } from './value-convert.js';

function tableExistsError(db: string, name: string): BasaltError {
  return new BasaltError('TABLE_ALREADY_EXISTS', `table '${db}.${name}' already exists; use 'if not exists' to ignore`);
}

export async function createStable(core: EngineCore, s: CreateStableStmt, session: Session): Promise<StatementResult> {
  const db = core.db(core.dbName(s.table.db, session));
  const name = s.table.name;
  if (db.stables.some((t) => t.name === name)) {
    if (s.ifNotExists) return execResult('Create');
    throw new BasaltError(
      'STB_ALREADY_EXISTS',
      `super table '${db.name}.${name}' already exists; use 'if not exists' to ignore`,
    );
  }
  if (core.findTable(db, name)) {
    if (s.ifNotExists) return execResult('Create');
    throw tableExistsError(db.name, name);
  }
  const columns = checkColumns(name, s.columns);
  const tags = checkTags(name, s.tags, columns);
  const stable: StableRecord = { name, columns, tags, createdAtMs: core.nowMs() };
  core.catalog.commit({ op: 'putStable', db: db.name, stable });
  for (const vg of db.vgroups) await core.store(vg.vgId).createSuperTable({ name, columns, tags });
  return execResult('Create');
}

export async function createTable(core: EngineCore, s: CreateTableStmt, session: Session): Promise<StatementResult> {
  const db = core.db(core.dbName(s.table.db, session));
  const name = s.table.name;
  if (core.findTable(db, name) || db.stables.some((t) => t.name === name)) {
    if (s.ifNotExists) return execResult('Create');
    throw tableExistsError(db.name, name);
  }
  const columns = checkColumns(name, s.columns);
  await core.route(db, name).store.createNormalTable({ name, columns });
  return execResult('Create');
}

/** Tag values of a child table, from `using st [(names)] tags (values)`. */
export function childTagValues(
  db: DbRecord,
  table: string,
  stable: StableRecord,
  tagNames: readonly string[] | null,
  exprs: readonly Expr[],
  nowMs: number,
): TagValue[] {
  const names = tagNames ?? stable.tags.map((t) => t.name);
  if (names.length !== exprs.length) {
    throw new BasaltError(
      'INVALID_PARA',
      `table '${table}': ${exprs.length} tag value(s) for ${names.length} tag(s) of super table '${stable.name}'`,
    );
  }
  const values: TagValue[] = stable.tags.map(() => null);
  const given = new Set<string>();
  names.forEach((n, i) => {
    const idx = stable.tags.findIndex((t) => t.name === n);
    if (idx < 0) throw new BasaltError('TAG_NOT_EXIST', `super table '${stable.name}' has no tag '${n}'`);
    if (given.has(n)) throw new BasaltError('INVALID_PARA', `table '${table}': tag '${n}' is given twice`);
    given.add(n);
    values[idx] = tagValue(db, table, stable.tags[idx]!, exprs[i]!, nowMs);
  });
  return values;
}

function tagValue(db: DbRecord, table: string, tag: ColumnSchema, e: Expr, nowMs: number): TagValue {
  const what = `tag '${tag.name}' of table '${table}'`;
  const p = db.options.precision;
  const v = convertVal(evalConst(e, { precision: p, nowMs, what }), tag, p, what);
  return tag.type === DataType.BOOL && typeof v === 'number' ? v === 1 : v;
}

export function requireStable(db: DbRecord, name: string): StableRecord {
  const st = db.stables.find((t) => t.name === name);
  if (!st) throw new BasaltError('STB_NOT_EXIST', `super table '${db.name}.${name}' does not exist`);
  return st;
}

export async function createChildTables(
  core: EngineCore,
  s: CreateChildTablesStmt,
  session: Session,
): Promise<StatementResult> {
  const nowMs = core.nowMs();
  // Validate every table first; then one atomic write per vgroup.
  const perVg = new Map<number, StoreChildDef[]>();
  const seen = new Set<string>();
  for (const d of s.tables) {
    const db = core.db(core.dbName(d.table.db, session));
    const stDb = core.db(core.dbName(d.stable.db ?? db.name, session));
    if (stDb.name !== db.name) {
      throw new BasaltError(
        'INVALID_PARA',
        `child table '${d.table.name}' must be in the database of its super table '${stDb.name}.${d.stable.name}'`,
      );
    }
    const name = d.table.name;
    checkTableName(name);
    const st = requireStable(db, d.stable.name);
    const key = `${db.name}.${name}`;
    if (core.findTable(db, name) || db.stables.some((t) => t.name === name) || seen.has(key)) {
      if (d.ifNotExists) continue;
      throw tableExistsError(db.name, name);
    }
    seen.add(`${db.name}.${name}`);
    const tagValues = childTagValues(db, name, st, d.tagNames, d.tagValues, nowMs);
    const vgId = core.route(db, name).vg.vgId;
    const list = perVg.get(vgId) ?? [];
    list.push({ name, stable: st.name, tagValues });
    perVg.set(vgId, list);
  }
  for (const [vgId, createTables] of perVg) await core.store(vgId).write({ createTables, rows: [] });
  return execResult('Create');
}

export async function dropTables(core: EngineCore, s: DropTableStmt, session: Session): Promise<StatementResult> {
  const targets: Array<{ db: DbRecord; name: string; stable: boolean }> = [];
  for (const t of s.tables) {
    const db = core.db(core.dbName(t.db, session));
    if (db.stables.some((x) => x.name === t.name)) {
      targets.push({ db, name: t.name, stable: true });
      continue;
    }
    if (!core.findTable(db, t.name)) {
      if (s.ifExists) continue;
      throw new BasaltError(
        'TABLE_NOT_EXIST',
        `table '${db.name}.${t.name}' does not exist; use 'drop table if exists' to ignore`,
      );
    }
    targets.push({ db, name: t.name, stable: false });
  }
  for (const t of targets) {
    if (t.stable) await dropStableIn(core, t.db, t.name);
    else await core.route(t.db, t.name).store.dropTable(t.name);
  }
  return execResult('Drop');
}

async function dropStableIn(core: EngineCore, db: DbRecord, name: string): Promise<void> {
  core.catalog.commit({ op: 'dropStable', db: db.name, name });
  for (const vg of db.vgroups) await core.store(vg.vgId).dropTable(name);
}

export async function dropStable(core: EngineCore, s: DropStableStmt, session: Session): Promise<StatementResult> {
  const db = core.db(core.dbName(s.table.db, session));
  if (!db.stables.some((t) => t.name === s.table.name)) {
    if (s.ifExists) return execResult('Drop');
    const other = core.findTable(db, s.table.name);
    throw new BasaltError(
      'STB_NOT_EXIST',
      other
        ? `'${db.name}.${s.table.name}' is a ${other.info.kind} table, not a super table; use 'drop table'`
        : `super table '${db.name}.${s.table.name}' does not exist; use 'drop stable if exists' to ignore`,
    );
  }
  await dropStableIn(core, db, s.table.name);
  return execResult('Drop');
}

export async function alterTable(core: EngineCore, s: AlterTableStmt, session: Session): Promise<StatementResult> {
  const db = core.db(core.dbName(s.table.db, session));
  const name = s.table.name;
  const st = db.stables.find((t) => t.name === name);
  const a = s.action;
  if (st) return alterStable(core, db, st, s);
  const loc = core.findTable(db, name);
  if (!loc) throw new BasaltError('TABLE_NOT_EXIST', `table '${db.name}.${name}' does not exist`);
  if (s.stable) throw new BasaltError('STB_NOT_EXIST', `'${db.name}.${name}' is not a super table; use 'alter table'`);
  const info = loc.info;
  if (a.action === 'setTag') {
    if (info.kind !== 'child')
      throw new BasaltError('INVALID_PARA', `table '${db.name}.${name}' is a normal table and has no tags`);
    const idx = info.tags.findIndex((t) => t.name === a.name);
    if (idx < 0) throw new BasaltError('TAG_NOT_EXIST', `table '${db.name}.${name}' has no tag '${a.name}'`);
    const v = tagValue(db, name, info.tags[idx]!, a.value, core.nowMs());
    await loc.store.setTag(name, a.name, v);
    return execResult('Alter');
  }
  if (info.kind === 'child') {
    throw new BasaltError(
      'INVALID_PARA',
      `table '${db.name}.${name}' is a child table of '${info.stable ?? ''}'; alter its super table's columns instead`,
    );
  }
  const cols = info.columns;
  switch (a.action) {
    case 'addColumn': {
      const c = columnSchemaOf(name, a.column, 'column');
      if (cols.some((x) => x.name === c.name))
        throw new BasaltError('COLUMN_ALREADY_EXISTS', `table '${db.name}.${name}' already has column '${c.name}'`);
      await loc.store.addColumn(name, c);
      break;
    }
    case 'dropColumn':
      checkDropColumn(db, name, cols, a.name);
      await loc.store.dropColumn(name, a.name);
      break;
    case 'modifyColumn': {
      const c = checkModify(db, name, cols, columnSchemaOf(name, a.column, 'column'), 'column');
      await loc.store.modifyColumn(name, c.name, c.bytes);
      break;
    }
    case 'addTag':
    case 'dropTag':
    case 'modifyTag':
    case 'renameTag':
      throw new BasaltError('INVALID_PARA', `table '${db.name}.${name}' is a normal table and has no tags`);
    case 'renameColumn':
      throw new BasaltError(
        'NOT_SUPPORTED',
        `renaming column '${a.oldName}' of '${db.name}.${name}' is not supported yet; add a new column instead`,
      );
  }
  return execResult('Alter');
}

function checkDropColumn(db: DbRecord, table: string, cols: readonly ColumnSchema[], col: string): void {
  const idx = cols.findIndex((x) => x.name === col);
  if (idx < 0) throw new BasaltError('COLUMN_NOT_EXIST', `table '${db.name}.${table}' has no column '${col}'`);
  if (idx === 0)
    throw new BasaltError(
      'INVALID_COLUMN',
      `'${col}' is the primary timestamp of '${db.name}.${table}' and cannot be dropped`,
    );
  if (cols.length <= 2)
    throw new BasaltError(
      'INVALID_COLUMN',
      `'${db.name}.${table}' must keep at least one column besides the timestamp`,
    );
}

function checkModify(
  db: DbRecord,
  table: string,
  list: readonly ColumnSchema[],
  c: ColumnSchema,
  what: 'column' | 'tag',
): ColumnSchema {
  const old = list.find((x) => x.name === c.name);
  if (!old)
    throw new BasaltError(
      what === 'column' ? 'COLUMN_NOT_EXIST' : 'TAG_NOT_EXIST',
      `table '${db.name}.${table}' has no ${what} '${c.name}'`,
    );
  if (!isStringType(old.type) || old.type !== c.type) {
    throw new BasaltError(
      'INVALID_DATA_TYPE',
      `${what} '${c.name}' of '${db.name}.${table}' is ${TYPE_NAMES[old.type]}; only VARCHAR/NCHAR lengths can be modified, to a larger length of the same type`,
    );
  }
  if (c.bytes <= old.bytes) {
    throw new BasaltError(
      'INVALID_PARA',
      `${what} '${c.name}' of '${db.name}.${table}' is ${TYPE_NAMES[old.type]}(${old.bytes}); the new length must be larger`,
    );
  }
  return c;
}

async function alterStable(
  core: EngineCore,
  db: DbRecord,
  st: StableRecord,
  s: AlterTableStmt,
): Promise<StatementResult> {
  const a = s.action;
  const name = st.name;
  const all = [...st.columns, ...st.tags];
  let next: StableRecord;
  let apply: (store: VnodeTables) => Promise<void>;
  switch (a.action) {
    case 'addColumn':
    case 'addTag': {
      const what = a.action === 'addColumn' ? 'column' : 'tag';
      const c = columnSchemaOf(name, a.column, what);
      if (all.some((x) => x.name === c.name)) {
        throw new BasaltError(
          what === 'column' ? 'COLUMN_ALREADY_EXISTS' : 'TAG_ALREADY_EXISTS',
          `super table '${db.name}.${name}' already has a column or tag '${c.name}'`,
        );
      }
      if (what === 'column') {
        next = { ...st, columns: [...st.columns, c] };
        apply = (store) => store.addColumn(name, c);
      } else {
        next = { ...st, tags: [...st.tags, c] };
        apply = (store) => store.addTag(name, c);
      }
      break;
    }
    case 'dropColumn':
      checkDropColumn(db, name, st.columns, a.name);
      next = { ...st, columns: st.columns.filter((c) => c.name !== a.name) };
      apply = (store) => store.dropColumn(name, a.name);
      break;
    case 'modifyColumn': {
      const c = checkModify(db, name, st.columns, columnSchemaOf(name, a.column, 'column'), 'column');
      next = { ...st, columns: st.columns.map((x) => (x.name === c.name ? c : x)) };
      apply = (store) => store.modifyColumn(name, c.name, c.bytes);
      break;
    }
    case 'setTag':
      throw new BasaltError('INVALID_PARA', `'${db.name}.${name}' is a super table; set tags on its child tables`);
    case 'dropTag':
    case 'modifyTag':
    case 'renameTag':
    case 'renameColumn':
      throw new BasaltError('NOT_SUPPORTED', `'${a.action}' on super table '${db.name}.${name}' is not supported yet`);
  }
  core.catalog.commit({ op: 'putStable', db: db.name, stable: next });
  for (const vg of db.vgroups) await apply(core.store(vg.vgId));
  return execResult('Alter');
}
