// SHOW statements: catalog (databases, tables, stables, create ...) and cluster state
// (dnodes, mnodes, vgroups, vnodes, cluster, variables, transactions, users).
import type { Statement } from './ast.js';
import type { Cursor } from './cursor.js';
import type { Token } from './lexer.js';
import { parseTableName } from './names.js';

const SHOW_WHAT =
  'DATABASES, TABLES, STABLES, CREATE, DNODES, MNODES, VGROUPS, VNODES, CLUSTER, VARIABLES, DNODE n VARIABLES, TRANSACTIONS, USERS, USER PRIVILEGES or AUDIT';

/** Cursor after SHOW. */
export function parseShow(c: Cursor, start: Token): Statement {
  const pos = c.pos(start);
  // `show db.tables`, `show db.stables`, `show db.vgroups`.
  if (c.isName() && c.isOp('.', 1)) {
    const db = c.name('a database name');
    c.next();
    const w = c.peek();
    if (c.acceptKw('tables')) return { kind: 'showTables', db, like: parseLike(c), pos };
    if (c.acceptKw('stables')) return { kind: 'showStables', db, like: parseLike(c), pos };
    if (c.acceptKw('vgroups')) return { kind: 'showVgroups', db, pos };
    return c.fail(`TABLES, STABLES or VGROUPS after '${db}.'`, w);
  }
  const t = c.peek();
  if (t.kind !== 'ident') c.fail(SHOW_WHAT);
  const word = t.value;
  c.next();
  switch (word) {
    case 'databases':
      return { kind: 'showDatabases', pos };
    case 'tables':
      return { kind: 'showTables', db: null, like: parseLike(c), pos };
    case 'stables':
      return { kind: 'showStables', db: null, like: parseLike(c), pos };
    case 'create':
      return parseShowCreate(c, start);
    case 'dnodes':
      return { kind: 'showDnodes', pos };
    case 'mnodes':
      return { kind: 'showMnodes', pos };
    case 'vgroups':
      return { kind: 'showVgroups', db: null, pos };
    case 'vnodes': {
      let dnodeId: number | null = null;
      if (c.acceptKw('on')) {
        c.expectKw('dnode', 'DNODE after ON');
        dnodeId = c.integer('a dnode id');
      } else if (c.peek().kind === 'integer') {
        dnodeId = c.integer('a dnode id'); // older form: show vnodes N
      }
      return { kind: 'showVnodes', dnodeId, pos };
    }
    case 'cluster':
      if (c.acceptKw('variables')) return { kind: 'showVariables', scope: 'cluster', like: parseLike(c), pos };
      return { kind: 'showCluster', pos };
    case 'local':
      c.expectKw('variables', 'VARIABLES after LOCAL');
      return { kind: 'showVariables', scope: 'local', like: parseLike(c), pos };
    case 'variables':
      return { kind: 'showVariables', scope: 'cluster', like: parseLike(c), pos };
    case 'dnode': {
      const dnodeId = c.integer('a dnode id');
      c.expectKw('variables', 'VARIABLES');
      return { kind: 'showDnodeVariables', dnodeId, like: parseLike(c), pos };
    }
    case 'transactions':
      return { kind: 'showTransactions', pos };
    case 'users':
      return { kind: 'showUsers', pos };
    case 'audit':
      return { kind: 'showAudit', pos };
    case 'user':
      c.expectKw('privileges', 'PRIVILEGES after USER');
      return { kind: 'showUserPrivileges', pos };
    default:
      return c.fail(SHOW_WHAT, t);
  }
}

function parseLike(c: Cursor): string | null {
  if (!c.acceptKw('like')) return null;
  return c.string("a quoted pattern after LIKE, e.g. LIKE 'd%'");
}

function parseShowCreate(c: Cursor, start: Token): Statement {
  const pos = c.pos(start);
  if (c.acceptKw('table')) return { kind: 'showCreateTable', table: parseTableName(c, 'a table name'), pos };
  if (c.acceptKw('stable')) return { kind: 'showCreateStable', table: parseTableName(c, 'a super table name'), pos };
  if (c.acceptKw('database')) return { kind: 'showCreateDatabase', name: c.name('a database name'), pos };
  return c.fail('TABLE, STABLE or DATABASE after SHOW CREATE');
}
