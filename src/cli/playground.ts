// `basalt playground [--nodes 3] [--dir ./playground] [--port 6030]` (what `npm start` runs):
// a local cluster in one command. Starts N `basalt start` processes on this machine
// (serverPort 6030, 6130, 6230 …, each with its REST port serverPort + 11), joins them
// (`create dnode` for each after the first), creates mnodes on the first three dnodes,
// prints the endpoints and statements that work as printed, and stops them all on Ctrl-C.
// Re-running on the same --dir restarts the same cluster. With --tls it first makes a
// self-signed CA and a localhost certificate in <dir>/tls (openssl), runs every dnode with
// sslCert/sslKey/sslCa and peerTls 1, and prints the commands with --tls --ca / --cacert.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { connect, type Connection } from '../client/index.js';
import { BasaltError, toBasaltError } from '../common/errors.js';
import { Limits } from '../common/limits.js';
import { SERVER_NODE_FLAGS } from './node-flags.js';
import { newJoinToken } from '../rpc/peer-auth.js';
import { cliCommand } from './start.js';
import { generateCerts, type GeneratedCerts } from './tls-certs.js';

const BIN = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'bin', 'basalt');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Member {
  id: number;
  port: number;
  dir: string;
  child: ChildProcess;
  stderr: string;
  exited: boolean;
}

/** Vnodes each playground dnode may host. */
const PLAYGROUND_SUPPORT_VNODES = 32;

/**
 * The playground's join token, kept beside its dnodes so a restart reuses it: every member
 * starts with it, dnode 1 adopts it as the cluster's token and the others join with it.
 */
function playgroundJoinTokenFile(dir: string): string {
  const file = join(dir, 'join-token');
  if (!existsSync(file)) {
    mkdirSync(dir, { recursive: true });
    writeFileSync(file, `${newJoinToken()}\n`, { mode: 0o600 });
  }
  return file;
}

/** `--set` flags that make a dnode serve TLS (and speak it to its peers) with the playground's certificates. */
function tlsSettings(tls: GeneratedCerts | null): string[] {
  if (tls === null) return [];
  return [`sslCert=${tls.cert}`, `sslKey=${tls.key}`, `sslCa=${tls.caCert}`, 'peerTls=1'].flatMap((kv) => [
    '--set',
    kv,
  ]);
}

function startMember(
  id: number,
  port: number,
  dir: string,
  firstEp: string,
  tokenFile: string,
  tls: GeneratedCerts | null,
): Promise<Member> {
  mkdirSync(dir, { recursive: true });
  const child = spawn(
    process.execPath,
    [
      ...SERVER_NODE_FLAGS,
      BIN,
      'start',
      '--fqdn',
      'localhost',
      '--server-port',
      String(port),
      '--data-dir',
      dir,
      '--listen-host',
      '127.0.0.1',
      '--first-ep',
      firstEp,
      '--join-token-file',
      tokenFile,
      // Room for demo and the README's examples (create database test replica 3 vgroups 8):
      // the default, 2 × cores + 5, is 9 on a 2-core machine.
      '--set',
      `supportVnodes=${PLAYGROUND_SUPPORT_VNODES}`,
      ...tlsSettings(tls),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const m: Member = { id, port, dir, child, stderr: '', exited: false };
  return new Promise((res, rej) => {
    let out = '';
    const timer = setTimeout(
      () =>
        rej(
          new BasaltError(
            'TIMEOUT',
            `dnode on port ${port} did not start within ${Limits.playgroundReadyTimeoutMs} ms; see ${dir}/log/basalt.log`,
          ),
        ),
      Limits.playgroundReadyTimeoutMs,
    );
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      // Listening is enough: the playground creates the dnodes, then waits for them to be ready.
      if (/listening;/.test(out)) {
        clearTimeout(timer);
        res(m);
      }
    });
    child.stderr!.on('data', (d: Buffer) => {
      m.stderr += d.toString();
    });
    child.on('exit', (code) => {
      m.exited = true;
      clearTimeout(timer);
      rej(
        new BasaltError(
          'INTERNAL',
          `dnode on port ${port} exited with code ${code}: ${m.stderr.trim() || 'see ' + dir + '/log/basalt.log'}`,
        ),
      );
    });
  });
}

async function ignore(conn: Connection, sql: string, ok: RegExp): Promise<void> {
  try {
    await conn.query(sql);
  } catch (e) {
    if (!ok.test(toBasaltError(e).message)) throw e;
  }
}

async function waitUntil(what: string, timeoutMs: number, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let i = 0; i < 1000; i++) {
    try {
      if (await check()) return;
    } catch {
      /* not yet */
    }
    if (Date.now() > deadline) break;
    await sleep(200);
  }
  throw new BasaltError('TIMEOUT', `${what} within ${timeoutMs} ms`);
}

