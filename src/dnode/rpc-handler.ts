// Serves the client messages of src/rpc/messages.ts against the local engine: per
// connection it keeps the authenticated session and the open result cursors. Results
// stream: QUERY answers with the first blocks (up to resultFrameTargetBytes) and a cursor,
// FETCH returns the next ones, so a large result is never built whole in memory.
import type { ColumnBlock } from '../common/block.js';
import { sliceBlock } from '../common/block.js';
import { assert } from '../common/assert.js';
import { encodedBlockBytes } from '../common/block-codec.js';
import { BasaltError } from '../common/errors.js';
import { Limits } from '../common/limits.js';
import type { Engine, Login, Session, StatementResult } from '../engine/engine-api.js';
import { encodeBlocks } from '../rpc/blocks.js';
import type { Frame } from '../rpc/frame.js';
import {
  MsgType,
  parseConnect,
  parseCursor,
  parseQuery,
  parseVgroupMap,
  type ConnectResponse,
  type FetchResponse,
  type InsertColumnarResponse,
  type QueryResponse,
  type StatusResponse,
  type VgroupMapResponse,
  type WireColumn,
} from '../rpc/messages.js';
import { decodeInsertColumnar } from '../rpc/insert-columnar.js';
import { newNonce, verifyPeerAuth, type PeerCredentials } from '../rpc/peer-auth.js';
import { RepeatGate } from '../common/repeat-gate.js';
import { CLUSTER_MSG_FIRST, clusterMsgName } from '../mnode/cluster-messages.js';
import type { RpcHandler, RpcReply, RpcServerConnection } from '../rpc/server.js';

interface Cursor {
  readonly iter: AsyncIterator<ColumnBlock>;
  /** Blocks (or parts of one) that did not fit in the previous response, in order. */
  readonly carry: ColumnBlock[];
  lastUsedMs: number;
  busy: boolean;
}

interface ConnSession {
  user: string;
  /** The verified login; each request compares its generation (no password is kept). */
  login: Login;
  session: Session;
  cursors: Map<number, Cursor>;
  nextCursorId: number;
}

export interface RpcHandlerOptions {
  readonly engine: Engine;
  readonly serverVersion: string;
  readonly status: () => StatusResponse;
  readonly maxFrameBytes: number;
  /** `fqdn:serverPort` of this dnode (VGROUP_MAP tells clients which endpoint they reached). */
  readonly selfEndpoint: string;
  readonly log: (level: 'info' | 'warn' | 'error', message: string) => void;
  /** A failed login, for the audit log (src/dnode/audit.ts). */
  readonly onAuthFailure?: (user: string, source: string, error: BasaltError) => void;
  /**
   * Intra-cluster messages (src/mnode/cluster-messages.ts) from an authenticated peer,
   * dnode `peerId`; null: not one of them.
   */
  readonly cluster?: (frame: Frame, peerId: number) => Promise<RpcReply | null>;
  /** Peer authentication and joining; absent, no connection becomes a peer. */
  readonly peerAuth?: PeerAuthServer;
}

/** What the handler needs of the dnode to authenticate peers and serve JOIN. */
export interface PeerAuthServer {
  /** This dnode's id and the cluster secret; null before it has joined. */
  credentials(): PeerCredentials | null;
  /** Serves a JOIN (a new dnode with a join token) after the challenge `serverNonce`. */
  join(control: unknown, serverNonce: Buffer, remote: string): Promise<unknown>;
  /** The message types that need no authenticated peer (JOIN). */
  readonly preAuthTypes: readonly number[];
  /** Dnode `dnodeId` proved itself on a connection; `peerClosed` follows when it closes. */
  peerOpened?(dnodeId: number): void;
  peerClosed?(dnodeId: number): void;
}

/** A connection's peer handshake: the challenge it was given, and the dnode it proved to be. */
interface PeerConn {
  nonce: Buffer | null;
  dnodeId: number;
}

