// Raft envelopes on the wire: an RPC frame of type RAFT whose msgpack control part holds the
// envelope as positional arrays (no field names: an envelope carries hundreds of heartbeats)
// and whose binary payload holds the entry data and snapshot chunks, back to back in the
// order the control part names them. The control part carries only their lengths, so the
// bytes are never copied through msgpack: the sender writes the entries' own buffers after
// the frame head, the receiver slices them out of the frame payload as views (a frame body
// is a fresh buffer per frame, never reused; see frame.ts). Decoding treats the frame as
// untrusted: every field is type- and range-checked, the lengths must add up to exactly the
// payload, and anything wrong is BAD_FRAME naming the field, so a bad peer costs an error
// reply, never a crash or a corrupted Raft state.
//
//   envelope = [2, from, to, heartbeats, heartbeatResps, messages]
//   heartbeats / heartbeatResps = flat [group, term, commit, context, tick, ...]
//   messages = flat [group, message, ...]
//   message  = [type, from, to, term, logTerm, index, commit, reject, rejectHint, context,
//               tick, entries, snapOffset, snapDone, snapMeta | nil, snapBytes | nil]
//   entries  = flat [index, term, kind (0 normal, 1 conf), dataBytes, ...]
//   snapMeta = [index, term, voters, learners]
//   payload  = for each message in order: its entries' data, then its snapData
//
// Version 1 carried the data as msgpack binaries inside the control part; a node speaking 1
// refuses version 2 envelopes as BAD_FRAME (and the other way round), so mixed versions do
// not exchange Raft traffic.
import { BasaltError } from '../common/errors.js';
import { Limits } from '../common/limits.js';
import type { CoalescedBeat, GroupId, NodeEnvelope } from '../raft/multi-raft.js';
import type { Entry, Message, MsgType, SnapshotMeta } from '../raft/index.js';

const VERSION = 2;

/** Types that travel between peers; the position is the wire code. */
const WIRE_TYPES: readonly MsgType[] = [
  'MsgApp',
  'MsgAppResp',
  'MsgVote',
  'MsgVoteResp',
  'MsgPreVote',
  'MsgPreVoteResp',
  'MsgHeartbeat',
  'MsgHeartbeatResp',
  'MsgSnap',
  'MsgSnapResp',
  'MsgReadIndex',
  'MsgReadIndexResp',
  'MsgTransferLeader',
  'MsgTimeoutNow',
];
const TYPE_CODE = new Map<MsgType, number>(WIRE_TYPES.map((t, i) => [t, i]));

/** An envelope ready for a frame: the control part, and the payload parts to write after it. */
export interface WireEnvelope {
  readonly control: unknown[];
  /** Entry data and snapshot chunks in wire order, by reference (they are immutable once created). */
  readonly payload: Uint8Array[];
}

export function encodeEnvelope(env: NodeEnvelope): WireEnvelope {
  const msgs: unknown[] = [];
  const payload: Uint8Array[] = [];
  for (const { group, msg } of env.messages) msgs.push(group, encodeMessage(msg, payload));
  return {
    control: [VERSION, env.from, env.to, flatBeats(env.heartbeats), flatBeats(env.heartbeatResps), msgs],
    payload,
  };
}

function flatBeats(beats: readonly CoalescedBeat[]): unknown[] {
  const out: unknown[] = [];
  for (const b of beats) out.push(b.group, b.term, b.commit, b.context, b.tick);
  return out;
}

