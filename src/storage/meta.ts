// Table meta of one vnode: super, child and normal tables, their schemas and tag values, and a
// tag index (tag value -> child tables) so equality / IN tag filters touch only matching tables.
// Each column carries a vnode-stable `colId`, never reused within a table, so data blocks stay
// readable across add/drop column: a block column is found by colId, a missing one reads null.
// Every mutation is a MetaOp: checked (`check`) before it is logged, applied after.
import { assert } from '../common/assert.js';
import { BasaltError } from '../common/errors.js';
import { Limits } from '../common/limits.js';
import { DataType, INT_RANGE, isStringType, type ColumnSchema } from '../common/types.js';
import type { ChildTableDef, NormalTableDef, SuperTableDef, TableInfo, TableKind, TagValue } from './api.js';

export interface ColDef extends ColumnSchema {
  readonly colId: number;
}

export interface TableEntry {
  readonly name: string;
  readonly kind: TableKind;
  readonly uid: number;
  readonly stable: string | null;
  /** Super / normal tables only; a child table reads its super table's. */
  columns: ColDef[];
  tags: ColDef[];
  tagValues: TagValue[];
  readonly createdAtMs: number;
  nextColId: number;
}

export type MetaOp =
  | { op: 'createSuper'; def: SuperTableDef; atMs: number }
  | { op: 'createChild'; def: ChildTableDef; atMs: number }
  | { op: 'createNormal'; def: NormalTableDef; atMs: number }
  | { op: 'drop'; name: string }
  | { op: 'addColumn'; table: string; column: ColumnSchema }
  | { op: 'dropColumn'; table: string; column: string }
  | { op: 'modifyColumn'; table: string; column: string; bytes: number }
  | { op: 'addTag'; stable: string; tag: ColumnSchema }
  | { op: 'setTag'; table: string; tag: string; value: TagValue };

/** The MetaOp of one kind. */
type MetaOpOf<K extends MetaOp['op']> = Extract<MetaOp, { op: K }>;

export interface MetaSnapshot {
  nextUid: number;
  tables: TableEntry[];
}

function tagKey(v: TagValue): string {
  return v === null
    ? 'n'
    : typeof v === 'bigint'
      ? `i${v}`
      : typeof v === 'number'
        ? Number.isInteger(v)
          ? `i${v}`
          : `f${v}`
        : typeof v === 'boolean'
          ? `b${v}`
          : `s${v}`;
}

export class Meta {
  private readonly tables = new Map<string, TableEntry>();
  private readonly byUid = new Map<number, TableEntry>();
  /** stable -> child names, and stable -> tag name -> tag key -> child names. */
  private readonly children = new Map<string, Set<string>>();
  private readonly tagIndex = new Map<string, Map<string, Map<string, Set<string>>>>();
  private nextUid = 1;
  /**
   * Changes with every applied op, so a gateway caching this vnode's tables (a remote
   * vgroup's, src/vnode/remote-vnode.ts) can ask "still `epoch`/`version`?" instead of
   * fetching every table. The epoch is random per Meta object: a restart, or a snapshot
   * install replacing the store, never repeats an (epoch, version) pair a cache holds.
   */
  readonly epoch = Math.floor(Math.random() * 0x7fffffff);
  version = 0;

  get(name: string): TableEntry | undefined {
    return this.tables.get(name);
  }

  /** TableInfo of every table, of one kind, or of the child tables of one super table (VnodeStore.listTables). */
  listInfos(filter?: { stable?: string; kind?: TableKind }): TableInfo[] {
    const out: TableInfo[] = [];
    if (filter?.stable !== undefined) {
      for (const n of this.childNames(filter.stable)) out.push(this.info(this.tables.get(n)!));
      return out;
    }
    for (const t of this.tables.values()) if (!filter?.kind || t.kind === filter.kind) out.push(this.info(t));
    return out;
  }
  getByUid(uid: number): TableEntry | undefined {
    return this.byUid.get(uid);
  }
  tableCount(): number {
    return this.tables.size;
  }
  allTables(): IterableIterator<TableEntry> {
    return this.tables.values();
  }

