// Why an endpoint could not be reached, in words an operator acts on: used by a dnode that
// cannot reach firstEp and by the mnode leader that cannot reach a dnode at its endpoint.
import { toBasaltError } from '../common/errors.js';

export type Unreachable = 'unresolvable' | 'refused' | 'timeout' | 'other';

/** The kind of failure and a short reason (`host name does not resolve`, ...). */
export function classifyUnreachable(e: unknown): { kind: Unreachable; reason: string } {
  const m = toBasaltError(e).message;
  const code = /\((E[A-Z_]+)\)/.exec(m)?.[1];
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN')
    return { kind: 'unresolvable', reason: 'host name does not resolve' };
  if (code === 'ECONNREFUSED') return { kind: 'refused', reason: 'connection refused: nothing listens there' };
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH' || code === 'ETIMEDOUT')
    return { kind: 'timeout', reason: `no route or no answer (${code})` };
  if (code) return { kind: 'other', reason: code };
  if (/within \d+ ms/.test(m)) return { kind: 'timeout', reason: 'no answer (timeout)' };
  return { kind: 'other', reason: m };
}

/** A short reason an endpoint could not be reached, for retry log lines. */
export function reachability(e: unknown): string {
  return classifyUnreachable(e).reason;
}

/**
 * The note `show dnodes` shows for a dnode the mnode leader (dnode `from`) cannot reach at its
 * endpoint, with the fix: the joiner prints the same line on its console.
 */
export function unreachableNote(ep: string, from: number, e: unknown): string {
  const i = ep.lastIndexOf(':');
  const host = ep.slice(0, i);
  const port = ep.slice(i + 1);
  const { kind, reason } = classifyUnreachable(e);
  switch (kind) {
    case 'unresolvable':
      return `fqdn '${host}' does not resolve from dnode ${from}: make it resolve on every dnode (DNS or /etc/hosts), or restart this dnode with an fqdn the others resolve`;
    case 'refused':
      return `port ${port} of ${host} unreachable from dnode ${from} (connection refused): nothing listens on ${ep} for the other dnodes; check listenHost (0.0.0.0, or an address they reach) and that '${host}' names this machine`;
    case 'timeout':
      return `port ${port} of ${host} unreachable from dnode ${from} (${reason}): open serverPort ${port} to the other dnodes (firewall, security group) and check the route`;
    default:
      return `${ep} unreachable from dnode ${from} (${reason})`;
  }
}
