// Every RPC message: its type number, request and response shapes. Control parts are
// msgpack (bigint via int64); result and insert data travel as column blocks in the
// payload (block-codec layout), never as msgpack rows. A response echoes the request's
// msgType and requestId; an error response carries ErrorReply instead.
//
// Request validation lives here too, so a malformed control part becomes BAD_FRAME with a
// message naming the field, never an exception deep inside a handler.
import { BasaltError, Errors } from '../common/errors.js';
import { Limits } from '../common/limits.js';
import type { DataType, Precision } from '../common/types.js';

export const MsgType = {
  /** Authenticate the connection and set its session. */
  CONNECT: 1,
  /** Run one SQL statement; the first result blocks come back in the payload. */
  QUERY: 2,
  /** Next blocks of an open result cursor. */
  FETCH: 3,
  /** Drop an open cursor before it is exhausted. */
  CLOSE_CURSOR: 4,
  /** Columnar bulk insert: table list in control, one block per table in the payload. */
  INSERT_COLUMNAR: 5,
  /** Server status for `basalt sql -k` / `basalt check` (no authentication needed). */
  STATUS: 6,
  /** Liveness round trip (no authentication needed). */
  PING: 7,
  /** A database's vgroups with hash ranges and leader endpoints (the client routes bulk writes). */
  VGROUP_MAP: 8,
  /** A dnode asks for a fresh nonce before PEER_AUTH or JOIN (no authentication needed; rpc/peer-auth.ts). */
  PEER_CHALLENGE: 9,
  /** A dnode proves it holds the cluster secret; the connection then carries cluster messages. */
  PEER_AUTH: 10,
  /** Raft traffic between dnodes: one envelope of messages for many groups (src/replica/wire.ts). */
  RAFT: 20,
} as const;

export function msgTypeName(t: number): string {
  for (const [k, v] of Object.entries(MsgType)) if (v === t) return k;
  return `type ${t}`;
}

// ---- CONNECT ----
export interface ConnectRequest {
  user: string;
  password: string;
  db: string | null;
  clientVersion: string;
}
export interface ConnectResponse {
  serverVersion: string;
  connId: number;
  db: string | null;
}

// ---- QUERY ----
export interface QueryRequest {
  sql: string;
  /**
   * Default database for this statement. With `stateless` the connection's session is
   * neither read nor changed (REST); otherwise `db` (when set) is the session's database.
   */
  db: string | null;
  stateless: boolean;
}
/** [name, type id, bytes] as REST column_meta has it (type as the numeric DataType). */
export type WireColumn = [string, DataType, number];
export interface QueryResponse {
  kind: 'query' | 'exec';
  verb: string;
  columns: WireColumn[];
  precision: Precision;
  affectedRows: number;
  /** Set when the statement was `use db`. */
  useDb: string | null;
  /** Open cursor to FETCH more blocks from; 0 when `done`. */
  cursorId: number;
  done: boolean;
  /** Column blocks in the payload. */
  numBlocks: number;
}

// ---- FETCH / CLOSE_CURSOR ----
export interface FetchRequest {
  cursorId: number;
}
export interface FetchResponse {
  done: boolean;
  numBlocks: number;
}
export interface CloseCursorRequest {
  cursorId: number;
}

// ---- INSERT_COLUMNAR ----
export type WireTagValue = number | bigint | string | boolean | null;
export interface WireBulkTable {
  table: string;
  using: { stable: string; tags: WireTagValue[] } | null;
}
/** Payload: one block per entry of `tables`, in order. */
export interface InsertColumnarRequest {
  db: string;
  tables: WireBulkTable[];
}
export interface InsertColumnarResponse {
  affectedRows: number;
}

// ---- VGROUP_MAP ----
export interface VgroupMapRequest {
  db: string;
}
/** One vgroup: tables whose hash32(name) falls in [hashBegin, hashEnd] live in it. */
export interface VgroupRoute {
  vgId: number;
  hashBegin: number;
  hashEnd: number;
  leader: string | null;
}
/** `self`: the answering dnode's endpoint; `vgroups` sorted by hashBegin, covering [0, 2^32). */
export interface VgroupMapResponse {
  self: string;
  vgroups: VgroupRoute[];
}

export function parseVgroupMap(c: unknown): VgroupMapRequest {
  const o = obj('VGROUP_MAP', c);
  return { db: str('VGROUP_MAP', o, 'db', Limits.rpcMaxNameChars) };
}

// ---- STATUS / PING ----
/** TDengine's server status codes: 0 unavailable, 1 network ok, 2 service ok, 3 degraded, 4 exiting. */
export interface StatusResponse {
  code: 0 | 1 | 2 | 3 | 4;
  text: string;
  detail: string;
}
export const STATUS_TEXT = ['unavailable', 'network ok', 'service ok', 'service degraded', 'exiting'] as const;

