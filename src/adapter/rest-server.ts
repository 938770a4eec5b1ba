// REST on httpPort, as taosAdapter serves it: `POST /rest/sql[/<db>][/]` with Basic auth,
// one statement per request, TDengine's JSON shape; `GET /-/ping` for health;
// `POST /influxdb/v1/write` for line protocol (src/adapter/line-protocol). It reaches
// the dnode only through the client library (one pooled RPC connection per credential
// pair), so it runs the same embedded in `basalt start` or standalone.
//
// HTTP status: 200 for SQL errors (code + desc in the body, as TDengine does), 401 for bad
// credentials, 413 for an oversized body, 404/405 for unknown routes, 502/503 when the
// dnode cannot be reached.
//
// With `tls` (sslCert/sslKey) the same routes are served over HTTPS only.
//
// When the dnode runs in this process (`basalt start`), the adapter's RPC connection is an
// in-process link rather than loopback TCP (connection.ts).
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { gunzipSync } from 'node:zlib';
import { BasaltError, toBasaltError } from '../common/errors.js';
import { Limits } from '../common/limits.js';
import { valueAt } from '../common/block.js';
import { connectAdapter, type AdapterConnection } from './connection.js';
import {
  bucketDb,
  emptyResultBody,
  healthBody,
  INFLUX_COMPAT_VERSION,
  parseInfluxStatement,
  parseTokenAuth,
  queryErrorBody,
  showDatabasesBody,
} from './influx-compat.js';
import { handleInfluxWrite, lineProtocolTarget } from './line-protocol/index.js';
import { openTsdbJsonToLines, openTsdbTelnetToLines } from './opentsdb.js';
import {
  affectedRowsBody,
  blockRowsJson,
  queryHead,
  queryTail,
  restErrorBody,
  type TimestampStyle,
  zoneOffsetMinutes,
} from './rest-json.js';

export interface RestServerOptions {
  /** Address and port to listen on. */
  readonly host: string;
  readonly port: number;
  /** The dnode's RPC endpoint. */
  readonly rpcHost: string;
  readonly rpcPort: number;
  readonly maxBodyBytes?: number;
  readonly requestTimeoutMs?: number;
  /** Serve HTTPS with this PEM certificate and key. */
  readonly tls?: { readonly cert: string | Buffer; readonly key: string | Buffer };
  readonly log?: (level: 'info' | 'warn' | 'error', message: string) => void;
}

const JSON_TYPE = 'application/json; charset=utf-8';
const utf8 = new TextDecoder('utf-8', { fatal: true });

function send(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(status, { 'Content-Type': JSON_TYPE, 'Content-Length': String(Buffer.byteLength(body)), ...headers });
  res.end(body);
}

function sendError(res: ServerResponse, status: number, e: BasaltError, headers: Record<string, string> = {}): void {
  send(res, status, restErrorBody(e.code, e.message), headers);
}

/** Parses `Authorization: Basic base64(user:pass)`; null when missing or malformed. */
export function parseBasicAuth(header: string | undefined): { user: string; password: string } | null {
  if (!header) return null;
  const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
  if (!m) return null;
  const text = Buffer.from(m[1]!, 'base64').toString('utf8');
  const i = text.indexOf(':');
  if (i <= 0) return null;
  return { user: text.slice(0, i), password: text.slice(i + 1) };
}

/**
 * `/rest/sql`, `/rest/sql/`, `/rest/sql/<db>`, `/rest/sql/<db>/` → { db }; null otherwise. The
 * same under `/rest/sqlt` (timestamps as integers) and `/rest/sqlutc` (RFC 3339 in UTC, which
 * /rest/sql writes too), the TDengine 2.x paths some tools still call.
 */
