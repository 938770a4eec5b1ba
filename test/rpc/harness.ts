// Test helpers: free ports, temp dirs, and an in-process server (dnode + REST) around the
// fake engine, all on 127.0.0.1.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/common/config.js';
import { startServer, type RunningServer } from '../../src/cli/start.js';
import { checkServer } from '../../src/client/index.js';
import { createFakeEngine, type FakeEngine } from './fake-engine.js';

function listenOn(port: number): Promise<number | null> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(null));
    s.listen(port, '127.0.0.1', () => {
      const a = s.address();
      const got = typeof a === 'object' && a ? a.port : 0;
      s.close(() => resolve(got));
    });
  });
}

/**
 * A free port below the kernel's ephemeral range when it leaves room: a port from the
 * ephemeral range (listen on 0) can be taken a moment later as the local port of any outgoing
 * connection, which a process restarted on the same port then meets as EADDRINUSE.
 */
export async function freePort(): Promise<number> {
  let lo = 0;
  try {
    lo = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
  } catch {
    /* not Linux */
  }
  if (lo >= 12_000) {
    for (let attempt = 0; attempt < 50; attempt++) {
      const got = await listenOn(10_000 + Math.floor(Math.random() * (lo - 10_100)));
      if (got !== null) return got;
    }
  }
  const any = await listenOn(0);
  if (any === null) throw new Error('no free port');
  return any;
}

export function tempDir(prefix: string): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), `basalt-${prefix}-`));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface FakeServer {
  readonly server: RunningServer;
  readonly engine: FakeEngine;
  readonly rpcPort: number;
  readonly httpPort: number;
  readonly dir: string;
  stop(): Promise<void>;
}

export type TestServer = Omit<FakeServer, 'engine'>;

/** An in-process dnode (RPC + REST) on free 127.0.0.1 ports in a temp dir, with the real engine unless one is given. */
export async function startTestServer(extra: Record<string, string> = {}, engine?: FakeEngine): Promise<TestServer> {
  const tmp = tempDir('srv');
  const [rpcPort, httpPort] = [await freePort(), await freePort()];
  const loaded = loadConfig({
    env: {},
    flags: {
      dataDir: join(tmp.dir, 'data'),
      serverPort: String(rpcPort),
      httpPort: String(httpPort),
      listenHost: '127.0.0.1',
      fqdn: 'localhost',
      ...extra,
    },
  });
  const server = await startServer(loaded, '0.0.0-test', engine ? { createEngine: async () => engine } : undefined);
  // A founding dnode is "service ok" once its own mnode leader accepted its first status.
  if (extra['firstEp'] === undefined) await waitServiceOk(loaded.config.serverPort);
  return {
    server,
    rpcPort,
    httpPort,
    dir: tmp.dir,
    async stop() {
      await server.stop();
      tmp.remove();
    },
  };
}

async function waitServiceOk(port: number): Promise<void> {
  const deadline = Date.now() + SERVICE_OK_WAIT_MS;
  for (;;) {
    const s = await checkServer({ port });
    if (s.code === 2) return;
    if (Date.now() > deadline)
      throw new Error(
        `the test dnode on ${port} is not service ok after ${SERVICE_OK_WAIT_MS} ms: ${s.code} ${s.detail}`,
      );
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** How long a founding test dnode may take to elect its mnode and accept its own status. */
const SERVICE_OK_WAIT_MS = 15_000;

export async function startFakeServer(extra: Record<string, string> = {}): Promise<FakeServer> {
  const engine = createFakeEngine();
  return { ...(await startTestServer(extra, engine)), engine };
}
