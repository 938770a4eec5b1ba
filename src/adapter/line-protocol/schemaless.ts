// Schemaless mapping, as TDengine's: measurement → super table, tags → tags, fields →
// columns, created and widened automatically. This file decides, for one parsed measurement
// and the super table as it stands, the schema the write needs and the DDL that gets there;
// it changes nothing. Every conflict is found here, before any DDL or row is written.
//
//   field i → BIGINT, u → BIGINT UNSIGNED, float → DOUBLE, bool → BOOL, string → VARCHAR(n)
//   tag → VARCHAR(n); n rounds the longest value seen up to a power of two (at least 16
//   bytes for fields and 64 for tags: Basalt cannot widen a tag yet, so tags start roomy)
//   timestamp → `_ts`, TDengine's name for it; a measurement without tags gets the tag
//   `_tag_null` (a super table needs one tag), and `tbname` names the child table.
// A field may also land in an existing column of another type of the same family (an `i`
// value in an INT column, a float in a FLOAT column), range-checked row by row later.
import { BasaltError } from '../../common/errors.js';
import { Limits } from '../../common/limits.js';
import {
  DataType,
  TYPE_BYTES,
  TYPE_NAMES,
  isIntegerType,
  isStringType,
  type ColumnSchema,
} from '../../common/types.js';
import { FIELD_KIND_TEXT, type FieldColumn, type FieldKind, type MeasurementData } from './batch.js';
import { quoteName, type StableSchema } from './schema-cache.js';

export const TS_COLUMN = '_ts';
export const NULL_TAG = '_tag_null';

export interface SchemaChange {
  readonly sql: string;
  /** Which line needs it and why, for the error if the change fails. */
  readonly why: string;
}

export interface MeasurementPlan {
  readonly m: MeasurementData;
  /** The super table as it will be once `ddl` has run. */
  readonly schema: StableSchema;
  /** Statements to run first, in order (empty on the steady path). */
  readonly ddl: readonly SchemaChange[];
  /** For each column of schema.columns: index into m.fields, or -1 (column 0, and columns this write leaves null). */
  readonly fieldOfColumn: Int32Array;
}

/** Length for a VARCHAR that must hold `bytes`: the next power of two, at least `min`. */
export function varcharBytesFor(bytes: number, min: number): number {
  let n = min;
  while (n < bytes) n *= 2;
  return Math.min(n, Limits.maxVarcharBytes);
}

function typeForKind(kind: FieldKind): DataType {
  switch (kind) {
    case 'float':
      return DataType.DOUBLE;
    case 'int':
      return DataType.BIGINT;
    case 'uint':
      return DataType.UBIGINT;
    case 'bool':
      return DataType.BOOL;
    case 'string':
      return DataType.VARCHAR;
  }
}

/** Whether values of `kind` can be stored in a column of `type` (ranges are checked per row). */
export function fits(kind: FieldKind, type: DataType): boolean {
  switch (kind) {
    case 'float':
      return type === DataType.DOUBLE || type === DataType.FLOAT;
    case 'int':
    case 'uint':
      return isIntegerType(type);
    case 'bool':
      return type === DataType.BOOL;
    case 'string':
      return isStringType(type);
  }
}

function columnFor(f: FieldColumn): ColumnSchema {
  const type = typeForKind(f.kind);
  return {
    name: f.name,
    type,
    bytes:
      type === DataType.VARCHAR
        ? varcharBytesFor(f.maxBytes, Limits.lineProtocolMinFieldVarcharBytes)
        : TYPE_BYTES[type],
  };
}

function typeText(c: ColumnSchema): string {
  return isStringType(c.type) ? `${TYPE_NAMES[c.type]}(${c.bytes})` : TYPE_NAMES[c.type];
}

function checkName(name: string, what: string, line: number, maxBytes: number): void {
  if (name.includes('`')) {
    throw new BasaltError(
      'SML_INVALID_DATA',
      `line ${line}: ${what} '${name}' contains a backtick, which Basalt names cannot hold; rename it`,
    );
  }
  const n = Buffer.byteLength(name, 'utf8');
  if (n > maxBytes) {
    throw new BasaltError(
      'SML_INVALID_DATA',
      `line ${line}: ${what} '${name.slice(0, 40)}...' is ${n} bytes; at most ${maxBytes}`,
    );
  }
}

/** Longest value and the line that has it, per tag key, over the series of `m`. */
function tagStats(m: MeasurementData): Map<string, { bytes: number; line: number }> {
  const out = new Map<string, { bytes: number; line: number }>();
  for (const s of m.series) {
    for (let k = 0; k < s.tagKeys.length; k++) {
      const key = s.tagKeys[k]!;
      const bytes = Buffer.byteLength(s.tagValues[k]!, 'utf8');
      const cur = out.get(key);
      if (!cur) out.set(key, { bytes, line: s.firstLine });
      else if (bytes > cur.bytes) {
        cur.bytes = bytes;
        cur.line = s.firstLine;
      }
    }
  }
  return out;
}

