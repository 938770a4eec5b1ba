// The RPC frame: a fixed little-endian header, a msgpack control part, then an optional
// binary payload (column blocks in the block-codec layout). Layout (docs/block-format.md):
//
//   off size
//    0  u32  frameBytes      bytes after this field (header rest + control + payload)
//    4  u8   magic 0xBA
//    5  u8   version (1)
//    6  u8   flags           bit 0: response, bit 1: error response, bit 2: one-way request
//    7  u8   reserved (0)
//    8  u16  msgType         see messages.ts
//   10  u16  reserved (0)
//   12  u32  requestId       chosen by the requester, echoed in the response
//   16  u32  controlBytes    length of the msgpack control part
//   20  ...  control (msgpack), then payload (frameBytes - 16 - controlBytes bytes)
//
// The decoder is incremental: a frame is assembled into one buffer sized from its header,
// so a 64 MB frame costs one allocation, and an oversized length is refused before any
// of its body is buffered. Every frame body is a fresh buffer that is never written again
// once parsed, so views into it (payload, msgpack binaries) may outlive the frame.
//
// The sender need not build that one buffer: encodeFrameParts returns the header and
// control part as one small buffer followed by the caller's payload parts, to be written
// to a socket as they are (writeFrameParts: cork, one write per part, uncork). Payload
// parts are then written by reference and must not change until the socket has sent them.
import { decode, Encoder } from '@msgpack/msgpack';
import { assert } from '../common/assert.js';
import { BasaltError } from '../common/errors.js';
import { Limits } from '../common/limits.js';

export const FRAME_MAGIC = 0xba;
export const FRAME_VERSION = 1;
export const FRAME_HEADER_BYTES = 20;
export const FLAG_RESPONSE = 1;
export const FLAG_ERROR = 2;
/** A one-way request: the server runs the handler and sends no response (Raft traffic). */
export const FLAG_ONEWAY = 4;

export interface Frame {
  readonly flags: number;
  readonly msgType: number;
  readonly requestId: number;
  /** Decoded msgpack control part. */
  readonly control: unknown;
  /** Binary payload (may be empty). A view into the frame buffer. */
  readonly payload: Uint8Array;
}

const ENCODE_OPTS = { useBigInt64: true } as const;
const DECODE_OPTS = {
  useBigInt64: true,
  maxStrLength: Limits.rpcControlMaxStringBytes,
  maxArrayLength: Limits.rpcControlMaxArrayItems,
  maxMapLength: Limits.rpcControlMaxMapEntries,
  maxBinLength: Limits.rpcControlMaxBinaryBytes,
  maxExtLength: Limits.rpcControlMaxExtBytes,
} as const;

/**
 * One encoder for every control part of this process: a per-call encoder starts at 2 KB and
 * doubles its buffer (a new one each time) up to the control's size. Used only through
 * encodeSharedRef, whose view is copied out before the next encode.
 */
let sharedEncoder = new Encoder(ENCODE_OPTS);

/** Encodes with the shared encoder, hands the (short-lived) view to `use`, returns its result. */
function withControl<T>(control: unknown, use: (ctl: Uint8Array) => T): T {
  const enc = sharedEncoder;
  const ctl = enc.encodeSharedRef(control);
  try {
    return use(ctl);
  } finally {
    if (ctl.length > Limits.rpcSharedEncoderKeepBytes && enc === sharedEncoder)
      sharedEncoder = new Encoder(ENCODE_OPTS);
  }
}

/** A msgpack control part as an independent copy. */
export function encodeControl(control: unknown): Uint8Array {
  return withControl(control, (ctl) => ctl.slice());
}

export function decodeControl(bytes: Uint8Array): unknown {
  return decode(bytes, DECODE_OPTS);
}

function payloadLength(payload: readonly Uint8Array[]): number {
  let n = 0;
  for (const p of payload) n += p.length;
  return n;
}

