// The one table of error codes. Every error a user can cause is a BasaltError with a code
// from here, a message naming what is wrong (and the fix where there is one), and an HTTP
// status for the REST adapter. Codes follow TDengine's 0x8000xxxx where TDengine has a code
// for the same condition, so operators and existing clients recognise them.
// Layers add their codes in their own section; never reuse or renumber a code.

export interface ErrorDef {
  readonly code: number;
  readonly message: string;
  readonly httpStatus: number;
}

function def(code: number, message: string, httpStatus = 400): ErrorDef {
  return { code: code >>> 0, message, httpStatus };
}

export const Errors = {
  // --- generic / rpc (0x8000_00xx, 0x8000_01xx) ---
  INTERNAL: def(0x80000001, 'Internal error', 500),
  OUT_OF_MEMORY: def(0x80000002, 'Out of memory', 503),
  INVALID_PARA: def(0x80000118, 'Invalid parameters'),
  CONNECTION_FAILED: def(0x8000000b, 'Unable to establish connection', 502),
  TIMEOUT: def(0x80000015, 'Operation timeout', 504),
  FRAME_TOO_LARGE: def(0x80000016, 'Message too large', 413),
  BAD_FRAME: def(0x80000017, 'Malformed message', 400),
  NOT_READY: def(0x80000018, 'Service not ready', 503),
  SHUTTING_DOWN: def(0x8000001a, 'Service is shutting down', 503),
  /** An HTTP peer where the RPC protocol was expected, or the reverse: a port mix-up. */
  WRONG_PORT: def(0x8000001b, 'Wrong port', 400),
  OUT_OF_SERVICE: def(0x80000020, 'some vnode/qnode/mnode(s) out of service', 503),
  VERSION_MISMATCH: def(0x8000011e, 'Version not match', 400),
  QUEUE_FULL: def(0x80000106, 'Too many requests in flight', 503),

  // --- transport security (0x8000_003x) ---
  /** A TLS client reached a plain port, or a plain client a port that requires TLS. */
  TLS_MISMATCH: def(0x8000003a, 'TLS mismatch', 400),
  /** The TLS handshake failed: an untrusted or mismatched certificate. */
  TLS_HANDSHAKE_FAILED: def(0x8000003b, 'TLS handshake failed', 502),
  /** A connection refused or closed by a pre-login limit (login timeout, frame size, per-address cap). */
  CONNECTION_LIMIT: def(0x8000003c, 'Connection refused by a limit', 503),

  // --- config / process (0x8000_01xx) ---
  CONFIG_UNKNOWN_KEY: def(0x80000120, 'Unknown config key'),
  CONFIG_BAD_VALUE: def(0x80000121, 'Invalid config value'),
  PORT_IN_USE: def(0x80000122, 'Port already in use'),
  DATA_DIR_UNWRITABLE: def(0x80000123, 'Data directory is not writable'),
  DATA_DIR_INCOMPATIBLE: def(0x80000124, 'Data directory format not supported'),

  // --- auth (0x8000_035x) ---
  AUTH_FAILURE: def(0x80000357, 'Authentication failure', 401),
  INVALID_PASS: def(0x80000358, 'Invalid password format', 400),
  // Users and grants are cluster state (src/mnode/users.ts); TDengine's codes for the same conditions.
  USER_ALREADY_EXISTS: def(0x80000350, 'User already exists'),
  USER_NOT_EXIST: def(0x80000351, 'Invalid user'),
  INVALID_USER_FORMAT: def(0x80000352, 'Invalid user format'),
  INVALID_ALTER_OPER: def(0x80000356, 'Invalid alter operation'),
  /** An authenticated user without the privilege a statement needs (src/engine/privileges.ts). */
  PERMISSION_DENIED: def(0x80002644, 'Permission denied or target object not exist', 403),

  // --- storage: WAL (0x8000_10xx), files (0x8000_02xx), timestamps, memtable and snapshots
  // (0x8000_06xx); table, column and value checks reuse TDengine's codes for the same
  // conditions (0x8000_03xx, 0x8000_26xx) ---
  WAL_CORRUPT: def(0x80001001, 'WAL file corrupted', 500),
  WAL_INDEX_GAP: def(0x80001002, 'WAL index out of range', 500),
  WAL_COMPACTED: def(0x80001003, 'WAL entries already compacted', 500),
  FILE_CORRUPTED: def(0x80000207, 'Data file corrupted', 500),
  FSYNC_FAILED: def(0x80000208, 'fsync failed', 500),
  /**
   * TDengine's TSDB_CODE_NO_ENOUGH_DISKSPACE: the vnode refuses writes while its volume is
   * below the free-space reserve (or the disk said ENOSPC); they resume once space is back.
   */
  DISK_FULL: def(0x80000014, 'No enough disk space', 507),
  TABLE_ALREADY_EXISTS: def(0x80002617, 'Table already exists'),
  TABLE_NOT_EXIST: def(0x80002603, 'Table does not exist'),
  STB_ALREADY_EXISTS: def(0x80000360, 'STable already exists'),
  STB_NOT_EXIST: def(0x80000362, 'STable not exist'),
  COLUMN_ALREADY_EXISTS: def(0x8000036b, 'Column already exists'),
  COLUMN_NOT_EXIST: def(0x8000036c, 'Column does not exist'),
  TAG_ALREADY_EXISTS: def(0x80000369, 'Tag already exists'),
  TAG_NOT_EXIST: def(0x8000036a, 'Tag does not exist'),
  INVALID_TIMESTAMP: def(0x80000604, 'Timestamp out of range'),
  VALUE_TOO_LONG: def(0x80002653, 'Value too long for column/tag'),
  INVALID_DATA_TYPE: def(0x80002611, 'Invalid data type'),
  MEMTABLE_FULL: def(0x80000605, 'Write buffer is full, retry later', 503),
  TABLE_IN_OTHER_STABLE: def(0x80000623, 'Table already exists in other stables'),
  SNAPSHOT_INVALID: def(0x80000610, 'Invalid snapshot', 500),

  // --- SQL parser / analyzer (0x8000_26xx, TDengine's parser range; functions 0x8000_28xx) ---
  SYNTAX_ERROR: def(0x80002600, 'Syntax error in SQL'),
  INVALID_COLUMN: def(0x80002602, 'Invalid column name'),
  AMBIGUOUS_COLUMN: def(0x80002604, 'Column ambiguously defined'),
  WRONG_VALUE_TYPE: def(0x80002605, 'Invalid value type'),
  ILLEGAL_USE_AGG: def(0x80002606, "There mustn't be aggregation"),
  WRONG_NUMBER_OF_SELECT: def(0x80002607, 'ORDER BY item must be the number of a SELECT-list expression'),
  GROUPBY_LACK_EXPRESSION: def(0x80002608, 'Not a GROUP BY expression'),
  NOT_SELECTED_EXPRESSION: def(0x80002609, 'Not SELECTed expression'),
  NOT_SINGLE_GROUP: def(0x8000260a, 'Not a single-group group function'),
  INVALID_FUNCTION: def(0x80002800, 'Invalid function'),
  INVALID_FUNCTION_PARA: def(0x80002801, 'Invalid function parameter number'),
  INVALID_FUNCTION_PARA_TYPE: def(0x80002802, 'Invalid function parameter type'),
  DB_NOT_SPECIFIED: def(0x80002616, 'Database not specified or available'),
  INVALID_IDENTIFIER: def(0x80002618, 'Invalid identifier name'),
  INVALID_OPTION: def(0x80002650, 'Invalid option'),
  TOO_MANY_COLUMNS: def(0x80002651, 'Too many columns'),
  INVALID_INTERVAL: def(0x80002652, 'Invalid interval value'),
  DIVIDE_BY_ZERO: def(0x80002654, 'Division by zero'),
  INVALID_FILL: def(0x80002655, 'Invalid fill'),
  STATEMENT_TOO_LONG: def(0x80002656, 'SQL statement too long'),
  NOT_SUPPORTED: def(0x80002657, 'Operation not supported'),

  // --- mnode: databases, dnodes, mnodes (0x8000_03xx; dnode state and vgroups 0x8000_04xx) ---
  DB_ALREADY_EXISTS: def(0x80000386, 'Database already exists'),
  DB_NOT_EXIST: def(0x80000388, 'Database not exist'),
  DB_OPTION_INVALID: def(0x80000389, 'Invalid database options'),
  DNODE_ALREADY_EXISTS: def(0x80000330, 'Dnode already exists'),
  DNODE_NOT_EXIST: def(0x80000331, 'Dnode does not exist'),
  CANNOT_DROP_LEADER: def(0x80000333, 'Cannot drop mnode which is leader'),
  OUT_OF_DNODES: def(0x80000334, 'Out of dnodes'),
  CLUSTER_CFG_INCONSISTENT: def(0x80000335, 'Cluster cfg inconsistent'),
  CLUSTER_ID_MISMATCH: def(0x8000033b, 'Cluster id not match'),
  MNODE_ALREADY_EXISTS: def(0x800003a0, 'Mnode already exists'),
  MNODE_NOT_EXIST: def(0x800003a1, 'Mnode not there'),
  MNODE_TOO_FEW: def(0x800003a8, 'The replica of mnode cannot less than 1'),
  MNODE_TOO_MANY: def(0x800003a9, 'The replica of mnode cannot exceed 3'),
  INVALID_DNODE_EP: def(0x800003b3, 'Invalid dnode end point'),
  OFFLINE_DNODE_EXISTS: def(0x800003b6, 'Offline dnode exists'),
  VNODES_EXHAUSTED: def(0x800003b7, 'Vnodes exhausted'),
  DNODE_OFFLINE: def(0x80000408, 'Dnode is offline'),
  DNODE_DROPPED: def(0x80000409, 'Dnode has been dropped from the cluster'),
  /** A second process runs with a joined dnode's identity (a copy of its dataDir). */
  DNODE_CONFLICT: def(0x8000040a, 'Another process already runs as this dnode'),
  TRANS_CONFLICT: def(0x800003d3, 'Conflict transaction not completed'),
  VGROUP_NOT_EXIST: def(0x80000480, 'Vgroup does not exist'),
  NOT_MNODE_LEADER: def(0x80000406, 'Mnode is not leader', 503),

  // --- raft / vgroups (0x8000_09xx, TDengine's sync range) ---
  NOT_LEADER: def(0x80000903, 'Sync leader is unreachable', 503),
  NO_QUORUM: def(0x80000914, 'Sync leader has no quorum', 503),
  PROPOSAL_DROPPED: def(0x80000915, 'Proposal dropped', 503),
  NO_LEADER: def(0x80000916, 'Vgroup has no leader', 503),
  RAFT_CONFIG_INVALID: def(0x80000917, 'Invalid raft configuration', 500),

  // --- schemaless / line protocol (0x8000_30xx, TDengine's TSDB_CODE_SML_* range) ---
  SML_INVALID_PRECISION: def(0x80003001, 'Invalid timestamp precision type'),
  SML_INVALID_DATA: def(0x80003002, 'Invalid schemaless data'),
  SML_NOT_SAME_TYPE: def(0x80003004, 'Field type conflicts with the existing column'),
} as const satisfies Record<string, ErrorDef>;

