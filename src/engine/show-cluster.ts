// The show commands a dnode's engine answers from its own catalog and vnodes: databases,
// vgroups, vnodes, variables, users, with the columns operators know from TDengine 3.x.
// show dnodes / mnodes / cluster / dnode variables / transactions are the mnode leader's
// (src/mnode/cluster-statements.ts).
import { BasaltError } from '../common/errors.js';
import { DataType } from '../common/types.js';
import { SYSTEM_DBS } from './catalog.js';
import { formatMinutes } from '../common/db-options.js';
import type { ShowVariablesStmt, ShowVgroupsStmt, ShowVnodesStmt } from '../sql/ast.js';
import type { Session, StatementResult } from './engine-api.js';
import type { EngineCore } from './engine-core.js';
import { likeToRegExp } from '../common/like.js';
import { col, queryResult, varcharCol, type Cell } from './result-rows.js';

const T = DataType;

export function showDatabases(core: EngineCore): StatementResult {
  const columns = [
    varcharCol('name', 64),
    col('create_time', T.TIMESTAMP),
    col('vgroups', T.SMALLINT),
    col('ntables', T.BIGINT),
    col('replica', T.TINYINT),
    varcharCol('strict', 4),
    varcharCol('duration', 10),
    varcharCol('keep', 32),
    col('buffer', T.INT),
    col('pagesize', T.INT),
    col('pages', T.INT),
    col('minrows', T.INT),
    col('maxrows', T.INT),
    col('comp', T.TINYINT),
    varcharCol('precision', 2),
    varcharCol('status', 10),
    varcharCol('retentions', 60),
    col('single_stable', T.BOOL),
    varcharCol('cachemodel', 11),
    col('cachesize', T.INT),
    col('wal_level', T.TINYINT),
    col('wal_fsync_period', T.INT),
    col('wal_retention_period', T.INT),
    col('wal_retention_size', T.BIGINT),
  ];
  const rows: Cell[][] = SYSTEM_DBS.map((n) => {
    const r: Cell[] = columns.map(() => null);
    r[0] = n;
    r[15] = 'ready';
    return r;
  });
  for (const d of core.catalog.state.dbs) {
    const o = d.options;
    rows.push([
      d.name,
      d.createdAtMs,
      o.vgroups,
      core.tableCount(d),
      o.replica,
      'off',
      formatMinutes(o.durationMinutes),
      o.keepMinutes.map(formatMinutes).join(','),
      o.bufferMb,
      4,
      64,
      o.minRows,
      o.maxRows,
      2,
      o.precision,
      'ready',
      null,
      false,
      'none',
      1,
      o.walLevel,
      o.walFsyncPeriodMs,
      0,
      0,
    ]);
  }
  return queryResult(columns, rows);
}

