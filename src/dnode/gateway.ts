// Any dnode is a gateway (docs/design-notes.md §1): it parses each statement and sends it
// where it can run. Cluster statements (dnodes, mnodes, show cluster, create/drop database)
// go to the mnode leader, found through the saved mnode set and NOT_MNODE_LEADER hints; a
// statement about a database placed on another dnode is forwarded there whole; the rest
// runs on the local engine. Forwarded results come back whole (bounded by
// Limits.maxForwardedResultBytes).
import type { ColumnBlock } from '../common/block.js';
import { sliceBlock, valueAt } from '../common/block.js';
import { encodedBlockBytes } from '../common/block-codec.js';
import { BasaltError, toBasaltError } from '../common/errors.js';
import { Limits } from '../common/limits.js';
import type { BulkTable, Engine, LocalEngine, ResultColumn, Session, StatementResult } from '../engine/engine-api.js';
import { decodeBlocks, encodeBlocks } from '../rpc/blocks.js';
import { decodeInsertColumnar, encodeInsertColumnar } from '../rpc/insert-columnar.js';
import type { InsertColumnarResponse, WireColumn } from '../rpc/messages.js';
import type { RpcReply } from '../rpc/server.js';
import {
  databasesNamed,
  parseOne,
  splitStatements,
  useStatement,
  type ShowVnodesStmt,
  type Statement,
  type UseDatabaseStmt,
} from '../sql/index.js';
import type { DbOptions } from '../common/db-options.js';
import { execResult } from '../engine/result-rows.js';
import {
  asMap,
  ClusterMsg,
  type ForwardReply,
  type ForwardRequest,
  type HostDatabase,
} from '../mnode/cluster-messages.js';
import type { ClusterNode } from './cluster-node.js';
import { ClusterStatements } from '../mnode/cluster-statements.js';
import { fromClusterResult, toClusterRequest } from './cluster-request.js';
import { authorizeStatement } from '../engine/privileges.js';
import { queryResult } from '../engine/result-rows.js';
import { DataType } from '../common/types.js';
import { AuditLog, isAudited } from './audit.js';

/** How long a login waits for a dnode that has not heard the cluster's users yet (just started). */
const USERS_WAIT_MS = 5_000;

/** Statements that change users or grants: the gateway's dnode takes the new users at once. */
const USER_CHANGES = new Set<Statement['kind']>(['createUser', 'alterUser', 'dropUser', 'grant', 'revoke']);

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function* iterate(blocks: readonly ColumnBlock[]): AsyncIterable<ColumnBlock> {
  for (const b of blocks) yield b;
}

function fromReply(r: ForwardReply, payload: Uint8Array): StatementResult {
  const columns: ResultColumn[] = r.columns.map(([name, type, bytes]) => ({ name, type, bytes }));
  const blocks = decodeBlocks(payload, r.numBlocks);
  const res: StatementResult = {
    kind: r.kind,
    verb: r.verb,
    columns,
    precision: r.precision,
    blocks: iterate(blocks),
    affectedRows: r.affectedRows,
  };
  return r.useDb === null ? res : { ...res, useDb: r.useDb };
}

async function toReply(res: StatementResult): Promise<RpcReply> {
  const blocks: ColumnBlock[] = [];
  let bytes = 0;
  for await (const b of res.blocks) {
    bytes += encodedBlockBytes(b);
    if (bytes > Limits.maxForwardedResultBytes) {
      throw new BasaltError(
        'FRAME_TOO_LARGE',
        `the result is larger than ${Limits.maxForwardedResultBytes} bytes, the limit for a statement forwarded between dnodes; connect to the dnode that holds the database, or narrow the query`,
      );
    }
    if (b.numRows > 0) blocks.push(b);
  }
  const body: ForwardReply = {
    kind: res.kind,
    verb: res.verb,
    columns: res.columns.map((c): WireColumn => [c.name, c.type, c.bytes]),
    precision: res.precision,
    affectedRows: res.affectedRows,
    useDb: res.useDb ?? null,
    numBlocks: blocks.length,
  };
  return { control: body, payload: encodeBlocks(blocks) };
}

export class Gateway {
  readonly statements: ClusterStatements;

