// FROM resolution: which vgroups hold the table(s) a query reads. A normal or child table
// lives in the vgroup whose hash range holds hash32(name); a super table's child tables are
// spread over all vgroups of the database (each vgroup lists its own).
import { BasaltError } from '../../common/errors.js';
import { vgroupIndexForTable } from '../../common/routing.js';
import type { TableInfo, TagValue } from '../../storage/api.js';
import type { TableSelector } from './ir.js';
import type { DbHandle, VgroupHandle } from '../select-api.js';

export function vgroupOfTable(db: DbHandle, name: string): VgroupHandle {
  // The engine lists a database's vgroups in hash order (catalog ranges), as routing requires.
  return db.vgroups[vgroupIndexForTable(db.vgroups, name)]!;
}

/** The table's definition and the vgroup to read it from (any vgroup for a super table). */
export function findTable(db: DbHandle, name: string): { info: TableInfo; vgroup: VgroupHandle } {
  if (db.vgroups.length > 0) {
    const home = vgroupOfTable(db, name);
    const info = home.store.getTable(name);
    if (info !== undefined) return { info, vgroup: home };
  }
  for (const vg of db.vgroups) {
    const info = vg.store.getTable(name);
    if (info !== undefined) return { info, vgroup: vg };
  }
  throw new BasaltError(
    'TABLE_NOT_EXIST',
    `table '${db.name}.${name}' does not exist; check the name or create it first`,
  );
}

export interface TagLookup {
  readonly tagName: string;
  readonly values: readonly TagValue[];
}

/** Per vgroup, which tables of a super table to read: named ones (tbname = / in), tag index hits, or all. */
export function superTableTargets(
  db: DbHandle,
  stable: string,
  tagLookup: TagLookup | null,
  tbnames: readonly string[] | null,
): Array<{ vgroup: VgroupHandle; tables: TableSelector }> {
  if (tbnames !== null) {
    const byVg = new Map<VgroupHandle, string[]>();
    for (const n of tbnames) {
      const vg = vgroupOfTable(db, n);
      let l = byVg.get(vg);
      if (l === undefined) {
        l = [];
        byVg.set(vg, l);
      }
      if (!l.includes(n)) l.push(n);
    }
    return [...byVg].map(([vgroup, names]) => ({ vgroup, tables: { k: 'names', names, stable } }));
  }
  return db.vgroups.map((vgroup) => ({
    vgroup,
    tables:
      tagLookup !== null
        ? { k: 'tagIndex', stable, tagName: tagLookup.tagName, values: tagLookup.values }
        : { k: 'children', stable },
  }));
}
