// Acceptance 4: `basalt playground` forms a 3-dnode cluster with 3 mnodes in under 15 s,
// the commands it prints work as printed, and Ctrl-C (SIGINT) stops every dnode.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BASALT_BIN, REPO_ROOT } from '../cli/run-basalt.js';
import { freeBasePort, sleep } from './harness.js';

const dir = mkdtempSync(join(tmpdir(), 'basalt-playground-'));
const pids: number[] = [];
after(() => {
  for (const p of pids) {
    try {
      process.kill(p, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  rmSync(dir, { recursive: true, force: true });
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

test('playground: 3 dnodes, 3 mnodes, ready in < 15 s; printed commands work; Ctrl-C stops all', {
  timeout: 60_000,
}, async () => {
  const base = await freeBasePort(3);
  const t0 = Date.now();
  const child = spawn(process.execPath, [BASALT_BIN, 'playground', '--dir', join(dir, 'pg'), '--port', String(base)], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  pids.push(child.pid!);
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    err += d.toString();
  });
  while (!/Press Ctrl-C/.test(out)) {
    assert.equal(child.exitCode, null, `playground exited: ${err}`);
    assert.ok(Date.now() - t0 < 15_000, `not ready within 15 s: ${out} ${err}`);
    await sleep(100);
  }
  const readyMs = Date.now() - t0;
  assert.match(out, /3 dnode\(s\), 3 mnode\(s\)/);
  const dnodePids = [...out.matchAll(/pid (\d+)/g)].map((m) => Number(m[1]));
  assert.equal(dnodePids.length, 3);
  pids.push(...dnodePids);
  assert.match(out, /mnode leader/);
  assert.equal((out.match(/mnode follower/g) ?? []).length, 2);

  // Run the printed `sql -s` commands exactly as printed (from the repository root).
  const cmds = [...out.matchAll(/^ {2}(\S*basalt sql -h \S+ -P \d+ -s "[^"]+")$/gm)].map((m) => m[1]!);
  assert.equal(cmds.length, 3, out);
  const showDnodes = execFileSync('sh', ['-c', cmds[0]!], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 15_000 });
  assert.equal((showDnodes.match(/\| ready /g) ?? []).length, 3, showDnodes);
  const showMnodes = execFileSync('sh', ['-c', cmds[1]!], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 15_000 });
  assert.match(showMnodes, /leader/);
  assert.equal((showMnodes.match(/follower/g) ?? []).length, 2, showMnodes);
  // The replica-3 demo database: two vgroups, each with a leader and two followers, 3 rows.
  const demo = execFileSync('sh', ['-c', cmds[2]!], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 15_000 });
  assert.equal((demo.match(/\| leader /g) ?? []).length, 2, demo);
  assert.equal((demo.match(/\| follower /g) ?? []).length, 4, demo);
  assert.match(demo, /Query OK, 3 row\(s\) in set/);
  const curl = /^ {2}(curl .*)$/m.exec(out)?.[1];
  assert.ok(curl);
  let restText: string;
  try {
    restText = execFileSync('sh', ['-c', curl], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      timeout: 15_000,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (e) {
    if (!/not found|ENOENT/.test(String(e))) throw e;
    // No curl on this machine: the same request through fetch.
    const r = await fetch(`http://127.0.0.1:${base + 11}/rest/sql`, {
      method: 'POST',
      body: 'show cluster',
      headers: { Authorization: 'Basic ' + Buffer.from('root:taosdata').toString('base64'), Connection: 'close' },
    });
    restText = await r.text();
  }
  assert.equal((JSON.parse(restText) as { code: number }).code, 0, restText);

  child.kill('SIGINT');
  const code = await Promise.race([
    new Promise<number | null>((res) => child.on('exit', (c) => res(c))),
    sleep(15_000).then(() => -1),
  ]);
  assert.equal(code, 0);
  for (const p of dnodePids) assert.equal(alive(p), false, `dnode pid ${p} still running after Ctrl-C`);
  process.stdout.write(`# playground ready in ${readyMs} ms\n`);
});
