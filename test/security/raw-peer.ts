// Raw TCP peers for the pre-login limit tests: sockets from a chosen loopback source address
// that send what an attacker would (nothing, a huge frame header, half a frame) and record
// whether and with which error the server closed them.
import { connect, type Socket } from 'node:net';
import { encodeFrame, FLAG_ERROR, FRAME_HEADER_BYTES, FRAME_MAGIC, FrameDecoder } from '../../src/rpc/frame.js';

export interface RawPeer {
  readonly socket: Socket;
  /** The server closed it (or it failed to connect). */
  closed: boolean;
  connected: boolean;
  /** Error codes of the error frames the server sent. */
  readonly errorCodes: number[];
  readonly errorMessages: string[];
}

/** Opens one socket from `localAddress`; resolves once it is connected, refused or closed. */
export function openPeer(port: number, localAddress: string): Promise<RawPeer> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port, localAddress });
    const peer: RawPeer = { socket, closed: false, connected: false, errorCodes: [], errorMessages: [] };
    const dec = new FrameDecoder(1 << 20);
    socket.on('data', (c: Buffer) => {
      for (const ev of dec.push(c)) {
        if (ev.kind !== 'frame' || !(ev.frame.flags & FLAG_ERROR)) continue;
        const body = ev.frame.control as { code: number; message: string };
        peer.errorCodes.push(body.code >>> 0);
        peer.errorMessages.push(body.message);
      }
    });
    socket.on('error', () => undefined);
    socket.on('connect', () => {
      peer.connected = true;
      resolve(peer);
    });
    socket.on('close', () => {
      peer.closed = true;
      resolve(peer);
    });
  });
}

/** Opens `n` sockets, `concurrency` connects at a time. */
export async function openPeers(port: number, localAddress: string, n: number, concurrency = 256): Promise<RawPeer[]> {
  const out: RawPeer[] = [];
  for (let i = 0; i < n; i += concurrency) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(concurrency, n - i) }, () => openPeer(port, localAddress)),
    );
    out.push(...batch);
  }
  return out;
}

/** The 20-byte header of a request frame announcing `frameBytes` in all (body never sent whole). */
export function frameHeader(frameBytes: number, msgType = 2): Buffer {
  const b = Buffer.alloc(FRAME_HEADER_BYTES);
  b.writeUInt32LE(frameBytes - 4, 0);
  b[4] = FRAME_MAGIC;
  b[5] = 1;
  b.writeUInt16LE(msgType, 8);
  b.writeUInt32LE(1, 12);
  b.writeUInt32LE(0, 16);
  return b;
}

/** A whole request frame (a login for the test servers when msgType is 1). */
export function requestFrame(msgType: number, requestId: number, payloadBytes = 0): Buffer {
  return encodeFrame(0, msgType, requestId, { hi: 1 }, [new Uint8Array(payloadBytes)], 1 << 30);
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Waits (bounded) until `pred` holds; returns whether it did. */
export async function until(pred: () => boolean, timeoutMs: number, stepMs = 25): Promise<boolean> {
  for (let i = 0; i < Math.ceil(timeoutMs / stepMs); i++) {
    if (pred()) return true;
    await sleep(stepMs);
  }
  return pred();
}

/** VmRSS of a process in bytes (Linux /proc). */
export async function rssBytes(pid: number): Promise<number> {
  const { readFileSync } = await import('node:fs');
  const m = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
}