function checkFrameSize(total: number, maxFrameBytes: number): void {
  if (total > maxFrameBytes) {
    throw new BasaltError(
      'FRAME_TOO_LARGE',
      `a ${total}-byte frame exceeds maxFrameBytes ${maxFrameBytes}; send less per request or raise maxFrameBytes`,
    );
  }
}

/** Header and control into `buf` (which has room for both); `total` is the whole frame's length. */
function writeHead(
  buf: Buffer,
  total: number,
  flags: number,
  msgType: number,
  requestId: number,
  ctl: Uint8Array,
): void {
  assert(
    buf.length >= FRAME_HEADER_BYTES + ctl.length && total >= FRAME_HEADER_BYTES + ctl.length,
    'frame head too small for its control part',
  );
  // The length field is a u32; checkFrameSize keeps frames far below that, so this is a caller bug.
  assert(total - 4 <= 0xffffffff, 'frame does not fit its u32 length field');
  assert((flags & ~(FLAG_RESPONSE | FLAG_ERROR | FLAG_ONEWAY)) === 0, 'unknown frame flags');
  buf.writeUInt32LE(total - 4, 0);
  buf[4] = FRAME_MAGIC;
  buf[5] = FRAME_VERSION;
  buf[6] = flags;
  buf[7] = 0;
  buf.writeUInt16LE(msgType, 8);
  buf.writeUInt16LE(0, 10);
  buf.writeUInt32LE(requestId >>> 0, 12);
  buf.writeUInt32LE(ctl.length, 16);
  buf.set(ctl, FRAME_HEADER_BYTES);
}

/** Builds one frame. Throws FRAME_TOO_LARGE when it would exceed maxFrameBytes. */
export function encodeFrame(
  flags: number,
  msgType: number,
  requestId: number,
  control: unknown,
  payload: readonly Uint8Array[],
  maxFrameBytes: number,
): Buffer {
  const payloadBytes = payloadLength(payload);
  return withControl(control, (ctl) => {
    const total = FRAME_HEADER_BYTES + ctl.length + payloadBytes;
    checkFrameSize(total, maxFrameBytes);
    const buf = Buffer.allocUnsafe(total);
    writeHead(buf, total, flags, msgType, requestId, ctl);
    let p = FRAME_HEADER_BYTES + ctl.length;
    for (const part of payload) {
      buf.set(part, p);
      p += part.length;
    }
    assert(p === total, 'frame not filled exactly');
    return buf;
  });
}

/**
 * The header and control part of a frame whose payload (`payloadBytes` long) the caller
 * writes after it. Throws FRAME_TOO_LARGE when the whole frame would exceed maxFrameBytes.
 */
export function encodeFrameHead(
  flags: number,
  msgType: number,
  requestId: number,
  control: unknown,
  payloadBytes: number,
  maxFrameBytes: number,
): Buffer {
  return withControl(control, (ctl) => {
    const total = FRAME_HEADER_BYTES + ctl.length + payloadBytes;
    checkFrameSize(total, maxFrameBytes);
    const buf = Buffer.allocUnsafe(FRAME_HEADER_BYTES + ctl.length);
    writeHead(buf, total, flags, msgType, requestId, ctl);
    return buf;
  });
}

/**
 * One frame as the buffers to write in order: the whole frame when its payload is small
 * (Limits.rpcInlinePayloadBytes), else the head followed by the non-empty payload parts themselves.
 */
export function encodeFrameParts(
  flags: number,
  msgType: number,
  requestId: number,
  control: unknown,
  payload: readonly Uint8Array[],
  maxFrameBytes: number,
): Uint8Array[] {
  const payloadBytes = payloadLength(payload);
  if (payloadBytes < Limits.rpcInlinePayloadBytes)
    return [encodeFrame(flags, msgType, requestId, control, payload, maxFrameBytes)];
  const out: Uint8Array[] = [encodeFrameHead(flags, msgType, requestId, control, payloadBytes, maxFrameBytes)];
  for (const p of payload) if (p.length > 0) out.push(p);
  return out;
}

/** What writeFrameParts needs of a socket. */
export interface PartSink {
  cork(): void;
  uncork(): void;
  write(chunk: Uint8Array): boolean;
}

