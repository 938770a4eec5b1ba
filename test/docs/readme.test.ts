// The README's shell blocks marked ```sh runnable run as written against a fresh playground:
// every command exits 0, prints no error (`DB error`, `error:`) and no REST answer with a
// non-zero code. The playground runs on free ports: the README's literal ports (6030, 6130,
// 6230, 6330 and REST 6041) are moved by the same offset, and commands that name no port
// reach it through BASALT_FIRST_EP, as a shell with that variable set would.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { connect } from '../../src/client/index.js';
import { REPO_ROOT } from '../cli/run-basalt.js';
import { freeBasePort, sleep, waitFor } from '../cluster/harness.js';

/** One command's limit: the slowest README commands (balance, drop dnode) wait up to ~5 s for moves. */
const COMMAND_TIMEOUT_MS = 60_000;
const README_PORTS = [6030, 6130, 6230, 6330] as const;
const README_REST_PORT = 6041;

const dir = mkdtempSync(join(tmpdir(), 'basalt-readme-'));
const groups: number[] = [];
after(() => {
  for (const pgid of groups) {
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  rmSync(dir, { recursive: true, force: true });
});

/** The commands of every ```sh runnable block, in order (blank and comment-only lines dropped). */
export function runnableCommands(markdown: string): string[][] {
  const blocks = [...markdown.matchAll(/^```sh runnable\n([\s\S]*?)^```/gm)].map((m) => m[1]!);
  return blocks.map((b) =>
    b
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '' && !l.startsWith('#')),
  );
}

/** The README's ports moved to the test's: 6030 → base, 6130 → base + 100, …, 6041 → base + 11. */
function movePorts(command: string, base: number): string {
  let out = command.replace(new RegExp(`\\b${README_REST_PORT}\\b`, 'g'), String(base + 11));
  for (const [i, p] of README_PORTS.entries()) out = out.replace(new RegExp(`\\b${p}\\b`, 'g'), String(base + 100 * i));
  return out;
}

interface Ran {
  readonly code: number | null;
  readonly out: string;
  readonly err: string;
}

/** Runs one command in bash in its own process group (a trailing `&` leaves a dnode running there). */
function run(command: string, env: NodeJS.ProcessEnv): Promise<Ran> {
  return new Promise((resolve) => {
    const child: ChildProcess = spawn('bash', ['-c', command], {
      cwd: dir,
      env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    if (child.pid !== undefined) groups.push(child.pid);
    let out = '';
    let err = '';
    child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), COMMAND_TIMEOUT_MS);
    // 'exit', not 'close': a backgrounded dnode keeps the pipes open after bash is done.
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, out, err });
    });
  });
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((res) => {
    const s = netConnect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      res(true);
    });
    s.once('error', () => res(false));
  });
}

test('README: the runnable shell blocks run as written against a fresh playground', { timeout: 300_000 }, async () => {
  const blocks = runnableCommands(readFileSync(join(REPO_ROOT, 'README.md'), 'utf8'));
  assert.ok(
    blocks.length >= 2 && blocks.flat().length >= 10,
    `runnable blocks found: ${blocks.map((b) => b.length).join(', ')}`,
  );
  symlinkSync(join(REPO_ROOT, 'bin'), join(dir, 'bin'));
  const base = await freeBasePort(4);
  const env = { ...process.env, BASALT_FIRST_EP: `127.0.0.1:${base}` };

  const pg = spawn('bash', ['-c', `exec ./bin/basalt playground --dir ./playground --port ${base}`], {
    cwd: dir,
    env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  groups.push(pg.pid!);
  let pgOut = '';
  pg.stdout!.on('data', (c: Buffer) => (pgOut += c.toString()));
  await waitFor('the playground is ready', 30_000, async () => (/ready in/.test(pgOut) ? true : undefined));

  for (const command of blocks.flat()) {
    const moved = movePorts(command, base);
    const r = await run(moved, env);
    const what = `README command: ${command}\n  ran as: ${moved}\n  exit ${r.code}\n  stdout: ${r.out.slice(0, 600)}\n  stderr: ${r.err.slice(0, 600)}`;
    assert.equal(r.code, 0, what);
    if (/&\s*$/.test(command)) {
      // A dnode started in the background: the next command needs its port, as an operator
      // would wait for its first log lines.
      const port = Number(/--server-port (\d+)/.exec(moved)?.[1]);
      await waitFor(`port ${port} of the backgrounded dnode`, 20_000, async () =>
        (await portOpen(port)) ? true : undefined,
      );
      continue;
    }
    assert.doesNotMatch(`${r.out}\n${r.err}`, /DB error|\berror:/i, what);
    assert.doesNotMatch(r.out, /"code":\s*[1-9]/, what);
    const created = /create dnode "([^"]+)"/.exec(moved)?.[1];
    if (created !== undefined) {
      // What the README says next ("joins with 0 vnodes") holds once `show dnodes` shows it ready.
      const c = await connect({ port: base });
      try {
        await waitFor(`${created} ready in show dnodes`, 20_000, async () =>
          (await c.query('show dnodes')).rows().some((row) => row[1] === created && row[4] === 'ready')
            ? true
            : undefined,
        );
      } finally {
        c.close();
      }
    }
  }
  pg.kill('SIGINT');
  await sleep(500);
});