function encodeMessage(m: Message, payload: Uint8Array[]): unknown[] {
  const code = TYPE_CODE.get(m.type);
  if (code === undefined) throw new BasaltError('INTERNAL', `local Raft message ${m.type} cannot be sent to a peer`);
  const ents: unknown[] = [];
  for (const e of m.entries) {
    ents.push(e.index, e.term, e.type === 'conf' ? 1 : 0, e.data.length);
    payload.push(e.data);
  }
  const meta = m.snapshot
    ? [m.snapshot.index, m.snapshot.term, m.snapshot.conf.voters, m.snapshot.conf.learners]
    : null;
  if (m.snapData) payload.push(m.snapData);
  return [
    code,
    m.from,
    m.to,
    m.term,
    m.logTerm,
    m.index,
    m.commit,
    m.reject ? 1 : 0,
    m.rejectHint,
    m.context,
    m.tick,
    ents,
    m.snapOffset,
    m.snapDone ? 1 : 0,
    meta,
    m.snapData ? m.snapData.length : null,
  ];
}

/** Entry payload bytes of an envelope (for splitting into frames of bounded size). */
export function envelopeDataBytes(env: NodeEnvelope): number {
  let n = 64 + 48 * (env.heartbeats.length + env.heartbeatResps.length);
  for (const { msg } of env.messages) {
    n += 96 + (msg.snapData?.length ?? 0);
    for (const e of msg.entries) n += e.data.length + 24;
  }
  return n;
}

// ---------------------------------------------------------------- decoding

function bad(field: string, why: string): never {
  throw new BasaltError('BAD_FRAME', `RAFT envelope field '${field}' ${why}`);
}

function arr(v: unknown, field: string): unknown[] {
  if (!Array.isArray(v)) bad(field, 'must be an array');
  return v;
}

/** A non-negative safe integer (msgpack may hand back a bigint for 64-bit encodings). */
function int(v: unknown, field: string): number {
  const n = typeof v === 'bigint' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) bad(field, 'must be a non-negative integer');
  return n;
}

function str(v: unknown, field: string): string {
  if (typeof v !== 'string') bad(field, 'must be a string');
  if (v.length > Limits.maxRaftContextChars) bad(field, `exceeds ${Limits.maxRaftContextChars} characters`);
  return v;
}

/** The frame payload and how much of it the fields decoded so far have claimed. */
interface PayloadCursor {
  readonly payload: Uint8Array;
  off: number;
}

/** The next `len` payload bytes as a view (a length field must fit in what is left). */
function take(cur: PayloadCursor, len: unknown, field: string): Uint8Array {
  const n = int(len, field);
  const left = cur.payload.length - cur.off;
  if (n > left) bad(field, `is ${n} bytes, but only ${left} payload bytes are left`);
  const v = cur.payload.subarray(cur.off, cur.off + n);
  cur.off += n;
  return v;
}

function ids(v: unknown, field: string): number[] {
  const a = arr(v, field);
  if (a.length > Limits.maxRaftMembers) bad(field, `lists more than ${Limits.maxRaftMembers} members`);
  return a.map((x) => {
    const n = int(x, field);
    if (n === 0) bad(field, 'holds node id 0');
    return n;
  });
}

/** `payload` is the frame payload; the entries' data are views into it. */
export function decodeEnvelope(control: unknown, payload: Uint8Array): NodeEnvelope {
  const a = arr(control, 'envelope');
  if (a.length !== 6) bad('envelope', `has ${a.length} parts, expected 6`);
  if (a[0] !== VERSION) bad('version', `is ${String(a[0])}; this node speaks ${VERSION}`);
  const from = int(a[1], 'from');
  const to = int(a[2], 'to');
  if (from === 0 || to === 0) bad('from/to', 'must be node ids > 0');
  const heartbeats = decodeBeats(a[3], 'heartbeats');
  const heartbeatResps = decodeBeats(a[4], 'heartbeatResps');
  const flat = arr(a[5], 'messages');
  if (flat.length % 2 !== 0) bad('messages', 'must hold (group, message) pairs');
  const messages: { group: GroupId; msg: Message }[] = [];
  const cur: PayloadCursor = { payload, off: 0 };
  for (let i = 0; i < flat.length; i += 2) {
    const group = int(flat[i], 'messages.group');
    const msg = decodeMessage(flat[i + 1], cur);
    if (msg.from !== from || msg.to !== to) bad('messages.from/to', 'disagree with the envelope');
    messages.push({ group, msg });
  }
  if (cur.off !== payload.length)
    bad('payload', `has ${payload.length - cur.off} bytes that no entry or snapshot length accounts for`);
  return { from, to, heartbeats, heartbeatResps, messages };
}

