// Parsed measurement + planned super table → the columnar bulk insert: one block per child
// table, columns in the super table's order, tag values in its tag order. Rows of one series
// that sit together in the request (the usual case: a client sends a device's points in a
// run) become views of the parsed arrays, no copy; others are gathered. Values that need a
// narrower column (an `i` value in an INT column, a float in a FLOAT column) are converted
// and range-checked here, with the line number in the error, before anything is written.
import { assert } from '../../common/assert.js';
import type { ColumnData, ColumnVector } from '../../common/block.js';
import { allocData } from '../../common/block.js';
import { BasaltError } from '../../common/errors.js';
import { Limits } from '../../common/limits.js';
import { DataType, INT_RANGE, TYPE_NAMES, isIntegerType, isStringType, type ColumnSchema } from '../../common/types.js';
import type { BulkTable, TagValue } from '../../client/index.js';
import { groupRowsBySeries, type FieldColumn, type MeasurementData } from './batch.js';
import type { MeasurementPlan } from './schemaless.js';
import { derivedTableName, seriesCanonicalKey } from './table-name.js';

const FLOAT32_MAX = 3.4028234663852886e38;

/**
 * The bulk-insert tables for one planned measurement. `ownerOf` names the super table of child tables already
 * written (by earlier requests, or earlier measurements of this one) to their super table: a
 * `tbname` that belongs to another measurement is refused, since the bulk insert would put
 * the values positionally into the other super table's columns.
 */
export function buildTables(
  plan: MeasurementPlan,
  derivedNames: Map<string, string>,
  ownerOf: (table: string) => string | undefined,
): BulkTable[] {
  const { m, schema } = plan;
  const groups = groupRowsBySeries(m);
  // Series → child table; two series may share one (same tbname, or tags in another order).
  const byTable = new Map<string, number[]>();
  for (let s = 0; s < m.series.length; s++) {
    const ser = m.series[s]!;
    const name = ser.tbname ?? derivedTableName(seriesCanonicalKey(m.name, ser), derivedNames);
    if (Buffer.byteLength(name, 'utf8') > Limits.maxTableNameBytes || name.includes('`')) {
      throw new BasaltError(
        'SML_INVALID_DATA',
        `line ${ser.firstLine}: tbname '${name.slice(0, 40)}' is not a valid table name (at most ${Limits.maxTableNameBytes} bytes, no backticks)`,
      );
    }
    const owner = ownerOf(name);
    if (owner !== undefined && owner !== m.name) {
      throw new BasaltError(
        'SML_INVALID_DATA',
        `line ${ser.firstLine}: table '${name}' is a child table of '${owner}', not of measurement '${m.name}'; give this series another tbname`,
      );
    }
    const list = byTable.get(name);
    if (list) list.push(s);
    else byTable.set(name, [s]);
  }
  // When the request is not in series order (each line another device), every column is
  // permuted once into series order, so that each table's block is views of those arrays
  // rather than a gather and a few allocations per table and column.
  const identity = isIdentity(groups.order);
  const grouped: MeasurementPlan = identity ? plan : { ...plan, m: permute(m, groups.order) };
  const positions = identity ? groups.order : iota(m.rows);
  const out: BulkTable[] = [];
  for (const [table, seriesList] of byTable) {
    const first = m.series[seriesList[0]!]!;
    const tags = schema.tags.map((t) => tagValue(t, first.tagKeys, first.tagValues, m, first.firstLine));
    let rows: Int32Array;
    let source = grouped;
    if (seriesList.length === 1) {
      const s = seriesList[0]!;
      rows = positions.subarray(groups.start[s]!, groups.start[s + 1]!);
    } else {
      source = plan; // rows of the original order, sorted below

      const parts = seriesList.map((s) => groups.order.subarray(groups.start[s]!, groups.start[s + 1]!));
      rows = new Int32Array(parts.reduce((a, p) => a + p.length, 0));
      let o = 0;
      for (const p of parts) {
        rows.set(p, o);
        o += p.length;
      }
      // Line order, so that a repeated timestamp keeps the last line's values.
      rows.sort();
    }
    for (let from = 0; from < rows.length; from += Limits.maxRowsPerSubmit) {
      const part = rows.subarray(from, Math.min(rows.length, from + Limits.maxRowsPerSubmit));
      out.push({
        table,
        using: { stable: schema.name, tags },
        block: { numRows: part.length, columns: buildColumns(source, part) },
      });
    }
  }
  return out;
}

function isIdentity(order: Int32Array): boolean {
  for (let k = 0; k < order.length; k++) if (order[k] !== k) return false;
  return true;
}

function iota(n: number): Int32Array {
  const a = new Int32Array(n);
  for (let k = 0; k < n; k++) a[k] = k;
  return a;
}

