// The meta mutations of VnodeStore, each turned into one MetaOp. Shared by every store that
// logs meta changes (the standalone LocalVnodeStore, the Raft-replicated vnode), so the
// mapping from API call to logged operation exists once; subclasses decide how an op is
// made durable and applied.
import type { ColumnSchema } from '../common/types.js';
import type { ChildTableDef, NormalTableDef, SuperTableDef, TagValue } from './api.js';
import type { MetaOp } from './meta.js';

export abstract class MetaMutations {
  /** Logs and applies one meta operation; resolves once it is durable per the store's policy. */
  protected abstract metaOp(op: MetaOp): Promise<void>;

  createSuperTable(def: SuperTableDef): Promise<void> {
    return this.metaOp({ op: 'createSuper', def, atMs: Date.now() });
  }
  createChildTable(def: ChildTableDef): Promise<void> {
    return this.metaOp({ op: 'createChild', def, atMs: Date.now() });
  }
  createNormalTable(def: NormalTableDef): Promise<void> {
    return this.metaOp({ op: 'createNormal', def, atMs: Date.now() });
  }
  dropTable(name: string): Promise<void> {
    return this.metaOp({ op: 'drop', name });
  }
  addColumn(table: string, column: ColumnSchema): Promise<void> {
    return this.metaOp({ op: 'addColumn', table, column });
  }
  dropColumn(table: string, columnName: string): Promise<void> {
    return this.metaOp({ op: 'dropColumn', table, column: columnName });
  }
  modifyColumn(table: string, columnName: string, bytes: number): Promise<void> {
    return this.metaOp({ op: 'modifyColumn', table, column: columnName, bytes });
  }
  addTag(stable: string, tag: ColumnSchema): Promise<void> {
    return this.metaOp({ op: 'addTag', stable, tag });
  }
  setTag(childTable: string, tagName: string, value: TagValue): Promise<void> {
    return this.metaOp({ op: 'setTag', table: childTable, tag: tagName, value });
  }
}
