// `fqdn:port` endpoints, as dnodes name each other and as the mnode hands them to clients.
import { BasaltError } from './errors.js';

/** Host and port of `fqdn:port`; INVALID_DNODE_EP when it is not one. */
export function splitEndpoint(ep: string): { host: string; port: number } {
  const i = ep.lastIndexOf(':');
  const port = Number(ep.slice(i + 1));
  if (i <= 0 || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new BasaltError('INVALID_DNODE_EP', `'${ep}' is not an endpoint; write it as fqdn:port`);
  }
  return { host: ep.slice(0, i), port };
}
