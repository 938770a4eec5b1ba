// Real-process cluster harness: starts `node bin/basalt start` dnodes on 127.0.0.1 with
// distinct ports under one temporary directory, runs SQL through the client library,
// polls with bounded loops, and kills every process it started (cleanup() in `after`, and
// an exit hook in case the test runner dies first).
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SERVER_NODE_FLAGS } from '../../src/cli/node-flags.js';
import { connect, type Value } from '../../src/client/index.js';
import { BASALT_BIN, REPO_ROOT } from '../cli/run-basalt.js';
import { RpcClient } from '../../src/rpc/client.js';
import { MsgType } from '../../src/rpc/messages.js';
import { peerHandshake } from '../../src/rpc/peer-auth.js';

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of live) {
    try {
      c.kill('SIGKILL');
    } catch {
      /* gone */
    }
  }
});

function portFree(port: number): Promise<boolean> {
  return new Promise((res) => {
    const s = createServer();
    s.once('error', () => res(false));
    s.listen(port, '127.0.0.1', () => s.close(() => res(true)));
  });
}

/** Slots every base leaves free: tests add a 4th and 5th dnode at B + 300 and B + 400. */
const MIN_PORT_SLOTS = 5;

/**
 * Where bases are picked: below the kernel's ephemeral port range when it leaves room, since
 * a port checked free there can be taken a moment later as the local port of any outgoing
 * connection (seen as "Port already in use" when a test starts a dnode).
 */
function basePortRange(): [number, number] {
  try {
    const [lo] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    if (lo !== undefined && lo >= 12_000) return [10_000, lo - 100 * MIN_PORT_SLOTS - 100];
  } catch {
    /* not Linux: the old range */
  }
  return [20_000, 60_000];
}

/** A base port B such that B + 100k and B + 100k + 11 are free for k < max(count, 5). */
export async function freeBasePort(count: number): Promise<number> {
  const [lo, hi] = basePortRange();
  const slots = Math.max(count, MIN_PORT_SLOTS);
  for (let attempt = 0; attempt < 50; attempt++) {
    const base =
      lo + Math.floor(Math.random() * Math.floor((hi - lo - 100) / 100)) * 100 + Math.floor(Math.random() * 60);
    let ok = true;
    for (let k = 0; k < slots && ok; k++)
      ok = (await portFree(base + 100 * k)) && (await portFree(base + 100 * k + 11));
    if (ok) return base;
  }
  throw new Error('no free port range found');
}

export interface DnodeProc {
  readonly name: string;
  readonly port: number;
  readonly dataDir: string;
  readonly child: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stdout(): string;
  stderr(): string;
  log(): string;
}

export interface StartOptions {
  readonly firstEp?: string;
  readonly set?: readonly string[];
  readonly env?: Record<string, string>;
  /** Resolve at once instead of waiting for the ready line (a start that should fail). */
  readonly noWait?: boolean;
  readonly fqdn?: string;
  readonly listenHost?: string;
  /** Run the process through this prefix (e.g. ['ip', 'netns', 'exec', 'ns1']). */
  readonly prefix?: readonly string[];
  readonly dataDir?: string;
  /**
   * The join token given to a dnode started with firstEp: by default the one dnode 1 of this
   * harness keeps in its dataDir (the dnode whose port firstEp names, else the first one that
   * founded); null: none (a dnode that must not be able to join).
   */
  readonly joinToken?: string | null;
}

export class TestCluster {
  /** The multi-use join token a founding dnode of this harness wrote (see StartOptions.joinToken). */
  founderToken(firstEp?: string): string | null {
    const port = firstEp ? Number(firstEp.split(':').pop()) : Number.NaN;
    const procs = [...this.procs.values()];
    const ordered = [...procs.filter((p) => p.port === port), ...procs.filter((p) => p.port !== port)];
    for (const p of ordered) {
      const f = join(p.dataDir, 'dnode', 'join-token');
      if (existsSync(f)) return readFileSync(f, 'utf8').trim();
    }
    return null;
  }

  readonly dir = mkdtempSync(join(tmpdir(), 'basalt-cluster-'));
  readonly procs = new Map<string, DnodeProc>();

