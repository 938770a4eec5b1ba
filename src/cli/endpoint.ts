// Where `basalt sql` and `basalt check` connect when -h/-P are not given: like the taos
// shell, from the configuration (`-c` basalt.cfg, then BASALT_* variables): firstEp when it
// is set explicitly, else 127.0.0.1 and serverPort. So inside a container started with
// BASALT_SERVER_PORT=6130, a bare `basalt check` probes the right port.
import { loadConfig } from '../common/config.js';
import { BasaltError } from '../common/errors.js';

export interface Endpoint {
  host: string;
  port: number;
  /** Other dnodes to try when this one cannot be reached (`-h a,b:6130`, or secondEp). */
  fallbacks?: Array<{ host: string; port: number }>;
}

export function parsePort(text: string, flag: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < 1 || n > 65535)
    throw new BasaltError(
      'CONFIG_BAD_VALUE',
      `${flag} '${text}' is not a port number; give the dnode's serverPort, 1-65535 (default 6030)`,
    );
  return n;
}

export function resolveEndpoint(
  flags: { host?: string; port?: string; config?: string },
  env: Readonly<Record<string, string | undefined>> = process.env,
): Endpoint {
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
  const fallbacks: Array<{ host: string; port: number }> = [];
  if (loaded.sources.secondEp !== 'default' && loaded.config.secondEp !== '') {
    const [h, p] = loaded.config.secondEp.split(':');
    fallbacks.push({ host: h!, port: p !== undefined ? Number(p) : loaded.config.serverPort });
  }
  if (flags.port !== undefined) port = parsePort(flags.port, '-P');
  if (flags.host !== undefined) {
    // `-h h1,h2:6130`: the first is the dnode to use, the others are tried when it does not answer.
    const items = flags.host
      .split(',')
      .map((x) => x.trim())
      .filter((x) => x !== '');
    if (items.length === 0)
      throw new BasaltError(
        'CONFIG_BAD_VALUE',
        `-h '${flags.host}' names no host; give one, or several separated by commas (h1,h2:6130)`,
      );
    const parsed = items.map((item, i) => {
      const at = item.lastIndexOf(':');
      if (at > 0 && /^\d+$/.test(item.slice(at + 1)))
        return { host: item.slice(0, at), port: parsePort(item.slice(at + 1), `-h item ${i + 1}`) };
      return { host: item, port };
    });
    host = parsed[0]!.host;
    port = parsed[0]!.port;
    fallbacks.splice(0, fallbacks.length, ...parsed.slice(1));
  }
  return fallbacks.length > 0 ? { host, port, fallbacks } : { host, port };
}