/** The measurement's rows in the order `order` (timestamps, lines, series, every field and null map). */
function permute(m: MeasurementData, order: Int32Array): MeasurementData {
  const lineOfRow = new Int32Array(order.length);
  const seriesOfRow = new Int32Array(order.length);
  for (let k = 0; k < order.length; k++) {
    lineOfRow[k] = m.lineOfRow[order[k]!]!;
    seriesOfRow[k] = m.seriesOfRow[order[k]!]!;
  }
  const fields = m.fields.map((f): FieldColumn => {
    let data: FieldColumn['data'];
    switch (f.kind) {
      case 'float':
        data = gatherF64(f.data as Float64Array, order);
        break;
      case 'int':
      case 'uint':
        data = gatherBig(f.data as BigInt64Array | BigUint64Array, order);
        break;
      case 'bool':
        data = gatherU8(f.data as Uint8Array, order);
        break;
      case 'string': {
        const src = f.data as string[];
        const out = new Array<string>(order.length);
        for (let k = 0; k < order.length; k++) out[k] = src[order[k]!]!;
        data = out;
        break;
      }
    }
    return { ...f, data, nulls: f.nulls === null ? null : gatherU8(f.nulls, order) };
  });
  return { ...m, ts: gatherF64(m.ts, order), lineOfRow, seriesOfRow, fields };
}

function buildColumns(plan: MeasurementPlan, rows: Int32Array): ColumnVector[] {
  const { m, schema, fieldOfColumn } = plan;
  const n = rows.length;
  // Consecutive rows → views instead of copies.
  const r0 = rows[0]!;
  const contiguous = rows[n - 1]! - r0 === n - 1;
  const cols: ColumnVector[] = [];
  cols.push({
    type: DataType.TIMESTAMP,
    data: contiguous ? m.ts.subarray(r0, r0 + n) : gatherF64(m.ts, rows),
    nulls: null,
  });
  for (let j = 1; j < schema.columns.length; j++) {
    const col = schema.columns[j]!;
    const fi = fieldOfColumn[j]!;
    if (fi < 0) {
      cols.push({ type: col.type, data: allocData(col.type, n), nulls: new Uint8Array(n).fill(1) });
      continue;
    }
    const f = m.fields[fi]!;
    const nulls = f.nulls === null ? null : contiguous ? f.nulls.subarray(r0, r0 + n) : gatherU8(f.nulls, rows);
    cols.push({ type: col.type, data: convert(f, col, rows, contiguous, nulls, m), nulls });
  }
  return cols;
}

function convert(
  f: FieldColumn,
  col: ColumnSchema,
  rows: Int32Array,
  contiguous: boolean,
  nulls: Uint8Array | null,
  m: MeasurementData,
): ColumnData {
  const n = rows.length;
  const r0 = rows[0]!;
  const t = col.type;
  switch (f.kind) {
    case 'float': {
      const src = f.data as Float64Array;
      if (t === DataType.DOUBLE) return contiguous ? src.subarray(r0, r0 + n) : gatherF64(src, rows);
      assert(t === DataType.FLOAT, 'float field planned into a non-float column');
      const out = new Float32Array(n);
      for (let k = 0; k < n; k++) {
        const v = src[rows[k]!]!;
        if (v > FLOAT32_MAX || v < -FLOAT32_MAX) {
          if (nulls === null || nulls[k] === 0) rangeError(f, col, String(v), m, rows[k]!);
        }
        out[k] = v;
      }
      return out;
    }
    case 'int':
    case 'uint': {
      const big = f.data as BigInt64Array | BigUint64Array;
      const sameKind = (f.kind === 'int' && t === DataType.BIGINT) || (f.kind === 'uint' && t === DataType.UBIGINT);
      if (sameKind) return contiguous ? big.subarray(r0, r0 + n) : gatherBig(big, rows);
      assert(isIntegerType(t), 'integer field planned into a non-integer column');
      return convertInt(f, col, rows, nulls, m);
    }
    case 'bool': {
      const src = f.data as Uint8Array;
      return contiguous ? src.subarray(r0, r0 + n) : gatherU8(src, rows);
    }
    case 'string': {
      assert(isStringType(t), 'string field planned into a non-string column');
      const src = f.data as string[];
      const out = new Array<string>(n);
      for (let k = 0; k < n; k++) out[k] = src[rows[k]!]!;
      return out;
    }
  }
}