  constructor(
    private readonly node: ClusterNode,
    private readonly local: LocalEngine,
    readonly audit: AuditLog = new AuditLog(null, () => node.identity.dnodeId),
  ) {
    this.statements = new ClusterStatements(
      node,
      node.leader,
      (id, h) => this.hostOnDnode(id, h),
      (id, name) => this.unhostOnDnode(id, name),
    );
  }

  /** The engine the RPC handler serves: the local one with cluster routing in front. */
  engine(): Engine {
    return {
      execute: (sql, session) => this.execute(sql, session),
      executeMany: (sql, session) => this.executeMany(sql, session),
      executeStatement: (stmt, session, text) => this.audited(stmt, text, session),
      useDatabase: (name, session) => this.useDatabase(name, session),
      insertColumnar: (db: string, tables: readonly BulkTable[], user?: string) =>
        this.insertColumnar(db, tables, user),
      vgroupMap: (db: string) => this.local.vgroupMap(db),
      // The cluster's users, never the local engine's catalog: one source of truth per dnode.
      login: (u, p) => this.login(u, p),
      checkLogin: (l) => this.node.users.checkLogin(l),
      close: () => this.local.close(),
    };
  }

  /** A dnode that has not joined knows no users: it says what to do instead of waiting. */
  private login(user: string, password: string): ReturnType<Engine['login']> {
    if (this.node.identity.dnodeId === 0 && this.node.users.version === 0)
      throw new BasaltError(
        'NOT_READY',
        `this dnode (${this.node.endpoint}) has not joined a cluster yet; run create dnode "${this.node.endpoint}" on the cluster at firstEp ${this.node.config.firstEp}, then log in with the cluster's users`,
      );
    return this.node.users.login(user, password, USERS_WAIT_MS);
  }

  async *executeMany(sql: string, session: Session): AsyncIterable<StatementResult> {
    let current: Session = { ...session };
    for (const text of splitStatements(sql)) {
      const r = await this.execute(text, current);
      if (r.useDb !== undefined) current = { ...current, db: r.useDb };
      yield r;
    }
  }

  /** Parses `sql` (the only parse of it on this dnode) and routes the statement. */
  async execute(sql: string, session: Session): Promise<StatementResult> {
    if (sql.length > Limits.maxSqlBytes) return this.local.execute(sql, session); // the engine names the limit
    let s: Statement;
    // A statement that does not parse gets its syntax error from the engine itself (nothing
    // runs; an engine test double may know statements the parser does not).
    try {
      s = parseOne(sql);
    } catch {
      return this.local.execute(sql, session);
    }
    return this.audited(s, sql, session);
  }

  /**
   * A statement from a client (not one forwarded by another dnode: the dnode the client sent
   * it to writes its audit record, once), routed, with its outcome in the audit log.
   */
  private async audited(s: Statement, sql: string, session: Session): Promise<StatementResult> {
    if (s.kind === 'showAudit') {
      authorizeStatement(this.node.users, session, s);
      return this.showAudit();
    }
    if (!isAudited(s.kind)) return this.route(s, sql, session);
    const record = (result: string): void =>
      this.audit.record({
        user: session.user,
        source: session.source ?? 'internal',
        operation: s.kind,
        statement: sql,
        result,
      });
    try {
      const r = await this.route(s, sql, session);
      record('ok');
      return r;
    } catch (e) {
      const err = toBasaltError(e);
      record(`0x${(err.code >>> 0).toString(16)} ${err.message}`);
      throw e;
    }
  }

  private showAudit(): StatementResult {
    const text = (name: string, bytes: number): ResultColumn => ({ name, type: DataType.VARCHAR, bytes });
    const columns: ResultColumn[] = [
      text('ts', 32),
      text('user', Limits.rpcMaxNameChars),
      text('source', 64),
      text('operation', 32),
      text('statement', Limits.auditStatementMaxChars),
      text('result', Limits.rpcErrorMessageMaxChars),
    ];
    const rows = this.audit.recent().map((r) => [r.ts, r.user, r.source, r.operation, r.statement, r.result]);
    return queryResult(columns, rows);
  }