  /** The data columns of a table (a child table's come from its super table). */
  columnsOf(t: TableEntry): ColDef[] {
    if (t.kind !== 'child') return t.columns;
    const s = this.tables.get(t.stable!);
    assert(s !== undefined, `child table ${t.name} without super table ${t.stable}`);
    return s.columns;
  }

  /** Data-holding table or a clear error (super tables hold no rows themselves). */
  dataTable(name: string): TableEntry {
    const t = this.tables.get(name);
    if (!t) throw new BasaltError('TABLE_NOT_EXIST', `table '${name}' does not exist; create it first`);
    if (t.kind === 'super')
      throw new BasaltError('INVALID_PARA', `'${name}' is a super table; write to and read from its child tables`);
    return t;
  }

  info(t: TableEntry): TableInfo {
    const s = t.kind === 'child' ? this.tables.get(t.stable!)! : t;
    return {
      name: t.name,
      kind: t.kind,
      uid: t.uid,
      columns: this.columnsOf(t).map(plain),
      tags: s.tags.map(plain),
      tagValues: t.kind === 'child' ? [...t.tagValues] : [],
      stable: t.stable,
      createdAtMs: t.createdAtMs,
    };
  }

  childNames(stable: string): string[] {
    return [...(this.children.get(stable) ?? [])];
  }

  childTablesWithTag(stable: string, tagName: string, values: readonly TagValue[]): string[] {
    const s = this.tables.get(stable);
    if (!s || s.kind !== 'super') throw new BasaltError('STB_NOT_EXIST', `super table '${stable}' does not exist`);
    const idx = this.tagIndex.get(stable)?.get(tagName);
    if (!idx) throw new BasaltError('TAG_NOT_EXIST', `super table '${stable}' has no tag '${tagName}'`);
    const out = new Set<string>();
    for (const v of values) for (const c of idx.get(tagKey(v)) ?? []) out.add(c);
    return [...out];
  }

  /** Throws the BasaltError the op would cause, changing nothing. */
  check(op: MetaOp): void {
    switch (op.op) {
      case 'createSuper':
        return this.checkCreateSuper(op.def);
      case 'createNormal':
        this.checkNewTableName(op.def.name);
        checkColumns(op.def.columns, []);
        return;
      case 'createChild':
        return this.checkCreateChild(op.def);
      case 'drop':
        if (!this.tables.has(op.name)) throw new BasaltError('TABLE_NOT_EXIST', `table '${op.name}' does not exist`);
        return;
      case 'addColumn':
        return this.checkAddColumn(op);
      case 'dropColumn': {
        const t = this.schemaTable(op.table);
        const i = t.columns.findIndex((c) => c.name === op.column);
        if (i < 0) throw new BasaltError('COLUMN_NOT_EXIST', `table '${op.table}' has no column '${op.column}'`);
        if (i === 0) throw new BasaltError('INVALID_PARA', `the timestamp column '${op.column}' cannot be dropped`);
        return;
      }
      case 'modifyColumn':
        return this.checkModifyColumn(op);
      case 'addTag':
        return this.checkAddTag(op);
      case 'setTag':
        return this.checkSetTag(op);
    }
  }

  /** A new table's name: not taken, and a valid table name. */
  private checkNewTableName(name: string): void {
    if (this.tables.has(name)) throw exists(this.tables.get(name)!, name);
    checkName(name, Limits.maxTableNameBytes, 'table');
  }

  private checkCreateSuper(def: SuperTableDef): void {
    this.checkNewTableName(def.name);
    checkColumns(def.columns, def.tags);
    if (def.tags.length === 0)
      throw new BasaltError('INVALID_PARA', `super table '${def.name}' needs at least one tag`);
    if (def.tags.length > Limits.maxTags)
      throw new BasaltError(
        'TOO_MANY_COLUMNS',
        `super table '${def.name}' has ${def.tags.length} tags; at most ${Limits.maxTags}`,
      );
  }