export interface DnodeRpcHandler {
  readonly handle: RpcHandler;
  /** Requests refused for want of peer authentication, by reason (since start). */
  peerRefusals(): Record<string, number>;
  /** Closes idle cursors; returns how many. Called periodically by the dnode. */
  sweepIdleCursors(nowMs: number): number;
}

/** What the message handlers of one dnode share. */
interface HandlerCtx {
  readonly opts: RpcHandlerOptions;
  readonly engine: Engine;
  /** Sessions of the open connections: the idle-cursor sweep walks them. */
  readonly live: Set<ConnSession>;
  /** Bytes of result blocks per QUERY/FETCH response. */
  readonly frameBudget: number;
  readonly peerConns: WeakMap<RpcServerConnection, PeerConn>;
  readonly refusals: Map<string, number>;
  readonly refusalGate: RepeatGate;
}

interface Filled {
  readonly blocks: ColumnBlock[];
  readonly done: boolean;
}

export function createRpcHandler(opts: RpcHandlerOptions): DnodeRpcHandler {
  const ctx: HandlerCtx = {
    opts,
    engine: opts.engine,
    live: new Set<ConnSession>(),
    // The target, but always well inside the frame limit.
    frameBudget: Math.max(1024, Math.min(Limits.resultFrameTargetBytes, Math.floor(opts.maxFrameBytes / 2))),
    peerConns: new WeakMap(),
    refusals: new Map(),
    refusalGate: new RepeatGate(),
  };
  return {
    handle: (conn, frame) => dispatch(ctx, conn, frame),
    peerRefusals: () => Object.fromEntries(ctx.refusals),
    sweepIdleCursors: (nowMs) => sweepIdleCursors(ctx, nowMs),
  };
}

async function dispatch(ctx: HandlerCtx, conn: RpcServerConnection, frame: Frame): Promise<RpcReply> {
  switch (frame.msgType) {
    case MsgType.PING:
      return { control: {} };
    case MsgType.STATUS:
      return { control: ctx.opts.status() };
    case MsgType.CONNECT:
      return handleConnect(ctx, conn, frame.control);
    case MsgType.QUERY:
      return handleQuery(ctx, conn, frame.control);
    case MsgType.FETCH:
      return handleFetch(ctx, conn, frame.control);
    case MsgType.CLOSE_CURSOR:
      return handleCloseCursor(ctx, conn, frame.control);
    case MsgType.INSERT_COLUMNAR:
      return handleInsertColumnar(ctx, conn, frame);
    case MsgType.VGROUP_MAP:
      return handleVgroupMap(ctx, conn, frame.control);
    case MsgType.PEER_CHALLENGE:
      return handlePeerChallenge(ctx, conn);
    case MsgType.PEER_AUTH:
      return handlePeerAuth(ctx, conn, frame.control);
    default:
      return handleOther(ctx, conn, frame);
  }
}

/** Counts a refusal and logs it (at most once per interval per reason), then throws it. */
function refuse(ctx: HandlerCtx, conn: RpcServerConnection, reason: string, message: string): never {
  ctx.refusals.set(reason, (ctx.refusals.get(reason) ?? 0) + 1);
  if (ctx.refusalGate.pass(reason, Date.now()))
    ctx.opts.log('warn', `refused ${reason} from ${conn.remote} (${ctx.refusals.get(reason)} so far): ${message}`);
  throw new BasaltError('AUTH_FAILURE', message);
}

function handlePeerChallenge(ctx: HandlerCtx, conn: RpcServerConnection): RpcReply {
  if (!ctx.opts.peerAuth) refuse(ctx, conn, 'peer challenge', 'this server accepts no peers');
  const nonce = newNonce();
  ctx.peerConns.set(conn, { nonce, dnodeId: ctx.peerConns.get(conn)?.dnodeId ?? 0 });
  return { control: { nonce } };
}

