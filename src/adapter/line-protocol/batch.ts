// What the line-protocol parser hands to the schemaless writer: per measurement, columnar
// arrays over its rows (in line order) plus the series (tag set) of every row. No object per
// line: a row is an index into typed arrays, a missing field is a 1 in that column's null map.

/** Field value types of line protocol: `1.5` float, `1i` int, `1u` uint, `t`/`false` bool, `"x"` string. */
export type FieldKind = 'float' | 'int' | 'uint' | 'bool' | 'string';

/** How errors describe a kind: "field 'x' is an integer (1i) here but a float (1.0) at line 3". */
export const FIELD_KIND_TEXT: Record<FieldKind, string> = {
  float: 'a float (1.5)',
  int: 'an integer (1i)',
  uint: 'an unsigned integer (1u)',
  bool: 'a boolean (t/f)',
  string: 'a string ("x")',
};

export interface FieldColumn {
  /** Field key, unescaped. */
  readonly name: string;
  readonly kind: FieldKind;
  /** float: Float64Array; int: BigInt64Array; uint: BigUint64Array; bool: Uint8Array (0/1); string: string[]. */
  readonly data: Float64Array | BigInt64Array | BigUint64Array | Uint8Array | string[];
  /** 1 at rows whose line did not carry this field; null when every row has it. */
  readonly nulls: Uint8Array | null;
  /** Line number where the field first appears in this request (for error messages). */
  readonly firstLine: number;
  /** Longest value in UTF-8 bytes (string fields; 0 otherwise), to size VARCHAR columns. */
  readonly maxBytes: number;
}

export interface Series {
  /** Tag keys, unescaped and sorted; `tbname` is not among them. */
  readonly tagKeys: readonly string[];
  /** Tag values in the order of tagKeys. */
  readonly tagValues: readonly string[];
  /** The `tbname` tag's value, naming the child table (as TDengine's schemaless does), or null. */
  readonly tbname: string | null;
  /** Line number of the first line of this series. */
  readonly firstLine: number;
}

export interface MeasurementData {
  /** Measurement name, unescaped. */
  readonly name: string;
  readonly firstLine: number;
  readonly rows: number;
  /** Timestamps in ticks of the target precision (integers, exact). */
  readonly ts: Float64Array;
  /** Line number of every row. */
  readonly lineOfRow: Int32Array;
  /** Index into `series` of every row. */
  readonly seriesOfRow: Int32Array;
  readonly series: readonly Series[];
  /** Fields in order of first appearance. */
  readonly fields: readonly FieldColumn[];
}

export interface ParsedBatch {
  /** Data points (non-blank, non-comment lines). */
  readonly points: number;
  /** Measurements in order of first appearance. */
  readonly measurements: readonly MeasurementData[];
}

/** Rows of a measurement grouped by series: rows of series s are order[start[s] .. start[s+1]). */
export interface SeriesGroups {
  readonly order: Int32Array;
  readonly start: Int32Array;
}

/** Stable counting sort of rows by series (rows of one series keep their line order). */
export function groupRowsBySeries(m: MeasurementData): SeriesGroups {
  const ns = m.series.length;
  const start = new Int32Array(ns + 1);
  const sr = m.seriesOfRow;
  for (let r = 0; r < m.rows; r++) start[sr[r]! + 1]!++;
  for (let s = 0; s < ns; s++) start[s + 1]! += start[s]!;
  const next = start.slice(0, ns);
  const order = new Int32Array(m.rows);
  for (let r = 0; r < m.rows; r++) order[next[sr[r]!]!++] = r;
  return { order, start };
}