/** Writes encodeFrameParts' buffers as one batch (one writev); returns the last write's result. */
export function writeFrameParts(sink: PartSink, parts: readonly Uint8Array[]): boolean {
  assert(parts.length > 0, 'a frame has at least its head');
  if (parts.length === 1) return sink.write(parts[0]!);
  sink.cork();
  let ok = true;
  try {
    for (const p of parts) ok = sink.write(p);
  } finally {
    sink.uncork();
  }
  return ok;
}

/**
 * What the decoder found. 'frame': a whole, well-formed frame. 'bad': the header was
 * readable (so the requester can be told by requestId) but the control part is not.
 * 'fatal': framing itself is broken (bad magic, impossible or oversized length); the
 * stream cannot be resynchronised and the connection must close after replying.
 */
export type DecodeEvent =
  | { kind: 'frame'; frame: Frame }
  | { kind: 'bad'; flags: number; msgType: number; requestId: number; error: BasaltError }
  | { kind: 'fatal'; error: BasaltError };

/** What the first four bytes of an HTTP message are: a response, or a request's method. */
const HTTP_RESPONSE = 'HTTP';
const HTTP_METHODS = ['GET ', 'POST', 'PUT ', 'HEAD', 'DELE', 'OPTI', 'PATC'];

/**
 * A port mix-up, told apart from a corrupt frame by the first four bytes (read as a length
 * they are ~1.3 G, "Message too large"): an RPC peer that answered in HTTP is a REST port
 * named as firstEp or a client's port; an HTTP request on the RPC port came from curl or a
 * REST client pointed at serverPort.
 */
export function httpPortMixUp(first4: Uint8Array): BasaltError | null {
  const text = String.fromCharCode(...first4.subarray(0, 4));
  if (text === HTTP_RESPONSE) {
    return new BasaltError(
      'WRONG_PORT',
      "the peer answered in HTTP: that is a dnode's REST port (httpPort, 6041 by default), not its serverPort; firstEp, secondEp and clients (-P) take serverPort (6030 by default)",
    );
  }
  if (HTTP_METHODS.includes(text)) {
    return new BasaltError(
      'WRONG_PORT',
      'an HTTP request reached the RPC port (serverPort); send REST requests to httpPort (serverPort + 11 unless set, 6041 by default)',
    );
  }
  return null;
}

/**
 * Whether the first bytes of a connection are a TLS record carrying a handshake (a
 * ClientHello): 0x16, version major 3, then (byte 5) handshake type 1. A Basalt frame can
 * begin 0x16 0x03 (a length whose low bytes are those), but its byte 4 is the magic 0xBA.
 * Null while fewer than 5 bytes are known and they could still be either.
 */
export function looksLikeTlsHello(head: Uint8Array): boolean | null {
  if (head.length === 0) return null;
  if (head[0] !== 0x16) return false;
  if (head.length < 2) return null;
  if (head[1] !== 0x03) return false;
  if (head.length < 5) return null;
  return head[4] !== FRAME_MAGIC;
}

/**
 * Frames up to this size get their whole buffer at once; larger ones are kept as the chunks
 * that arrived, so a sender that announces a large frame and stalls holds only what it sent.
 */
const DECODER_PREALLOC_BYTES = 64 * 1024;

export class FrameDecoder {
  private lenBuf = Buffer.alloc(4);
  private lenHave = 0;
  /** Bytes the current frame's length field announced; -1 between frames. */
  private bodyLen = -1;
  private body: Buffer | null = null;
  /** A large frame's bytes so far, as received: memory follows what the sender really sent. */
  private parts: Buffer[] = [];
  private bodyHave = 0;
  private failed = false;
  private stopped = false;

  constructor(
    private maxFrameBytes: number,
    /** How the FRAME_TOO_LARGE message names the limit and what the sender can do about it. */
    private tooLarge = { limit: 'maxFrameBytes', fix: 'send less per request or raise maxFrameBytes' },
  ) {}