export type ErrorName = keyof typeof Errors;

/** An expected, user-visible error: a code from the table plus a detail naming the problem and fix. */
export class BasaltError extends Error {
  override name = 'BasaltError';
  readonly code: number;
  readonly httpStatus: number;
  readonly errorName: ErrorName;
  /** Extra machine-readable context (e.g. a leader hint for NOT_LEADER). */
  readonly data: Record<string, unknown> | undefined;

  constructor(errorName: ErrorName, detail?: string, data?: Record<string, unknown>) {
    const d = Errors[errorName];
    super(detail ? `${d.message}: ${detail}` : d.message);
    this.code = d.code;
    this.httpStatus = d.httpStatus;
    this.errorName = errorName;
    this.data = data;
  }
}

export function errorByCode(code: number): ErrorName | undefined {
  const c = code >>> 0;
  for (const [k, v] of Object.entries(Errors)) if (v.code === c) return k as ErrorName;
  return undefined;
}

/** `0x80002600` style rendering used by the shell. */
export function formatCode(code: number): string {
  return '0x' + (code >>> 0).toString(16).padStart(8, '0');
}

export function isBasaltError(e: unknown): e is BasaltError {
  return e instanceof BasaltError;
}

/** Wraps any thrown value as a BasaltError (unknown errors become INTERNAL with their message). */
export function toBasaltError(e: unknown): BasaltError {
  if (e instanceof BasaltError) return e;
  const msg = e instanceof Error ? e.message : String(e);
  return new BasaltError('INTERNAL', msg);
}