  /**
   * Sends a parsed statement where it runs: cluster statements to the mnode leader, a
   * statement about a database placed elsewhere to a dnode that holds it (as its text
   * `sql`, parsed there once), the rest to the local engine.
   */
  private async route(s: Statement, sql: string, session: Session): Promise<StatementResult> {
    if (toClusterRequest(s) !== null) {
      // Cluster statements never reach an engine: the engine's privilege check runs here.
      authorizeStatement(this.node.users, session, s);
      const r = await this.toLeader(s, sql, session, 0);
      if (USER_CHANGES.has(s.kind)) await this.node.statusRound(true);
      return r;
    }
    if (s.kind === 'showDatabases') return this.showDatabases(sql, session);
    if (s.kind === 'showVnodes' && this.node.identity.dnodeId > 0) return this.showVnodes(s.dnodeId, session);
    // The database it is about: the one it names first, else the session's.
    const db = databasesNamed(s)[0] ?? session.db;
    const remote = (): string[] | null => this.hostsElsewhere(db);
    const eps = remote();
    if (eps !== null)
      return this.forwardToAny(eps, { sql, db: session.db, user: session.user, target: 'data', hops: 0 });
    try {
      return await this.local.executeStatement(s, session, sql);
    } catch (e) {
      // Created a moment ago through another dnode: this one's placement may be one status
      // interval old. Refresh once and forward if the database lives elsewhere.
      if (
        db === null ||
        !(e instanceof BasaltError) ||
        e.errorName !== 'DB_NOT_EXIST' ||
        this.node.identity.dnodeId === 0
      )
        throw e;
      await this.node.statusRound(true);
      const again = remote();
      if (again === null) throw e;
      return this.forwardToAny(again, { sql, db: session.db, user: session.user, target: 'data', hops: 0 });
    }
  }

  /**
   * CONNECT's database: a database the cluster places anywhere exists; otherwise the local
   * engine decides (system databases, a single dnode), after one placement refresh.
   */
  private async useDatabase(name: string, session: Session): Promise<string> {
    const db = (useStatement(name) as UseDatabaseStmt).name;
    const placed = (): boolean => this.node.placement.some((p) => p.db === db);
    if (placed()) {
      authorizeStatement(this.node.users, session, useStatement(db));
      return db;
    }
    try {
      return await this.local.useDatabase(db, session);
    } catch (e) {
      if (!(e instanceof BasaltError) || e.errorName !== 'DB_NOT_EXIST' || this.node.identity.dnodeId === 0) throw e;
      await this.node.statusRound(true);
      if (placed()) return db;
      throw e;
    }
  }

  /**
   * The endpoints of the dnodes that hold database `db` when this one holds none of it (as
   * the last status reply placed it), else null: run it here.
   */
  private hostsElsewhere(db: string | null): string[] | null {
    const self = this.node.identity.dnodeId;
    const p = db === null ? undefined : this.node.placement.find((x) => x.db === db);
    if (!p) return null;
    if (p.hosts) return p.hosts.some((h) => h.id === self) ? null : p.hosts.map((h) => h.ep).filter((e) => e !== '');
    return p.dnodeId !== self && p.ep !== '' ? [p.ep] : null;
  }

  /**
   * Columnar bulk rows (INSERT_COLUMNAR, line protocol): into the local engine, or forwarded
   * whole to the dnode that holds the database (a replica-1 database placed elsewhere), after
   * one placement refresh when this dnode has not heard of a database created a moment ago.
   */
  async insertColumnar(db: string, tables: readonly BulkTable[], user?: string): Promise<number> {
    if (user === undefined || user === '')
      throw new BasaltError('AUTH_FAILURE', 'a bulk insert on a dnode must name the user it runs as');
    const forward = (eps: readonly string[]): Promise<number> => this.forwardInsert(eps, db, tables, user);
    const eps = this.hostsElsewhere(db);
    if (eps !== null) return forward(eps);
    try {
      return await this.local.insertColumnar(db, tables, user);
    } catch (e) {
      if (!(e instanceof BasaltError) || e.errorName !== 'DB_NOT_EXIST' || this.node.identity.dnodeId === 0) throw e;
      await this.node.statusRound(true);
      const again = this.hostsElsewhere(db);
      if (again === null) throw e;
      return forward(again);
    }
  }