  private checkCreateChild(def: ChildTableDef): void {
    this.checkNewTableName(def.name);
    const s = this.superOf(def.stable);
    if (def.tagValues.length !== s.tags.length) {
      throw new BasaltError(
        'INVALID_PARA',
        `child table '${def.name}' gives ${def.tagValues.length} tag values; super table '${s.name}' has ${s.tags.length} tags`,
      );
    }
    s.tags.forEach((t, i) => {
      checkTagValue(t, def.tagValues[i]!);
    });
  }

  private checkAddColumn(op: MetaOpOf<'addColumn'>): void {
    const t = this.schemaTable(op.table);
    if (t.columns.some((c) => c.name === op.column.name) || t.tags.some((c) => c.name === op.column.name)) {
      throw new BasaltError(
        'COLUMN_ALREADY_EXISTS',
        `table '${op.table}' already has a column or tag '${op.column.name}'`,
      );
    }
    checkColumns([...t.columns, op.column], t.tags);
  }

  private checkModifyColumn(op: MetaOpOf<'modifyColumn'>): void {
    const t = this.schemaTable(op.table);
    const c = t.columns.find((x) => x.name === op.column) ?? t.tags.find((x) => x.name === op.column);
    if (!c) throw new BasaltError('COLUMN_NOT_EXIST', `table '${op.table}' has no column '${op.column}'`);
    if (!isStringType(c.type))
      throw new BasaltError('INVALID_PARA', `only VARCHAR/NCHAR lengths can be modified; '${op.column}' is not one`);
    if (op.bytes <= c.bytes)
      throw new BasaltError('INVALID_PARA', `'${op.column}' is ${c.bytes} long; a modify may only widen it`);
  }

  private checkAddTag(op: MetaOpOf<'addTag'>): void {
    const s = this.superOf(op.stable);
    if (s.columns.some((c) => c.name === op.tag.name) || s.tags.some((c) => c.name === op.tag.name)) {
      throw new BasaltError(
        'TAG_ALREADY_EXISTS',
        `super table '${op.stable}' already has a column or tag '${op.tag.name}'`,
      );
    }
    if (s.tags.length + 1 > Limits.maxTags) throw new BasaltError('TOO_MANY_COLUMNS', `at most ${Limits.maxTags} tags`);
    checkColumns(s.columns, [...s.tags, op.tag]);
  }

  private checkSetTag(op: MetaOpOf<'setTag'>): void {
    const t = this.tables.get(op.table);
    if (!t || t.kind !== 'child') throw new BasaltError('TABLE_NOT_EXIST', `child table '${op.table}' does not exist`);
    const s = this.superOf(t.stable!);
    const tag = s.tags.find((x) => x.name === op.tag);
    if (!tag) throw new BasaltError('TAG_NOT_EXIST', `super table '${s.name}' has no tag '${op.tag}'`);
    checkTagValue(tag, op.value);
  }