function handlePeerAuth(ctx: HandlerCtx, conn: RpcServerConnection, control: unknown): RpcReply {
  const pc = ctx.peerConns.get(conn);
  const ns = pc?.nonce;
  if (!pc || !ns) refuse(ctx, conn, 'peer auth without challenge', 'send PEER_CHALLENGE before PEER_AUTH');
  // A challenge answers one attempt: a second guess needs a new nonce.
  pc.nonce = null;
  const creds = ctx.opts.peerAuth?.credentials() ?? null;
  if (creds === null)
    refuse(ctx, conn, 'peer auth before join', 'this dnode has not joined a cluster yet, so it has no peers');
  let proven: ReturnType<typeof verifyPeerAuth>;
  try {
    proven = verifyPeerAuth(creds.clusterSecret, ns, control);
  } catch (e) {
    if (e instanceof BasaltError && e.errorName === 'AUTH_FAILURE')
      refuse(ctx, conn, 'peer with a wrong cluster secret', e.message);
    throw e;
  }
  const dnodeId = proven.dnodeId;
  if (pc.dnodeId === 0) {
    ctx.opts.peerAuth?.peerOpened?.(dnodeId);
    conn.onClose(() => ctx.opts.peerAuth?.peerClosed?.(dnodeId));
  }
  pc.dnodeId = dnodeId;
  // A proven peer sends large frames (Raft entries, forwarded inserts): lift the pre-login limits.
  conn.markAuthenticated();
  return { control: proven.reply };
}

/** Releases what an abandoned result still holds (scans, locks); its errors no longer matter. */
function releaseIter(iter: AsyncIterator<ColumnBlock>): void {
  void iter.return?.()?.catch(() => undefined);
}

function closeCursor(cs: ConnSession, id: number): void {
  const c = cs.cursors.get(id);
  if (!c) return;
  cs.cursors.delete(id);
  releaseIter(c.iter);
}

function closeAllCursors(cs: ConnSession): void {
  for (const id of [...cs.cursors.keys()]) closeCursor(cs, id);
}

function authed(ctx: HandlerCtx, conn: RpcServerConnection): ConnSession {
  const cs = conn.state as ConnSession | undefined;
  if (!cs)
    throw new BasaltError(
      'AUTH_FAILURE',
      'the connection is not authenticated; send CONNECT with user and password first',
    );
  // Per request, so a dropped or disabled user or a changed password ends open sessions too;
  // a generation comparison, never the (deliberately slow) password check.
  ctx.engine.checkLogin(cs.login);
  return cs;
}

async function handleConnect(ctx: HandlerCtx, conn: RpcServerConnection, control: unknown): Promise<RpcReply> {
  const req = parseConnect(control);
  let login: Login;
  try {
    login = await ctx.engine.login(req.user, req.password);
  } catch (e) {
    if (e instanceof BasaltError && e.errorName === 'AUTH_FAILURE') {
      ctx.opts.log('warn', `authentication failed for user '${req.user}' from ${conn.remote}: ${e.message}`);
      ctx.opts.onAuthFailure?.(req.user, conn.remote, e);
    }
    throw e;
  }
  const prev = conn.state as ConnSession | undefined;
  if (prev) closeAllCursors(prev);
  const cs: ConnSession = {
    user: req.user,
    login,
    session: { user: req.user, db: null, source: conn.remote },
    cursors: new Map(),
    nextCursorId: 1,
  };
  if (req.db !== null) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(req.db)) {
      throw new BasaltError(
        'INVALID_IDENTIFIER',
        `database name '${req.db.slice(0, 64)}' is not an identifier; use letters, digits and '_'`,
      );
    }
    // Validates the database the way `use db` does, so a bad -d fails at connect time.
    cs.session.db = await ctx.engine.useDatabase(req.db, cs.session);
  }
  conn.state = cs;
  conn.markAuthenticated();
  if (prev) {
    ctx.live.delete(prev);
    ctx.live.add(cs);
  } else trackConnection(ctx, conn, cs);
  const body: ConnectResponse = { serverVersion: ctx.opts.serverVersion, connId: conn.id, db: cs.session.db };
  return { control: body };
}