/** The schema and DDL one measurement needs against the super table as it is (`cur`, null if missing). */
export function planMeasurement(dbName: string, m: MeasurementData, cur: StableSchema | null): MeasurementPlan {
  const ctx: PlanContext = {
    dbName,
    m,
    tags: checkedTagStats(m),
    table: `${quoteName(dbName)}.${quoteName(m.name)}`,
    ddl: [],
  };
  const schema = cur === null ? planNewStable(ctx) : planExistingStable(ctx, cur);
  const fieldOfColumn = new Int32Array(schema.columns.length).fill(-1);
  m.fields.forEach((f, fi) => {
    const idx = schema.columns.findIndex((c) => c.name === f.name);
    fieldOfColumn[idx] = fi;
  });
  return { m, schema, ddl: ctx.ddl, fieldOfColumn };
}

/** What planning one measurement shares: its tag statistics, the quoted super table name, the DDL so far. */
interface PlanContext {
  readonly dbName: string;
  readonly m: MeasurementData;
  readonly tags: ReadonlyMap<string, { bytes: number; line: number }>;
  /** `db`.`measurement`, quoted for DDL. */
  readonly table: string;
  readonly ddl: SchemaChange[];
}

/** tagStats of `m`, once its measurement, tag and field names are checked (no name both a tag and a field). */
function checkedTagStats(m: MeasurementData): Map<string, { bytes: number; line: number }> {
  checkName(m.name, 'measurement', m.firstLine, Limits.maxTableNameBytes);
  const tags = tagStats(m);
  for (const [key, st] of tags)
    checkName(key, `tag key of measurement '${m.name}'`, st.line, Limits.maxColumnNameBytes);
  for (const f of m.fields) {
    checkName(f.name, `field key of measurement '${m.name}'`, f.firstLine, Limits.maxColumnNameBytes);
    if (tags.has(f.name)) {
      throw new BasaltError(
        'SML_INVALID_DATA',
        `line ${f.firstLine}: measurement '${m.name}' has '${f.name}' both as a tag and as a field; a name is one or the other`,
      );
    }
  }
  return tags;
}

/** No super table yet: one `create stable` with a column per field and a tag per tag key. */
function planNewStable(ctx: PlanContext): StableSchema {
  const { dbName, m } = ctx;
  for (const f of m.fields) {
    if (f.name === TS_COLUMN)
      throw new BasaltError(
        'SML_INVALID_DATA',
        `line ${f.firstLine}: field '${TS_COLUMN}' of measurement '${m.name}' is the name of the timestamp column; rename the field`,
      );
  }
  const columns: ColumnSchema[] = [{ name: TS_COLUMN, type: DataType.TIMESTAMP, bytes: 8 }, ...m.fields.map(columnFor)];
  const tagCols: ColumnSchema[] = [...ctx.tags].map(([name, st]) => ({
    name,
    type: DataType.VARCHAR,
    bytes: varcharBytesFor(st.bytes, Limits.lineProtocolMinTagVarcharBytes),
  }));
  if (tagCols.length === 0) tagCols.push({ name: NULL_TAG, type: DataType.VARCHAR, bytes: 16 });
  if (tagCols.some((t) => t.name === TS_COLUMN))
    throw new BasaltError(
      'SML_INVALID_DATA',
      `line ${m.firstLine}: tag '${TS_COLUMN}' of measurement '${m.name}' is the name of the timestamp column; rename the tag`,
    );
  if (columns.length > Limits.maxColumns || tagCols.length > Limits.maxTags) {
    throw new BasaltError(
      'TOO_MANY_COLUMNS',
      `line ${m.firstLine}: measurement '${m.name}' has ${columns.length - 1} fields and ${tagCols.length} tags; at most ${Limits.maxColumns - 1} and ${Limits.maxTags}`,
    );
  }
  const defs = (cs: ColumnSchema[]): string => cs.map((c) => `${quoteName(c.name)} ${typeText(c)}`).join(', ');
  ctx.ddl.push({
    sql: `create stable if not exists ${ctx.table} (${defs(columns)}) tags (${defs(tagCols)})`,
    why: `line ${m.firstLine}: creating super table '${dbName}.${m.name}' for measurement '${m.name}'`,
  });
  return { name: m.name, columns, tags: tagCols };
}

