// Raft envelopes on the wire: the control part of an RPC frame of type RAFT, msgpack-encoded
// as positional arrays (no field names: an envelope carries hundreds of heartbeats), entry
// payloads as msgpack binary so they stay bytes end to end. Decoding treats the frame as
// untrusted: every field is type- and range-checked, and anything wrong is BAD_FRAME naming
// the field, so a bad peer costs an error reply, never a crash or a corrupted Raft state.
//
//   envelope = [1, from, to, heartbeats, heartbeatResps, messages]
//   heartbeats / heartbeatResps = flat [group, term, commit, context, tick, ...]
//   messages = flat [group, message, ...]
//   message  = [type, from, to, term, logTerm, index, commit, reject, rejectHint, context,
//               tick, entries, snapOffset, snapDone, snapMeta | nil, snapData | nil]
//   entries  = flat [index, term, kind (0 normal, 1 conf), data, ...]
//   snapMeta = [index, term, voters, learners]
import { BasaltError } from '../common/errors.js';
import type { CoalescedBeat, GroupId, NodeEnvelope } from '../raft/multi-raft.js';
import type { Entry, Message, MsgType, SnapshotMeta } from '../raft/index.js';

const VERSION = 1;
const MAX_CONTEXT_CHARS = 1024;
const MAX_MEMBERS = 1024;

/** Types that travel between peers; the position is the wire code. */
const WIRE_TYPES: readonly MsgType[] = [
  'MsgApp', 'MsgAppResp', 'MsgVote', 'MsgVoteResp', 'MsgPreVote', 'MsgPreVoteResp',
  'MsgHeartbeat', 'MsgHeartbeatResp', 'MsgSnap', 'MsgSnapResp', 'MsgReadIndex', 'MsgReadIndexResp',
  'MsgTransferLeader', 'MsgTimeoutNow',
];
const TYPE_CODE = new Map<MsgType, number>(WIRE_TYPES.map((t, i) => [t, i]));

export function encodeEnvelope(env: NodeEnvelope): unknown[] {
  const msgs: unknown[] = [];
  for (const { group, msg } of env.messages) msgs.push(group, encodeMessage(msg));
  return [VERSION, env.from, env.to, flatBeats(env.heartbeats), flatBeats(env.heartbeatResps), msgs];
}

function flatBeats(beats: readonly CoalescedBeat[]): unknown[] {
  const out: unknown[] = [];
  for (const b of beats) out.push(b.group, b.term, b.commit, b.context, b.tick);
  return out;
}

function encodeMessage(m: Message): unknown[] {
  const code = TYPE_CODE.get(m.type);
  if (code === undefined) throw new BasaltError('INTERNAL', `local Raft message ${m.type} cannot be sent to a peer`);
  const ents: unknown[] = [];
  for (const e of m.entries) ents.push(e.index, e.term, e.type === 'conf' ? 1 : 0, e.data);
  const meta = m.snapshot ? [m.snapshot.index, m.snapshot.term, m.snapshot.conf.voters, m.snapshot.conf.learners] : null;
  return [code, m.from, m.to, m.term, m.logTerm, m.index, m.commit, m.reject ? 1 : 0, m.rejectHint, m.context,
    m.tick, ents, m.snapOffset, m.snapDone ? 1 : 0, meta, m.snapData ?? null];
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
  if (v.length > MAX_CONTEXT_CHARS) bad(field, `exceeds ${MAX_CONTEXT_CHARS} characters`);
  return v;
}

function bytes(v: unknown, field: string): Uint8Array {
  if (!(v instanceof Uint8Array)) bad(field, 'must be binary');
  return v;
}

function ids(v: unknown, field: string): number[] {
  const a = arr(v, field);
  if (a.length > MAX_MEMBERS) bad(field, `lists more than ${MAX_MEMBERS} members`);
  return a.map((x) => { const n = int(x, field); if (n === 0) bad(field, 'holds node id 0'); return n; });
}

export function decodeEnvelope(control: unknown): NodeEnvelope {
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
  for (let i = 0; i < flat.length; i += 2) {
    const group = int(flat[i], 'messages.group');
    const msg = decodeMessage(flat[i + 1]);
    if (msg.from !== from || msg.to !== to) bad('messages.from/to', 'disagree with the envelope');
    messages.push({ group, msg });
  }
  return { from, to, heartbeats, heartbeatResps, messages };
}

function decodeBeats(v: unknown, field: string): CoalescedBeat[] {
  const flat = arr(v, field);
  if (flat.length % 5 !== 0) bad(field, 'must hold 5 values per beat');
  const out: CoalescedBeat[] = [];
  for (let i = 0; i < flat.length; i += 5) {
    out.push({
      group: int(flat[i], `${field}.group`), term: int(flat[i + 1], `${field}.term`), commit: int(flat[i + 2], `${field}.commit`),
      context: str(flat[i + 3], `${field}.context`), tick: int(flat[i + 4], `${field}.tick`),
    });
  }
  return out;
}

function decodeMessage(v: unknown): Message {
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
    const e: Entry = { index: int(flatEnts[i], 'entry.index'), term: int(flatEnts[i + 1], 'entry.term'), type: kind === 1 ? 'conf' : 'normal', data: bytes(flatEnts[i + 3], 'entry.data') };
    if (entries.length > 0 && e.index !== entries[entries.length - 1]!.index + 1) bad('message.entries', 'are not contiguous');
    entries.push(e);
  }
  let snapshot: SnapshotMeta | undefined;
  if (a[14] !== null && a[14] !== undefined) {
    const s = arr(a[14], 'message.snapshot');
    if (s.length !== 4) bad('message.snapshot', 'must be [index, term, voters, learners]');
    snapshot = { index: int(s[0], 'snapshot.index'), term: int(s[1], 'snapshot.term'), conf: { voters: ids(s[2], 'snapshot.voters'), learners: ids(s[3], 'snapshot.learners') } };
  }
  const snapData = a[15] === null || a[15] === undefined ? undefined : bytes(a[15], 'message.snapData');
  if (type === 'MsgSnap' && (snapshot === undefined || snapData === undefined)) bad('message.snapshot', 'is required in MsgSnap');
  if (entries.length > 0 && type !== 'MsgApp') bad('message.entries', `are not allowed in ${type}`);
  if (entries.length > 0 && entries[0]!.index !== int(a[5], 'message.index') + 1) bad('message.entries', 'must start right after message.index');
  const m: Message = {
    type, from: int(a[1], 'message.from'), to: int(a[2], 'message.to'), term: int(a[3], 'message.term'),
    logTerm: int(a[4], 'message.logTerm'), index: int(a[5], 'message.index'), entries, commit: int(a[6], 'message.commit'),
    reject: int(a[7], 'message.reject') === 1, rejectHint: int(a[8], 'message.rejectHint'), context: str(a[9], 'message.context'),
    snapOffset: int(a[12], 'message.snapOffset'), snapDone: int(a[13], 'message.snapDone') === 1, tick: int(a[10], 'message.tick'),
    ...(snapshot ? { snapshot } : {}), ...(snapData ? { snapData } : {}),
  };
  return m;
}