  /** A new limit for frames whose length field has not been read yet (after login it grows). */
  setMaxFrameBytes(
    maxFrameBytes: number,
    tooLarge = { limit: 'maxFrameBytes', fix: 'send less per request or raise maxFrameBytes' },
  ): void {
    this.maxFrameBytes = maxFrameBytes;
    this.tooLarge = tooLarge;
  }

  get limitBytes(): number {
    return this.maxFrameBytes;
  }

  /** Drops a partly received frame's bytes (the connection closed); nothing more is parsed. */
  release(): void {
    this.failed = true;
    this.body = null;
    this.parts = [];
    this.bodyLen = -1;
    this.bodyHave = 0;
    this.lenHave = 0;
  }

  /**
   * Feeds bytes; returns the events they complete. After a 'fatal' event nothing more is
   * parsed. Part of a large frame may be kept by reference: `chunk` must not change afterwards
   * (socket chunks never do).
   */
  push(chunk: Uint8Array): DecodeEvent[] {
    const out: DecodeEvent[] = [];
    this.pushEach(chunk, (ev) => {
      out.push(ev);
      return true;
    });
    return out;
  }

  /**
   * Feeds bytes, handing each event to `onEvent` as soon as it is complete, before the next
   * frame's length is checked: a login handled there raises the limit for the frame after it
   * in the same chunk. `onEvent` returns false to stop (the rest of the chunk is dropped).
   * Returns how many events were handed out.
   */
  pushEach(chunk: Uint8Array, onEvent: (ev: DecodeEvent) => boolean): number {
    let events = 0;
    const out = {
      push: (ev: DecodeEvent): void => {
        events++;
        if (!onEvent(ev)) this.stopped = true;
      },
    };
    this.stopped = false;
    let p = 0;
    while (p < chunk.length && !this.failed && !this.stopped) {
      if (this.bodyLen < 0) {
        // Between frames only the length field is being assembled.
        assert(
          this.lenHave < 4 && this.bodyHave === 0 && this.body === null && this.parts.length === 0,
          'frame decoder between frames holds body bytes or a whole length field',
        );
        const take = Math.min(4 - this.lenHave, chunk.length - p);
        this.lenBuf.set(chunk.subarray(p, p + take), this.lenHave);
        this.lenHave += take;
        p += take;
        if (this.lenHave < 4) break;
        const frameBytes = this.lenBuf.readUInt32LE(0);
        this.lenHave = 0;
        if (frameBytes + 4 > this.maxFrameBytes) {
          this.failed = true;
          // Only a length that would be refused anyway is read as text: a valid frame never is.
          out.push({
            kind: 'fatal',
            error:
              httpPortMixUp(this.lenBuf) ??
              new BasaltError(
                'FRAME_TOO_LARGE',
                `frame of ${frameBytes + 4} bytes exceeds ${this.tooLarge.limit} ${this.maxFrameBytes}; ${this.tooLarge.fix}`,
              ),
          });
          break;
        }
        if (frameBytes < FRAME_HEADER_BYTES - 4) {
          this.failed = true;
          out.push({
            kind: 'fatal',
            error: new BasaltError(
              'BAD_FRAME',
              `frame length ${frameBytes} is shorter than the ${FRAME_HEADER_BYTES}-byte header; the peer does not speak the Basalt RPC protocol`,
            ),
          });
          break;
        }
        this.bodyLen = frameBytes;
        this.bodyHave = 0;
        if (frameBytes <= DECODER_PREALLOC_BYTES) this.body = Buffer.allocUnsafe(frameBytes);
      }
      // A partial frame: its length field is consumed and its body is filling up.
      assert(
        this.lenHave === 0 && this.bodyHave < this.bodyLen,
        'frame decoder inside a frame holds length bytes or a complete body',
      );
      const take = Math.min(this.bodyLen - this.bodyHave, chunk.length - p);
      if (this.body !== null) this.body.set(chunk.subarray(p, p + take), this.bodyHave);
      else this.parts.push(Buffer.from(chunk.buffer, chunk.byteOffset + p, take));
      this.bodyHave += take;
      p += take;
      if (this.bodyHave === this.bodyLen) {
        const whole = this.body ?? Buffer.concat(this.parts, this.bodyLen);
        this.body = null;
        this.parts = [];
        this.bodyLen = -1;
        this.bodyHave = 0;
        const ev = parseFrameBody(whole);
        if (ev.kind === 'fatal') this.failed = true;
        out.push(ev);
        if (this.failed) break;
      }
    }
    return events;
  }

