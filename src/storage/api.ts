// The storage engine's public contract: what vnodes and the query engine may call.
// One VnodeStore = one vnode's data: its WAL, table meta, memtable and file sets.
// Implementations live beside this file; callers import only these types and `openVnodeStore`.
import type { ColumnBlock } from '../common/block.js';
import type { ColumnSchema, Precision } from '../common/types.js';

export interface VnodeOptions {
  readonly precision: Precision;
  /** Memtable bytes before a flush to file sets (the database's `buffer`, MB × 2^20). */
  readonly bufferBytes: number;
  /** Time span one file set covers, in ms (the database's `duration`). */
  readonly durationMs: number;
  /** Data older than now − keepMs is dropped by retention, whole file sets at a time. */
  readonly keepMs: number;
  /** 1: written, fsynced every walFsyncPeriodMs; 2: fsynced before a write resolves. */
  readonly walLevel: 1 | 2;
  readonly walFsyncPeriodMs: number;
  /** Rows per block in file sets, at most / at least (compaction merges smaller blocks). */
  readonly maxRows: number;
  readonly minRows: number;
}

export type TagValue = number | bigint | string | boolean | null;
export type TableKind = 'super' | 'child' | 'normal';

export interface SuperTableDef {
  readonly name: string;
  /** columns[0] is the TIMESTAMP primary key. */
  readonly columns: readonly ColumnSchema[];
  readonly tags: readonly ColumnSchema[];
}

export interface ChildTableDef {
  readonly name: string;
  readonly stable: string;
  /** One value per tag of the super table, in tag order. */
  readonly tagValues: readonly TagValue[];
}

export interface NormalTableDef {
  readonly name: string;
  readonly columns: readonly ColumnSchema[];
}

export interface TableInfo {
  readonly name: string;
  readonly kind: TableKind;
  /** Vnode-local id, never reused. */
  readonly uid: number;
  /** For a child table: its super table's columns. */
  readonly columns: readonly ColumnSchema[];
  /** Tag schema (super and child tables; empty for normal tables). */
  readonly tags: readonly ColumnSchema[];
  /** Child tables only: tag values in tag order. */
  readonly tagValues: readonly TagValue[];
  readonly stable: string | null;
  readonly createdAtMs: number;
}

/** Inclusive timestamp bounds in ticks of the vnode precision; ±Infinity for open ends. */
export interface TimeRange {
  readonly from: number;
  readonly to: number;
}

/** Rows of one table in one write: columns in the table's schema order (column 0 = ts). */
export interface TableRows {
  readonly table: string;
  readonly block: ColumnBlock;
}

export interface WriteBatch {
  /** Child tables to create (if missing) in the same atomic unit as the rows. */
  readonly createTables?: readonly ChildTableDef[];
  readonly rows: readonly TableRows[];
}

/** Per-column summary over a time range, from block statistics where blocks lie wholly inside it. */
export interface ColumnAggregate {
  /** Non-null values. */
  count: number;
  /** min/max/sum as numbers (bigint columns: exact as bigint); null when count = 0. Strings: min/max only. */
  min: number | bigint | string | null;
  max: number | bigint | string | null;
  sum: number | bigint | null;
  /** Earliest / latest non-null value and its timestamp. */
  firstTs: number | null;
  first: number | bigint | string | boolean | null;
  lastTs: number | null;
  last: number | bigint | string | boolean | null;
}

export interface RangeAggregate {
  /** Rows in the range (count(*)). */
  rows: number;
  /** One entry per requested column index, in request order. */
  columns: ColumnAggregate[];
}

/**
 * A vgroup's tables, writes and upkeep: what every view of a vgroup offers, including one
 * on a dnode that holds no replica of it (src/vnode/remote-vnode.ts, which forwards).
 */
export interface VnodeTables {
  readonly options: VnodeOptions;

  // --- meta: each call is logged in the WAL and applied atomically ---
  createSuperTable(def: SuperTableDef): Promise<void>;
  createChildTable(def: ChildTableDef): Promise<void>;
  createNormalTable(def: NormalTableDef): Promise<void>;
  /** Dropping a super table drops its child tables. */
  dropTable(name: string): Promise<void>;
  /** Super or normal table; existing rows read the new column as null. */
  addColumn(table: string, column: ColumnSchema): Promise<void>;
  dropColumn(table: string, columnName: string): Promise<void>;
  /** Only widening a VARCHAR/NCHAR length. */
  modifyColumn(table: string, columnName: string, bytes: number): Promise<void>;
  addTag(stable: string, tag: ColumnSchema): Promise<void>;
  setTag(childTable: string, tagName: string, value: TagValue): Promise<void>;

  getTable(name: string): TableInfo | undefined;
  /** All tables, or the child tables of one super table, or one kind. */
  listTables(filter?: { stable?: string; kind?: TableKind }): TableInfo[];
  /** Tag index: child tables of `stable` whose tag equals one of `values` (equality / IN). */
  childTablesWithTag(stable: string, tagName: string, values: readonly TagValue[]): string[];

  // --- data ---
  /** Appends to the WAL, applies to the memtable; resolves when durable per walLevel. */
  write(batch: WriteBatch): Promise<void>;

  // --- maintenance ---
  flush(): Promise<void>;
  compact(): Promise<void>;
  applyRetention(nowMs: number): Promise<void>;
  /** Bytes on disk (WAL included) and in memory, for `show vnodes` and benchmarks. */
  stats(): { diskBytes: number; memtableBytes: number; rows: number; tables: number };
  close(): Promise<void>;
}

/** A vgroup whose data is here: its tables plus reads of the rows themselves. */
export interface VnodeStore extends VnodeTables {
  /**
   * Rows of `table` in `range`, sorted by timestamp, a repeated timestamp keeping the latest
   * write, as blocks whose columns are exactly `columnIndexes` in that order.
   * The blocks may share memory with the store (memtable, decoded-chunk cache): read-only.
   */
  scan(table: string, range: TimeRange, columnIndexes: readonly number[]): Iterable<ColumnBlock>;
  /** count/min/max/sum/first/last without decoding blocks wholly inside `range`. */
  aggregate(table: string, range: TimeRange, columnIndexes: readonly number[]): RangeAggregate;
  /** The last row of a table (all columns, schema order) from the last-row cache, or undefined if empty. */
  lastRow(table: string): ColumnBlock | undefined;
}
