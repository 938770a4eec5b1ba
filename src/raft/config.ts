// Raft configuration: every field in ticks, messages or bytes, with its trade-off. One tick is
// whatever period the driver calls tick() at; Basalt drives it every Limits.raftTickMs (100 ms).
// Defaults are the raft* fields of Limits.
import { BasaltError } from '../common/errors.js';
import { Limits } from '../common/limits.js';
import type { NodeId } from './types.js';
import { Prng } from './prng.js';

export interface RaftConfig {
  /** This replica's id; > 0. */
  readonly id: NodeId;
  /**
   * Ticks without hearing from a leader before a follower campaigns. The actual timeout is
   * drawn uniformly from [electionTicks, 2 × electionTicks) after every reset, from `prng`,
   * so that split votes resolve. Default Limits.raftElectionTicks, 5 (0.5-1 s at 100 ms/tick):
   * writes resume about 0.7 s after a leader dies, freezes or is cut off. Lower values make
   * GC pauses and event-loop stalls look like leader failures (see README.md).
   */
  readonly electionTicks: number;
  /** Ticks between leader heartbeats; must be < electionTicks. Default 1 (100 ms). */
  readonly heartbeatTicks: number;
  /** Seeded randomness for the election timeout; the core has no other source of randomness. */
  readonly prng: Prng;
  /** Campaign with a pre-vote round first so that a rejoining partitioned node does not bump terms. Default true. */
  readonly preVote: boolean;
  /**
   * A leader that has not heard from a quorum within electionTicks steps down, and followers
   * that recently heard from a leader ignore (pre)votes. Default true.
   */
  readonly checkQuorum: boolean;
  /**
   * 'safe': ReadIndex confirms leadership with a heartbeat round. 'lease': trust the leader
   * lease (bounded clock drift); only allowed with checkQuorum. Default 'safe'.
   */
  readonly readOnly: 'safe' | 'lease';
  /** Largest total entry bytes in one MsgApp. Default 1 MiB. */
  readonly maxAppendBytes: number;
  /** MsgApp messages in flight to one follower before the leader waits for acks. Default 256. */
  readonly maxInflightAppends: number;
  /** Entry bytes in flight to one follower before the leader waits for acks. Default 4 MiB. */
  readonly maxInflightBytes: number;
  /** Entry bytes not yet committed that a leader accepts before dropping proposals. Default 64 MiB. */
  readonly maxUncommittedBytes: number;
  /** Largest committed-entry bytes handed out in one Ready (at least one entry always). Default 16 MiB. */
  readonly maxApplyBytes: number;
  /** Snapshot bytes per MsgSnap chunk. Default 1 MiB. */
  readonly snapshotChunkBytes: number;
  /** Largest snapshot a follower will buffer while receiving chunks. Default 4 GiB. */
  readonly maxSnapshotBytes: number;
  /** ReadIndex requests waiting for a leadership confirmation before new ones are refused. Default 4096. */
  readonly maxPendingReads: number;
  /** The last index the application had applied before a restart (0 for a new replica). */
  readonly applied: number;
  /**
   * When the commit index advances, a follower with nothing new to receive learns it from the
   * next MsgApp or heartbeat, or when the driver calls flushCommit() (the replica runtime
   * does within commitFlushDelayMs), instead of from an empty MsgApp sent at once. With one
   * proposal in flight the next proposal's MsgApp carries it, and the empty MsgApp plus its
   * ack were 4 of the 10 messages of every commit. Only followers learn the commit later
   * (their apply lags by that delay); commit itself and safety do not change. Default false.
   */
  readonly lazyCommitBroadcast: boolean;
}

export type RaftConfigInput = Partial<RaftConfig> & Pick<RaftConfig, 'id'>;

export function raftConfig(input: RaftConfigInput): RaftConfig {
  const cfg: RaftConfig = {
    electionTicks: Limits.raftElectionTicks,
    heartbeatTicks: Limits.raftHeartbeatTicks,
    prng: new Prng(input.id * 7919 + 17),
    preVote: true,
    checkQuorum: true,
    readOnly: 'safe',
    maxAppendBytes: Limits.raftMaxAppendBytes,
    maxInflightAppends: Limits.raftMaxInflightAppends,
    maxInflightBytes: Limits.raftMaxInflightBytes,
    maxUncommittedBytes: Limits.raftMaxUncommittedBytes,
    maxApplyBytes: Limits.raftMaxApplyBytes,
    snapshotChunkBytes: Limits.raftSnapshotChunkBytes,
    maxSnapshotBytes: Limits.raftMaxSnapshotBytes,
    maxPendingReads: Limits.raftMaxPendingReads,
    applied: 0,
    lazyCommitBroadcast: false,
    ...input,
  };
  validateRaftConfig(cfg);
  return cfg;
}

/** Refuses values that break safety or liveness, naming the field. */
export function validateRaftConfig(c: RaftConfig): void {
  const bad = (detail: string): never => {
    throw new BasaltError('RAFT_CONFIG_INVALID', detail);
  };
  if (!Number.isInteger(c.id) || c.id <= 0) bad(`id must be a positive integer, got ${c.id}`);
  if (!Number.isInteger(c.heartbeatTicks) || c.heartbeatTicks < 1) bad('heartbeatTicks must be ≥ 1');
  if (!Number.isInteger(c.electionTicks) || c.electionTicks <= c.heartbeatTicks) {
    bad('electionTicks must be an integer greater than heartbeatTicks');
  }
  if (c.readOnly === 'lease' && !c.checkQuorum) {
    bad('readOnly=lease requires checkQuorum=true: without it a deposed leader may serve stale reads');
  }
  if (c.maxAppendBytes < 1) bad('maxAppendBytes must be ≥ 1');
  if (c.maxInflightAppends < 1) bad('maxInflightAppends must be ≥ 1');
  if (c.maxInflightBytes < c.maxAppendBytes) bad('maxInflightBytes must be ≥ maxAppendBytes');
  if (c.maxUncommittedBytes < 1) bad('maxUncommittedBytes must be ≥ 1');
  if (c.snapshotChunkBytes < 1) bad('snapshotChunkBytes must be ≥ 1');
  if (c.maxPendingReads < 1) bad('maxPendingReads must be ≥ 1');
  if (c.applied < 0) bad('applied must be ≥ 0');
}
