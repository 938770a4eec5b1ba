// INSERT and the columnar bulk path. Everything is checked before anything is written
// (tables, columns, every value), then each vgroup gets exactly one write() carrying its
// auto-created child tables and its rows, so a failed statement writes nothing.
import { BasaltError } from '../common/errors.js';
import { Limits } from '../common/limits.js';
import { msToTicks, ticksToRfc3339 } from '../common/time.js';
import { formatMinutes } from '../common/db-options.js';
import { DataType, TYPE_NAMES, type ColumnSchema } from '../common/types.js';
import type { ColumnBlock } from '../common/block.js';
import type { ChildTableDef, TableRows } from '../storage/api.js';
import type { DbRecord } from './catalog.js';
import type { InsertStmt, InsertTarget } from '../sql/ast.js';
import type { BulkTable, Session, StatementResult } from './engine-api.js';
import type { EngineCore } from './engine-core.js';
import { BlockBuilder } from './block-builder.js';
import { childTagValues, requireStable } from './ddl-table.js';
import { execResult } from './result-rows.js';
import { checkTableName } from './schema-check.js';
import { convertVal, evalConst } from './value-convert.js';

/** What one statement will write, per vgroup. */
class WritePlan {
  readonly perVg = new Map<number, { createTables: ChildTableDef[]; rows: TableRows[] }>();
  /** `db.table` → schema of tables this statement creates. */
  readonly pending = new Map<string, readonly ColumnSchema[]>();
  rows = 0;

  slot(vgId: number): { createTables: ChildTableDef[]; rows: TableRows[] } {
    let s = this.perVg.get(vgId);
    if (!s) {
      s = { createTables: [], rows: [] };
      this.perVg.set(vgId, s);
    }
    return s;
  }

  async run(core: EngineCore): Promise<void> {
    for (const [vgId, batch] of this.perVg) await core.store(vgId).write(batch);
  }
}

/** The schema of the target table, registering an auto-create when it is missing. */
function resolveTarget(
  core: EngineCore,
  plan: WritePlan,
  db: DbRecord,
  name: string,
  using: { stable: string; tags: () => ChildTableDef['tagValues'] } | null,
): readonly ColumnSchema[] {
  const key = `${db.name}.${name}`;
  const pending = plan.pending.get(key);
  if (pending) return pending;
  if (db.stables.some((t) => t.name === name)) {
    throw new BasaltError(
      'INVALID_PARA',
      `'${key}' is a super table; insert into its child tables (insert into d1 using ${name} tags (...) values (...))`,
    );
  }
  const loc = core.findTable(db, name);
  if (loc) {
    // `using st` names the super table the caller believes owns the table; writing into a
    // table of another super table (or a normal table) would file rows under the wrong schema.
    if (using && loc.info.stable !== using.stable) {
      const owner = loc.info.stable === null ? 'a normal table' : `a child table of super table '${loc.info.stable}'`;
      throw new BasaltError(
        'TABLE_IN_OTHER_STABLE',
        `'${key}' is ${owner}, not of '${using.stable}'; use another table name`,
      );
    }
    return loc.info.columns;
  }
  if (!using)
    throw new BasaltError(
      'TABLE_NOT_EXIST',
      `table '${key}' does not exist; create it first or insert with 'using <stable> tags (...)'`,
    );
  checkTableName(name);
  const st = requireStable(db, using.stable);
  plan.slot(core.route(db, name).vg.vgId).createTables.push({ name, stable: st.name, tagValues: using.tags() });
  plan.pending.set(key, st.columns);
  return st.columns;
}

function planTarget(core: EngineCore, plan: WritePlan, t: InsertTarget, session: Session, nowMs: number): void {
  const db = core.db(core.dbName(t.table.db, session));
  const name = t.table.name;
  const u = t.using;
  const schema = resolveTarget(
    core,
    plan,
    db,
    name,
    u && {
      stable: u.stable.name,
      tags: () => {
        if (u.stable.db !== null && u.stable.db !== db.name) {
          throw new BasaltError(
            'INVALID_PARA',
            `table '${name}' and its super table '${u.stable.db}.${u.stable.name}' must be in the same database`,
          );
        }
        return childTagValues(db, name, requireStable(db, u.stable.name), u.tagNames, u.tagValues, nowMs);
      },
    },
  );
  // Column list → schema positions.
  let positions: number[];
  if (t.columns === null) positions = schema.map((_, i) => i);
  else {
    positions = [];
    const seen = new Set<number>();
    for (const c of t.columns) {
      const idx = schema.findIndex((s) => s.name === c);
      if (idx < 0) throw new BasaltError('COLUMN_NOT_EXIST', `table '${db.name}.${name}' has no column '${c}'`);
      if (seen.has(idx))
        throw new BasaltError('INVALID_COLUMN', `column '${c}' is listed twice for table '${db.name}.${name}'`);
      seen.add(idx);
      positions.push(idx);
    }
    if (!seen.has(0)) {
      throw new BasaltError(
        'INVALID_COLUMN',
        `the column list for table '${db.name}.${name}' must include the primary timestamp '${schema[0]!.name}'`,
      );
    }
  }
  const n = t.rows.length;
  if (n > Limits.maxRowsPerSubmit) {
    throw new BasaltError(
      'INVALID_PARA',
      `${n} rows for table '${db.name}.${name}' in one statement; at most ${Limits.maxRowsPerSubmit}`,
    );
  }
  const precision = db.options.precision;
  const b = new BlockBuilder(schema, n);
  for (let r = 0; r < n; r++) {
    const row = t.rows[r]!;
    if (row.length !== positions.length) {
      throw new BasaltError(
        'INVALID_PARA',
        `table '${db.name}.${name}', row ${r + 1}: ${row.length} value(s) for ${positions.length} column(s)`,
      );
    }
    for (let k = 0; k < positions.length; k++) {
      const col = schema[positions[k]!]!;
      const what = `table '${db.name}.${name}', row ${r + 1}`;
      const v = convertVal(evalConst(row[k]!, { precision, nowMs, what }), col, precision, what);
      if (positions[k] === 0 && v === null) {
        throw new BasaltError('INVALID_TIMESTAMP', `${what}: the primary timestamp '${col.name}' cannot be null`);
      }
      b.set(r, positions[k]!, v);
    }
  }
  const block = b.finish();
  checkKeep(db, name, block, nowMs);
  plan.slot(core.route(db, name).vg.vgId).rows.push({ table: name, block });
  plan.rows += n;
}

