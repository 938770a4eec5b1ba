// Start-up reconciliation: the catalog is the desired state (committed first by every DDL),
// the vnodes follow. After a crash between the two, bring the vnodes in line: remove vnode
// directories of dropped databases, and make every vgroup's super tables match the catalog.
import { isStringType } from '../common/types.js';
import type { StableRecord } from './catalog.js';
import type { VnodeTables } from '../storage/api.js';
import type { EngineCore } from './engine-core.js';

export async function reconcile(core: EngineCore): Promise<void> {
  const wanted = new Set<number>();
  for (const db of core.catalog.state.dbs) for (const vg of db.vgroups) wanted.add(vg.vgId);
  for (const vgId of core.vnodes.onDisk()) if (!wanted.has(vgId)) await core.vnodes.drop(vgId);
  for (const db of core.catalog.state.dbs) {
    await core.openDb(db);
    // A replicated vgroup's super tables are part of its Raft state (every replica applies
    // the same DDL), so there is nothing local to repair; its followers refuse mutations anyway.
    for (const vg of db.vgroups) if (vg.dnodeIds === undefined) await reconcileStables(core.store(vg.vgId), db.stables);
  }
}

async function reconcileStables(store: VnodeTables, stables: readonly StableRecord[]): Promise<void> {
  const want = new Map(stables.map((s) => [s.name, s]));
  for (const t of store.listTables({ kind: 'super' })) if (!want.has(t.name)) await store.dropTable(t.name);
  for (const st of stables) {
    const have = store.getTable(st.name);
    if (!have) {
      await store.createSuperTable({ name: st.name, columns: st.columns, tags: st.tags });
      continue;
    }
    for (const c of have.columns)
      if (!st.columns.some((x) => x.name === c.name)) await store.dropColumn(st.name, c.name);
    for (const c of st.columns) {
      const old = have.columns.find((x) => x.name === c.name);
      if (!old) await store.addColumn(st.name, c);
      else if (isStringType(c.type) && c.bytes > old.bytes) await store.modifyColumn(st.name, c.name, c.bytes);
    }
    for (const t of st.tags) if (!have.tags.some((x) => x.name === t.name)) await store.addTag(st.name, t);
  }
}