export function matchSqlPath(pathname: string): { db: string | null; epoch: boolean } | null {
  const m = /^\/rest\/sql(t|utc)?(?:\/([^/]*))?\/?$/.exec(pathname);
  if (!m) return null;
  let db: string | null = null;
  if (m[2] !== undefined && m[2] !== '') {
    try {
      db = decodeURIComponent(m[2]);
    } catch {
      return null;
    }
  }
  return { db, epoch: m[1] === 't' };
}

/**
 * Resolves on the response's next 'drain' or its 'close', whichever comes first, and removes
 * both listeners then: a long stream waits many times, and listeners left behind pile up.
 */
function drainedOrClosed(res: ServerResponse): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = (): void => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

/** `GET /-/ping` (or HEAD): 200 with `{"code":0,"desc":"ok"}`, no credentials needed. */
function ping(req: IncomingMessage, res: ServerResponse): void {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    req.resume();
    sendError(res, 405, new BasaltError('INVALID_PARA', 'use GET /-/ping'), { Allow: 'GET' });
    return;
  }
  req.resume();
  send(res, 200, '{"code":0,"desc":"ok"}');
}

/**
 * InfluxDB's `GET|HEAD /ping` (204 with the version header its 1.x clients read) and
 * `GET /health` (its 2.x clients' readiness); no credentials, as in InfluxDB.
 */
function influxProbe(req: IncomingMessage, res: ServerResponse, pathname: string): void {
  req.resume();
  const headers = { 'X-Influxdb-Version': INFLUX_COMPAT_VERSION, 'X-Influxdb-Build': 'OSS' };
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    sendError(res, 405, new BasaltError('INVALID_PARA', `use GET ${pathname}`), { Allow: 'GET, HEAD', ...headers });
    return;
  }
  if (pathname === '/ping') {
    res.writeHead(204, headers);
    res.end();
    return;
  }
  send(res, 200, healthBody(INFLUX_COMPAT_VERSION), headers);
}

export class RestServer {
  private server: Server | null = null;
  private readonly pool = new Map<string, Promise<AdapterConnection>>();
  /** `GET /rest/login/<user>/<password>` tokens for `Authorization: Taosd <token>` (bounded, oldest evicted). */
  private readonly tokens = new Map<string, { user: string; password: string }>();
  private readonly maxBodyBytes: number;
  private readonly timeoutMs: number;

  constructor(private readonly opts: RestServerOptions) {
    this.maxBodyBytes = opts.maxBodyBytes ?? Limits.maxHttpBodyBytes;
    this.timeoutMs = opts.requestTimeoutMs ?? Limits.restRequestTimeoutMs;
  }