/** A connection's first session: its cursors are closed when the connection closes. */
function trackConnection(ctx: HandlerCtx, conn: RpcServerConnection, cs: ConnSession): void {
  ctx.live.add(cs);
  conn.onClose(() => {
    // A later CONNECT on the same connection replaced the session: close the current one.
    const cur = conn.state as ConnSession | undefined;
    if (cur) {
      closeAllCursors(cur);
      ctx.live.delete(cur);
    }
    ctx.live.delete(cs);
  });
}

/** Pulls blocks until the byte budget is used or the result ends. */
async function fill(c: Cursor, frameBudget: number): Promise<Filled> {
  const blocks: ColumnBlock[] = [];
  let bytes = 0;
  for (;;) {
    let b = c.carry.shift();
    if (b === undefined) {
      const r = await c.iter.next();
      if (r.done) return { blocks, done: true };
      b = r.value;
    }
    if (b.numRows === 0) continue;
    let size = encodedBlockBytes(b);
    // Split a block that alone would overflow the budget (wide strings), keeping order.
    while (size > frameBudget && b.numRows > 1) {
      const half = Math.ceil(b.numRows / 2);
      c.carry.unshift(sliceBlock(b, half, b.numRows));
      b = sliceBlock(b, 0, half);
      size = encodedBlockBytes(b);
    }
    if (bytes > 0 && bytes + size > frameBudget) {
      c.carry.unshift(b);
      return { blocks, done: false };
    }
    blocks.push(b);
    bytes += size;
    if (bytes >= frameBudget) return { blocks, done: false };
  }
}

async function handleQuery(ctx: HandlerCtx, conn: RpcServerConnection, control: unknown): Promise<RpcReply> {
  const cs = authed(ctx, conn);
  // The frame bounds the text; the statement limit is the gateway's, with STATEMENT_TOO_LONG.
  const req = parseQuery(control, ctx.opts.maxFrameBytes);
  const session: Session = req.stateless ? { user: cs.user, db: req.db, source: conn.remote } : cs.session;
  const res: StatementResult = await ctx.engine.execute(req.sql, session);
  if (res.useDb !== undefined && !req.stateless) cs.session.db = res.useDb;
  const head = queryHead(res);
  const cursor: Cursor = { iter: res.blocks[Symbol.asyncIterator](), carry: [], lastUsedMs: Date.now(), busy: true };
  let filled: Filled;
  try {
    filled = await fill(cursor, ctx.frameBudget);
  } catch (e) {
    releaseIter(cursor.iter);
    throw e;
  }
  const cursorId = filled.done ? 0 : openCursor(cs, cursor);
  const body: QueryResponse = { ...head, cursorId, done: filled.done, numBlocks: filled.blocks.length };
  return { control: body, payload: encodeBlocks(filled.blocks) };
}

function queryHead(res: StatementResult): Omit<QueryResponse, 'cursorId' | 'done' | 'numBlocks'> {
  return {
    kind: res.kind,
    verb: res.verb,
    columns: res.columns.map((c): WireColumn => [c.name, c.type, c.bytes]),
    precision: res.precision,
    affectedRows: res.affectedRows,
    useDb: res.useDb ?? null,
  };
}

/** Keeps the rest of a result for FETCH; returns its cursor id (never 0: 0 means done). */
function openCursor(cs: ConnSession, cursor: Cursor): number {
  if (cs.cursors.size >= Limits.maxOpenCursorsPerConnection) {
    releaseIter(cursor.iter);
    throw new BasaltError(
      'QUEUE_FULL',
      `more than ${Limits.maxOpenCursorsPerConnection} open result sets on one connection; fetch or close earlier results first`,
    );
  }
  const cursorId = cs.nextCursorId++;
  assert(cursorId > 0 && !cs.cursors.has(cursorId), 'cursor ids are positive and never reused on a connection');
  cursor.busy = false;
  cs.cursors.set(cursorId, cursor);
  return cursorId;
}

