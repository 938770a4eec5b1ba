// A Raft vnode on a full volume (an 8 MB tmpfs nearly filled by a ballast file): the leader
// refuses writes with DISK_FULL before they reach the Raft log, acknowledged rows stay, and
// once the ballast is removed the same replica takes writes again; after a restart every
// acknowledged row is there. Needs root (mount); skipped with a message otherwise.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, rmSync, statSync, truncateSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { BasaltError } from '../../src/common/errors.js';
import { batch, createSchema, TABLES, VnodeCluster } from './harness.js';

const ROWS_PER_TABLE = 200;
const ALL = { from: -Infinity, to: Infinity };

function rowCount(c: VnodeCluster): number {
  const v = c.members.get(1)!.vnode.local;
  let n = 0;
  for (let i = 0; i < TABLES; i++) n += v.aggregate(`d${i}`, ALL, []).rows;
  return n;
}

/** Fills the volume with `file`, then gives back `leaveBytes`. */
function ballast(file: string, leaveBytes: number): void {
  const buf = Buffer.alloc(64 << 10, 0x5a);
  const fd = openSync(file, 'w');
  try {
    for (let i = 0; i < 1_000; i++) writeSync(fd, buf);
  } catch (e) {
    assert.equal((e as NodeJS.ErrnoException).code, 'ENOSPC', String(e));
  } finally {
    closeSync(fd);
  }
  truncateSync(file, Math.max(0, statSync(file).size - leaveBytes));
}

test('replicated vnode: DISK_FULL before the Raft log, writes resume when space is back, nothing acknowledged lost', async (t) => {
  if (process.getuid?.() !== 0) {
    t.skip('disk-full test skipped: not root, cannot mount a tmpfs');
    return;
  }
  const c = new VnodeCluster({ writeTimeoutMs: 5000 });
  mkdirSync(c.root, { recursive: true });
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', c.root], { stdio: 'pipe' });
  } catch (e) {
    t.skip(`disk-full test skipped: mount -t tmpfs failed: ${(e as Error).message}`);
    return;
  }
  after(async () => {
    await c.close();
    execFileSync('umount', ['-l', c.root], { stdio: 'pipe' });
  });
  await c.start(1, [1]);
  const l = await c.leader();
  await createSchema(l.vnode);
  ballast(join(c.root, 'ballast'), 1 << 20);

  let acked = 0;
  let refusal: unknown;
  for (let b = 0; b < 500 && refusal === undefined; b++) {
    try {
      await l.vnode.write(batch(b, ROWS_PER_TABLE));
      acked += TABLES * ROWS_PER_TABLE;
    } catch (e) {
      refusal = e;
    }
  }
  assert.ok(refusal instanceof BasaltError, `refused with a BasaltError: ${String(refusal)}`);
  assert.equal(refusal.errorName, 'DISK_FULL', refusal.message);
  assert.ok(refusal.message.includes(c.root), refusal.message);
  assert.ok(acked > 0);
  assert.equal(rowCount(c), acked);

  rmSync(join(c.root, 'ballast'));
  for (let b = 1000; b < 1005; b++) await l.vnode.write(batch(b, ROWS_PER_TABLE));
  acked += 5 * TABLES * ROWS_PER_TABLE;
  assert.equal(rowCount(c), acked);
  assert.equal(l.node.runtime.failed, undefined);

  await c.stop(1);
  await c.start(1);
  await c.leader();
  await c.waitApplied(c.members.get(1)!.vnode.status().commit);
  assert.equal(rowCount(c), acked, 'after a restart');
});