  private forwardInsert(
    eps: readonly string[],
    db: string,
    tables: readonly BulkTable[],
    user: string,
  ): Promise<number> {
    const { control: insert, payload } = encodeInsertColumnar(db, tables);
    // The receiving dnode checks the user's write privilege itself.
    const req: ForwardRequest = { sql: '', db, user, target: 'insert', hops: 0, insert };
    return this.firstAnswering(eps, `database '${db}'`, async (ep) => {
      const r = await this.node.peers.request(ep, ClusterMsg.FORWARD, req, payload, Limits.rpcTimeoutMs);
      return Number(asMap<InsertColumnarResponse>(r.control, 'FORWARD insert reply').affectedRows);
    });
  }

  /** Forwards to the first of `eps` that answers (a replicated database's replica dnodes). */
  private forwardToAny(eps: readonly string[], req: ForwardRequest): Promise<StatementResult> {
    return this.firstAnswering(eps, `database of '${req.sql.slice(0, 60)}'`, (ep) => this.forward(ep, req));
  }

  /** `send` to each of `eps` in turn until one answers; only an unreachable dnode moves on. */
  private async firstAnswering<T>(eps: readonly string[], what: string, send: (ep: string) => Promise<T>): Promise<T> {
    if (eps.length === 0) throw new BasaltError('NO_LEADER', `no dnode hosting ${what} has a known endpoint; retry`);
    let last: unknown = null;
    for (const ep of eps) {
      try {
        return await send(ep);
      } catch (e) {
        const be = toBasaltError(e);
        if (be.errorName !== 'CONNECTION_FAILED') throw be;
        last = be;
      }
    }
    throw last;
  }

  private async forward(ep: string, req: ForwardRequest): Promise<StatementResult> {
    const r = await this.node.peers.request(ep, ClusterMsg.FORWARD, req, [], Limits.rpcTimeoutMs);
    return fromReply(asMap<ForwardReply>(r.control, 'FORWARD reply'), r.payload);
  }

  /** A cluster statement on this dnode's mnode leader: typed request in, rows or a verb out. */
  private async runCluster(s: Statement, sql: string, user: string): Promise<StatementResult> {
    const req = toClusterRequest(s);
    if (req === null) throw new BasaltError('BAD_FRAME', `statement ${s.kind} is not a cluster statement`);
    const r = await this.statements.run(req, async (id) => {
      await this.runOnDnode(id, s, sql, user);
    });
    return fromClusterResult(r);
  }

  /** Runs a statement on dnode `id`'s local engine (the leader placing or dropping a database). */
  private async runOnDnode(id: number, stmt: Statement, sql: string, user: string): Promise<StatementResult> {
    if (id === this.node.identity.dnodeId) return this.local.executeStatement(stmt, { user, db: null }, sql);
    const ep = this.node.epOf(id);
    if (!ep) throw new BasaltError('DNODE_NOT_EXIST', `dnode ${id} has no known endpoint`);
    return this.forward(ep, { sql, db: null, user, target: 'data', hops: 0 });
  }

  /** Tells dnode `id` to record a replicated database and open its replicas (the leader placing it). */
  private async hostOnDnode(id: number, h: HostDatabase): Promise<void> {
    if (id === this.node.identity.dnodeId) {
      await this.hostLocally(h);
      return;
    }
    const ep = this.node.epOf(id);
    if (!ep) throw new BasaltError('DNODE_NOT_EXIST', `dnode ${id} has no known endpoint`);
    await this.forward(ep, { sql: '', db: null, user: '', target: 'host', hops: 0, host: h });
  }

  /** Tells dnode `id` to drop its copy of a replicated database (the leader undoing a placement). */
  private async unhostOnDnode(id: number, name: string): Promise<void> {
    if (id === this.node.identity.dnodeId) {
      await this.local.dropPlacedDatabase(name);
      return;
    }
    const ep = this.node.epOf(id);
    if (!ep) throw new BasaltError('DNODE_NOT_EXIST', `dnode ${id} has no known endpoint`);
    await this.forward(ep, { sql: '', db: name, user: '', target: 'unhost', hops: 0 });
  }

  private async hostLocally(h: HostDatabase): Promise<void> {
    this.node.notePlacementIndex(h.index);
    await this.local.hostPlacedDatabase(h.name, h.options as Partial<DbOptions>, h.vgroups);
  }