/** The super table exists: add or widen columns for the fields and tags for the tag keys. */
function planExistingStable(ctx: PlanContext, cur: StableSchema): StableSchema {
  const { dbName, m } = ctx;
  const columns = [...cur.columns];
  const tagCols = [...cur.tags];
  planFields(ctx, columns, tagCols);
  planTags(ctx, columns, tagCols);
  if (columns.length > Limits.maxColumns || tagCols.length > Limits.maxTags) {
    throw new BasaltError(
      'TOO_MANY_COLUMNS',
      `line ${m.firstLine}: super table '${dbName}.${m.name}' would have ${columns.length} columns and ${tagCols.length} tags; at most ${Limits.maxColumns} and ${Limits.maxTags}`,
    );
  }
  return { name: m.name, columns, tags: tagCols };
}

/** Each field against the existing columns: a new column, a widened VARCHAR, or a type conflict. */
function planFields(ctx: PlanContext, columns: ColumnSchema[], tagCols: readonly ColumnSchema[]): void {
  const { dbName, m, table, ddl } = ctx;
  for (const f of m.fields) {
    const idx = columns.findIndex((c) => c.name === f.name);
    if (idx === 0)
      throw new BasaltError(
        'SML_INVALID_DATA',
        `line ${f.firstLine}: field '${f.name}' of measurement '${m.name}' is the name of the timestamp column; rename the field`,
      );
    if (tagCols.some((t) => t.name === f.name)) {
      throw new BasaltError(
        'SML_INVALID_DATA',
        `line ${f.firstLine}: field '${f.name}' of measurement '${m.name}' is a tag of super table '${dbName}.${m.name}'; a name is a tag or a field, not both`,
      );
    }
    if (idx < 0) {
      const c = columnFor(f);
      columns.push(c);
      ddl.push({
        sql: `alter stable ${table} add column ${quoteName(c.name)} ${typeText(c)}`,
        why: `line ${f.firstLine}: adding column '${c.name}' ${typeText(c)} to '${dbName}.${m.name}' for a new field`,
      });
      continue;
    }
    const col = columns[idx]!;
    if (!fits(f.kind, col.type)) {
      throw new BasaltError(
        'SML_NOT_SAME_TYPE',
        `line ${f.firstLine}: field '${f.name}' of measurement '${m.name}' is ${FIELD_KIND_TEXT[f.kind]}, but column '${col.name}' of '${dbName}.${m.name}' is ${typeText(col)}; ` +
          `write it as the column's type or use another field name`,
        { line: f.firstLine, field: f.name, measurement: m.name },
      );
    }
    if (isStringType(col.type) && f.maxBytes > col.bytes) {
      const c = { ...col, bytes: varcharBytesFor(f.maxBytes, Limits.lineProtocolMinFieldVarcharBytes) };
      columns[idx] = c;
      ddl.push({
        sql: `alter stable ${table} modify column ${quoteName(c.name)} ${typeText(c)}`,
        why: `line ${f.firstLine}: widening column '${c.name}' of '${dbName}.${m.name}' from ${typeText(col)} to ${typeText(c)} for a ${f.maxBytes}-byte value`,
      });
    }
  }
}

/** Each tag key against the existing tags: a new tag, a widened one, or a clash with a column. */
function planTags(ctx: PlanContext, columns: readonly ColumnSchema[], tagCols: ColumnSchema[]): void {
  const { dbName, m, table, ddl } = ctx;
  for (const [name, st] of ctx.tags) {
    const idx = tagCols.findIndex((t) => t.name === name);
    if (columns.some((c) => c.name === name)) {
      throw new BasaltError(
        'SML_INVALID_DATA',
        `line ${st.line}: tag '${name}' of measurement '${m.name}' is a column of super table '${dbName}.${m.name}'; a name is a tag or a field, not both`,
      );
    }
    if (idx < 0) {
      const t = {
        name,
        type: DataType.VARCHAR,
        bytes: varcharBytesFor(st.bytes, Limits.lineProtocolMinTagVarcharBytes),
      };
      tagCols.push(t);
      ddl.push({
        sql: `alter stable ${table} add tag ${quoteName(t.name)} ${typeText(t)}`,
        why: `line ${st.line}: adding tag '${t.name}' ${typeText(t)} to '${dbName}.${m.name}' for a new tag key`,
      });
      continue;
    }
    const tag = tagCols[idx]!;
    if (isStringType(tag.type) && st.bytes > tag.bytes) {
      const t = { ...tag, bytes: varcharBytesFor(st.bytes, Limits.lineProtocolMinTagVarcharBytes) };
      tagCols[idx] = t;
      ddl.push({
        sql: `alter stable ${table} modify tag ${quoteName(t.name)} ${typeText(t)}`,
        why: `line ${st.line}: widening tag '${t.name}' of '${dbName}.${m.name}' from ${typeText(tag)} to ${typeText(t)} for a ${st.bytes}-byte value`,
      });
    }
  }
}
