// create / alter / drop user in this engine's own catalog: only for an engine used alone
// (tests, benchmarks). On a dnode users are cluster state (src/mnode/users.ts) and these
// statements go to the mnode leader. Who may run them is src/engine/privileges.ts's check.
import { BasaltError } from '../common/errors.js';
import type { Catalog } from './catalog.js';
import type { AccessControl } from './privileges.js';
import type { AlterUserStmt, CreateUserStmt, DropUserStmt } from '../sql/ast.js';
import type { Session, StatementResult } from './engine-api.js';
import type { EngineCore } from './engine-core.js';
import { execResult } from './result-rows.js';

/** The catalog's users as the privilege check sees them: super users, and others with no grants. */
export function catalogAccess(catalog: Catalog): AccessControl {
  return {
    user(name) {
      const u = catalog.state.users.find((x) => x.name === name);
      return u ? { superUser: u.superUser, sysinfo: true, grants: [] } : undefined;
    },
  };
}

export async function createUser(core: EngineCore, s: CreateUserStmt): Promise<StatementResult> {
  core.catalog.commit(core.catalog.planCreateUser(s.user, s.password, core.nowMs()));
  return execResult('Create');
}

export async function alterUser(core: EngineCore, s: AlterUserStmt, _session: Session): Promise<StatementResult> {
  if (s.password === null)
    throw new BasaltError(
      'NOT_SUPPORTED',
      `'alter user ${s.user} enable|sysinfo' needs the cluster's users; run it through a dnode (basalt sql, REST)`,
    );
  core.catalog.commit(core.catalog.planSetPassword(s.user, s.password, core.nowMs()));
  return execResult('Alter');
}

export async function dropUser(core: EngineCore, s: DropUserStmt): Promise<StatementResult> {
  core.catalog.commit(core.catalog.planDropUser(s.user));
  return execResult('Drop');
}