// ---- errors ----
/** `data`: the error's machine-readable context (e.g. a NOT_LEADER leader hint); numbers and strings only. */
export interface ErrorReply {
  code: number;
  message: string;
  data?: Record<string, number | string>;
}

// ---- validation of untrusted control parts ----
function bad(msg: string, field: string, why: string): never {
  throw new BasaltError('BAD_FRAME', `${msg} field '${field}' ${why}`);
}
function obj(msg: string, c: unknown): Record<string, unknown> {
  if (c === null || typeof c !== 'object' || Array.isArray(c))
    throw new BasaltError('BAD_FRAME', `${msg} control part must be a map`);
  return c as Record<string, unknown>;
}
function str(msg: string, o: Record<string, unknown>, f: string, maxChars: number): string {
  const v = o[f];
  if (typeof v !== 'string') bad(msg, f, 'must be a string');
  if (v.length > maxChars) bad(msg, f, `exceeds ${maxChars} characters`);
  return v;
}
function optStr(msg: string, o: Record<string, unknown>, f: string, maxChars: number): string | null {
  return o[f] === undefined || o[f] === null ? null : str(msg, o, f, maxChars);
}
function uint(msg: string, o: Record<string, unknown>, f: string): number {
  const v = o[f];
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 0xffffffff)
    bad(msg, f, 'must be an unsigned 32-bit integer');
  return v;
}

export function parseConnect(c: unknown): ConnectRequest {
  const o = obj('CONNECT', c);
  return {
    user: str('CONNECT', o, 'user', Limits.rpcMaxNameChars),
    password: str('CONNECT', o, 'password', Limits.rpcMaxNameChars),
    db: optStr('CONNECT', o, 'db', Limits.rpcMaxNameChars),
    clientVersion: optStr('CONNECT', o, 'clientVersion', Limits.rpcMaxNameChars) ?? 'unknown',
  };
}

export function parseQuery(c: unknown, maxSqlChars: number): QueryRequest {
  const o = obj('QUERY', c);
  return {
    sql: str('QUERY', o, 'sql', maxSqlChars),
    db: optStr('QUERY', o, 'db', Limits.rpcMaxNameChars),
    stateless: o['stateless'] === true,
  };
}

export function parseCursor(name: string, c: unknown): FetchRequest {
  const o = obj(name, c);
  return { cursorId: uint(name, o, 'cursorId') };
}

export function parseInsertColumnar(c: unknown): InsertColumnarRequest {
  const o = obj('INSERT_COLUMNAR', c);
  const db = str('INSERT_COLUMNAR', o, 'db', Limits.rpcMaxNameChars);
  const tables = o['tables'];
  if (!Array.isArray(tables)) bad('INSERT_COLUMNAR', 'tables', 'must be an array');
  const out: WireBulkTable[] = [];
  for (const t of tables as unknown[]) {
    const to = obj('INSERT_COLUMNAR tables[]', t);
    const table = str('INSERT_COLUMNAR', to, 'table', Limits.rpcMaxNameChars);
    let using: WireBulkTable['using'] = null;
    if (to['using'] !== undefined && to['using'] !== null) {
      const u = obj('INSERT_COLUMNAR using', to['using']);
      const stable = str('INSERT_COLUMNAR', u, 'stable', Limits.rpcMaxNameChars);
      const tags = u['tags'];
      if (!Array.isArray(tags)) bad('INSERT_COLUMNAR', 'using.tags', 'must be an array');
      for (const v of tags as unknown[]) {
        const ty = typeof v;
        if (!(v === null || ty === 'number' || ty === 'bigint' || ty === 'string' || ty === 'boolean'))
          bad('INSERT_COLUMNAR', 'using.tags', 'holds a value that is not a number, bigint, string, boolean or nil');
      }
      using = { stable, tags: tags as WireTagValue[] };
    }
    out.push({ table, using });
  }
  return { db, tables: out };
}

export function parseErrorReply(c: unknown): ErrorReply {
  if (c !== null && typeof c === 'object' && typeof (c as ErrorReply).code === 'number') {
    const m = (c as ErrorReply).message;
    const out: ErrorReply = { code: (c as ErrorReply).code >>> 0, message: typeof m === 'string' ? m : 'remote error' };
    const d = (c as ErrorReply).data;
    if (d !== null && typeof d === 'object' && !Array.isArray(d)) {
      const data: Record<string, number | string> = {};
      for (const [k, v] of Object.entries(d).slice(0, Limits.rpcErrorDataMaxFields))
        if (typeof v === 'number' || (typeof v === 'string' && v.length <= Limits.rpcErrorDataMaxStringChars))
          data[k] = v;
      out.data = data;
    }
    return out;
  }
  return { code: Errors.BAD_FRAME.code, message: `${Errors.BAD_FRAME.message}: unreadable error reply` };
}
