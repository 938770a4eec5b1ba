// The parts of InfluxDB's HTTP API that its clients call besides writing lines, so that the
// common clients work unmodified against httpPort: `GET|HEAD /ping` (v1 clients' ping, with
// the version header they read), `GET /health` (v2 clients), `Token user:password` auth (the
// InfluxDB 1.8 form of a v2 token), the v2 bucket → database name, and `/query` for the two
// statements clients run at setup: `SHOW DATABASES` and `CREATE DATABASE`. Data is queried with
// SQL at /rest/sql; InfluxQL is not implemented and a query says so.
//
// Pure helpers: the router (rest-server.ts) owns the sockets, authentication and connections.
import { BasaltError } from '../common/errors.js';

/** The InfluxDB release whose 1.x/2.x compatibility API these routes follow. */
export const INFLUX_COMPAT_VERSION = '1.8.10';

/** `Authorization: Token user:password` (InfluxDB 1.8's v2 compatibility token); null otherwise. */
export function parseTokenAuth(header: string | undefined): { user: string; password: string } | null {
  const m = /^Token\s+(\S+)\s*$/i.exec(header ?? '');
  if (!m) return null;
  const i = m[1]!.indexOf(':');
  if (i <= 0) return null;
  return { user: m[1]!.slice(0, i), password: m[1]!.slice(i + 1) };
}

/**
 * The database of a v2 write's `bucket`: `db` or `db/retention-policy` (InfluxDB 1.8's
 * mapping; the retention policy is ignored, a Basalt database keeps its own).
 */
export function bucketDb(bucket: string | null): string | null {
  if (bucket === null || bucket === '') return null;
  const slash = bucket.indexOf('/');
  return slash < 0 ? bucket : bucket.slice(0, slash);
}

/** The body of `GET /health`, as InfluxDB 2 answers when it is ready. */
export function healthBody(version: string): string {
  return JSON.stringify({
    name: 'influxdb',
    message: 'ready for queries and writes',
    status: 'pass',
    checks: [],
    version,
    commit: 'basalt',
  });
}

export type InfluxStatement =
  | { readonly kind: 'showDatabases' }
  | { readonly kind: 'createDatabase'; readonly name: string };

/**
 * The one statement of a v1 `/query` `q` parameter. Only SHOW DATABASES and CREATE DATABASE
 * (with an optional retention clause, ignored) are understood; anything else is NOT_SUPPORTED
 * naming where to go instead.
 */
export function parseInfluxStatement(q: string | null): InfluxStatement {
  const text = (q ?? '').trim().replace(/;\s*$/, '');
  if (text === '')
    throw new BasaltError(
      'INVALID_PARA',
      'the q parameter is missing; send q=SHOW DATABASES or q=CREATE DATABASE name',
    );
  if (/^show\s+databases$/i.test(text)) return { kind: 'showDatabases' };
  const m = /^create\s+database\s+("(?:[^"\\]|\\.)+"|[A-Za-z_][A-Za-z0-9_]*)(\s+with\s+.*)?$/is.exec(text);
  if (m) {
    const raw = m[1]!;
    const name = raw.startsWith('"') ? raw.slice(1, -1).replace(/\\(.)/g, '$1') : raw;
    if (!/^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(name))
      throw new BasaltError(
        'INVALID_PARA',
        `database name '${name}' is not valid here: use letters, digits and _ (not starting with a digit), at most 64`,
      );
    return { kind: 'createDatabase', name };
  }
  throw new BasaltError(
    'NOT_SUPPORTED',
    `InfluxQL '${text.slice(0, 80)}' is not supported: /query answers SHOW DATABASES and CREATE DATABASE; query data with SQL at POST /rest/sql`,
  );
}

/** A v1 `/query` result holding one series of database names. */
export function showDatabasesBody(names: readonly string[]): string {
  const series = [{ name: 'databases', columns: ['name'], values: names.map((n) => [n]) }];
  return JSON.stringify({ results: [{ statement_id: 0, series }] });
}

/** A v1 `/query` result of a statement without rows. */
export function emptyResultBody(): string {
  return JSON.stringify({ results: [{ statement_id: 0 }] });
}

/** A v1 `/query` error, as InfluxDB reports one: the clients throw with `error`. */
export function queryErrorBody(message: string): string {
  return JSON.stringify({ error: message });
}
