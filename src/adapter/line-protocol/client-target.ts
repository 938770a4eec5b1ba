// Line protocol over a client connection (the standalone adapter, or an embedded one that
// talks to its dnode over RPC): the two calls the writer needs, mapped onto the client
// library. One target per connection, memoized, because the writer's schema cache is kept
// per target; a fresh wrapper per request would reload metadata every time.
import type { Connection } from '../../client/connection.js';
import type { LineProtocolTarget } from './schema-cache.js';

const targets = new WeakMap<Connection, LineProtocolTarget>();

export function lineProtocolTarget(conn: Connection): LineProtocolTarget {
  let t = targets.get(conn);
  if (!t) {
    t = {
      // Stateless statements: the session's database is the default for this one only.
      execute: (sql, session) => conn.queryStream(sql, { db: session.db }),
      insertColumnar: (db, tables) => conn.insertColumnar(db, tables),
    };
    targets.set(conn, t);
  }
  return t;
}