  /** Sends a cluster statement to the mnode leader, following redirects and elections. */
  private async toLeader(s: Statement, sql: string, session: Session, hops: number): Promise<StatementResult> {
    if (this.node.identity.dnodeId === 0) {
      throw new BasaltError(
        'NOT_READY',
        `this dnode (${this.node.endpoint}) has not joined a cluster yet; run create dnode "${this.node.endpoint}" on the cluster at firstEp ${this.node.config.firstEp}, or send this statement there`,
      );
    }
    const deadline = Date.now() + Limits.mnodeProposeTimeoutMs;
    let last: BasaltError | null = null;
    for (let attempt = 0; attempt < Limits.maxMnodeLeaderHops * 4 && Date.now() < deadline; attempt++) {
      const m = this.node.mnode;
      if (m?.isLeader) {
        if (!m.serving) {
          await sleep(100);
          continue;
        }
        const r = await this.runCluster(s, sql, session.user);
        if (s.kind === 'createDatabase' || s.kind === 'dropDatabase') await this.node.statusRound(true);
        return r;
      }
      const eps = [
        ...new Set(
          [this.node.leaderEp, ...this.node.identity.mnodeEps].filter(
            (e): e is string => e !== null && e !== '' && e !== this.node.endpoint,
          ),
        ),
      ];
      for (const ep of eps) {
        try {
          const r = await this.forward(ep, {
            sql,
            db: session.db,
            user: session.user,
            target: 'mnode',
            hops: hops + 1,
          });
          this.node.leaderEp = ep;
          if (s.kind === 'createDatabase' || s.kind === 'dropDatabase') await this.node.statusRound(true);
          return r;
        } catch (e) {
          const be = toBasaltError(e);
          if (be.errorName !== 'NOT_MNODE_LEADER' && be.errorName !== 'CONNECTION_FAILED' && be.errorName !== 'TIMEOUT')
            throw be;
          last = be;
          const hint = /\(([^()\s]+:\d+)\)/.exec(be.message)?.[1];
          if (hint) this.node.leaderEp = hint;
        }
      }
      await sleep(200);
    }
    throw new BasaltError(
      'NOT_MNODE_LEADER',
      `no mnode leader answered within ${Limits.mnodeProposeTimeoutMs} ms (tried ${this.node.identity.mnodeEps.join(', ')}${last ? `; last error: ${last.message}` : ''}); check 'show mnodes' on an mnode dnode and that a majority of mnodes runs`,
    );
  }

  /**
   * `show vnodes on dnode N` runs on dnode N; `show vnodes` gathers every ready dnode's rows
   * (an unreachable dnode's vnodes are left out: `show <db>.vgroups` shows them offline).
   */
  private async showVnodes(dnodeId: number | null, session: Session): Promise<StatementResult> {
    const self = this.node.identity.dnodeId;
    const local = (): Promise<StatementResult> => this.localVnodes(session);
    if (dnodeId === self) return local();
    const ids =
      dnodeId !== null
        ? [dnodeId]
        : [...new Set([self, ...this.node.identity.dnodeEps.map((e) => e.id)])].sort((a, b) => a - b);
    const offline = new Set(this.node.offlineDnodes());
    let first: StatementResult | null = null;
    const blocks: ColumnBlock[] = [];
    for (const id of ids) {
      let r: StatementResult;
      if (id === self) r = await local();
      else {
        const ep = this.node.epOf(id);
        if (!ep) {
          if (dnodeId !== null)
            throw new BasaltError('DNODE_NOT_EXIST', `dnode ${id} does not exist; see 'show dnodes'`);
          continue;
        }
        if (dnodeId === null && offline.has(id)) continue;
        try {
          r = await this.forward(ep, { sql: '', db: null, user: session.user, target: 'vnodes', hops: 0 });
        } catch (e) {
          if (dnodeId !== null)
            throw new BasaltError(
              'DNODE_OFFLINE',
              `dnode ${id} (${ep}) did not answer (${toBasaltError(e).message}); see 'show dnodes'`,
            );
          continue;
        }
      }
      first ??= r;
      for await (const b of r.blocks) blocks.push(b);
    }
    if (first === null) return local();
    return { ...first, blocks: iterate(blocks) };
  }