  /** Bytes of a partly received frame (for diagnostics, read deadlines and tests). */
  get pendingBytes(): number {
    return this.bodyLen < 0 ? this.lenHave : 4 + this.bodyHave;
  }
}

/** Parses a frame after its length field (`b` holds exactly the frameBytes the field announced). */
function parseFrameBody(b: Buffer): DecodeEvent {
  // Offsets below are relative to the byte after the length field. Both callers refused
  // lengths shorter than the header.
  assert(b.length >= FRAME_HEADER_BYTES - 4, 'frame body shorter than the header');
  if (b[0] !== FRAME_MAGIC) {
    return {
      kind: 'fatal',
      error: new BasaltError(
        'BAD_FRAME',
        `bad frame magic 0x${(b[0] ?? 0).toString(16)}; the peer does not speak the Basalt RPC protocol`,
      ),
    };
  }
  if (b[1] !== FRAME_VERSION) {
    return {
      kind: 'fatal',
      error: new BasaltError(
        'VERSION_MISMATCH',
        `RPC frame version ${b[1]} is not supported (this server speaks ${FRAME_VERSION}); use a matching client`,
      ),
    };
  }
  const flags = b[2]!;
  const msgType = b.readUInt16LE(4);
  const requestId = b.readUInt32LE(8);
  const controlBytes = b.readUInt32LE(12);
  const ctlStart = FRAME_HEADER_BYTES - 4;
  if (controlBytes > b.length - ctlStart) {
    return {
      kind: 'bad',
      flags,
      msgType,
      requestId,
      error: new BasaltError('BAD_FRAME', `control part of ${controlBytes} bytes does not fit in the frame`),
    };
  }
  let control: unknown;
  try {
    control = controlBytes === 0 ? null : decodeControl(b.subarray(ctlStart, ctlStart + controlBytes));
  } catch (e) {
    return {
      kind: 'bad',
      flags,
      msgType,
      requestId,
      error: new BasaltError('BAD_FRAME', `control part is not valid msgpack (${(e as Error).message})`),
    };
  }
  return { kind: 'frame', frame: { flags, msgType, requestId, control, payload: b.subarray(ctlStart + controlBytes) } };
}

/**
 * One whole frame, length field included, as encodeFrame builds it (the in-process link
 * hands frames over without a byte stream): the checks FrameDecoder makes, without copying.
 */
export function decodeFrame(buf: Buffer, maxFrameBytes: number): DecodeEvent {
  if (buf.length < FRAME_HEADER_BYTES) {
    return {
      kind: 'fatal',
      error: new BasaltError(
        'BAD_FRAME',
        `frame of ${buf.length} bytes is shorter than the ${FRAME_HEADER_BYTES}-byte header; the peer does not speak the Basalt RPC protocol`,
      ),
    };
  }
  const frameBytes = buf.readUInt32LE(0);
  if (frameBytes + 4 > maxFrameBytes) {
    return {
      kind: 'fatal',
      error: new BasaltError(
        'FRAME_TOO_LARGE',
        `frame of ${frameBytes + 4} bytes exceeds maxFrameBytes ${maxFrameBytes}; send less per request or raise maxFrameBytes`,
      ),
    };
  }
  if (frameBytes + 4 !== buf.length) {
    return {
      kind: 'fatal',
      error: new BasaltError(
        'BAD_FRAME',
        `frame length field says ${frameBytes + 4} bytes, the frame has ${buf.length}`,
      ),
    };
  }
  return parseFrameBody(buf.subarray(4));
}