export function showVgroups(core: EngineCore, s: ShowVgroupsStmt, session: Session): StatementResult {
  const db = core.db(core.dbName(s.db, session));
  const dnodeId = core.options.dnode.dnodeId;
  const offline = new Set(core.options.dnode.offlineDnodes?.() ?? []);
  const rows: Cell[][] = db.vgroups.map((vg) => {
    const store = core.vnodes.has(vg.vgId)
      ? core.store(vg.vgId)
      : core.remoteOf(vg.vgId)?.synced
        ? core.remoteOf(vg.vgId)!
        : null;
    const tables = store ? store.listTables({ kind: 'child' }).length + store.listTables({ kind: 'normal' }).length : 0;
    if (vg.dnodeIds === undefined)
      return [vg.vgId, db.name, tables, dnodeId, 'leader', null, null, null, null, null, null, 0, 0, 0];
    // A replicated vgroup: roles as this dnode's replica sees them (Raft leader, learners);
    // a dnode the mnode leader shows offline has an offline replica.
    // This dnode's replica, else the synced remote view (roles as its last sync saw them).
    const st = core.replicaOf(vg.vgId)?.status() ?? (store !== null ? core.remoteOf(vg.vgId)?.status() : undefined);
    // The replicas as Raft has them now (a move in progress shows its learner); the catalog's
    // list when no replica answered.
    const ids = st && st.voters.length > 0 ? [...st.voters, ...st.learners].sort((a, b) => a - b) : vg.dnodeIds;
    const slots: Cell[] = [];
    for (let i = 0; i < 4; i++) {
      const id = ids[i];
      if (id === undefined) {
        slots.push(null, null);
        continue;
      }
      const role =
        st === undefined || offline.has(id)
          ? 'offline'
          : st.leader === id
            ? 'leader'
            : st.learners.includes(id)
              ? 'learner'
              : st.leader === 0
                ? 'candidate'
                : 'follower';
      slots.push(id, role);
    }
    return [vg.vgId, db.name, tables, ...slots, 0, 0, 0];
  });
  return queryResult(
    [
      col('vgroup_id', T.INT),
      varcharCol('db_name', 32),
      col('tables', T.INT),
      col('v1_dnode', T.SMALLINT),
      varcharCol('v1_status', 9),
      col('v2_dnode', T.SMALLINT),
      varcharCol('v2_status', 9),
      col('v3_dnode', T.SMALLINT),
      varcharCol('v3_status', 9),
      col('v4_dnode', T.SMALLINT),
      varcharCol('v4_status', 9),
      col('cacheload', T.INT),
      col('cacheelements', T.INT),
      col('tsma', T.TINYINT),
    ],
    rows,
  );
}

export function showVnodes(core: EngineCore, s: ShowVnodesStmt): StatementResult {
  const d = core.options.dnode;
  if (s.dnodeId !== null && s.dnodeId !== d.dnodeId) {
    throw new BasaltError('DNODE_NOT_EXIST', `dnode ${s.dnodeId} does not exist; this cluster has dnode ${d.dnodeId}`);
  }
  const rows: Cell[][] = [];
  for (const db of core.catalog.state.dbs) {
    for (const vg of db.vgroups) {
      if (vg.dnodeIds === undefined) {
        rows.push([d.dnodeId, vg.vgId, db.name, 'leader', d.startedAtMs, d.startedAtMs, true]);
        continue;
      }
      if (!core.vnodes.has(vg.vgId)) continue;
      const st = core.replicaOf(vg.vgId)?.status();
      const role =
        st === undefined
          ? 'offline'
          : st.leader === d.dnodeId
            ? 'leader'
            : st.role === 'learner'
              ? 'learner'
              : st.leader === 0
                ? 'candidate'
                : 'follower';
      rows.push([d.dnodeId, vg.vgId, db.name, role, d.startedAtMs, d.startedAtMs, true]);
    }
  }
  return queryResult(
    [
      col('dnode_id', T.INT),
      col('vgroup_id', T.INT),
      varcharCol('db_name', 64),
      varcharCol('status', 9),
      col('role_time', T.TIMESTAMP),
      col('start_time', T.TIMESTAMP),
      col('restored', T.BOOL),
    ],
    rows,
  );
}

function likeFilter(like: string | null): (name: string) => boolean {
  if (like === null) return () => true;
  const re = likeToRegExp(like);
  return (n) => re.test(n);
}

export function showVariables(core: EngineCore, s: ShowVariablesStmt): StatementResult {
  const keep = likeFilter(s.like);
  const rows = core.options.dnode.variables.filter((v) => keep(v.name)).map((v): Cell[] => [v.name, v.value, v.scope]);
  return queryResult([varcharCol('name', 64), varcharCol('value', 128), varcharCol('scope', 10)], rows);
}

export function showUsers(core: EngineCore): StatementResult {
  const rows = core.catalog.state.users.map((u): Cell[] => [u.name, u.superUser ? 1 : 0, 1, 1, u.createdAtMs]);
  return queryResult(
    [
      varcharCol('name', 24),
      col('super', T.TINYINT),
      col('enable', T.TINYINT),
      col('sysinfo', T.TINYINT),
      col('create_time', T.TIMESTAMP),
    ],
    rows,
  );
}