  async start(name: string, port: number, o: StartOptions = {}): Promise<DnodeProc> {
    const dataDir = o.dataDir ?? join(this.dir, name);
    const args = [
      BASALT_BIN,
      'start',
      '--fqdn',
      o.fqdn ?? 'localhost',
      '--server-port',
      String(port),
      '--data-dir',
      dataDir,
      '--listen-host',
      o.listenHost ?? '127.0.0.1',
      '--set',
      'statusInterval=1',
      ...(o.set ?? []).flatMap((s) => ['--set', s]),
    ];
    if (o.firstEp) {
      args.push('--first-ep', o.firstEp);
      const token = o.joinToken === undefined ? this.founderToken(o.firstEp) : o.joinToken;
      if (token !== null) args.push('--set', `joinToken=${token}`);
    }
    // As bin/basalt runs a dnode; BASALT_TEST_NODE_FLAGS replaces the flags (experiments:
    // NODE_OPTIONS refuses most V8 flags).
    const given = process.env['BASALT_TEST_NODE_FLAGS'];
    const nodeFlags = given === undefined ? [...SERVER_NODE_FLAGS] : given.split(' ').filter((f) => f !== '');
    const cmd = o.prefix
      ? [...o.prefix, process.execPath, ...nodeFlags, ...args]
      : [process.execPath, ...nodeFlags, ...args];
    const child = spawn(cmd[0]!, cmd.slice(1), {
      cwd: REPO_ROOT,
      env: { ...process.env, TZ: 'UTC', ...o.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    live.add(child);
    const printed = capture(child, dataDir, name);
    const exited = printed.exited;
    const logFile = join(dataDir, 'log', 'basalt.log');
    const p: DnodeProc = {
      name,
      port,
      dataDir,
      child,
      exited,
      stdout: printed.stdout,
      stderr: printed.stderr,
      log: () => (existsSync(logFile) ? readFileSync(logFile, 'utf8') : ''),
    };
    this.procs.set(name, p);
    if (o.noWait) return p;
    const deadline = Date.now() + 15_000;
    // Listening, not ready: a new dnode is a ready member only after create dnode.
    while (!/listening;/.test(printed.stdout())) {
      if (child.exitCode !== null || child.signalCode !== null)
        throw new Error(`${name} exited (${child.exitCode}) before ready: ${printed.stderr()}`);
      if (Date.now() > deadline)
        throw new Error(`${name} not ready within 15 s: ${printed.stdout()} ${printed.stderr()}`);
      await sleep(50);
    }
    return p;
  }

  /** Sends a signal and waits (bounded) for the exit. */
  async kill(
    name: string,
    signal: NodeJS.Signals = 'SIGKILL',
  ): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    const p = this.procs.get(name)!;
    if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill(signal);
    const t = setTimeout(() => p.child.kill('SIGKILL'), 10_000);
    const r = await p.exited;
    clearTimeout(t);
    return r;
  }

  async cleanup(): Promise<void> {
    await Promise.all([...this.procs.keys()].map((n) => this.kill(n, 'SIGKILL')));
    // BASALT_KEEP_LOGS=1 keeps every dnode's dataDir (and log) for a post-mortem.
    if (process.env['BASALT_KEEP_LOGS'] === '1') process.stderr.write(`# cluster test data kept in ${this.dir}\n`);
    else rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Runs one statement on a dnode and returns its rows (a fresh connection each time). */
export async function sql(port: number, text: string, host = '127.0.0.1'): Promise<Value[][]> {
  const c = await connect({ host, port, timeoutMs: 8_000 });
  try {
    return (await c.query(text)).rows();
  } finally {
    c.close();
  }
}

/** The error a statement fails with (the test fails if it succeeds). */
export async function sqlError(
  port: number,
  text: string,
  host = '127.0.0.1',
): Promise<{ code: number; message: string }> {
  try {
    await sql(port, text, host);
  } catch (e) {
    return { code: (e as { code: number }).code >>> 0, message: (e as Error).message };
  }
  throw new Error(`'${text}' succeeded but should have failed`);
}

/** Polls `check` every intervalMs until it returns a value (not undefined) or timeoutMs passes. */
export async function waitFor<T>(
  what: string,
  timeoutMs: number,
  check: () => Promise<T | undefined>,
  intervalMs = 200,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (let i = 0; i < Math.ceil(timeoutMs / intervalMs) + 5; i++) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (e) {
      last = (e as Error).message;
    }
    if (Date.now() > deadline) break;
    await sleep(intervalMs);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${last})` : ''}`);
}

/** Waits (60 s at most) until `show transactions` is empty: every vgroup move has finished. */
export async function movesSettled(port: number, what: string): Promise<void> {
  await waitFor(
    what,
    60_000,
    async () => ((await sql(port, 'show transactions')).length === 0 ? true : undefined),
    250,
  );
}

/** `show dnodes` rows keyed by id: { endpoint, status, note }. */
export async function dnodes(
  port: number,
  host = '127.0.0.1',
): Promise<Map<number, { endpoint: string; vnodes: number; status: string; note: string }>> {
  const rows = await sql(port, 'show dnodes', host);
  return new Map(
    rows.map((r) => [
      Number(r[0]),
      { endpoint: String(r[1]), vnodes: Number(r[2]), status: String(r[4]), note: String(r[7] ?? '') },
    ]),
  );
}

/** `show mnodes` rows: id → role. */
export async function mnodes(port: number, host = '127.0.0.1'): Promise<Map<number, string>> {
  const rows = await sql(port, 'show mnodes', host);
  return new Map(rows.map((r) => [Number(r[0]), String(r[2])]));
}

/** `show <db>.vgroups` → vgId → [dnodeId, role][] for v1..v4. */
export async function vgroupRoles(port: number, db = 'test'): Promise<Map<number, [number, string][]>> {
  const out = new Map<number, [number, string][]>();
  for (const r of await sql(port, `show ${db}.vgroups`)) {
    const reps: [number, string][] = [];
    for (let i = 0; i < 4; i++) if (r[3 + 2 * i] !== null) reps.push([Number(r[3 + 2 * i]), String(r[4 + 2 * i])]);
    out.set(Number(r[0]), reps);
  }
  return out;
}

/**
 * Starts three dnodes on base, base+100, base+200, joins them with `create dnode`, waits until
 * all are ready and adds mnodes on dnodes 2 and 3. For tests whose subject comes after that.
 */
export async function startThreeMnodeCluster(
  cluster: TestCluster,
  names: readonly [string, string, string],
  o: { set?: readonly string[]; envOf?: (name: string) => Record<string, string> } = {},
): Promise<readonly [number, number, number]> {
  const base = await freeBasePort(3);
  const ports = [base, base + 100, base + 200] as const;
  const set = o.set ?? [];
  const env = (name: string): { env?: Record<string, string> } => (o.envOf ? { env: o.envOf(name) } : {});
  await cluster.start(names[0], ports[0], { set, ...env(names[0]) });
  await cluster.start(names[1], ports[1], { firstEp: `localhost:${ports[0]}`, set, ...env(names[1]) });
  await cluster.start(names[2], ports[2], { firstEp: `localhost:${ports[0]}`, set, ...env(names[2]) });
  await sql(ports[0], `create dnode "localhost:${ports[1]}"`);
  await sql(ports[0], `create dnode "localhost:${ports[2]}"`);
  await waitFor('three ready dnodes', 10_000, async () => {
    const d = await dnodes(ports[0]);
    return d.size === 3 && [...d.values()].every((x) => x.status === 'ready') ? true : undefined;
  });
  await sql(ports[0], 'create mnode on dnode 2');
  await sql(ports[0], 'create mnode on dnode 3');
  return ports;
}

/**
 * An RPC client that authenticates as dnode `asDnode` with the cluster secret read from
 * `dataDir` (a test speaking for a member, e.g. to probe a replica with VNODE_META).
 */
export function peerClient(port: number, dataDir: string, asDnode: number): RpcClient {
  const clusterSecret = Buffer.from(readFileSync(join(dataDir, 'dnode', 'cluster.key'), 'utf8').trim(), 'hex');
  return new RpcClient({
    host: '127.0.0.1',
    port,
    onConnect: (raw) =>
      peerHandshake(
        async (t, c) => (await raw(t, c)).control,
        { dnodeId: asDnode, clusterSecret },
        `127.0.0.1:${port}`,
        {
          challenge: MsgType.PEER_CHALLENGE,
          auth: MsgType.PEER_AUTH,
        },
      ),
  });
}

/**
 * What a dnode prints, and its exit: kept beside its data when it exits (a dnode that died on
 * its own says why only on stderr); with BASALT_KEEP_LOGS=1 all of stdout too (--trace-gc and
 * the like print there).
 */
function capture(
  child: ChildProcess,
  dataDir: string,
  name: string,
): {
  stdout: () => string;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
} {
  let out = '';
  let err = '';
  const keepOut = process.env['BASALT_KEEP_LOGS'] === '1' ? join(dataDir, `stdout-${name}.log`) : null;
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
    if (out.length > 1_000_000) out = out.slice(-200_000);
    if (keepOut !== null) {
      try {
        appendFileSync(keepOut, d);
      } catch {
        /* before the dnode made its data directory */
      }
    }
  });
  child.stderr!.on('data', (d: Buffer) => {
    err += d.toString();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) =>
    child.on('exit', (code, signal) => {
      live.delete(child);
      try {
        writeFileSync(
          join(dataDir, `exit-${name}.txt`),
          `code ${code} signal ${signal}\n--- stderr\n${err}\n--- stdout\n${out.slice(-20_000)}`,
        );
      } catch {
        /* the directory is gone */
      }
      res({ code, signal });
    }),
  );
  return { stdout: () => out, stderr: () => err, exited };
}