  /** Listens; rejects with the raw listen error for the caller to name the setting. */
  listen(): Promise<number> {
    return new Promise((resolve, reject) => {
      const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
        this.handle(req, res).catch((e: unknown) => {
          this.opts.log?.('error', `rest: unexpected failure: ${(e as Error).stack ?? String(e)}`);
          sendError(res, 500, toBasaltError(e));
        });
      };
      const tls = this.opts.tls;
      const server: Server = tls
        ? createHttpsServer({ cert: tls.cert, key: tls.key }, onRequest)
        : createServer(onRequest);
      server.maxConnections = Limits.maxHttpConnections;
      server.once('error', reject);
      server.listen(this.opts.port, this.opts.host, () => {
        server.off('error', reject);
        server.on('error', (e) => this.opts.log?.('error', `rest server error: ${e.message}`));
        // Requests and headers must arrive within bounded time (slow-client protection).
        server.headersTimeout = 30_000;
        server.requestTimeout = this.timeoutMs;
        this.server = server;
        resolve(this.port);
      });
    });
  }

  get port(): number {
    const a = this.server?.address();
    return typeof a === 'object' && a ? a.port : 0;
  }

  async close(): Promise<void> {
    const srv = this.server;
    this.server = null;
    if (srv) {
      const closed = new Promise<void>((r) => srv.close(() => r()));
      srv.closeIdleConnections();
      const t = setTimeout(() => srv.closeAllConnections(), 5000);
      await closed;
      clearTimeout(t);
    }
    for (const p of this.pool.values())
      p.then(
        (c) => c.close(),
        () => undefined,
      );
    this.pool.clear();
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://x');
    } catch {
      sendError(res, 400, new BasaltError('INVALID_PARA', 'the request URL cannot be parsed'));
      return;
    }
    const pathname = url.pathname;

    if (pathname === '/-/ping') {
      ping(req, res);
      return;
    }
    const login = /^\/rest\/login\/([^/]+)\/([^/]+)\/?$/.exec(pathname);
    if (login) {
      req.resume();
      await this.login(res, login[1]!, login[2]!);
      return;
    }
    if (/^\/rest\/login\/?$/.test(pathname)) {
      req.resume();
      // The same token, with the password in the Authorization header rather than the URL
      // (URLs end up in proxy and shell history logs).
      const basic = parseBasicAuth(req.headers.authorization);
      if (!basic) {
        sendError(
          res,
          401,
          new BasaltError(
            'AUTH_FAILURE',
            'send the credentials as Basic auth: curl -u root:taosdata http://host:6041/rest/login',
          ),
          { 'WWW-Authenticate': 'Basic realm="basalt"' },
        );
        return;
      }
      await this.loginAs(res, basic.user, basic.password);
      return;
    }
    if (pathname === '/influxdb/v1/write' || pathname === '/write') {
      await this.influxWrite(req, res, url.searchParams, 'v1');
      return;
    }
    if (pathname === '/api/v2/write') {
      await this.influxWrite(req, res, url.searchParams, 'v2');
      return;
    }
    const tsdb = /^\/opentsdb\/v1\/put\/(json|telnet)\/([^/]+)\/?$/.exec(pathname);
    if (tsdb) {
      let db: string;
      try {
        db = decodeURIComponent(tsdb[2]!);
      } catch {
        req.resume();
        sendError(res, 400, new BasaltError('INVALID_PARA', 'the database in the URL is not valid percent-encoding'));
        return;
      }
      await this.influxWrite(req, res, url.searchParams, tsdb[1] === 'json' ? 'opentsdb-json' : 'opentsdb-telnet', db);
      return;
    }
    if (pathname === '/ping' || pathname === '/health') {
      influxProbe(req, res, pathname);
      return;
    }
    if (pathname === '/query' || pathname === '/influxdb/v1/query') {
      await this.influxQuery(req, res, url.searchParams);
      return;
    }
    const route = matchSqlPath(pathname);
    if (!route) {
      req.resume();
      sendError(
        res,
        404,
        new BasaltError('INVALID_PARA', `no endpoint ${pathname}; use POST /rest/sql or /rest/sql/<db>`),
      );
      return;
    }
    await this.sqlRequest(req, res, url, route.db, route.epoch);
  }

  /** `POST /rest/sql[/<db>]`: credentials, then the body (SQL text in UTF-8), run with `db` from the path. */
  private async sqlRequest(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    db: string | null,
    epoch: boolean,
  ): Promise<void> {
    if (req.method !== 'POST') {
      req.resume();
      sendError(
        res,
        405,
        new BasaltError(
          'INVALID_PARA',
          `${req.method ?? '?'} is not allowed on ${url.pathname}; send the SQL as a POST body`,
        ),
        { Allow: 'POST' },
      );
      return;
    }
    const auth = this.credentials(req.headers.authorization);
    if (!auth) {
      req.resume();
      sendError(
        res,
        401,
        new BasaltError(
          'AUTH_FAILURE',
          'missing, malformed or unknown Authorization; use Basic auth (curl -u root:taosdata) or a Taosd token from /rest/login/<user>/<password>',
        ),
        { 'WWW-Authenticate': 'Basic realm="basalt"' },
      );
      return;
    }
    const rowWithMeta = url.search !== '' && url.searchParams.get('row_with_meta') === 'true';
    const tz = url.search !== '' ? url.searchParams.get('tz') : null;
    if (tz !== null && !epoch) {
      try {
        zoneOffsetMinutes(tz);
      } catch {
        req.resume();
        sendError(
          res,
          400,
          new BasaltError(
            'INVALID_PARA',
            `tz '${tz.slice(0, 64)}' is not an IANA time zone name; use one such as Asia/Shanghai, Europe/Berlin or UTC`,
          ),
        );
        return;
      }
    }
    const style: TimestampStyle = epoch ? { kind: 'epoch' } : { kind: 'rfc3339', tz: tz === '' ? null : tz };
    const body = await this.readBody(req, res);
    if (body === null) return;
    let sql: string;
    try {
      sql = utf8.decode(body);
    } catch {
      sendError(
        res,
        200,
        new BasaltError('SYNTAX_ERROR', 'the request body is not valid UTF-8; send the SQL text as UTF-8'),
      );
      return;
    }
    if (sql.trim() === '') {
      sendError(
        res,
        200,
        new BasaltError('SYNTAX_ERROR', 'the request body holds no SQL statement; send one statement as the POST body'),
      );
      return;
    }
    await this.runSql(res, auth, sql, db, rowWithMeta, style);
  }

  /** Basic, Taosd token, InfluxDB's `Token user:password`, or the `u`/`p` parameters (1.x clients). */
  private influxCredentials(req: IncomingMessage, params: URLSearchParams): { user: string; password: string } | null {
    const u = params.get('u');
    return (
      this.credentials(req.headers.authorization) ??
      parseTokenAuth(req.headers.authorization) ??
      (u !== null ? { user: u, password: params.get('p') ?? '' } : null)
    );
  }

  /**
   * `POST /influxdb/v1/write` or `/write` (`db`, `precision`), and `POST /api/v2/write`
   * (`bucket` = database, `precision`; `org` is accepted and ignored): credentials, then the
   * line-protocol handler over this credential's pooled connection.
   */
  private async influxWrite(
    req: IncomingMessage,
    res: ServerResponse,
    params: URLSearchParams,
    api: 'v1' | 'v2' | 'opentsdb-json' | 'opentsdb-telnet',
    pathDb: string | null = null,
  ): Promise<void> {
    const path =
      api === 'v1'
        ? '/influxdb/v1/write'
        : api === 'v2'
          ? '/api/v2/write'
          : `/opentsdb/v1/put/${api === 'opentsdb-json' ? 'json' : 'telnet'}/<db>`;
    if (req.method !== 'POST') {
      req.resume();
      sendError(
        res,
        405,
        new BasaltError('INVALID_PARA', `${req.method ?? '?'} is not allowed on ${path}; POST the lines as the body`),
        { Allow: 'POST' },
      );
      return;
    }
    const auth = this.influxCredentials(req, params);
    const unauthorized = (e: BasaltError): void =>
      sendError(res, 401, e, { 'WWW-Authenticate': 'Basic realm="basalt"' });
    if (!auth) {
      req.resume();
      unauthorized(
        new BasaltError(
          'AUTH_FAILURE',
          'missing credentials; use Basic auth (curl -u root:taosdata), Authorization: Token root:taosdata, or the u and p query parameters',
        ),
      );
      return;
    }
    const db = api === 'v1' ? params.get('db') : api === 'v2' ? bucketDb(params.get('bucket')) : pathDb;
    if (api === 'v2' && db === null) {
      req.resume();
      sendError(
        res,
        400,
        new BasaltError('DB_NOT_SPECIFIED', 'the bucket query parameter is missing; write to /api/v2/write?bucket=DB'),
      );
      return;
    }
    let conn: AdapterConnection;
    try {
      conn = await this.connection(auth.user, auth.password);
    } catch (e) {
      req.resume();
      const err = toBasaltError(e);
      if (err.errorName === 'AUTH_FAILURE') unauthorized(err);
      else sendError(res, err.httpStatus >= 500 ? err.httpStatus : 503, err);
      return;
    }
    let body = await this.readInflatedBody(req, res);
    if (body === null) return;
    let precision = params.get('precision');
    if (api === 'opentsdb-json' || api === 'opentsdb-telnet') {
      try {
        const lines = api === 'opentsdb-json' ? openTsdbJsonToLines(body) : openTsdbTelnetToLines(body);
        body = Buffer.from(lines.text);
        precision = 'ms';
      } catch (e) {
        const err = toBasaltError(e);
        send(res, 400, JSON.stringify({ code: (err.code >>> 0) & 0xffff, message: err.message }));
        return;
      }
    }
    const r = await handleInfluxWrite(lineProtocolTarget(conn), { db, precision, body });
    if (r.status === 204) {
      res.writeHead(204);
      res.end();
      return;
    }
    // 401: the session ended (user dropped or disabled, password changed); the next request logs in afresh.
    if (r.status === 502 || r.status === 401) this.dropConnection(auth.user, auth.password);
    send(res, r.status, r.body ?? '{}');
  }

  /**
   * InfluxDB 1.x `/query` (GET or POST, `q` in the URL or a form body): SHOW DATABASES and
   * CREATE DATABASE, run as SQL with the caller's privileges; anything else is refused with a
   * message naming /rest/sql.
   */
  private async influxQuery(req: IncomingMessage, res: ServerResponse, params: URLSearchParams): Promise<void> {
    if (req.method !== 'GET' && req.method !== 'POST') {
      req.resume();
      send(res, 405, queryErrorBody(`${req.method ?? '?'} is not allowed on /query; use GET or POST`), {
        Allow: 'GET, POST',
      });
      return;
    }
    const auth = this.influxCredentials(req, params);
    if (!auth) {
      req.resume();
      send(
        res,
        401,
        queryErrorBody('missing credentials; use Basic auth, Authorization: Token user:password, or u and p'),
        {
          'WWW-Authenticate': 'Basic realm="basalt"',
        },
      );
      return;
    }
    let q = params.get('q');
    if (q === null && req.method === 'POST') {
      const body = await this.readBody(req, res);
      if (body === null) return;
      q = new URLSearchParams(body.toString('utf8')).get('q');
    } else req.resume();
    let conn: AdapterConnection;
    try {
      conn = await this.connection(auth.user, auth.password);
    } catch (e) {
      const err = toBasaltError(e);
      send(res, err.errorName === 'AUTH_FAILURE' ? 401 : 503, queryErrorBody(err.message));
      return;
    }
    try {
      const st = parseInfluxStatement(q);
      if (st.kind === 'createDatabase') {
        const r = await conn.queryStream(`create database if not exists ${st.name}`, { timeoutMs: this.timeoutMs });
        await r.close();
        send(res, 200, emptyResultBody());
        return;
      }
      const r = await conn.queryStream('show databases', { timeoutMs: this.timeoutMs });
      const names: string[] = [];
      for await (const b of r.blocks) for (let i = 0; i < b.numRows; i++) names.push(String(valueAt(b.columns[0]!, i)));
      send(res, 200, showDatabasesBody(names.filter((n) => n !== 'information_schema' && n !== 'performance_schema')));
    } catch (e) {
      const err = toBasaltError(e);
      if (err.errorName === 'CONNECTION_FAILED') this.dropConnection(auth.user, auth.password);
      send(
        res,
        err.errorName === 'AUTH_FAILURE' ? 401 : err.httpStatus >= 500 ? err.httpStatus : 400,
        queryErrorBody(err.message),
      );
    }
  }

  /** readBody, then gunzip when the request says gzip; answers 400 and returns null when it does not inflate. */
  private async readInflatedBody(req: IncomingMessage, res: ServerResponse): Promise<Buffer | null> {
    const body = await this.readBody(req, res);
    if (body === null || !/gzip/i.test(req.headers['content-encoding'] ?? '')) return body;
    try {
      return gunzipSync(body, { maxOutputLength: this.maxBodyBytes });
    } catch {
      sendError(
        res,
        400,
        new BasaltError(
          'INVALID_PARA',
          `the gzip body does not inflate within maxHttpBodyBytes ${this.maxBodyBytes}; send it uncompressed or in smaller requests`,
        ),
      );
      return null;
    }
  }

  /** Reads the body up to the limit; answers 413 and returns null when it is larger. */
  private readBody(req: IncomingMessage, res: ServerResponse): Promise<Buffer | null> {
    const declared = Number(req.headers['content-length'] ?? 0);
    const tooLarge = (): void => {
      sendError(
        res,
        413,
        new BasaltError(
          'FRAME_TOO_LARGE',
          `request body exceeds maxHttpBodyBytes ${this.maxBodyBytes}; send smaller statements or raise maxHttpBodyBytes`,
        ),
        { Connection: 'close' },
      );
    };
    // Answer first, then drop the connection once the answer is flushed: the rest of the
    // oversized body is never read.
    const closeAfterReply = (): void => {
      res.once('finish', () => req.destroy());
    };
    if (declared > this.maxBodyBytes) {
      closeAfterReply();
      tooLarge();
      return Promise.resolve(null);
    }
    return new Promise((resolve) => {
      const chunks: Buffer[] = [];
      let n = 0;
      let done = false;
      req.on('data', (c: Buffer) => {
        if (done) return;
        n += c.length;
        if (n > this.maxBodyBytes) {
          done = true;
          req.pause();
          closeAfterReply();
          tooLarge();
          resolve(null);
          return;
        }
        chunks.push(c);
      });
      req.on('end', () => {
        if (!done) {
          done = true;
          resolve(Buffer.concat(chunks));
        }
      });
      req.on('error', () => {
        if (!done) {
          done = true;
          resolve(null);
        }
      });
      req.on('close', () => {
        if (!done) {
          done = true;
          resolve(null);
        }
      });
    });
  }

  private connection(user: string, password: string): Promise<AdapterConnection> {
    const key = `${user}\u0000${password}`;
    let p = this.pool.get(key);
    if (!p) {
      if (this.pool.size >= Limits.maxRestPooledConnections) {
        // Evict the oldest credential pair (Map keeps insertion order).
        const [oldKey, oldConn] = this.pool.entries().next().value as [string, Promise<AdapterConnection>];
        this.pool.delete(oldKey);
        oldConn.then(
          (c) => c.close(),
          () => undefined,
        );
      }
      p = connectAdapter({
        host: this.opts.rpcHost,
        port: this.opts.rpcPort,
        user,
        password,
        timeoutMs: this.timeoutMs,
      });
      this.pool.set(key, p);
      p.catch(() => {
        if (this.pool.get(key) === p) this.pool.delete(key);
      });
    }
    return p;
  }

  private dropConnection(user: string, password: string): void {
    const key = `${user}\u0000${password}`;
    const p = this.pool.get(key);
    this.pool.delete(key);
    p?.then(
      (c) => c.close(),
      () => undefined,
    );
  }

  private credentials(header: string | undefined): { user: string; password: string } | null {
    const basic = parseBasicAuth(header);
    if (basic) return basic;
    const m = /^Taosd\s+(\S+)\s*$/i.exec(header ?? '');
    return m ? (this.tokens.get(m[1]!) ?? null) : null;
  }

  private async login(res: ServerResponse, userEnc: string, passEnc: string): Promise<void> {
    let user: string;
    let password: string;
    try {
      user = decodeURIComponent(userEnc);
      password = decodeURIComponent(passEnc);
    } catch {
      sendError(
        res,
        400,
        new BasaltError('INVALID_PARA', 'user or password in the login URL is not valid percent-encoding'),
      );
      return;
    }
    await this.loginAs(res, user, password);
  }

  /** Checks the credentials (a pooled connection) and answers with a Taosd token for them. */
  private async loginAs(res: ServerResponse, user: string, password: string): Promise<void> {
    try {
      await this.connection(user, password);
    } catch (e) {
      const err = toBasaltError(e);
      sendError(res, err.errorName === 'AUTH_FAILURE' ? 401 : 503, err);
      return;
    }
    if (this.tokens.size >= Limits.maxRestPooledConnections * 16)
      this.tokens.delete(this.tokens.keys().next().value as string);
    const token = randomBytes(36).toString('base64');
    this.tokens.set(token, { user, password });
    send(res, 200, JSON.stringify({ code: 0, desc: token }));
  }

  private async runSql(
    res: ServerResponse,
    auth: { user: string; password: string },
    sql: string,
    db: string | null,
    rowWithMeta: boolean,
    style: TimestampStyle,
  ): Promise<void> {
    let conn: AdapterConnection;
    try {
      conn = await this.connection(auth.user, auth.password);
    } catch (e) {
      const err = toBasaltError(e);
      if (err.errorName === 'AUTH_FAILURE') sendError(res, 401, err);
      else sendError(res, err.httpStatus >= 500 ? err.httpStatus : 503, err);
      return;
    }
    let stream: Awaited<ReturnType<AdapterConnection['queryStream']>>;
    try {
      stream = await conn.queryStream(sql, { db, timeoutMs: this.timeoutMs });
    } catch (e) {
      const err = toBasaltError(e);
      if (err.errorName === 'AUTH_FAILURE') {
        this.dropConnection(auth.user, auth.password);
        sendError(res, 401, err);
        return;
      }
      if (err.errorName === 'CONNECTION_FAILED') {
        this.dropConnection(auth.user, auth.password);
        sendError(res, 502, err);
        return;
      }
      // SQL errors are HTTP 200 with code + desc, as taosAdapter answers them.
      sendError(res, 200, err);
      return;
    }
    if (stream.kind === 'exec') {
      await stream.close();
      send(res, 200, affectedRowsBody(stream.affectedRows));
      return;
    }
    await this.streamRows(res, stream, rowWithMeta, style);
  }

  private async streamRows(
    res: ServerResponse,
    stream: Awaited<ReturnType<AdapterConnection['queryStream']>>,
    rowWithMeta: boolean,
    style: TimestampStyle,
  ): Promise<void> {
    const names = rowWithMeta ? stream.columns.map((c) => c.name) : null;
    let held: string[] = [queryHead(stream.columns)];
    let heldBytes = held[0]!.length;
    let streaming = false;
    let rows = 0;
    const flush = async (): Promise<void> => {
      const chunk = held.join('');
      held = [];
      heldBytes = 0;
      if (!streaming) {
        streaming = true;
        res.writeHead(200, { 'Content-Type': JSON_TYPE });
      }
      if (!res.write(chunk)) await drainedOrClosed(res);
    };
    try {
      for await (const b of stream.blocks) {
        if (res.destroyed) {
          await stream.close();
          return;
        }
        const part = blockRowsJson(b, stream.precision, rows === 0, names, style);
        rows += b.numRows;
        held.push(part);
        heldBytes += part.length;
        if (heldBytes >= Limits.restResponseHoldBytes) await flush();
      }
    } catch (e) {
      const err = toBasaltError(e);
      if (!streaming) {
        sendError(res, 200, err);
        return;
      }
      // Half a JSON document is already out; cut the response so no client mistakes it for complete.
      this.opts.log?.('warn', `rest: result stream failed after ${rows} rows: ${err.message}`);
      res.destroy();
      return;
    }
    held.push(queryTail(rows));
    if (!streaming) {
      send(res, 200, held.join(''));
      return;
    }
    res.end(held.join(''));
  }
}