  /** Applies a checked op. Returns uids whose data must be forgotten (dropped tables). */
  apply(op: MetaOp): number[] {
    this.check(op);
    this.version++;
    switch (op.op) {
      case 'createSuper':
      case 'createNormal': {
        const cols = op.def.columns.map((c, i) => ({ ...plain(c), colId: i + 1 }));
        const tags =
          op.op === 'createSuper' ? op.def.tags.map((c, i) => ({ ...plain(c), colId: cols.length + i + 1 })) : [];
        this.add({
          name: op.def.name,
          kind: op.op === 'createSuper' ? 'super' : 'normal',
          uid: this.nextUid++,
          stable: null,
          columns: cols,
          tags,
          tagValues: [],
          createdAtMs: op.atMs,
          nextColId: cols.length + tags.length + 1,
        });
        return [];
      }
      case 'createChild':
        this.add({
          name: op.def.name,
          kind: 'child',
          uid: this.nextUid++,
          stable: op.def.stable,
          columns: [],
          tags: [],
          tagValues: [...op.def.tagValues],
          createdAtMs: op.atMs,
          nextColId: 0,
        });
        return [];
      case 'drop': {
        const t = this.tables.get(op.name)!;
        const gone: number[] = [];
        if (t.kind === 'super') for (const c of this.childNames(t.name)) gone.push(...this.remove(c));
        gone.push(...this.remove(t.name));
        return gone;
      }
      case 'addColumn': {
        const t = this.schemaTable(op.table);
        t.columns.push({ ...plain(op.column), colId: t.nextColId++ });
        return [];
      }
      case 'dropColumn': {
        const t = this.schemaTable(op.table);
        t.columns = t.columns.filter((c) => c.name !== op.column);
        return [];
      }
      case 'modifyColumn': {
        const t = this.schemaTable(op.table);
        const fix = (c: ColDef): ColDef => (c.name === op.column ? { ...c, bytes: op.bytes } : c);
        t.columns = t.columns.map(fix);
        t.tags = t.tags.map(fix);
        return [];
      }
      case 'addTag': {
        const s = this.superOf(op.stable);
        s.tags.push({ ...plain(op.tag), colId: s.nextColId++ });
        for (const c of this.childNames(s.name)) this.tables.get(c)!.tagValues.push(null);
        this.reindex(s.name);
        return [];
      }
      case 'setTag': {
        const t = this.tables.get(op.table)!;
        const s = this.superOf(t.stable!);
        const i = s.tags.findIndex((x) => x.name === op.tag);
        this.unindex(t);
        t.tagValues[i] = op.value;
        this.index(t);
        return [];
      }
    }
  }

  snapshot(): MetaSnapshot {
    return {
      nextUid: this.nextUid,
      tables: [...this.tables.values()].map((t) => ({
        ...t,
        columns: [...t.columns],
        tags: [...t.tags],
        tagValues: [...t.tagValues],
      })),
    };
  }

  restore(s: MetaSnapshot): void {
    this.tables.clear();
    this.byUid.clear();
    this.children.clear();
    this.tagIndex.clear();
    this.nextUid = s.nextUid;
    this.version++;
    // Super tables first so children can be indexed.
    for (const t of s.tables) if (t.kind !== 'child') this.add({ ...t });
    for (const t of s.tables) if (t.kind === 'child') this.add({ ...t });
  }

  private add(t: TableEntry): void {
    this.tables.set(t.name, t);
    this.byUid.set(t.uid, t);
    if (t.kind === 'super') {
      this.children.set(t.name, new Set());
      this.reindex(t.name);
    }
    if (t.kind === 'child') {
      this.children.get(t.stable!)!.add(t.name);
      this.index(t);
    }
  }

  private remove(name: string): number[] {
    const t = this.tables.get(name);
    if (!t) return [];
    if (t.kind === 'child') {
      this.unindex(t);
      this.children.get(t.stable!)?.delete(name);
    }
    if (t.kind === 'super') {
      this.children.delete(name);
      this.tagIndex.delete(name);
    }
    this.tables.delete(name);
    this.byUid.delete(t.uid);
    return t.kind === 'super' ? [] : [t.uid];
  }

  private index(t: TableEntry): void {
    const s = this.tables.get(t.stable!)!;
    const idx = this.tagIndex.get(s.name)!;
    s.tags.forEach((tag, i) => {
      let m = idx.get(tag.name);
      if (!m) {
        m = new Map();
        idx.set(tag.name, m);
      }
      const k = tagKey(t.tagValues[i] ?? null);
      let set = m.get(k);
      if (!set) {
        set = new Set();
        m.set(k, set);
      }
      set.add(t.name);
    });
  }

  private unindex(t: TableEntry): void {
    const s = this.tables.get(t.stable!)!;
    const idx = this.tagIndex.get(s.name)!;
    s.tags.forEach((tag, i) => {
      idx
        .get(tag.name)
        ?.get(tagKey(t.tagValues[i] ?? null))
        ?.delete(t.name);
    });
  }

  private reindex(stable: string): void {
    const s = this.tables.get(stable)!;
    const idx = new Map<string, Map<string, Set<string>>>();
    for (const tag of s.tags) idx.set(tag.name, new Map());
    this.tagIndex.set(stable, idx);
    for (const c of this.children.get(stable) ?? []) this.index(this.tables.get(c)!);
  }

