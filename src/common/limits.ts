// Every limit in one place, its unit in its name. Defaults are documented here; config
// may override those marked (cfg: key). Exceeding a limit is an error, never growth.
export const Limits = {
  /** Largest RPC frame accepted or sent (cfg: maxFrameBytes). */
  maxFrameBytes: 64 * 1024 * 1024,
  /**
   * Largest SQL statement text, as TDengine 3's 1 MB. A statement is parsed in one go on the
   * event loop (about 0.25 s for 1 MB of INSERT values on this machine's kind, 4 s for 16 MB),
   * so this bounds how long one statement can hold up every other client; bulk loads go
   * through INSERT_COLUMNAR or line protocol, which have no text to parse.
   */
  maxSqlBytes: 1024 * 1024,
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
  /**
   * Items of one IN list. Parsing, planning and hashing a list take about a microsecond per
   * item on the event loop all clients share: 65,536 items hold it for tens of milliseconds,
   * where a 15 MB list held it for seconds (issue #13).
   */
  maxSqlInListItems: 65_536,
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
   * catching up must not hold every other group's heartbeats behind its apply. 16 MB of small
   * entries took 0.4-0.6 s to read and apply on a 2-core machine (a replica back from a
   * freeze), as long as the shortest election timeout. 1 MB was too little: a leader's apply
   * fell behind its commits under the chaos suite's load (committed entries piled up in memory,
   * 4 GB, and reads and forwarded writes waited for apply); 4 MB keeps up.
   */
  raftApplyBytesPerRound: 4 << 20,
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

  // --- rpc (src/rpc) ---
  /**
   * Bytes of the process-wide msgpack encoder's buffer kept after a control part: a larger one
   * gets the encoder replaced, so one big control does not pin its buffer for the process's life.
   */
  rpcSharedEncoderKeepBytes: 1024 * 1024,
  /**
   * Payload bytes below which a frame's payload is copied into the frame buffer: a separate
   * socket write per part would cost more than the copy. At or above it, parts are written by reference.
   */
  rpcInlinePayloadBytes: 16 * 1024,
  /** Untrusted msgpack control parts: longest string in bytes (UTF-8), as maxFrameBytes. */
  rpcControlMaxStringBytes: 64 * 1024 * 1024,
  /** Untrusted msgpack control parts: most items in one array. */
  rpcControlMaxArrayItems: 16 * 1024 * 1024,
  /** Untrusted msgpack control parts: most entries in one map. */
  rpcControlMaxMapEntries: 1024 * 1024,
  /** Untrusted msgpack control parts: longest binary in bytes, as maxFrameBytes. */
  rpcControlMaxBinaryBytes: 64 * 1024 * 1024,
  /** Untrusted msgpack control parts: longest extension value in bytes. */
  rpcControlMaxExtBytes: 1024,
  /** Longest user, password, database or table name a request's control part may carry, in characters. */
  rpcMaxNameChars: 1024,
  /** Characters of an error message sent in an error reply (the rest is cut). */
  rpcErrorMessageMaxChars: 4096,
  /** Fields of an error reply's `data` a client keeps (the rest are ignored). */
  rpcErrorDataMaxFields: 16,
  /** Longest string value of an error reply's `data` field a client keeps, in characters. */
  rpcErrorDataMaxStringChars: 256,
  /** Time RpcServer.close() waits for requests in flight to be answered before closing connections. */
  rpcServerDrainMs: 5_000,
  /** Idle time before TCP keepalive probes a client connection (frees the cursors of vanished peers). */
  rpcKeepAliveIdleMs: 30_000,
  /**
   * A connection that has not logged in (CONNECT, or a peer dnode's authentication) within this
   * long is closed, so idle sockets cannot hold the server's connection slots.
   */
  loginTimeoutMs: 5_000,
  /** Largest frame read before login: a CONNECT fits many times over; a 60 MB body is never buffered. */
  preAuthMaxFrameBytes: 64 * 1024,
  /** A frame whose first byte arrived must be complete within this long (slow senders hold memory). */
  frameReadTimeoutMs: 30_000,
  /**
   * Open RPC connections from one source address, logged in or not (cfg: maxConnectionsPerSourceIp).
   * 1024, not more: a flood from one address beyond it is closed at accept, before it costs a
   * pre-login slot (10,000 idle sockets from one address: dnode RSS +77 MB at 1024, +90 MB at 4096).
   */
  maxConnectionsPerSourceIp: 1024,
  /**
   * Connections not yet logged in, over all sources; when full, the oldest of them is closed for
   * a new one, and the rest of maxRpcConnections stays for logged-in clients and peers.
   */
  maxPreAuthConnections: 1024,
  /** The leader's "users changed" nudge to a dnode; a dnode that misses it learns at its next status. */
  usersNudgeTimeoutMs: 2_000,
  /** `basalt start` checks whether its dnode became (or stopped being) a ready member this often. */
  readinessPollMs: 200,
  /** ...and repeats what it still waits for at most this often. */
  readinessRepeatMs: 30_000,
  /** A reason an RPC connection was refused or closed is logged at most once per this interval. */
  rpcCloseLogIntervalMs: 10_000,

  // --- raft core (src/raft); RaftConfig fields default to these ---
  /** Messages the core queues between two Ready batches; more means the driver stopped draining (asserted). */
  maxRaftQueuedMessages: 1_000_000,
  /**
   * Ticks without a leader before a follower campaigns (drawn from [n, 2n)): 5 ticks = 0.5-1 s
   * at raftTickMs 100, so writes resume about 0.7 s after a leader dies, freezes or is cut
   * off (issue 20's target: 1 s median). Shorter would turn a leader's brief stall (a GC, a
   * busy event loop) into elections; the dnode warns of stalls from Limits.stallWarnMs.
   */
  raftElectionTicks: 5,
  /** Ticks between leader heartbeats; < raftElectionTicks. */
  raftHeartbeatTicks: 1,
  /** Largest total entry bytes in one MsgApp. */
  raftMaxAppendBytes: 1 << 20,
  /** MsgApp messages in flight to one follower before the leader waits for acks. */
  raftMaxInflightAppends: 256,
  /**
   * Entry bytes in flight to one follower before the leader waits for acks. Also what one
   * round may encode and send to a follower catching up after a freeze or partition: at 32 MB
   * per group that took the leader's event loop 0.5 s, long enough to cost leaderships.
   */
  raftMaxInflightBytes: 4 << 20,
  /** Entry bytes not yet committed that a leader accepts before dropping proposals. */
  raftMaxUncommittedBytes: 64 << 20,
  /** Largest committed-entry bytes handed out in one Ready (at least one entry always). */
  raftMaxApplyBytes: 16 << 20,
  /** Snapshot bytes per MsgSnap chunk. */
  raftSnapshotChunkBytes: 1 << 20,
  /** Largest snapshot in bytes a follower buffers while receiving its chunks. */
  raftMaxSnapshotBytes: 4 * 1024 * 1024 * 1024,
  /** ReadIndex requests waiting for a leadership confirmation before new ones are refused. */
  raftMaxPendingReads: 4096,

  // --- replica runtime (src/replica) ---
  /** Raft groups one node (dnode) may host. */
  maxRaftGroupsPerNode: 4096,
  /** How long a new commit index may wait for a MsgApp to carry it to followers; < raftTickMs. */
  raftCommitFlushDelayMs: 1,
  /** Raft entries a group keeps behind its snapshot by default (vnodes use vnodeKeepEntriesAfterSnapshot). */
  raftKeepEntriesAfterSnapshot: 1000,
  /** A ReadIndex request not confirmed after this long is sent again (the request or its answer may be lost). */
  raftReadIndexResendMs: 1_000,
  /** A hard state change of the commit index only is written at most this often (it needs no fsync). */
  raftCommitWriteIntervalMs: 1_000,
  /** Entries read from the WAL per read when the Raft log's entry cache misses. */
  raftLogDiskReadEntries: 256,
  /** Idle time before TCP keepalive probes a Raft peer connection (a peer host that vanished). */
  raftPeerKeepAliveMs: 10_000,
  /** Longest context string (ReadIndex and heartbeat contexts) a Raft envelope may carry, in characters. */
  maxRaftContextChars: 1024,
  /** Most node ids in one membership list (voters or learners) of a Raft envelope's snapshot. */
  maxRaftMembers: 1024,

  // --- storage (src/storage) ---
  /**
   * Free bytes a data volume keeps for what must not fail (memtable flushes, compaction, the
   * Raft log's accepted entries, snapshots): below it new writes are refused with DISK_FULL.
   * Capped at diskReserveFraction of the volume so a small volume stays usable. TDengine
   * keeps minimalDataDirGB (2 GB) free the same way.
   */
  diskReserveBytes: 256 << 20,
  diskReserveFraction: 0.05,
  /** Free space is re-read at most this often while it is well above the reserve. */
  diskSpaceCheckMs: 200,
  /** Above reserve + this many free bytes a write may use the cached free-space figure. */
  diskSpaceRecheckMarginBytes: 1 << 30,
  /** A flush, snapshot or Raft log write that met a full disk is tried again after this long. */
  diskFullRetryMs: 500,
  /** A WAL segment is closed and a new one started once it holds this many bytes (Raft logs and vnode stores). */
  walSegmentBytes: 64 << 20,
  /** Bytes the active WAL segment is extended with zeros at a time, ahead of the appends. */
  walPreallocateBytes: 1 << 20,
  /**
   * WAL payloads shorter than this many bytes are copied into the staging buffer with their
   * headers; longer ones are written from the caller's memory (one more iovec costs about the copy).
   */
  walInlinePayloadBytes: 4096,
  /** iovecs per writev call (Linux IOV_MAX is 1024). */
  walMaxIovecsPerWrite: 1024,
  /** WAL appends of at least this many bytes extend the segment by their own write, with no zero fill ahead. */
  walZeroFillMaxAppendBytes: 64 << 10,
  /** WAL entries replayed per read when a standalone store recovers. */
  walReplaySliceEntries: 256,
  /** Decoded column chunks a vnode keeps for repeated reads (window queries over partly covered blocks), in bytes. */
  decodedChunkCacheBytes: 64 << 20,
  /** Rows a flush encodes between yields to the event loop. */
  flushYieldRows: 200_000,
  /** A memtable table buffer starts with room for the first batch's rows, at least this many... */
  tableBufferInitialRowsMin: 64,
  /** ... and at most this many (it grows from there). */
  tableBufferInitialRowsMax: 1 << 16,
  /** Rows per block a scan yields at least (more when the vnode's maxRows is larger). */
  scanBlockMinRows: 4096,
  /** Bytes a data file writer buffers before writing them to the file. */
  dataFileWriteChunkBytes: 4 << 20,
  /** A data file removed by compaction or retention keeps its descriptor open this long for scans under way. */
  retiredFileCloseDelayMs: 60_000,
  /** Bytes of data file per chunk of a vnode snapshot stream. */
  vnodeSnapshotChunkBytes: 1 << 20,

  // --- replicated vnode (src/vnode) ---
  /** How long a membership change waits for the previous one to be applied before failing... */
  vnodeConfRetryMs: 3_000,
  /** ... checking again this often. */
  vnodeConfRetryPauseMs: 50,
  /** A follower forwarding a mutation to its leader gives up after this long in all... */
  vnodeForwardDeadlineMs: 8_000,
  /**
   * A leader that stepped down with a row write in flight (no quorum answered within the
   * election timeout) waits this long for a next leader to send the write on to; with none,
   * the write fails with NO_QUORUM (two election timeouts at most).
   */
  vnodeStepDownWaitMs: 2_000,
  /** ... or after this many attempts... */
  vnodeForwardMaxAttempts: 80,
  /** ... pausing this long between attempts while leadership moves. */
  vnodeForwardPauseMs: 100,
  /** How often a forward in flight checks whether this replica has heard of another leader. */
  vnodeLeaderWatchMs: 50,

  // --- query (src/query) ---
  /** Rows fill (prev, next, linear, value, null) may add to one query's result. */
  maxFillRows: 10_000_000,
  /** Compiled `match` / `nmatch` patterns kept; beyond this the cache starts over. */
  maxRegexCacheEntries: 256,
  /** Compiled LIKE patterns kept (src/common/like.ts); beyond this the cache starts over. */
  maxLikeCacheEntries: 256,
  /** Declared bytes of a string constant, or of a cast to VARCHAR/NCHAR without a length. */
  defaultStringExprBytes: 64,

  // --- engine (src/engine) ---
  /** How long a read waits for a replicated vgroup to elect a leader before failing. */
  readLeaderWaitMs: 3_000,
  /** The best-effort barrier before planning a query waits at most this long. */
  planBarrierWaitMs: 300,
  /** Below this many bytes a zero-filled column array is as cheap as an unfilled one (src/common/block.ts). */
  unfilledAllocMinBytes: 1024,

  // --- dnode (src/dnode) ---
  /** How often the stall watch looks at the clock (src/dnode/stall-watch.ts). */
  stallCheckMs: 100,
  /** A dnode that did not run its timers for this long logs a warning (half of the shortest election timeout). */
  stallWarnMs: 250,
  /** A replicated database recorded here but absent from the mnode's placement this long is dropped here. */
  orphanDbAgeMs: 10_000,
  /** A database dropped here is not recreated from a status reply for this long (a reply sent before the drop). */
  dropTombstoneMs: 60_000,
  /**
   * A request to a vgroup on other dnodes: total time over all attempts. An election takes 1-2 s;
   * the total stays below a client's usual 8-10 s request timeout, so the client gets this error,
   * not its own timeout.
   */
  vgroupRequestDeadlineMs: 6_000,
  /** The meta refresh before a statement gives up sooner: the statement may not need the vgroup. */
  vgroupMetaDeadlineMs: 3_000,
  /** After a vgroup was found leaderless, requests to it fail at once for this long (then try again). */
  vgroupDownHoldMs: 2_000,
  /** Attempts (one replica each) of one request to a vgroup, within vgroupRequestDeadlineMs. */
  vgroupMaxAttempts: 120,
  /** Pause after a round over a vgroup's replicas found no leader (none redirected). */
  vgroupRoundPauseMs: 150,
  /**
   * A write or control request to a vgroup's leader unanswered this long: the other replicas
   * are asked who leads, every half of this, and once one names another dnode (a new leader
   * elected past a frozen or cut-off one, 0.5-1 s) the request goes there instead of waiting
   * out clusterRpcTimeoutMs (3 s). Answers of a slow but still leading dnode keep the wait.
   */
  vgroupLeaderCheckMs: 600,
  /** One "who leads" question to a replica (VNODE_CTL status). */
  vgroupLeaderAskMs: 400,

  /** `<logDir>/audit.log` is renamed to audit.log.1 (the one old file kept) before it grows past this. */
  auditLogFileBytes: 64 * 1024 * 1024,
  /** Audit records a dnode keeps in memory for `show audit`. */
  auditMemoryRecords: 1000,
  /** Characters of a statement's text an audit record keeps. */
  auditStatementMaxChars: 4096,

  // --- mnode (src/mnode) ---
  /** The mnode group snapshots the cluster state after this many applied entries, keeping its log short. */
  mnodeSnapshotEveryEntries: 1000,
  /** How often the mnode leader looks at pending vgroup moves. */
  mnodeMoveTickMs: 250,
  /** A vgroup leadership transfer during a move is given this long before the step is retried. */
  mnodeLeaderTransferTimeoutMs: 5_000,
  /**
   * A statement that starts moves (balance, redistribute, drop dnode) returns when they are done
   * or after this long (they go on; under the clients' 10 s request timeout); drop dnode first
   * waits as long for moves through its dnode.
   */
  clusterStatementWaitMs: 8_000,
  /** A probe of a created-but-silent dnode waits this long for its HELLO answer. */
  dnodeProbeTimeoutMs: 2_000,
  /** A Raft peer connection reopened because the peer seems not to hear us: at most this often per peer. */
  raftPeerResetMinMs: 1_000,
  /** The mnode leader retries reaching a dnode it could not reach at its endpoint at most this often. */
  dnodeReachRecheckMs: 1_000,

  // --- OpenTSDB telnet listener (src/adapter/opentsdb-telnet.ts) ---
  /** Open telnet connections; more wait in the listen backlog. */
  opentsdbTelnetMaxConnections: 1024,
  /** Lines of one connection written as one batch at most. */
  opentsdbTelnetBatchLines: 5_000,
  /** A batch smaller than that is written after this long. */
  opentsdbTelnetFlushMs: 50,
  /** A line longer than this closes the connection (a sender that is not speaking put lines). */
  opentsdbTelnetMaxLineBytes: 64 * 1024,

  // --- client (src/client) ---
  /** How long a client trusts a database's vgroup map before fetching it again. */
  clientVgroupMapTtlMs: 5_000,
  /** After a routed dnode could not be reached, how long a client sends its rows through the home dnode. */
  clientRouteDownHoldMs: 3_000,
  /**
   * A bulk write sent straight to a vgroup leader's dnode waits at most this long (and at most
   * half the request's timeout) before it is sent through the home dnode instead, which follows
   * the vgroup's new leader: a frozen or cut-off leader never answers, and its successor is
   * elected within about a second. Rows are idempotent, so the resend is safe.
   */
  clientRoutedAttemptMs: 2_000,
  /**
   * A routed bulk write unanswered this long: the client asks its home dnode for the vgroup
   * map again (every half of this) and sends the rows through home once the map names other
   * leaders for them, instead of waiting out clientRoutedAttemptMs.
   */
  clientLeaderCheckMs: 700,
  /** Databases whose vgroup maps one client caches. */
  clientMaxCachedVgroupMaps: 64,
  /** Dnodes one client keeps a routed connection to (besides its home connection). */
  clientMaxRoutedDnodes: 64,

  // --- common (src/common) ---
  /** A repeating problem is logged once, then at most this often (a retry loop must not flood the log). */
  logRepeatIntervalMs: 30_000,

  // --- REST and line protocol (src/adapter) ---
  /** Bytes of a REST JSON response held back, so an early error can still be a clean error reply. */
  restResponseHoldBytes: 256 * 1024,
  /** Line-protocol bodies of at least this many bytes are parsed on a worker thread (the hop costs ~0.1 ms; 64 KiB parse in ~0.5 ms). */
  lineProtocolWorkerMinBodyBytes: 64 * 1024,
  /** Young generation of a line-protocol parse worker, in MiB (V8's default is 16-32 on 64-bit). */
  lineProtocolWorkerYoungGenMb: 4,
  /** Databases whose series caches a parse worker keeps (the oldest is dropped beyond this). */
  lineProtocolWorkerCachedDbs: 8,
  /** Times a line-protocol request re-plans after finding a super table changed under it. */
  lineProtocolMaxSchemaRounds: 3,
  /** Derived child table names kept per database; beyond this the cache starts over (MD5 is cheap, memory is not unbounded). */
  lineProtocolTableNameCacheEntries: 100_000,
  /** Child table → super table entries the line-protocol schema cache remembers per database; beyond this it starts over. */
  lineProtocolMaxRememberedOwners: 1_000_000,
  /** Smallest VARCHAR width in bytes line protocol declares for a string field (doubled until the value fits). */
  lineProtocolMinFieldVarcharBytes: 16,
  /** Smallest VARCHAR width in bytes line protocol declares for a tag (doubled until the value fits). */
  lineProtocolMinTagVarcharBytes: 64,

  // --- command line (src/cli) ---
  /** Widest text cell in characters the shell prints before cutting it (taos `-w`, default 30). */
  shellDisplayWidthChars: 30,
  /** `basalt playground`: time for one dnode to print that it is ready. */
  playgroundReadyTimeoutMs: 15_000,
  /** `basalt playground`: time for the mnode leader, and then every dnode, to be ready. */
  playgroundFormTimeoutMs: 10_000,
  /** `basalt playground`: time a dnode has to exit after SIGTERM before it gets SIGKILL. */
  playgroundStopTimeoutMs: 10_000,
  /** `basalt bench`: timeout of one insert request (large batches on a slow cluster). */
  benchRequestTimeoutMs: 600_000,
  /** `basalt bench`: timeout of its DDL (drop/create database, create stable, counts). */
  benchDdlTimeoutMs: 120_000,
  /** `basalt bench`: timeout of one query of a query run. */
  benchQueryTimeoutMs: 600_000,
  /** `basalt bench`: writer threads (or query threads) of one run. */
  benchMaxWorkers: 1024,
  /** `basalt bench`: rows per insert request. */
  benchMaxRowsPerRequest: 1_000_000,
  /** `basalt bench`: child tables of one run. */
  benchMaxTables: 10_000_000,
  /** `basalt bench`: rows per child table of one run. */
  benchMaxRowsPerTable: 1_000_000_000,
  /** `basalt bench`: times each query of a query run is repeated. */
  benchMaxQueryTimes: 10_000_000,
} as const;
