// Typed binary payloads of WAL entries (what a Raft vnode later replicates). Layout:
//   u8 kind = 1 (meta op) | msgpack(MetaOp)
//   u8 kind = 2 (write)   | u32 createBytes | msgpack([atMs, ChildTableDef[]]) (absent when 0)
//                         | u32 tables | per table: u16 nameBytes | UTF-8 name | u32 blockBytes | column block
// Column blocks use the shared wire layout of src/common/block-codec.ts.
import { decode as mpDecode, encode as mpEncode } from '@msgpack/msgpack';
import { assert } from '../common/assert.js';
import { decodeBlock, encodeBlockInto, encodedBlockBytes, type DecodeOptions } from '../common/block-codec.js';
import { BasaltError } from '../common/errors.js';
import type { ChildTableDef, TableRows, WriteBatch } from './api.js';
import type { MetaOp } from './meta.js';

const PAYLOAD_META = 1;
const PAYLOAD_WRITE = 2;
const MP = { useBigInt64: true } as const;

/** atMs: when the write was proposed (the creation time of tables it creates). */
export type Payload = { kind: 'meta'; op: MetaOp } | { kind: 'write'; batch: WriteBatch; atMs: number };

/**
 * Payloads whose decoded form the proposer still holds (a Raft leader applying its own
 * write): decodePayload hands that back once instead of parsing and copying the bytes again.
 * Weak, so a payload that is never applied (a lost proposal) costs nothing.
 */
const decodedByPayload = new WeakMap<Uint8Array, Payload>();

/** Lets the next decodePayload(payload) return `decoded` (which must be what payload encodes). */
export function rememberDecoded(payload: Uint8Array, decoded: Payload): void {
  decodedByPayload.set(payload, decoded);
}

export function encodeMetaPayload(op: MetaOp): Uint8Array {
  const body = mpEncode(op, MP);
  const out = new Uint8Array(1 + body.length);
  out[0] = PAYLOAD_META;
  out.set(body, 1);
  return out;
}

export function encodeWritePayload(batch: WriteBatch, atMs = Date.now()): Uint8Array {
  const create =
    batch.createTables && batch.createTables.length > 0 ? mpEncode([atMs, batch.createTables], MP) : new Uint8Array(0);
  const names = batch.rows.map((r) => Buffer.from(r.table, 'utf8'));
  const sizes = batch.rows.map((r) => encodedBlockBytes(r.block));
  let total = 1 + 4 + create.length + 4;
  for (let i = 0; i < names.length; i++) total += 2 + names[i]!.length + 4 + sizes[i]!;
  const out = Buffer.allocUnsafe(total);
  let p = 0;
  out[p++] = PAYLOAD_WRITE;
  out.writeUInt32LE(create.length, p);
  p += 4;
  out.set(create, p);
  p += create.length;
  out.writeUInt32LE(names.length, p);
  p += 4;
  for (let i = 0; i < names.length; i++) {
    out.writeUInt16LE(names[i]!.length, p);
    p += 2;
    out.set(names[i]!, p);
    p += names[i]!.length;
    out.writeUInt32LE(sizes[i]!, p);
    p += 4;
    p = encodeBlockInto(batch.rows[i]!.block, out, p);
  }
  assert(p === total, `write payload ${p} bytes, expected ${total}`);
  return out;
}

/**
 * alias: column data may be views of `data` (see block-codec decodeBlock); for an apply that
 * copies the rows into the memtable at once and never reuses `data`.
 */
export function decodePayload(data: Uint8Array, opts: DecodeOptions = {}): Payload {
  const known = decodedByPayload.get(data);
  if (known) {
    decodedByPayload.delete(data);
    return known;
  }
  const bad = (what: string): BasaltError => new BasaltError('WAL_CORRUPT', `WAL payload: ${what}`);
  if (data.length < 1) throw bad('empty');
  if (data[0] === PAYLOAD_META) return { kind: 'meta', op: mpDecode(data.subarray(1), MP) as MetaOp };
  if (data[0] !== PAYLOAD_WRITE) throw bad(`unknown kind ${data[0]}`);
  const buf = Buffer.from(data.buffer, data.byteOffset, data.length);
  let p = 1;
  const clen = buf.readUInt32LE(p);
  p += 4;
  const [atMs, createTables] =
    clen > 0 ? (mpDecode(buf.subarray(p, p + clen), MP) as [number, ChildTableDef[]]) : [0, undefined];
  p += clen;
  const n = buf.readUInt32LE(p);
  p += 4;
  const rows: TableRows[] = [];
  for (let i = 0; i < n; i++) {
    const nl = buf.readUInt16LE(p);
    p += 2;
    const table = buf.toString('utf8', p, p + nl);
    p += nl;
    const bl = buf.readUInt32LE(p);
    p += 4;
    const { block, end } = decodeBlock(buf, p, opts);
    if (end !== p + bl) throw bad(`block of table ${table} is ${end - p} bytes, header says ${bl}`);
    p = end;
    rows.push({ table, block });
  }
  if (p !== buf.length) throw bad(`${buf.length - p} trailing bytes`);
  return { kind: 'write', batch: createTables ? { createTables, rows } : { rows }, atMs };
}