async function stopAll(members: readonly Member[]): Promise<void> {
  await Promise.all(
    members.map(
      (m) =>
        new Promise<void>((res) => {
          if (m.exited || m.child.exitCode !== null) {
            res();
            return;
          }
          const t = setTimeout(() => m.child.kill('SIGKILL'), Limits.playgroundStopTimeoutMs);
          m.child.once('exit', () => {
            clearTimeout(t);
            res();
          });
          m.child.kill('SIGTERM');
        }),
    ),
  );
}

export function registerPlayground(program: Command, version: string): void {
  program
    .command('playground')
    .description(
      'start a local cluster to try out: N dnodes on ports 6030, 6130, 6230 … with 3 mnodes; Ctrl-C stops it',
    )
    .option('--nodes <n>', 'number of dnodes (1-9)', '3')
    .option('--dir <dir>', "directory for the dnodes' data and logs", 'playground')
    .option('--port <port>', 'serverPort of the first dnode; the others add 100 each', '6030')
    .option('--tls', 'serve RPC and REST over TLS (also between dnodes) with a self-signed CA made in <dir>/tls')
    .action(async (flags: { nodes: string; dir: string; port: string; tls?: boolean }) => {
      const t0 = Date.now();
      const plan = playgroundPlan(flags);
      if (plan === null) {
        process.exitCode = 1;
        return;
      }
      const members: Member[] = [];
      let conn: Connection | null = null;
      try {
        await startMembers(plan, members);
        conn = await connect({
          host: '127.0.0.1',
          port: plan.base,
          ...(plan.tls ? { tls: { ca: readFileSync(plan.tls.caCert) } } : {}),
        });
        await formCluster(conn, plan, members);
        process.stdout.write(await readyText(conn, plan, members, version, t0));
      } catch (e) {
        process.stderr.write(`basalt playground: ${toBasaltError(e).message}\n`);
        conn?.close();
        await stopAll(members);
        process.exitCode = 1;
        return;
      }
      conn?.close();
      keepRunning(members);
    });
}

interface PlaygroundPlan {
  /** Number of dnodes. */
  readonly n: number;
  /** serverPort of the first dnode; dnode k (from 0) listens on base + 100 k. */
  readonly base: number;
  readonly dir: string;
  /** --tls: the generated CA and certificate. */
  readonly tls: GeneratedCerts | null;
}

/** The validated flags, or null after printing what is wrong with them. */
function playgroundPlan(flags: { nodes: string; dir: string; port: string; tls?: boolean }): PlaygroundPlan | null {
  const n = Number(flags.nodes);
  const base = Number(flags.port);
  if (!Number.isInteger(n) || n < 1 || n > 9) {
    process.stderr.write(`basalt playground: --nodes '${flags.nodes}' must be 1 to 9\n`);
    return null;
  }
  if (!Number.isInteger(base) || base < 1 || base + 100 * (n - 1) + 11 > 65535) {
    process.stderr.write(`basalt playground: --port '${flags.port}' leaves no room for ${n} dnodes\n`);
    return null;
  }
  const dir = resolve(flags.dir);
  let tls: GeneratedCerts | null = null;
  if (flags.tls) {
    try {
      tls = generateCerts(join(dir, 'tls'));
    } catch (e) {
      process.stderr.write(`basalt playground: --tls: ${toBasaltError(e).message}\n`);
      return null;
    }
  }
  return { n, base, dir, tls };
}

/** Starts every dnode; `members` gets those that started, so they are stopped even when another failed. */
async function startMembers(plan: PlaygroundPlan, members: Member[]): Promise<void> {
  const firstEp = `localhost:${plan.base}`;
  const tokenFile = playgroundJoinTokenFile(plan.dir);
  const started = await Promise.allSettled(
    Array.from({ length: plan.n }, (_v, k) =>
      startMember(k + 1, plan.base + 100 * k, join(plan.dir, `dnode${k + 1}`), firstEp, tokenFile, plan.tls),
    ),
  );
  for (const r of started) if (r.status === 'fulfilled') members.push(r.value);
  const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}

