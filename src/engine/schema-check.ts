// Checks on column/tag definitions of create/alter statements, turning AST ColumnDefs
// into storage ColumnSchemas. Errors name the table and the column.
import { BasaltError } from '../common/errors.js';
import { Limits } from '../common/limits.js';
import { DataType, TYPE_BYTES, isStringType, type ColumnSchema } from '../common/types.js';
import type { ColumnDef } from '../sql/ast.js';

export function checkTableName(name: string): void {
  const n = Buffer.byteLength(name, 'utf8');
  if (n === 0 || n > Limits.maxTableNameBytes) {
    throw new BasaltError('INVALID_IDENTIFIER', `table name '${name}' must be 1 to ${Limits.maxTableNameBytes} bytes`);
  }
}

export function columnSchemaOf(table: string, d: ColumnDef, what: 'column' | 'tag'): ColumnSchema {
  const nameBytes = Buffer.byteLength(d.name, 'utf8');
  if (nameBytes === 0 || nameBytes > Limits.maxColumnNameBytes) {
    throw new BasaltError(
      'INVALID_IDENTIFIER',
      `${what} name '${d.name}' of table '${table}' must be 1 to ${Limits.maxColumnNameBytes} bytes`,
    );
  }
  const t = d.type.type;
  if (!isStringType(t)) return { name: d.name, type: t, bytes: TYPE_BYTES[t] };
  const max = t === DataType.NCHAR ? Limits.maxNcharChars : Limits.maxVarcharBytes;
  const len = d.type.length;
  if (len === null || !Number.isInteger(len) || len < 1 || len > max) {
    throw new BasaltError(
      'INVALID_DATA_TYPE',
      `${what} '${d.name}' of table '${table}': ${d.type.text} needs a length from 1 to ${max}, e.g. ${t === DataType.NCHAR ? 'NCHAR' : 'VARCHAR'}(16)`,
    );
  }
  return { name: d.name, type: t, bytes: len };
}

/** Columns of a new table: first TIMESTAMP, at least one more, unique names. */
export function checkColumns(table: string, defs: readonly ColumnDef[]): ColumnSchema[] {
  checkTableName(table);
  if (defs.length < 2) {
    throw new BasaltError(
      'INVALID_COLUMN',
      `table '${table}' needs a TIMESTAMP first column and at least one more column`,
    );
  }
  if (defs.length > Limits.maxColumns) {
    throw new BasaltError(
      'TOO_MANY_COLUMNS',
      `table '${table}' has ${defs.length} columns; at most ${Limits.maxColumns}`,
    );
  }
  const cols = defs.map((d) => columnSchemaOf(table, d, 'column'));
  if (cols[0]!.type !== DataType.TIMESTAMP) {
    throw new BasaltError(
      'INVALID_COLUMN',
      `the first column '${cols[0]!.name}' of table '${table}' must be TIMESTAMP (the primary key)`,
    );
  }
  checkUnique(table, cols, []);
  return cols;
}

export function checkTags(table: string, defs: readonly ColumnDef[], columns: readonly ColumnSchema[]): ColumnSchema[] {
  if (defs.length < 1) throw new BasaltError('INVALID_COLUMN', `super table '${table}' needs at least one tag`);
  if (defs.length > Limits.maxTags) {
    throw new BasaltError(
      'TOO_MANY_COLUMNS',
      `super table '${table}' has ${defs.length} tags; at most ${Limits.maxTags}`,
    );
  }
  const tags = defs.map((d) => columnSchemaOf(table, d, 'tag'));
  checkUnique(table, tags, columns);
  if (columns.length + tags.length > Limits.maxColumns) {
    throw new BasaltError(
      'TOO_MANY_COLUMNS',
      `super table '${table}' has ${columns.length + tags.length} columns and tags; at most ${Limits.maxColumns}`,
    );
  }
  return tags;
}

function checkUnique(table: string, list: readonly ColumnSchema[], others: readonly ColumnSchema[]): void {
  const seen = new Set(others.map((c) => c.name));
  for (const c of list) {
    if (seen.has(c.name)) {
      throw new BasaltError(
        'COLUMN_ALREADY_EXISTS',
        `table '${table}' names '${c.name}' twice; column and tag names must be unique`,
      );
    }
    seen.add(c.name);
  }
}