async function handleFetch(ctx: HandlerCtx, conn: RpcServerConnection, control: unknown): Promise<RpcReply> {
  const cs = authed(ctx, conn);
  const { cursorId } = parseCursor('FETCH', control);
  const c = cs.cursors.get(cursorId);
  if (!c)
    throw new BasaltError(
      'INVALID_PARA',
      `result cursor ${cursorId} is not open (finished, closed, or idle longer than ${Limits.cursorIdleMs} ms); run the query again`,
    );
  if (c.busy)
    throw new BasaltError(
      'INVALID_PARA',
      `result cursor ${cursorId} is already being fetched; wait for the previous FETCH reply`,
    );
  c.busy = true;
  try {
    const filled = await fill(c, ctx.frameBudget);
    c.lastUsedMs = Date.now();
    if (filled.done) cs.cursors.delete(cursorId);
    const body: FetchResponse = { done: filled.done, numBlocks: filled.blocks.length };
    return { control: body, payload: encodeBlocks(filled.blocks) };
  } catch (e) {
    closeCursor(cs, cursorId);
    throw e;
  } finally {
    c.busy = false;
  }
}

function handleCloseCursor(ctx: HandlerCtx, conn: RpcServerConnection, control: unknown): RpcReply {
  const cs = authed(ctx, conn);
  closeCursor(cs, parseCursor('CLOSE_CURSOR', control).cursorId);
  return { control: {} };
}

async function handleInsertColumnar(ctx: HandlerCtx, conn: RpcServerConnection, frame: Frame): Promise<RpcReply> {
  const cs = authed(ctx, conn);
  const req = decodeInsertColumnar(frame.control, frame.payload);
  const n = await ctx.engine.insertColumnar(req.db, req.tables, cs.user);
  const body: InsertColumnarResponse = { affectedRows: n };
  return { control: body };
}

function handleVgroupMap(ctx: HandlerCtx, conn: RpcServerConnection, control: unknown): RpcReply {
  authed(ctx, conn);
  const req = parseVgroupMap(control);
  const body: VgroupMapResponse = { self: ctx.opts.selfEndpoint, vgroups: ctx.engine.vgroupMap(req.db) };
  return { control: body };
}

/** Intra-cluster messages (authenticated peers only, JOIN aside), or a type this server does not know. */
async function handleOther(ctx: HandlerCtx, conn: RpcServerConnection, frame: Frame): Promise<RpcReply> {
  const pa = ctx.opts.peerAuth;
  const pc = ctx.peerConns.get(conn);
  if (pa?.preAuthTypes.includes(frame.msgType)) {
    const ns = pc?.nonce;
    if (!pc || !ns) refuse(ctx, conn, 'join without challenge', 'send PEER_CHALLENGE before JOIN');
    pc.nonce = null;
    return { control: await pa.join(frame.control, ns, conn.remote) };
  }
  if (frame.msgType >= CLUSTER_MSG_FIRST || frame.msgType === MsgType.RAFT) {
    if (!pc || pc.dnodeId === 0)
      refuse(
        ctx,
        conn,
        `unauthenticated ${frame.msgType === MsgType.RAFT ? 'RAFT' : clusterMsgName(frame.msgType)}`,
        `message type ${frame.msgType} is for dnodes of this cluster only and this connection has not authenticated as one`,
      );
    const r = ctx.opts.cluster ? await ctx.opts.cluster(frame, pc.dnodeId) : null;
    if (r) return r;
  }
  throw new BasaltError('BAD_FRAME', `unknown message type ${frame.msgType}; the client may be newer than this server`);
}

function sweepIdleCursors(ctx: HandlerCtx, nowMs: number): number {
  let n = 0;
  for (const cs of ctx.live) {
    for (const [id, c] of cs.cursors) {
      if (!c.busy && nowMs - c.lastUsedMs > Limits.cursorIdleMs) {
        closeCursor(cs, id);
        n++;
      }
    }
  }
  return n;
}
