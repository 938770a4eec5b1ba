// create / alter / drop user, in this engine's catalog. User management is for super users;
// anyone may change their own password.
import { BasaltError } from '../common/errors.js';
import type { AlterUserStmt, CreateUserStmt, DropUserStmt } from '../sql/ast.js';
import type { Session, StatementResult } from './engine-api.js';
import type { EngineCore } from './engine-core.js';
import { execResult } from './result-rows.js';

/** User management is for super users; anyone may change their own password. */
function requireSuper(core: EngineCore, session: Session, what: string): void {
  const u = core.catalog.state.users.find((x) => x.name === session.user);
  if (!u?.superUser)
    throw new BasaltError(
      'AUTH_FAILURE',
      `user '${session.user}' may not ${what}; connect as a super user such as root`,
    );
}

export async function createUser(core: EngineCore, s: CreateUserStmt, session: Session): Promise<StatementResult> {
  requireSuper(core, session, 'create user');
  core.catalog.commit(core.catalog.planCreateUser(s.user, s.password, core.nowMs()));
  return execResult('Create');
}

export async function alterUser(core: EngineCore, s: AlterUserStmt, session: Session): Promise<StatementResult> {
  if (s.user !== session.user) requireSuper(core, session, `change the password of '${s.user}'`);
  core.catalog.commit(core.catalog.planSetPassword(s.user, s.password, core.nowMs()));
  return execResult('Alter');
}

export async function dropUser(core: EngineCore, s: DropUserStmt, session: Session): Promise<StatementResult> {
  requireSuper(core, session, 'drop user');
  core.catalog.commit(core.catalog.planDropUser(s.user));
  return execResult('Drop');
}