  /** This dnode's own rows of `show vnodes`. */
  private localVnodes(session: Session): Promise<StatementResult> {
    const self = this.node.identity.dnodeId;
    const stmt: ShowVnodesStmt = { kind: 'showVnodes', dnodeId: self, pos: { offset: 0, line: 1, column: 1 } };
    return this.local.executeStatement(stmt, session, 'show vnodes');
  }

  /** `show databases`: every dnode that hosts databases contributes its rows. */
  private async showDatabases(sql: string, session: Session): Promise<StatementResult> {
    const first = await this.local.execute(sql, session);
    const hosts = new Set(
      this.node.placement.filter((p) => p.dnodeId !== this.node.identity.dnodeId && p.ep !== '').map((p) => p.ep),
    );
    if (hosts.size === 0) return first;
    const blocks: ColumnBlock[] = [];
    // A replicated database is listed by every dnode with a replica: keep its first row.
    const seen = new Set<string>();
    const names = (b: ColumnBlock): string[] =>
      Array.from({ length: b.numRows }, (_, r) => String(valueAt(b.columns[0]!, r)));
    for await (const b of first.blocks) {
      blocks.push(b);
      for (const n of names(b)) seen.add(n);
    }
    for (const ep of hosts) {
      try {
        const r = await this.forward(ep, { sql, db: session.db, user: session.user, target: 'data', hops: 0 });
        for await (const b of r.blocks) {
          names(b).forEach((n, row) => {
            if (seen.has(n)) return; // also information_schema and performance_schema, listed by each dnode
            seen.add(n);
            blocks.push(sliceBlock(b, row, row + 1));
          });
        }
      } catch {
        /* an offline dnode's databases are simply not listed */
      }
    }
    return { ...first, blocks: iterate(blocks) };
  }

  /** Rows another dnode's gateway forwarded here, decoded and checked as INSERT_COLUMNAR is. */
  private async insertForwarded(insert: unknown, payload: Uint8Array, user: string): Promise<RpcReply> {
    if (user === '') throw new BasaltError('BAD_FRAME', 'FORWARD insert needs the user the rows are written as');
    const req = decodeInsertColumnar(insert, payload);
    const body: InsertColumnarResponse = {
      affectedRows: await this.local.insertColumnar(req.db, req.tables, user),
    };
    return { control: body };
  }

  /** FORWARD from another dnode. */
  async handleForward(control: unknown, payload: Uint8Array): Promise<RpcReply> {
    const req = asMap<ForwardRequest>(control, 'FORWARD');
    if (typeof req.sql !== 'string' || typeof req.user !== 'string')
      throw new BasaltError('BAD_FRAME', 'FORWARD needs sql and user');
    const session: Session = { user: req.user, db: typeof req.db === 'string' ? req.db : null };
    if (req.target === 'data') return toReply(await this.local.execute(req.sql, session));
    if (req.target === 'insert') return this.insertForwarded(req.insert, payload, req.user);
    if (req.target === 'host') {
      if (!req.host || typeof req.host.name !== 'string' || !Array.isArray(req.host.vgroups))
        throw new BasaltError('BAD_FRAME', 'FORWARD host needs name and vgroups');
      await this.hostLocally(req.host);
      return toReply(execResult('Create'));
    }
    if (req.target === 'vnodes') return toReply(await this.localVnodes(session));
    if (req.target === 'unhost') {
      if (typeof req.db !== 'string') throw new BasaltError('BAD_FRAME', 'FORWARD unhost needs db');
      await this.local.dropPlacedDatabase(req.db);
      return toReply(execResult('Drop'));
    }
    const m = this.node.mnode;
    if (!m || !m.isLeader) {
      const ep = m && m.leaderId > 0 ? this.node.epOf(m.leaderId) : this.node.leaderEp;
      throw new BasaltError(
        'NOT_MNODE_LEADER',
        `dnode ${this.node.identity.dnodeId} is not the mnode leader${ep && ep !== this.node.endpoint ? `; the leader is (${ep})` : '; retry in a moment'}`,
      );
    }
    const s = parseOne(req.sql);
    if (toClusterRequest(s) === null)
      throw new BasaltError('BAD_FRAME', `statement ${s.kind} is not a cluster statement`);
    // The user it runs as is checked here too, against this dnode's copy of the users.
    authorizeStatement(this.node.users, session, s);
    return toReply(await this.runCluster(s, req.sql, req.user));
  }
}
