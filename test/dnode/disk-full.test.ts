// Disk full on a real dnode (issue #13, finding 8): the data dir sits on a small tmpfs that a
// ballast file nearly fills. Inserts run until the dnode refuses one; the refusal is
// DISK_FULL naming the volume and the fix (not WAL_CORRUPT), every acknowledged row is
// readable, and once the ballast is removed inserts succeed again without a restart. After
// a restart the count is the same. Needs root (mount); skipped with a message otherwise.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, rmSync, statfsSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { connect, type Connection } from '../../src/client/index.js';
import { freePort, tempDir } from '../rpc/harness.js';
import { spawnBasalt, stopChild } from '../cli/run-basalt.js';

const VOLUME_MB = 24;
/** Free space left beside the ballast once the dnode and its database exist. */
const HEADROOM_BYTES = 3 << 20;
const ROWS_PER_INSERT = 200;
const MAX_INSERTS = 2_000;

function mountTmpfs(dir: string): string | null {
  if (process.getuid?.() !== 0) return 'not root: cannot mount a tmpfs';
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${VOLUME_MB}m`, 'tmpfs', dir], { stdio: 'pipe' });
    return null;
  } catch (e) {
    return `mount -t tmpfs failed: ${(e as Error).message}`;
  }
}

/** Fills the volume of `dir` with a file until `leaveBytes` remain free. */
function writeBallast(file: string, dir: string, leaveBytes: number): void {
  const s = statfsSync(dir);
  let left = s.bavail * s.bsize - leaveBytes;
  const buf = Buffer.alloc(1 << 20, 0x5a);
  const fd = openSync(file, 'w');
  try {
    while (left > 0) {
      const n = writeSync(fd, buf, 0, Math.min(buf.length, left));
      left -= n;
    }
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function insertSql(batch: number): string {
  const base = 1_700_000_000_000 + batch * ROWS_PER_INSERT;
  const values: string[] = [];
  for (let i = 0; i < ROWS_PER_INSERT; i++)
    values.push(`(${base + i}, ${batch}, 'row ${batch}-${i} ${'x'.repeat(40)}')`);
  return `insert into df.t values ${values.join(' ')}`;
}

/** One line when writes are refused (not one per write), one when they resume. */
function checkLog(t: TestContext, log: string): void {
  t.diagnostic(
    log
      .split('\n')
      .filter((l) => /writes re/.test(l))
      .join(' | '),
  );
  const refusedLines = log.split('\n').filter((l) => /writes refused/.test(l));
  assert.equal(refusedLines.length, 1, `one 'writes refused' line, not one per write:\n${refusedLines.join('\n')}`);
  assert.match(log, /writes resume/);
}

/** Inserts batches until the dnode refuses one (bounded): the rows acknowledged and the refusal. */
async function insertUntilRefused(
  c: Connection,
): Promise<{ acked: number; refusal: (Error & { errorName?: string }) | undefined }> {
  let acked = 0;
  for (let b = 0; b < MAX_INSERTS; b++) {
    try {
      await c.query(insertSql(b));
      acked += ROWS_PER_INSERT;
    } catch (e) {
      return { acked, refusal: e as Error & { errorName?: string } };
    }
  }
  return { acked, refusal: undefined };
}

async function count(c: Connection): Promise<number> {
  return Number((await c.query('select count(*) from df.t')).value(0, 0));
}

/** `basalt start` on 127.0.0.1 with the data dir on the volume and the log beside it. */
async function startArgs(dataDir: string, logDir: string, rpcPort: number): Promise<string[]> {
  const httpPort = await freePort();
  return [
    'start',
    '--data-dir',
    dataDir,
    '--log-dir',
    logDir,
    '--server-port',
    String(rpcPort),
    '--http-port',
    String(httpPort),
    '--listen-host',
    '127.0.0.1',
    '--fqdn',
    'localhost',
  ];
}

test('disk full: DISK_FULL naming the volume, no acknowledged row lost, writes resume without a restart', async (t) => {
  const tmp = tempDir('diskfull');
  const vol = join(tmp.dir, 'vol');
  mkdirSync(vol);
  const why = mountTmpfs(vol);
  if (why) {
    t.skip(`disk-full test skipped: ${why}`);
    tmp.remove();
    return;
  }
  const dataDir = join(vol, 'data');
  const logDir = join(tmp.dir, 'log');
  const rpcPort = await freePort();
  const args = await startArgs(dataDir, logDir, rpcPort);
  let server = await spawnBasalt(args, /ready;/);
  const ballast = join(vol, 'ballast');
  let c: Connection | undefined;
  try {
    c = await connect({ port: rpcPort, timeoutMs: 10_000 });
    await c.query('create database df vgroups 1');
    await c.query('create table df.t (ts timestamp, b int, s binary(64))');
    writeBallast(ballast, vol, HEADROOM_BYTES);

    const { acked, refusal } = await insertUntilRefused(c);
    assert.ok(refusal, `no refusal after ${MAX_INSERTS} inserts (${acked} rows) on a ${VOLUME_MB} MB volume`);
    t.diagnostic(`refused after ${acked} rows: ${refusal.message}`);
    assert.equal(refusal.errorName, 'DISK_FULL', refusal.message);
    assert.ok(refusal.message.includes(vol), `the message names the volume (${vol}): ${refusal.message}`);
    assert.match(refusal.message, /free space/);
    assert.match(refusal.message, /resume by themselves/);
    assert.ok(acked > 0, 'some inserts were acknowledged before the disk filled');
    // Refused again while full, and reads still work.
    await assert.rejects(
      c.query(insertSql(MAX_INSERTS)),
      (e: Error & { errorName?: string }) => e.errorName === 'DISK_FULL',
    );
    assert.equal(await count(c), acked, 'every acknowledged row is readable; no refused row landed');

    rmSync(ballast);
    // The same connection and process: inserts go through again.
    let resumed = 0;
    for (let b = MAX_INSERTS + 1; b < MAX_INSERTS + 11; b++) {
      await c.query(insertSql(b));
      resumed += ROWS_PER_INSERT;
    }
    assert.equal(await count(c), acked + resumed);
    c.close();
    c = undefined;

    checkLog(t, readFileSync(join(logDir, 'basalt.log'), 'utf8'));

    assert.equal(await stopChild(server.child, 'SIGTERM'), 0, server.stderr());
    server = await spawnBasalt(args, /ready;/);
    c = await connect({ port: rpcPort, timeoutMs: 10_000 });
    assert.equal(await count(c), acked + resumed, 'after a restart');
  } finally {
    c?.close();
    if (server.child.exitCode === null) await stopChild(server.child, 'SIGTERM');
    if (server.child.exitCode === null) await stopChild(server.child, 'SIGKILL');
    try {
      execFileSync('umount', [vol], { stdio: 'pipe' });
    } catch (e) {
      t.diagnostic(`umount ${vol}: ${(e as Error).message}`);
    }
    tmp.remove();
  }
});