function decodeBeats(v: unknown, field: string): CoalescedBeat[] {
  const flat = arr(v, field);
  if (flat.length % 5 !== 0) bad(field, 'must hold 5 values per beat');
  const out: CoalescedBeat[] = [];
  for (let i = 0; i < flat.length; i += 5) {
    out.push({
      group: int(flat[i], `${field}.group`),
      term: int(flat[i + 1], `${field}.term`),
      commit: int(flat[i + 2], `${field}.commit`),
      context: str(flat[i + 3], `${field}.context`),
      tick: int(flat[i + 4], `${field}.tick`),
    });
  }
  return out;
}

function decodeMessage(v: unknown, cur: PayloadCursor): Message {
  const a = arr(v, 'message');
  if (a.length !== 16) bad('message', `has ${a.length} parts, expected 16`);
  const code = int(a[0], 'message.type');
  const type = WIRE_TYPES[code];
  if (type === undefined) bad('message.type', `${code} is not a Raft message type`);
  const flatEnts = arr(a[11], 'message.entries');
  if (flatEnts.length % 4 !== 0) bad('message.entries', 'must hold 4 values per entry');
  const entries: Entry[] = [];
  for (let i = 0; i < flatEnts.length; i += 4) {
    const kind = int(flatEnts[i + 2], 'entry.kind');
    if (kind > 1) bad('entry.kind', `${kind} is neither normal (0) nor conf (1)`);
    const e: Entry = {
      index: int(flatEnts[i], 'entry.index'),
      term: int(flatEnts[i + 1], 'entry.term'),
      type: kind === 1 ? 'conf' : 'normal',
      data: take(cur, flatEnts[i + 3], 'entry.dataBytes'),
    };
    if (entries.length > 0 && e.index !== entries[entries.length - 1]!.index + 1)
      bad('message.entries', 'are not contiguous');
    entries.push(e);
  }
  let snapshot: SnapshotMeta | undefined;
  if (a[14] !== null && a[14] !== undefined) {
    const s = arr(a[14], 'message.snapshot');
    if (s.length !== 4) bad('message.snapshot', 'must be [index, term, voters, learners]');
    snapshot = {
      index: int(s[0], 'snapshot.index'),
      term: int(s[1], 'snapshot.term'),
      conf: { voters: ids(s[2], 'snapshot.voters'), learners: ids(s[3], 'snapshot.learners') },
    };
  }
  const snapData = a[15] === null || a[15] === undefined ? undefined : take(cur, a[15], 'message.snapBytes');
  if (type === 'MsgSnap' && (snapshot === undefined || snapData === undefined))
    bad('message.snapshot', 'is required in MsgSnap');
  if (entries.length > 0 && type !== 'MsgApp') bad('message.entries', `are not allowed in ${type}`);
  if (entries.length > 0 && entries[0]!.index !== int(a[5], 'message.index') + 1)
    bad('message.entries', 'must start right after message.index');
  const m: Message = {
    type,
    from: int(a[1], 'message.from'),
    to: int(a[2], 'message.to'),
    term: int(a[3], 'message.term'),
    logTerm: int(a[4], 'message.logTerm'),
    index: int(a[5], 'message.index'),
    entries,
    commit: int(a[6], 'message.commit'),
    reject: int(a[7], 'message.reject') === 1,
    rejectHint: int(a[8], 'message.rejectHint'),
    context: str(a[9], 'message.context'),
    snapOffset: int(a[12], 'message.snapOffset'),
    snapDone: int(a[13], 'message.snapDone') === 1,
    tick: int(a[10], 'message.tick'),
    ...(snapshot ? { snapshot } : {}),
    ...(snapData ? { snapData } : {}),
  };
  return m;
}