export async function insert(core: EngineCore, s: InsertStmt, session: Session): Promise<StatementResult> {
  const nowMs = core.nowMs();
  const plan = new WritePlan();
  for (const t of s.targets) planTarget(core, plan, t, session, nowMs);
  await plan.run(core);
  return execResult('Insert', plan.rows);
}

/**
 * Rows older than the database's keep would be dropped by the next retention pass; refuse
 * them (as TDengine does) rather than accept data that silently disappears.
 */
function checkKeep(db: DbRecord, table: string, block: ColumnBlock, nowMs: number): void {
  const ts = block.columns[0]!.data as Float64Array;
  let min = Infinity;
  for (let i = 0; i < ts.length; i++) if (ts[i]! < min) min = ts[i]!;
  const keepMs = db.options.keepMinutes[2] * 60_000;
  const oldest = msToTicks(nowMs - keepMs, db.options.precision);
  if (min < oldest) {
    throw new BasaltError(
      'INVALID_TIMESTAMP',
      `table '${db.name}.${table}': timestamp ${ticksToRfc3339(min, db.options.precision)} is older than the keep of database '${db.name}' (${formatMinutes(db.options.keepMinutes[2])}); raise keep with 'alter database ${db.name} keep ...'`,
    );
  }
}

function checkBulkBlock(db: DbRecord, table: string, schema: readonly ColumnSchema[], block: ColumnBlock): void {
  const where = `bulk insert into '${db.name}.${table}'`;
  if (block.columns.length !== schema.length) {
    throw new BasaltError(
      'INVALID_PARA',
      `${where}: block has ${block.columns.length} columns, the table has ${schema.length}`,
    );
  }
  if (block.numRows > Limits.maxRowsPerSubmit) {
    throw new BasaltError(
      'INVALID_PARA',
      `${where}: ${block.numRows} rows; at most ${Limits.maxRowsPerSubmit} per table per call`,
    );
  }
  schema.forEach((c, i) => {
    const v = block.columns[i]!;
    if (v.type !== c.type) {
      throw new BasaltError(
        'WRONG_VALUE_TYPE',
        `${where}: column '${c.name}' is ${TYPE_NAMES[c.type]}, block column ${i} is ${TYPE_NAMES[v.type] ?? v.type}`,
      );
    }
    if (v.data.length !== block.numRows || (v.nulls !== null && v.nulls.length !== block.numRows)) {
      throw new BasaltError(
        'BAD_FRAME',
        `${where}: column '${c.name}' has ${v.data.length} values for ${block.numRows} rows`,
      );
    }
    if (c.type === DataType.VARCHAR || c.type === DataType.NCHAR) {
      const strs = v.data as string[];
      for (let r = 0; r < strs.length; r++) {
        const s = strs[r]!;
        // Fast path: a string of at most bytes/3 UTF-16 units cannot exceed `bytes` UTF-8 bytes.
        if (s.length * 3 <= c.bytes) continue;
        const len = c.type === DataType.NCHAR ? [...s].length : Buffer.byteLength(s, 'utf8');
        if (len > c.bytes)
          throw new BasaltError(
            'VALUE_TOO_LONG',
            `${where}, row ${r + 1}: value too long for column '${c.name}' ${TYPE_NAMES[c.type]}(${c.bytes})`,
          );
      }
    }
  });
  const ts = block.columns[0]!;
  if (ts.nulls !== null && ts.nulls.includes(1))
    throw new BasaltError('INVALID_TIMESTAMP', `${where}: the primary timestamp cannot be null`);
  const tsData = ts.data as Float64Array;
  for (let r = 0; r < tsData.length; r++) {
    if (!Number.isSafeInteger(tsData[r]!))
      throw new BasaltError(
        'INVALID_TIMESTAMP',
        `${where}, row ${r + 1}: timestamp ${tsData[r]} is not an integer tick count`,
      );
  }
}

export async function insertColumnar(core: EngineCore, dbName: string, tables: readonly BulkTable[]): Promise<number> {
  const db = core.db(dbName);
  const plan = new WritePlan();
  const nowMs = core.nowMs();
  for (const t of tables) {
    const u = t.using;
    const schema = resolveTarget(
      core,
      plan,
      db,
      t.table,
      u
        ? {
            stable: u.stable,
            tags: () => {
              const st = requireStable(db, u.stable);
              if (u.tags.length !== st.tags.length) {
                throw new BasaltError(
                  'INVALID_PARA',
                  `table '${t.table}': ${u.tags.length} tag value(s) for ${st.tags.length} tag(s) of '${st.name}'`,
                );
              }
              return u.tags;
            },
          }
        : null,
    );
    checkBulkBlock(db, t.table, schema, t.block);
    checkKeep(db, t.table, t.block, nowMs);
    plan.slot(core.route(db, t.table).vg.vgId).rows.push({ table: t.table, block: t.block });
    plan.rows += t.block.numRows;
  }
  await plan.run(core);
  return plan.rows;
}
