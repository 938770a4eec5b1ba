// Every limit in one place, its unit in its name. Defaults are documented here; config
// may override those marked (cfg: key). Exceeding a limit is an error, never growth.
export const Limits = {
  /** Largest RPC frame accepted or sent (cfg: maxFrameBytes). */
  maxFrameBytes: 64 * 1024 * 1024,
  /** Largest SQL statement text (TDengine's maxSQLLength is 1 MB; ours is larger for bulk inserts). */
  maxSqlBytes: 16 * 1024 * 1024,
  /** Largest HTTP request body for REST and line protocol (cfg: maxHttpBodyBytes). */
  maxHttpBodyBytes: 64 * 1024 * 1024,
  /** Rows in one submit block for one table. */
  maxRowsPerSubmit: 1_000_000,
  /** Columns per table including the timestamp (TDengine: 4096). */
  maxColumns: 4096,
  /** Tags per super table (TDengine: 128). */
  maxTags: 128,
  /** Longest table / column / database name in bytes (TDengine: 192 / 64 / 64). */
  maxTableNameBytes: 192,
  maxColumnNameBytes: 64,
  maxDbNameBytes: 64,
  /** Longest declared VARCHAR/NCHAR (TDengine: 65517 / 16382). */
  maxVarcharBytes: 65517,
  maxNcharChars: 16382,
  /** Requests in flight per RPC connection before new ones are refused. */
  maxInFlightPerConnection: 1024,
  /** Rows per result block streamed to a client. */
  resultBlockRows: 4096,
  /** Rows an interactive shell prints before it stops (TDengine: 100). */
  shellDisplayRows: 100,
  /** Default RPC request timeout. */
  rpcTimeoutMs: 10_000,
  /** Parser recursion (parentheses, nested calls, subqueries, NOT/minus chains) before SYNTAX_ERROR. */
  maxSqlNestingDepth: 128,
  /** Depth of one expression tree (long `a or b or ...` chains included), so evaluators can recurse. */
  maxSqlExprDepth: 1000,
  /** Vgroups per database. */
  maxVgroupsPerDb: 1024,
  /** Open TCP connections one RPC server accepts. */
  maxRpcConnections: 10_000,
  /** Result cursors one RPC connection may hold open at once. */
  maxOpenCursorsPerConnection: 64,
  /** A cursor not fetched for this long is closed and its resources released. */
  cursorIdleMs: 60_000,
  /** Time a client waits for a TCP connection to be established. */
  rpcConnectTimeoutMs: 5_000,
  /** Bytes of result blocks packed into one QUERY/FETCH response before the rest waits for FETCH. */
  resultFrameTargetBytes: 1024 * 1024,
  /** Distinct credential pairs for which the REST adapter keeps a pooled RPC connection. */
  maxRestPooledConnections: 64,
  /** Time the REST adapter gives one statement before answering with a timeout. */
  restRequestTimeoutMs: 300_000,
  /** Open HTTP connections one REST adapter accepts. */
  maxHttpConnections: 10_000,
  /** Lines kept in the shell's history file. */
  shellHistoryLines: 1000,
  /**
   * Rows (or groups) a query may hold in memory at once where it cannot stream: sorting
   * (order by), per-partition limits, and aggregate groups × windows.
   */
  maxQueryMaterializedRows: 20_000_000,
} as const;
