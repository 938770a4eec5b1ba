// Line protocol over a client connection (the standalone adapter, or an embedded one that
// talks to its dnode over RPC): the two calls the writer needs, mapped onto the client
// library. One target per connection, memoized, because the writer's schema cache is kept
// per target; a fresh wrapper per request would reload metadata every time.
import type { AdapterConnection } from '../connection.js';
import type { LineProtocolTarget } from './schema-cache.js';

/** What the target needs of a connection (the client library's Connection has it too). */
type Conn = Pick<AdapterConnection, 'queryStream' | 'insertColumnar'>;

const targets = new WeakMap<Conn, LineProtocolTarget>();

export function lineProtocolTarget(conn: Conn): LineProtocolTarget {
  let t = targets.get(conn);
  if (!t) {
    t = {
      // Stateless statements: the session's database is the default for this one only.
      execute: (sql, db) => conn.queryStream(sql, { db }),
      insertColumnar: (db, tables) => conn.insertColumnar(db, tables),
    };
    targets.set(conn, t);
  }
  return t;
}
