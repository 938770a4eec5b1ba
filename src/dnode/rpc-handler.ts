// Serves the client messages of src/rpc/messages.ts against the local engine: per
// connection it keeps the authenticated session and the open result cursors. Results
// stream: QUERY answers with the first blocks (up to resultFrameTargetBytes) and a cursor,
// FETCH returns the next ones, so a large result is never built whole in memory.
import type { ColumnBlock } from '../common/block.js';
import { sliceBlock } from '../common/block.js';
import { encodedBlockBytes } from '../common/block-codec.js';
import { BasaltError } from '../common/errors.js';
import { Limits } from '../common/limits.js';
import type { Engine, Session, StatementResult } from '../engine/engine-api.js';
import { decodeBlocks, encodeBlocks } from '../rpc/blocks.js';
import type { Frame } from '../rpc/frame.js';
import {
  MsgType, parseConnect, parseCursor, parseInsertColumnar, parseQuery, parseVgroupMap,
  type ConnectResponse, type FetchResponse, type InsertColumnarResponse, type QueryResponse, type StatusResponse, type VgroupMapResponse,
  type WireColumn,
} from '../rpc/messages.js';
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
  password: string;
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
  /** Intra-cluster messages (src/dnode/cluster-messages.ts); null: not one of them. */
  readonly cluster?: (frame: Frame) => Promise<RpcReply | null>;
}

export interface DnodeRpcHandler {
  readonly handle: RpcHandler;
  /** Closes idle cursors; returns how many. Called periodically by the dnode. */
  sweepIdleCursors(nowMs: number): number;
}

