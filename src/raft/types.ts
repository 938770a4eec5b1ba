// Wire and state types of the Raft core. Names follow etcd raft's public design (MsgApp,
// MsgVote, HardState, Ready) so that readers who know that library find their way.

/** Node ids are positive integers; 0 means "none" (no leader, no vote). */
export type NodeId = number;
export const NONE: NodeId = 0;

export type EntryType = 'normal' | 'conf';

export interface Entry {
  readonly index: number;
  readonly term: number;
  readonly type: EntryType;
  /** Opaque to Raft for 'normal'; an encoded ConfChange for 'conf'. Empty = leader no-op. */
  readonly data: Uint8Array;
}

/** State that must be durable before any message that depends on it is sent. */
export interface HardState {
  readonly term: number;
  readonly vote: NodeId;
  readonly commit: number;
}

export interface ConfState {
  readonly voters: readonly NodeId[];
  readonly learners: readonly NodeId[];
}

export interface SnapshotMeta {
  readonly index: number;
  readonly term: number;
  readonly conf: ConfState;
}

export interface Snapshot {
  readonly meta: SnapshotMeta;
  /** The state machine's image at meta.index, produced by the application. */
  readonly data: Uint8Array;
}

export type MsgType =
  // local inputs (never sent over the network)
  | 'MsgHup'
  | 'MsgBeat'
  | 'MsgProp'
  | 'MsgCheckQuorum'
  | 'MsgUnreachable'
  // between peers
  | 'MsgApp'
  | 'MsgAppResp'
  | 'MsgVote'
  | 'MsgVoteResp'
  | 'MsgPreVote'
  | 'MsgPreVoteResp'
  | 'MsgHeartbeat'
  | 'MsgHeartbeatResp'
  | 'MsgSnap'
  | 'MsgSnapResp'
  | 'MsgReadIndex'
  | 'MsgReadIndexResp'
  | 'MsgTransferLeader'
  | 'MsgTimeoutNow';

export interface Message {
  readonly type: MsgType;
  readonly from: NodeId;
  readonly to: NodeId;
  /** 0 for local messages. */
  readonly term: number;
  /** MsgApp: term of the entry at `index`; MsgVote: candidate's last log term; rejections: hint term. */
  readonly logTerm: number;
  /** MsgApp: index preceding `entries`; MsgAppResp: last matched index; MsgVote: last log index. */
  readonly index: number;
  readonly entries: readonly Entry[];
  readonly commit: number;
  readonly reject: boolean;
  /** MsgAppResp rejection: the follower's guess of where the logs may match. */
  readonly rejectHint: number;
  /** ReadIndex request id, leadership-transfer flag for votes ('transfer'), or ''. */
  readonly context: string;
  /** MsgSnap/MsgSnapResp: which snapshot, the byte offset of this chunk (or next wanted). */
  readonly snapshot?: SnapshotMeta;
  readonly snapOffset: number;
  readonly snapData?: Uint8Array;
  readonly snapDone: boolean;
  /** MsgHeartbeat/MsgHeartbeatResp: the leader's tick count when it sent the heartbeat (lease reads). */
  readonly tick: number;
}

const EMPTY_ENTRIES: readonly Entry[] = Object.freeze([]);

/** Builds a message with defaults; `from` defaults to 0 (Raft.send fills in its own id). */
export function message(fields: Partial<Message> & Pick<Message, 'type' | 'to'>): Message {
  return {
    from: 0,
    term: 0,
    logTerm: 0,
    index: 0,
    entries: EMPTY_ENTRIES,
    commit: 0,
    reject: false,
    rejectHint: 0,
    context: '',
    snapOffset: 0,
    snapDone: false,
    tick: 0,
    ...fields,
  };
}

export type StateRole = 'follower' | 'precandidate' | 'candidate' | 'leader';

export interface SoftState {
  readonly lead: NodeId;
  readonly role: StateRole;
}

/** A linearizable read may be served once the local applied index reaches `index`. */
export interface ReadState {
  readonly index: number;
  readonly context: string;
}

/**
 * One batch of work for the application. Contract, in this order:
 * 1. persist `snapshot` (if any), `entries`, then `hardState` (fsync when mustSync);
 * 2. send `messages`;
 * 3. apply `snapshot` then `committedEntries` to the state machine;
 * 4. call advance(ready).
 */
export interface Ready {
  readonly softState?: SoftState;
  readonly hardState?: HardState;
  readonly entries: readonly Entry[];
  readonly snapshot?: Snapshot;
  readonly committedEntries: readonly Entry[];
  readonly messages: readonly Message[];
  readonly readStates: readonly ReadState[];
  /** True when entries or term/vote changed: the write must be fsynced before step 2. */
  readonly mustSync: boolean;
}

export function entryBytes(e: Entry): number {
  // 24 bytes approximates the fixed header (index, term, type, length) on the wire and disk.
  return e.data.length + 24;
}
