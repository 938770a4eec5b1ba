// Request/response over a raw socket for the few frames of a handshake, for connections
// that otherwise carry one-way frames only (the Raft peer): the handshake must finish before
// the first one-way frame is written, and its replies are the only frames that come back.
import type { Socket } from 'node:net';
import { BasaltError } from '../common/errors.js';
import { encodeFrame, FLAG_ERROR, FrameDecoder } from './frame.js';
import { msgTypeName, parseErrorReply } from './messages.js';
import type { HandshakeRequest } from './peer-auth.js';
import { remoteError } from './remote-error.js';

/** Bytes a handshake reply may have: a nonce or a proof and little else. */
const HANDSHAKE_MAX_FRAME_BYTES = 64 * 1024;

/**
 * A request function over `socket` for a handshake, one request at a time. Each reply must
 * come within `timeoutMs`; `detach()` removes its listener once the handshake is done.
 */
export function socketRequester(
  socket: Socket,
  endpoint: string,
  timeoutMs: number,
): { request: HandshakeRequest; detach(): void } {
  const decoder = new FrameDecoder(HANDSHAKE_MAX_FRAME_BYTES);
  let waiting: { resolve: (c: unknown) => void; reject: (e: Error) => void; id: number; type: number } | null = null;
  let nextId = 1;
  const fail = (e: Error): void => {
    const w = waiting;
    waiting = null;
    w?.reject(e);
  };
  const onData = (chunk: Buffer): void => {
    for (const ev of decoder.push(chunk)) {
      if (ev.kind !== 'frame') {
        fail(ev.error);
        return;
      }
      const w = waiting;
      if (!w || ev.frame.requestId !== w.id) continue;
      waiting = null;
      if (ev.frame.flags & FLAG_ERROR) {
        const er = parseErrorReply(ev.frame.control);
        w.reject(remoteError(er.code, er.message));
      } else w.resolve(ev.frame.control);
    }
  };
  const onClose = (): void =>
    fail(new BasaltError('CONNECTION_FAILED', `${endpoint} closed the connection during the handshake`));
  socket.on('data', onData);
  socket.on('close', onClose);
  const request: HandshakeRequest = (msgType, control) =>
    new Promise((resolve, reject) => {
      if (waiting) {
        reject(new BasaltError('INTERNAL', 'one handshake request at a time'));
        return;
      }
      const id = nextId++;
      const timer = setTimeout(
        () =>
          fail(
            new BasaltError(
              'TIMEOUT',
              `${endpoint} did not answer ${msgTypeName(msgType)} within ${timeoutMs} ms during the handshake`,
            ),
          ),
        timeoutMs,
      );
      timer.unref();
      waiting = {
        id,
        type: msgType,
        resolve: (c) => {
          clearTimeout(timer);
          resolve(c);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      socket.write(encodeFrame(0, msgType, id, control, [], HANDSHAKE_MAX_FRAME_BYTES));
    });
  return {
    request,
    detach: () => {
      socket.off('data', onData);
      socket.off('close', onClose);
    },
  };
}
