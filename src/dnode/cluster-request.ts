// Parsed cluster statements as the mnode leader's typed requests (src/mnode/leader-host.ts),
// and its answers as statement results: the mnode knows no SQL and no result blocks.
import { dbOptionsFromAst } from '../engine/ddl-database.js';
import type { StatementResult } from '../engine/engine-api.js';
import { execResult, queryResult } from '../engine/result-rows.js';
import type { ClusterRequest, ClusterResult } from '../mnode/leader-host.js';
import type { Statement } from '../sql/index.js';

/** The statement as a cluster request, or null when it is not a cluster statement. */
export function toClusterRequest(s: Statement): ClusterRequest | null {
  switch (s.kind) {
    case 'showDnodes':
    case 'showMnodes':
    case 'showCluster':
    case 'showTransactions':
    case 'balanceVgroup':
      return { kind: s.kind };
    case 'showDnodeVariables':
      return { kind: s.kind, dnodeId: s.dnodeId, like: s.like };
    case 'createDnode':
      return { kind: s.kind, endpoint: s.endpoint };
    case 'createJoinToken':
      return { kind: s.kind, expireMs: s.expireMs };
    case 'dropDnode':
      return { kind: s.kind, dnodeId: s.dnodeId, endpoint: s.endpoint, force: s.force, unsafe: s.unsafe };
    case 'alterDnode':
      return { kind: s.kind, dnodeId: s.dnodeId, key: s.key, value: s.value };
    case 'createMnode':
    case 'dropMnode':
      return { kind: s.kind, dnodeId: s.dnodeId };
    case 'balanceVgroupLeader':
      return { kind: s.kind, vgId: s.vgId, db: s.db };
    case 'redistributeVgroup':
      return { kind: s.kind, vgId: s.vgId, dnodeIds: s.dnodeIds };
    case 'createDatabase':
      return {
        kind: s.kind,
        name: s.name,
        ifNotExists: s.ifNotExists,
        options: () => dbOptionsFromAst(s.name, s.options),
      };
    case 'dropDatabase':
      return { kind: s.kind, name: s.name, ifExists: s.ifExists };
    case 'showUsers':
    case 'showUserPrivileges':
      return { kind: s.kind };
    case 'createUser':
      return { kind: s.kind, user: s.user, password: s.password, sysinfo: s.sysinfo };
    case 'alterUser':
      return { kind: s.kind, user: s.user, password: s.password, enable: s.enable, sysinfo: s.sysinfo };
    case 'dropUser':
      return { kind: s.kind, user: s.user };
    case 'grant':
    case 'revoke':
      return { kind: s.kind, privilege: s.privilege, db: s.db, table: s.table, user: s.user };
    default:
      return null;
  }
}

export function fromClusterResult(r: ClusterResult): StatementResult {
  return r.kind === 'exec' ? execResult(r.verb) : queryResult(r.columns, r.rows);
}
