// Which databases a statement touches: every `db` field anywhere in its AST, the session's
// database, and the one a database statement names. Used to refresh remote vgroups' meta
// before a statement (engine.ts) and to pass read barriers before a select (select-bridge.ts).
import type { Statement } from '../sql/index.js';
import type { Session } from './engine-api.js';

/** Statements that name a database by `name` rather than by `db` fields. */
const NAMES_A_DB = new Set<string>([
  'useDatabase',
  'alterDatabase',
  'flushDatabase',
  'compactDatabase',
  'showCreateDatabase',
]);

export function statementDbs(s: Statement, session: Session): Set<string> {
  const out = new Set<string>();
  if (session.db !== null) out.add(session.db);
  if (NAMES_A_DB.has(s.kind)) out.add((s as unknown as { name: string }).name);
  const walk = (v: unknown, depth: number): void => {
    if (depth > 32 || v === null || typeof v !== 'object') return;
    if (Array.isArray(v)) {
      for (const x of v) walk(x, depth + 1);
      return;
    }
    const o = v as Record<string, unknown>;
    if (typeof o['db'] === 'string') out.add(o['db']);
    for (const k of Object.keys(o)) if (k !== 'pos') walk(o[k], depth + 1);
  };
  walk(s, 0);
  return out;
}
