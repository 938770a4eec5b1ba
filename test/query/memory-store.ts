// An in-memory VnodeStore for engine tests that must not depend on the storage engine's
// state (and for the time before it existed). Persists nothing: restart tests use the real one.
import { allocData, valueAt, type ColumnBlock, type ColumnVector } from '../../src/common/block.js';
import { BasaltError } from '../../src/common/errors.js';
import { DataType, type ColumnSchema } from '../../src/common/types.js';
import type {
  ChildTableDef,
  NormalTableDef,
  RangeAggregate,
  SuperTableDef,
  TableInfo,
  TableKind,
  TagValue,
  TimeRange,
  VnodeOptions,
  VnodeStore,
  WriteBatch,
} from '../../src/storage/api.js';

type Row = Array<number | bigint | string | boolean | null>;

interface Table {
  info: TableInfo;
  rows: Map<number, Row>;
}

export class MemoryStore implements VnodeStore {
  private readonly tables = new Map<string, Table>();
  private uid = 1;
  writes = 0;
  constructor(readonly options: VnodeOptions) {}

  private put(info: Omit<TableInfo, 'uid' | 'createdAtMs'>): void {
    this.tables.set(info.name, { info: { ...info, uid: this.uid++, createdAtMs: 0 }, rows: new Map() });
  }
  private need(name: string): Table {
    const t = this.tables.get(name);
    if (!t) throw new BasaltError('TABLE_NOT_EXIST', name);
    return t;
  }
  private children(stable: string): Table[] {
    return [...this.tables.values()].filter((t) => t.info.stable === stable);
  }
  async createSuperTable(d: SuperTableDef): Promise<void> {
    this.put({ name: d.name, kind: 'super', columns: d.columns, tags: d.tags, tagValues: [], stable: null });
  }
  async createChildTable(d: ChildTableDef): Promise<void> {
    const st = this.need(d.stable).info;
    if (this.tables.has(d.name)) return;
    this.put({
      name: d.name,
      kind: 'child',
      columns: st.columns,
      tags: st.tags,
      tagValues: d.tagValues,
      stable: d.stable,
    });
  }
  async createNormalTable(d: NormalTableDef): Promise<void> {
    this.put({ name: d.name, kind: 'normal', columns: d.columns, tags: [], tagValues: [], stable: null });
  }
  async dropTable(name: string): Promise<void> {
    for (const c of this.children(name)) this.tables.delete(c.info.name);
    this.tables.delete(name);
  }
  private reschema(name: string, f: (i: TableInfo) => Partial<TableInfo>, rowf?: (r: Row) => Row): void {
    const t = this.need(name);
    for (const x of [t, ...this.children(name)]) {
      x.info = { ...x.info, ...f(x.info) };
      if (rowf) for (const [k, r] of x.rows) x.rows.set(k, rowf(r));
    }
  }
  async addColumn(table: string, column: ColumnSchema): Promise<void> {
    this.reschema(
      table,
      (i) => ({ columns: [...i.columns, column] }),
      (r) => [...r, null],
    );
  }
  async dropColumn(table: string, name: string): Promise<void> {
    const idx = this.need(table).info.columns.findIndex((c) => c.name === name);
    this.reschema(
      table,
      (i) => ({ columns: i.columns.filter((c) => c.name !== name) }),
      (r) => r.filter((_, k) => k !== idx),
    );
  }
  async modifyColumn(table: string, name: string, bytes: number): Promise<void> {
    this.reschema(table, (i) => ({ columns: i.columns.map((c) => (c.name === name ? { ...c, bytes } : c)) }));
  }
  async addTag(stable: string, tag: ColumnSchema): Promise<void> {
    this.reschema(stable, (i) => ({
      tags: [...i.tags, tag],
      tagValues: i.kind === 'child' ? [...i.tagValues, null] : [],
    }));
  }
  async setTag(child: string, tagName: string, value: TagValue): Promise<void> {
    const t = this.need(child);
    const idx = t.info.tags.findIndex((x) => x.name === tagName);
    t.info = { ...t.info, tagValues: t.info.tagValues.map((v, i) => (i === idx ? value : v)) };
  }
  getTable(name: string): TableInfo | undefined {
    return this.tables.get(name)?.info;
  }
  listTables(filter?: { stable?: string; kind?: TableKind }): TableInfo[] {
    return [...this.tables.values()]
      .map((t) => t.info)
      .filter(
        (i) =>
          (filter?.stable === undefined || i.stable === filter.stable) &&
          (filter?.kind === undefined || i.kind === filter.kind),
      );
  }
  childTablesWithTag(stable: string, tagName: string, values: readonly TagValue[]): string[] {
    return this.children(stable)
      .filter((t) => values.includes(t.info.tagValues[t.info.tags.findIndex((x) => x.name === tagName)] ?? null))
      .map((t) => t.info.name);
  }
  async write(batch: WriteBatch): Promise<void> {
    this.writes++;
    for (const c of batch.createTables ?? []) await this.createChildTable(c);
    for (const tr of batch.rows) {
      const t = this.need(tr.table);
      for (let r = 0; r < tr.block.numRows; r++) {
        const row = tr.block.columns.map((c) => valueAt(c, r));
        t.rows.set(row[0] as number, row);
      }
    }
  }
  *scan(table: string, range: TimeRange, idx: readonly number[]): Iterable<ColumnBlock> {
    const t = this.need(table);
    const rows = [...t.rows.values()]
      .filter((r) => (r[0] as number) >= range.from && (r[0] as number) <= range.to)
      .sort((a, b) => (a[0] as number) - (b[0] as number));
    if (rows.length === 0) return;
    yield {
      numRows: rows.length,
      columns: idx.map((ci) =>
        vector(
          t.info.columns[ci]!.type,
          rows.map((r) => r[ci] ?? null),
        ),
      ),
    };
  }
  aggregate(table: string, range: TimeRange, idx: readonly number[]): RangeAggregate {
    let rows = 0;
    for (const b of this.scan(table, range, [0])) rows += b.numRows;
    return {
      rows,
      columns: idx.map(() => ({
        count: 0,
        min: null,
        max: null,
        sum: null,
        firstTs: null,
        first: null,
        lastTs: null,
        last: null,
      })),
    };
  }
  lastRow(table: string): ColumnBlock | undefined {
    const t = this.need(table);
    const rows = [...t.rows.values()].sort((a, b) => (a[0] as number) - (b[0] as number));
    const last = rows[rows.length - 1];
    if (!last) return undefined;
    return { numRows: 1, columns: t.info.columns.map((c, i) => vector(c.type, [last[i] ?? null])) };
  }
  async flush(): Promise<void> {}
  async compact(): Promise<void> {}
  async applyRetention(): Promise<void> {}
  stats(): { diskBytes: number; memtableBytes: number; rows: number; tables: number } {
    let rows = 0;
    for (const t of this.tables.values()) rows += t.rows.size;
    return { diskBytes: 0, memtableBytes: 0, rows, tables: this.tables.size };
  }
  async close(): Promise<void> {}
}

function vector(type: DataType, vals: Array<number | bigint | string | boolean | null>): ColumnVector {
  const data = allocData(type, vals.length) as unknown as { [k: number]: unknown };
  const nulls = vals.some((v) => v === null) ? new Uint8Array(vals.length) : null;
  vals.forEach((v, i) => {
    if (v === null) nulls![i] = 1;
    else data[i] = typeof v === 'boolean' ? (v ? 1 : 0) : v;
  });
  return { type, data: data as unknown as ColumnVector['data'], nulls };
}
