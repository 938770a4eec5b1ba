// The cluster state machine without processes: ids never reused, endpoint checks with
// TDengine's codes, placement counts, and replay determinism (same ops → same state).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BasaltError } from '../../src/common/errors.js';
import {
  applyClusterOp, EMPTY_CLUSTER_STATE, mnodeEndpoints, newClusterId, normalizeEndpoint, planCreateDnode, requireDnode, vnodesOn,
  type ClusterOp, type ClusterState,
} from '../../src/mnode/cluster-state.js';

function run(ops: readonly ClusterOp[]): ClusterState {
  return ops.reduce(applyClusterOp, EMPTY_CLUSTER_STATE);
}

const init: ClusterOp = { op: 'init', clusterId: '42', createdAtMs: 1000, endpoint: 'h1:6030' };

test('init founds dnode 1 with mnode 1; a replayed init changes nothing', () => {
  const s = run([init, { ...init, clusterId: '43' }]);
  assert.equal(s.clusterId, '42');
  assert.deepEqual(s.dnodes.map((d) => [d.id, d.endpoint, d.joined]), [[1, 'h1:6030', true]]);
  assert.deepEqual(mnodeEndpoints(s), ['h1:6030']);
  assert.equal(s.nextDnodeId, 2);
});

test('dnode ids increase and are never reused after drop dnode', () => {
  let s = run([init]);
  const a = planCreateDnode(s, 'h2:6030', 2000);
  s = applyClusterOp(s, a);
  s = applyClusterOp(s, { op: 'dropDnode', id: 2 });
  const b = planCreateDnode(s, 'h2:6030', 3000);
  assert.equal(b.op === 'createDnode' && b.id, 3);
  s = applyClusterOp(s, b);
  assert.deepEqual(s.dnodes.map((d) => d.id), [1, 3]);
  assert.throws(() => requireDnode(s, 2), (e: BasaltError) => e.code === 0x80000331);
});

test('endpoints: quoted fqdn:port, default port 6030, invalid → 0x800003B3, duplicate → 0x80000330', () => {
  assert.equal(normalizeEndpoint('h2.example.com:6130'), 'h2.example.com:6130');
  assert.equal(normalizeEndpoint('h2'), 'h2:6030');
  for (const bad of ['', ':6030', 'h2:0', 'h2:65536', 'h2:', 'a b:6030']) {
    assert.throws(() => normalizeEndpoint(bad), (e: BasaltError) => e.code === 0x800003b3, bad);
  }
  const s = run([init]);
  assert.throws(() => planCreateDnode(s, 'h1:6030', 1), (e: BasaltError) => e.code === 0x80000330 && /dnode 1 already has endpoint h1:6030/.test(e.message));
});

test('placement counts vnodes per dnode; mnodes follow drop dnode', () => {
  const s = run([
    init,
    { op: 'createDnode', id: 2, endpoint: 'h2:6030', createdAtMs: 2 },
    { op: 'addMnode', dnodeId: 2, createdAtMs: 3 },
    { op: 'placeDb', name: 'a', dnodeId: 2, vgroups: 2 },
    { op: 'placeDb', name: 'b', dnodeId: 2, vgroups: 4 },
    { op: 'placeDb', name: 'c', dnodeId: 1, vgroups: 1 },
    { op: 'unplaceDb', name: 'a' },
  ]);
  assert.equal(vnodesOn(s, 2), 4);
  assert.equal(vnodesOn(s, 1), 1);
  assert.deepEqual(mnodeEndpoints(s), ['h1:6030', 'h2:6030']);
  const dropped = applyClusterOp(applyClusterOp(s, { op: 'unplaceDb', name: 'b' }), { op: 'dropDnode', id: 2 });
  assert.deepEqual(mnodeEndpoints(dropped), ['h1:6030']);
});

test('replay is deterministic and JSON round-trips (the snapshot format)', () => {
  const ops: ClusterOp[] = [init, { op: 'createDnode', id: 2, endpoint: 'h2:6030', createdAtMs: 5 }, { op: 'dnodeJoined', id: 2 }];
  const a = run(ops);
  assert.deepEqual(run(ops), a);
  assert.deepEqual(JSON.parse(JSON.stringify(a)), a);
  assert.match(newClusterId(), /^[1-9]\d*$/);
});