  private superOf(name: string): TableEntry {
    const s = this.tables.get(name);
    if (!s || s.kind !== 'super')
      throw new BasaltError('STB_NOT_EXIST', `super table '${name}' does not exist; create it first`);
    return s;
  }

  /** A table that owns a schema (super or normal). */
  private schemaTable(name: string): TableEntry {
    const t = this.tables.get(name);
    if (!t) throw new BasaltError('TABLE_NOT_EXIST', `table '${name}' does not exist`);
    if (t.kind === 'child')
      throw new BasaltError(
        'INVALID_PARA',
        `'${name}' is a child table; change the columns of its super table '${t.stable}'`,
      );
    return t;
  }
}

function plain(c: ColumnSchema): ColumnSchema {
  return { name: c.name, type: c.type, bytes: c.bytes };
}

function exists(t: TableEntry, name: string): BasaltError {
  return t.kind === 'super'
    ? new BasaltError('STB_ALREADY_EXISTS', `super table '${name}' already exists`)
    : new BasaltError('TABLE_ALREADY_EXISTS', `table '${name}' already exists`);
}

function checkName(name: string, maxBytes: number, what: string): void {
  if (name.length === 0 || Buffer.byteLength(name) > maxBytes)
    throw new BasaltError('INVALID_IDENTIFIER', `${what} name '${name}' must be 1..${maxBytes} bytes`);
}

function checkColumns(cols: readonly ColumnSchema[], tags: readonly ColumnSchema[]): void {
  if (cols.length < 2)
    throw new BasaltError('INVALID_PARA', 'a table needs a TIMESTAMP column and at least one more column');
  if (cols[0]!.type !== DataType.TIMESTAMP)
    throw new BasaltError('INVALID_PARA', `the first column '${cols[0]!.name}' must be a TIMESTAMP`);
  if (cols.length > Limits.maxColumns)
    throw new BasaltError('TOO_MANY_COLUMNS', `${cols.length} columns; at most ${Limits.maxColumns}`);
  const seen = new Set<string>();
  for (const c of [...cols, ...tags]) {
    checkName(c.name, Limits.maxColumnNameBytes, 'column');
    if (seen.has(c.name)) throw new BasaltError('COLUMN_ALREADY_EXISTS', `column or tag '${c.name}' appears twice`);
    seen.add(c.name);
    if (DataType[c.type] === undefined)
      throw new BasaltError('INVALID_DATA_TYPE', `column '${c.name}' has unknown type ${c.type}`);
  }
  for (let i = 1; i < cols.length; i++)
    if (cols[i]!.type === DataType.TIMESTAMP && i === 0) throw new BasaltError('INVALID_PARA', 'bad timestamp column');
}

function checkTagValue(tag: ColumnSchema, v: TagValue): void {
  if (v === null) return;
  const bad = (): BasaltError =>
    new BasaltError('WRONG_VALUE_TYPE', `tag '${tag.name}' cannot hold ${typeof v} value ${String(v)}`);
  if (isStringType(tag.type)) {
    if (typeof v !== 'string') throw bad();
    const len = tag.type === DataType.NCHAR ? [...v].length : Buffer.byteLength(v);
    if (len > tag.bytes)
      throw new BasaltError('VALUE_TOO_LONG', `tag '${tag.name}' value is ${len} long; the tag holds ${tag.bytes}`);
    return;
  }
  if (tag.type === DataType.BOOL) {
    if (typeof v !== 'boolean') throw bad();
    return;
  }
  if (typeof v === 'string' || typeof v === 'boolean') throw bad();
  const r = INT_RANGE[tag.type];
  if (r) {
    if (typeof v === 'number' && !Number.isInteger(v)) throw bad();
    const b = BigInt(v);
    if (b < r[0] || b > r[1])
      throw new BasaltError('WRONG_VALUE_TYPE', `tag '${tag.name}' value ${v} is outside ${r[0]}..${r[1]}`);
  }
}