export function createRpcHandler(opts: RpcHandlerOptions): DnodeRpcHandler {
  const { engine } = opts;
  const live = new Set<ConnSession>();
  // Response budget: the target, but always well inside the frame limit.
  const frameBudget = Math.max(1024, Math.min(Limits.resultFrameTargetBytes, Math.floor(opts.maxFrameBytes / 2)));

  function closeCursor(cs: ConnSession, id: number): void {
    const c = cs.cursors.get(id);
    if (!c) return;
    cs.cursors.delete(id);
    void c.iter.return?.()?.catch(() => undefined);
  }

  function authed(conn: RpcServerConnection): ConnSession {
    const cs = conn.state as ConnSession | undefined;
    if (!cs) throw new BasaltError('AUTH_FAILURE', 'the connection is not authenticated; send CONNECT with user and password first');
    // Re-checked per request so `alter user ... pass` takes effect on open connections too.
    if (!engine.authenticate(cs.user, cs.password)) {
      throw new BasaltError('AUTH_FAILURE', `the password of user '${cs.user}' has changed; reconnect with the new password`);
    }
    return cs;
  }

  /** Pulls blocks until the byte budget is used or the result ends. */
  async function fill(c: Cursor): Promise<{ blocks: ColumnBlock[]; done: boolean }> {
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

  async function onQuery(conn: RpcServerConnection, control: unknown): Promise<RpcReply> {
    const cs = authed(conn);
    const req = parseQuery(control, Limits.maxSqlBytes);
    const session: Session = req.stateless ? { user: cs.user, db: req.db } : cs.session;
    const res: StatementResult = await engine.execute(req.sql, session);
    if (res.useDb !== undefined && !req.stateless) cs.session.db = res.useDb;
    const head: Omit<QueryResponse, 'cursorId' | 'done' | 'numBlocks'> = {
      kind: res.kind,
      verb: res.verb,
      columns: res.columns.map((c): WireColumn => [c.name, c.type, c.bytes]),
      precision: res.precision,
      affectedRows: res.affectedRows,
      useDb: res.useDb ?? null,
    };
    const cursor: Cursor = { iter: res.blocks[Symbol.asyncIterator](), carry: [], lastUsedMs: Date.now(), busy: true };
    let filled: { blocks: ColumnBlock[]; done: boolean };
    try { filled = await fill(cursor); }
    catch (e) { void cursor.iter.return?.()?.catch(() => undefined); throw e; }
    let cursorId = 0;
    if (!filled.done) {
      if (cs.cursors.size >= Limits.maxOpenCursorsPerConnection) {
        void cursor.iter.return?.()?.catch(() => undefined);
        throw new BasaltError('QUEUE_FULL', `more than ${Limits.maxOpenCursorsPerConnection} open result sets on one connection; fetch or close earlier results first`);
      }
      cursorId = cs.nextCursorId++;
      cursor.busy = false;
      cs.cursors.set(cursorId, cursor);
    }
    const body: QueryResponse = { ...head, cursorId, done: filled.done, numBlocks: filled.blocks.length };
    return { control: body, payload: encodeBlocks(filled.blocks) };
  }

  async function onFetch(conn: RpcServerConnection, control: unknown): Promise<RpcReply> {
    const cs = authed(conn);
    const { cursorId } = parseCursor('FETCH', control);
    const c = cs.cursors.get(cursorId);
    if (!c) throw new BasaltError('INVALID_PARA', `result cursor ${cursorId} is not open (finished, closed, or idle longer than ${Limits.cursorIdleMs} ms); run the query again`);
    if (c.busy) throw new BasaltError('INVALID_PARA', `result cursor ${cursorId} is already being fetched; wait for the previous FETCH reply`);
    c.busy = true;
    try {
      const filled = await fill(c);
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

  async function onInsert(conn: RpcServerConnection, frame: Frame): Promise<RpcReply> {
    authed(conn);
    const req = parseInsertColumnar(frame.control);
    // The frame's buffer is this request's alone and the rows are copied on (memtable, WAL
    // entry or forwarded payload) before the reply: the blocks may alias it.
    const blocks = decodeBlocks(frame.payload, req.tables.length, { alias: true });
    for (let i = 0; i < blocks.length; i++) {
      const b = blocks[i]!;
      if (b.columns.length === 0) throw new BasaltError('INVALID_PARA', `bulk block for table '${req.tables[i]!.table}' has no columns; send the timestamp column and the others in schema order`);
      if (b.numRows > Limits.maxRowsPerSubmit) throw new BasaltError('INVALID_PARA', `bulk block for table '${req.tables[i]!.table}' has ${b.numRows} rows, more than ${Limits.maxRowsPerSubmit}; split it`);
    }
    const n = await engine.insertColumnar(req.db, req.tables.map((t, i) => ({
      table: t.table,
      ...(t.using ? { using: { stable: t.using.stable, tags: t.using.tags } } : {}),
      block: blocks[i]!,
    })));
    const body: InsertColumnarResponse = { affectedRows: n };
    return { control: body };
  }

  const handle: RpcHandler = async (conn, frame) => {
    switch (frame.msgType) {
      case MsgType.PING:
        return { control: {} };
      case MsgType.STATUS:
        return { control: opts.status() };
      case MsgType.CONNECT: {
        const req = parseConnect(frame.control);
        if (!engine.authenticate(req.user, req.password)) {
          opts.log('warn', `authentication failed for user '${req.user}' from ${conn.remote}`);
          throw new BasaltError('AUTH_FAILURE', `wrong user name or password for '${req.user}'`);
        }
        const prev = conn.state as ConnSession | undefined;
        if (prev) for (const id of [...prev.cursors.keys()]) closeCursor(prev, id);
        const cs: ConnSession = { user: req.user, password: req.password, session: { user: req.user, db: null }, cursors: new Map(), nextCursorId: 1 };
        if (req.db !== null) {
          if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(req.db)) {
            throw new BasaltError('INVALID_IDENTIFIER', `database name '${req.db.slice(0, 64)}' is not an identifier; use letters, digits and '_'`);
          }
          // Validates the database the way `use db` does, so a bad -d fails at connect time.
          cs.session.db = await engine.useDatabase(req.db, cs.session);
        }
        conn.state = cs;
        if (!prev) {
          live.add(cs);
          conn.onClose(() => {
            const cur = conn.state as ConnSession | undefined;
            if (cur) { for (const id of [...cur.cursors.keys()]) closeCursor(cur, id); live.delete(cur); }
            live.delete(cs);
          });
        } else { live.delete(prev); live.add(cs); }
        const body: ConnectResponse = { serverVersion: opts.serverVersion, connId: conn.id, db: cs.session.db };
        return { control: body };
      }
      case MsgType.QUERY:
        return onQuery(conn, frame.control);
      case MsgType.FETCH:
        return onFetch(conn, frame.control);
      case MsgType.CLOSE_CURSOR: {
        const cs = authed(conn);
        closeCursor(cs, parseCursor('CLOSE_CURSOR', frame.control).cursorId);
        return { control: {} };
      }
      case MsgType.INSERT_COLUMNAR:
        return onInsert(conn, frame);
      case MsgType.VGROUP_MAP: {
        authed(conn);
        const req = parseVgroupMap(frame.control);
        const body: VgroupMapResponse = { self: opts.selfEndpoint, vgroups: engine.vgroupMap(req.db) };
        return { control: body };
      }
      default: {
        const r = opts.cluster ? await opts.cluster(frame) : null;
        if (r) return r;
        throw new BasaltError('BAD_FRAME', `unknown message type ${frame.msgType}; the client may be newer than this server`);
      }
    }
  };

  return {
    handle,
    sweepIdleCursors(nowMs: number): number {
      let n = 0;
      for (const cs of live) {
        for (const [id, c] of cs.cursors) {
          if (!c.busy && nowMs - c.lastUsedMs > Limits.cursorIdleMs) { closeCursor(cs, id); n++; }
        }
      }
      return n;
    },
  };
}
