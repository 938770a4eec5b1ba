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
  /** Entries the mnode Raft log may hold (it is not compacted; metadata changes only). */
  maxMnodeLogEntries: 100_000,
  /** How long a metadata change waits to be committed by the mnode group before failing. */
  mnodeProposeTimeoutMs: 5_000,
  /** A dnode silent for this many statusIntervals is offline ('status msg timeout'). */
  dnodeOfflineIntervals: 5,
  /** How long a new mnode may take to catch up as a learner before `create mnode` fails. */
  mnodeCatchUpTimeoutMs: 10_000,
  /** Attempts (each a different mnode endpoint or a redirect) to reach the mnode leader. */
  maxMnodeLeaderHops: 8,
  /** Bytes of result a statement forwarded to another dnode may return (held whole in memory). */
  maxForwardedResultBytes: 64 * 1024 * 1024,
  /** Timeout of one intra-cluster request (status, forward, raft batch). */
  clusterRpcTimeoutMs: 3_000,
  /** Raft driver tick period; election and heartbeat timers count these (src/replica). */
  raftTickMs: 100,
  /** Raft frames queued for one peer before new ones are dropped (Raft resends what matters). */
  maxRaftPeerQueuedFrames: 1024,
  /** Bytes of Raft frames buffered in one peer's socket (peer reads slowly) before frames are dropped. */
  maxRaftPeerBufferedBytes: 64 * 1024 * 1024,
  /** Target size of one Raft frame; an envelope with more entry bytes is split. */
  raftFrameTargetBytes: 8 * 1024 * 1024,
  /** Reconnect backoff to an unreachable Raft peer: first wait, doubling up to the max. */
  raftPeerBackoffMinMs: 50,
  raftPeerBackoffMaxMs: 2_000,
  /** Time to open a TCP connection to a Raft peer before it counts as unreachable. */
  raftPeerConnectTimeoutMs: 1_000,
  /** Time a proposal waits to be applied before it is answered with TIMEOUT. */
  raftProposalTimeoutMs: 10_000,
  /** Time a linearizable read waits for leadership confirmation and apply. */
  raftReadIndexTimeoutMs: 5_000,
  /** Proposals waiting to be applied per Raft group before new ones get QUEUE_FULL. */
  maxRaftPendingProposals: 65_536,
  /** Recent log entries kept in memory per group (for replication and apply) in bytes. */
  maxRaftLogCacheBytes: 32 * 1024 * 1024,
  /**
   * Committed entry bytes one Raft round applies across all groups of a dnode: a learner
   * catching up must not hold every other group's heartbeats behind its apply.
   */
  raftApplyBytesPerRound: 16 << 20,
  /** The Raft loop gives timers and sockets a turn after running this long without one. */
  raftLoopYieldMs: 10,
  /** Per vnode: reusable memory for the decoded columns of the entry being applied. */
  applyScratchBytes: 8 << 20,
  /** A replicated vnode takes a Raft snapshot (flush + image of its files) after this many applied entries. */
  vnodeSnapshotEveryEntries: 20_000,
  /** Raft entries a vnode keeps behind its snapshot, so a briefly lagging replica catches up by log. */
  vnodeKeepEntriesAfterSnapshot: 2_000,
  /** A replicated vnode write (or DDL) not applied within this fails with TIMEOUT (it may still apply). */
  vnodeWriteTimeoutMs: 5_000,
} as const;