/** An integer field into an integer column of another width or signedness, range-checked. */
function convertInt(
  f: FieldColumn,
  col: ColumnSchema,
  rows: Int32Array,
  nulls: Uint8Array | null,
  m: MeasurementData,
): ColumnData {
  const n = rows.length;
  const words = new Uint32Array(
    (f.data as BigInt64Array).buffer,
    (f.data as BigInt64Array).byteOffset,
    (f.data as BigInt64Array).length * 2,
  );
  const signed = f.kind === 'int';
  const range = INT_RANGE[col.type]!;
  const min = Number(range[0]),
    max = Number(range[1]);
  const out = allocData(col.type, n);
  const lo64 = col.type === DataType.BIGINT || col.type === DataType.UBIGINT;
  for (let k = 0; k < n; k++) {
    if (nulls !== null && nulls[k] === 1) continue;
    const r = rows[k]!;
    if (lo64) {
      // BIGINT ← u or BIGINT UNSIGNED ← i: same bits, only the sign bit needs a look.
      const hi = words[2 * r + 1]!;
      if (hi >= 0x80000000) rangeError(f, col, String((f.data as BigInt64Array | BigUint64Array)[r]), m, r);
      (out as BigInt64Array | BigUint64Array)[k] = (f.data as BigInt64Array)[r]! as never;
      continue;
    }
    // Narrow targets: the value as a number (exact within 2^53, and anything wider is out of range anyway).
    const hiWord = words[2 * r + 1]!;
    const hi = signed && hiWord >= 0x80000000 ? hiWord - 4294967296 : hiWord;
    const v = hi * 4294967296 + words[2 * r]!;
    if (v < min || v > max) rangeError(f, col, String((f.data as BigInt64Array | BigUint64Array)[r]), m, r);
    (out as Int32Array)[k] = v;
  }
  return out;
}

function rangeError(f: FieldColumn, col: ColumnSchema, value: string, m: MeasurementData, row: number): never {
  throw new BasaltError(
    'WRONG_VALUE_TYPE',
    `line ${m.lineOfRow[row]}: field '${f.name}' of measurement '${m.name}' is ${value}, out of range for column '${col.name}' ${TYPE_NAMES[col.type]}`,
  );
}

/** A tag value as the tag column's type; line protocol tags are text, parsed when the column is not. */
function tagValue(
  tag: ColumnSchema,
  keys: readonly string[],
  values: readonly string[],
  m: MeasurementData,
  line: number,
): TagValue {
  const i = keys.indexOf(tag.name);
  if (i < 0) return null;
  const v = values[i]!;
  if (isStringType(tag.type)) return v;
  const bad = (): never => {
    throw new BasaltError(
      'SML_NOT_SAME_TYPE',
      `line ${line}: tag '${tag.name}' of measurement '${m.name}' is '${v}', not a ${TYPE_NAMES[tag.type]} as the super table's tag is`,
    );
  };
  if (tag.type === DataType.BOOL) {
    if (v === 't' || v === 'T' || v === 'true' || v === 'True' || v === 'TRUE') return 1;
    if (v === 'f' || v === 'F' || v === 'false' || v === 'False' || v === 'FALSE') return 0;
    return bad();
  }
  if (isIntegerType(tag.type)) {
    let b: bigint;
    try {
      b = BigInt(v);
    } catch {
      return bad();
    }
    // BigInt accepts '0x1f' and surrounding spaces; a tag that is an integer is plain digits.
    if (b.toString() !== v && `+${b.toString()}` !== v) return bad();
    const range = INT_RANGE[tag.type]!;
    if (b < range[0] || b > range[1]) return bad();
    return tag.type === DataType.BIGINT || tag.type === DataType.UBIGINT ? b : Number(b);
  }
  if (tag.type === DataType.FLOAT || tag.type === DataType.DOUBLE) {
    const x = Number(v);
    if (v.trim() !== v || v === '' || !Number.isFinite(x)) return bad();
    return x;
  }
  return bad();
}

function gatherF64(src: Float64Array, rows: Int32Array): Float64Array {
  const out = new Float64Array(rows.length);
  for (let k = 0; k < rows.length; k++) out[k] = src[rows[k]!]!;
  return out;
}

function gatherU8(src: Uint8Array, rows: Int32Array): Uint8Array {
  const out = new Uint8Array(rows.length);
  for (let k = 0; k < rows.length; k++) out[k] = src[rows[k]!]!;
  return out;
}

/** 64-bit values copied as word pairs (no BigInt per value). */
function gatherBig(src: BigInt64Array | BigUint64Array, rows: Int32Array): BigInt64Array | BigUint64Array {
  const out = src instanceof BigInt64Array ? new BigInt64Array(rows.length) : new BigUint64Array(rows.length);
  const sw = new Uint32Array(src.buffer, src.byteOffset, src.length * 2);
  const ow = new Uint32Array(out.buffer);
  for (let k = 0; k < rows.length; k++) {
    const r = rows[k]!;
    ow[2 * k] = sw[2 * r]!;
    ow[2 * k + 1] = sw[2 * r + 1]!;
  }
  return out;
}
