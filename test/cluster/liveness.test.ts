// The mnode leader's liveness view without processes: notes and the 5 × statusInterval rule.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Liveness } from '../../src/mnode/liveness.js';

test('never heard → status not received; silent too long → status msg timeout; refusals win', () => {
  const l = new Liveness(() => 5_000);
  assert.deepEqual(l.view(2, 0), { status: 'offline', note: 'status not received' });
  l.seen(2, 1_000, 900, 16);
  assert.deepEqual(l.view(2, 6_000), { status: 'ready', note: '' });
  assert.deepEqual(l.view(2, 6_001), { status: 'offline', note: 'status msg timeout' });
  l.refuse(2, 'timezone not match', 7_000);
  assert.deepEqual(l.view(2, 7_000), { status: 'offline', note: 'timezone not match' });
  l.seen(2, 8_000, 900, 16);
  assert.deepEqual(l.view(2, 8_000), { status: 'ready', note: '' });
  assert.equal(l.get(2)!.supportVnodes, 16);
});

test('a new leader gives joined dnodes one timeout of grace, then calls them offline', () => {
  const l = new Liveness(() => 5_000);
  l.grace([2, 3], 10_000);
  assert.equal(l.view(3, 14_000).status, 'ready');
  assert.deepEqual(l.view(3, 15_001), { status: 'offline', note: 'status msg timeout' });
  assert.equal(l.view(4, 15_001).note, 'status not received');
  assert.equal(l.get(3)!.statusSinceMs, 15_001);
});

test('a lost connection is offline at once with note "connection lost", until the next status', () => {
  const l = new Liveness(() => 5_000);
  l.connectionLost(2, 500); // never heard: nothing to lose
  assert.equal(l.view(2, 600).note, 'status not received');
  l.seen(2, 1_000, 900, 16);
  l.connectionLost(2, 1_200);
  assert.deepEqual(l.view(2, 1_300), { status: 'offline', note: 'connection lost' });
  l.seen(2, 2_000, 900, 16);
  assert.deepEqual(l.view(2, 2_000), { status: 'ready', note: '' });
  // A new leader's grace does not hide a connection already lost.
  l.grace([2], 3_000);
  l.connectionLost(2, 3_000);
  assert.equal(l.view(2, 3_100).note, 'connection lost');
});
