// SELECT goes to the select path (src/query/select/). FROM-less selects of session and
// server facts (server_version(), database(), now()...) are answered here directly, since
// they touch no vgroup.
import { TDENGINE_COMPAT_VERSION } from '../common/compat.js';
import { BasaltError } from '../common/errors.js';
import { DataType } from '../common/types.js';
import type { SelectStmt } from '../sql/ast.js';
import type { Session, StatementResult } from './engine-api.js';
import { type EngineCore, touchedDbs } from './engine-core.js';
import { col, queryResult, varcharCol, type Cell } from './result-rows.js';
import type { ResultColumn } from './engine-api.js';
import type { SelectContext } from '../query/select-api.js';
import { runSelect } from '../query/select/index.js';

/** Answers `select server_version(), database(), now() ...` without FROM, or null if it can't. */
function sessionFacts(core: EngineCore, s: SelectStmt, session: Session): StatementResult | null {
  if (s.from !== null || s.where !== null || s.groupBy.length > 0 || s.window !== null) return null;
  const columns: ResultColumn[] = [];
  const row: Cell[] = [];
  for (const it of s.items) {
    const name = it.alias ?? it.text;
    const e = it.expr;
    if (e.kind === 'now') {
      columns.push(col(name, DataType.TIMESTAMP));
      row.push(core.nowMs());
      continue;
    }
    if (e.kind !== 'function' || e.args.length !== 0) return null;
    let v: string | null;
    switch (e.name) {
      case 'server_version':
      case 'client_version':
        v = TDENGINE_COMPAT_VERSION;
        break;
      case 'basalt_version':
        v = core.options.serverVersion;
        break;
      case 'database':
        v = session.db;
        break;
      case 'current_user':
      case 'user':
        v = session.user;
        break;
      case 'server_status':
        columns.push(col(name, DataType.INT));
        row.push(1);
        continue;
      default:
        return null;
    }
    columns.push(varcharCol(name, Math.max(1, (v ?? '').length)));
    row.push(v);
  }
  return queryResult(columns, [row]);
}

export async function select(core: EngineCore, s: SelectStmt, session: Session): Promise<StatementResult> {
  const facts = sessionFacts(core, s, session);
  if (facts) return facts;
  const dbs = touchedDbs(s, session);
  let current = true;
  for (const name of dbs) current = (await core.readBarrier(name)) && current;
  const ctx: SelectContext = {
    beforeRead: (vgId) => core.readBarrierOf(vgId),
    session,
    getDb: (name) => core.dbHandle(core.dbName(name, session)),
    nowMs: () => core.nowMs(),
    serverVersion: core.options.serverVersion,
  };
  try {
    return await runSelect(s, ctx);
  } catch (e) {
    // Planned against a local replica whose barrier had not passed (a vgroup still electing
    // its leader after a restart has not applied its log yet): a table created before the
    // restart looks missing. Wait for the replicas, then plan once more.
    if (current || !(e instanceof BasaltError) || e.errorName !== 'TABLE_NOT_EXIST') throw e;
    for (const name of dbs) await core.readBarrierAll(name);
    return runSelect(s, ctx);
  }
}
