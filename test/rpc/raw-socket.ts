// A raw TCP peer for protocol tests: writes arbitrary bytes and collects the frames the
// server answers with, until the server closes or a time limit passes.
import { connect } from 'node:net';
import { FrameDecoder, type Frame } from '../../src/rpc/frame.js';

export interface RawResult {
  readonly frames: Frame[];
  /** Every byte the server sent (an HTTP answer is text, not frames). */
  readonly raw: Buffer;
  /** True when the server closed the connection. */
  readonly closed: boolean;
}

/** Sends `bytes`, waits until `expectFrames` frames arrived, the socket closed, or `timeoutMs`. */
export function rawExchange(
  port: number,
  bytes: Uint8Array,
  expectFrames: number,
  timeoutMs = 2000,
): Promise<RawResult> {
  return new Promise((resolve, reject) => {
    const frames: Frame[] = [];
    const received: Buffer[] = [];
    const dec = new FrameDecoder(64 * 1024 * 1024);
    const s = connect({ host: '127.0.0.1', port });
    let closed = false;
    let settled = false;
    const finish = (): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      s.destroy();
      resolve({ frames, closed, raw: Buffer.concat(received) });
    };
    const timer = setTimeout(finish, timeoutMs);
    s.on('connect', () => s.write(bytes));
    s.on('data', (c: Buffer) => {
      received.push(c);
      for (const ev of dec.push(c)) if (ev.kind === 'frame') frames.push(ev.frame);
      if (frames.length >= expectFrames) finish();
    });
    s.on('error', (e) => {
      if ((e as NodeJS.ErrnoException).code === 'ECONNREFUSED') {
        settled = true;
        clearTimeout(timer);
        reject(e);
      }
    });
    s.on('close', () => {
      closed = true;
      finish();
    });
  });
}
