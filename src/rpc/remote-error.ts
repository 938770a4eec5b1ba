// Rebuilds a BasaltError from an error reply so callers see the server's code and exact
// message (the message already carries the server's detail; it is not prefixed again).
import { BasaltError, errorByCode } from '../common/errors.js';

export function remoteError(code: number, message: string, data?: Record<string, unknown>): BasaltError {
  const name = errorByCode(code) ?? 'INTERNAL';
  const e = new BasaltError(name, undefined, data);
  e.message = message;
  if (e.code >>> 0 !== code >>> 0) {
    // A code this build does not know (newer server): keep the server's number.
    Object.defineProperty(e, 'code', { value: code >>> 0 });
  }
  return e;
}
