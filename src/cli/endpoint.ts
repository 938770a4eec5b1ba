// Where `basalt sql` and `basalt check` connect when -h/-P are not given: like the taos
// shell, from the configuration (`-c` basalt.cfg, then BASALT_* variables): firstEp when it
// is set explicitly, else 127.0.0.1 and serverPort. So inside a container started with
// BASALT_SERVER_PORT=6130, a bare `basalt check` probes the right port.
import { loadConfig } from '../common/config.js';
import { BasaltError } from '../common/errors.js';

export interface Endpoint { host: string; port: number }

export function parsePort(text: string, flag: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < 1 || n > 65535) throw new BasaltError('CONFIG_BAD_VALUE', `${flag} '${text}' is not a port number; give the dnode's serverPort, 1-65535 (default 6030)`);
  return n;
}

export function resolveEndpoint(flags: { host?: string; port?: string; config?: string }, env: Readonly<Record<string, string | undefined>> = process.env): Endpoint {
  let host = '127.0.0.1';
  let port = 6030;
  // The shell needs only the endpoint; the file may hold server-only keys, all of which are valid.
  const loaded = loadConfig({ env, ...(flags.config !== undefined ? { configPath: flags.config } : {}) });
  if (loaded.sources.firstEp !== 'default') {
    const [h, p] = loaded.config.firstEp.split(':');
    host = h!;
    port = p !== undefined ? Number(p) : loaded.config.serverPort;
  } else {
    port = loaded.config.serverPort;
  }
  if (flags.host !== undefined) host = flags.host;
  if (flags.port !== undefined) port = parsePort(flags.port, '-P');
  return { host, port };
}