/** Joins the dnodes, creates the mnodes and the demo database; all of it idempotent, for a restart on the same --dir. */
async function formCluster(c: Connection, plan: PlaygroundPlan, members: readonly Member[]): Promise<void> {
  const n = plan.n;
  await waitUntil('dnode 1 did not lead its mnode', Limits.playgroundFormTimeoutMs, async () =>
    (await c.query('show mnodes')).rows().some((r) => r[2] === 'leader'),
  );
  for (const m of members.slice(1)) await ignore(c, `create dnode "localhost:${m.port}"`, /already exists/);
  await waitUntil('not every dnode became ready', Limits.playgroundFormTimeoutMs, async () => {
    const rows = (await c.query('show dnodes')).rows();
    return rows.length >= n && rows.every((r) => r[4] === 'ready');
  });
  for (let id = 2; id <= Math.min(3, n); id++) await ignore(c, `create mnode on dnode ${id}`, /already exists/);
  // A replicated demo database to try fail-over on (kept across restarts of the playground).
  if (hasDemo(plan)) {
    await ignore(c, 'create database if not exists demo replica 3 vgroups 2', /already exists/);
    await c.query(
      'create stable if not exists demo.meters (ts timestamp, current float, voltage int, phase float) tags (groupid int, location varchar(24))',
    );
    await c.query(
      "insert into demo.d1001 using demo.meters tags (2, 'California.SanFrancisco') values (now - 2s, 10.3, 219, 0.31) (now - 1s, 12.6, 218, 0.33) demo.d1002 using demo.meters tags (3, 'California.LosAngeles') values (now - 1s, 11.8, 221, 0.28)",
    );
  }
}

/** A replica-3 database needs three dnodes. */
function hasDemo(plan: PlaygroundPlan): boolean {
  return plan.n >= 3;
}

/** The dnodes, the endpoints, and statements to try that work as printed. */
async function readyText(
  c: Connection,
  plan: PlaygroundPlan,
  members: readonly Member[],
  version: string,
  t0: number,
): Promise<string> {
  const { n, base } = plan;
  const rows = (await c.query('show dnodes')).rows();
  const mnodes = (await c.query('show mnodes')).rows();
  const secs = ((Date.now() - t0) / 1000).toFixed(1);
  const cli = cliCommand();
  // With --tls every command needs the CA; `sql` stands for the shell with it.
  const sql = plan.tls ? `sql --tls --ca ${plan.tls.caCert}` : 'sql';
  const rest = plan.tls ? `https://127.0.0.1:${base + 11}` : `http://127.0.0.1:${base + 11}`;
  const curl = plan.tls ? `curl --cacert ${plan.tls.caCert}` : 'curl';
  let text = `Basalt ${version} playground: ${n} dnode(s), ${mnodes.length} mnode(s), ready in ${secs} s. Data and logs in ${plan.dir}\n\n`;
  for (const r of rows) {
    const pid = members.find((m) => `localhost:${m.port}` === r[1])?.child.pid ?? '?';
    const mn = mnodes.find((x) => x[0] === r[0]);
    text += `  dnode ${String(r[0])}  ${String(r[1]).padEnd(16)} ${String(r[4])}  pid ${pid}${mn ? `  mnode ${String(mn[2])}` : ''}\n`;
  }
  text += `  REST: ${rest}/rest/sql\n`;
  if (plan.tls) text += `  TLS: CA ${plan.tls.caCert}, certificate ${plan.tls.cert} (localhost, 127.0.0.1)\n`;
  text += '\n';
  text += `Try, from another terminal:\n`;
  text += `  ${cli} ${sql} -h 127.0.0.1 -P ${base} -s "show dnodes"\n`;
  text += `  ${cli} ${sql} -h 127.0.0.1 -P ${base + 100 * Math.min(1, n - 1)} -s "show mnodes"\n`;
  text += `  ${curl} -u root:taosdata -d "show cluster" ${rest}/rest/sql\n`;
  text += `  ${cli} ${sql} -h 127.0.0.1 -P ${base}     (then: create database power; use power; create table t (ts timestamp, v int); insert into t values (now, 1); select * from t;)\n`;
  if (hasDemo(plan))
    text += `  ${cli} ${sql} -h 127.0.0.1 -P ${base} -s "show demo.vgroups; select * from demo.meters"\n`;
  const leader = mnodes.find((x) => x[2] === 'leader');
  const lm = members.find((m) => leader !== undefined && m.id === leader[0]);
  const other = members.find((m) => m !== lm);
  if (n >= 3 && lm && other)
    text += `Fail-over: kill -9 ${lm.child.pid ?? ''}   (dnode ${lm.id}, the mnode leader), then: ${cli} ${sql} -h 127.0.0.1 -P ${other.port} -s "show mnodes; insert into demo.d1001 values (now, 9.9, 220, 0.3); select count(*) from demo.meters"\n`;
  text += `\nPress Ctrl-C to stop all dnodes.\n`;
  return text;
}

/** Stops every dnode on Ctrl-C or SIGTERM; a dnode that exits by itself is reported, the others keep running. */
function keepRunning(members: readonly Member[]): void {
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    process.stdout.write('\nstopping the playground dnodes...\n');
    void stopAll(members).then(() => {
      process.stdout.write('basalt playground: stopped\n');
      process.exit(0);
    });
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  for (const m of members) {
    m.child.on('exit', (code) => {
      if (stopping) return;
      process.stderr.write(
        `basalt playground: dnode ${m.id} (port ${m.port}) exited with code ${code}; see ${m.dir}/log/basalt.log (the others keep running)\n`,
      );
    });
  }
}
