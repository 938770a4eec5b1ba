// Bounded waiting: a leader cut off from its followers answers proposals and reads with an
// error (TIMEOUT, or NOT_LEADER once CheckQuorum steps it down) instead of hanging, and a
// group refuses proposals beyond its pending limit with QUEUE_FULL.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BasaltError } from '../../src/common/errors.js';
import { TestCluster } from './harness.js';

test('a leader without a quorum fails proposals and reads within bounded time', { timeout: 30_000 }, async () => {
  const c = new TestCluster({ proposalTimeoutMs: 1500, readTimeoutMs: 1500 });
  try {
    await c.start([1, 2, 3]);
    const leader = await c.leader();
    await c.propose('ok');
    for (const m of c.live()) if (m.id !== leader.id) await c.stop(m.id);
    const t0 = Date.now();
    const results = await Promise.allSettled([
      leader.group!.propose(new TextEncoder().encode('lost')),
      leader.group!.readIndex(),
    ]);
    const ms = Date.now() - t0;
    for (const r of results) {
      assert.equal(r.status, 'rejected');
      const e = (r as PromiseRejectedResult).reason as unknown;
      assert.ok(e instanceof BasaltError && ['TIMEOUT', 'NOT_LEADER'].includes(e.errorName), String(e));
    }
    assert.ok(ms < 4000, `answered after ${ms} ms`);
    // CheckQuorum: the isolated leader steps down within about two election timeouts.
    const end = Date.now() + 5000;
    while (Date.now() < end && leader.group!.status().role === 'leader') await new Promise((r) => setTimeout(r, 50));
    assert.notEqual(leader.group!.status().role, 'leader');
    await assert.rejects(
      leader.group!.propose(new Uint8Array([1])),
      (e: unknown) => e instanceof BasaltError && e.errorName === 'NOT_LEADER',
    );
  } finally {
    await c.close();
  }
});

test('proposals beyond the pending limit get QUEUE_FULL', { timeout: 30_000 }, async () => {
  const c = new TestCluster({ maxPendingProposals: 10 });
  try {
    await c.start([1, 2, 3]);
    const leader = await c.leader();
    const rs = await Promise.allSettled(
      Array.from({ length: 50 }, (_, i) => leader.group!.propose(new TextEncoder().encode(`p${i}`))),
    );
    const full = rs.filter(
      (r) => r.status === 'rejected' && (r.reason as BasaltError).errorName === 'QUEUE_FULL',
    ).length;
    const ok = rs.filter((r) => r.status === 'fulfilled').length;
    assert.equal(ok, 10);
    assert.equal(full, 40);
  } finally {
    await c.close();
  }
});
