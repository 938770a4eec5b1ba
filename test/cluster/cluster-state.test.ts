// The cluster state machine without processes: ids never reused, endpoint checks with
// TDengine's codes, placement counts, and replay determinism (same ops → same state).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BasaltError } from '../../src/common/errors.js';
import {
  applyClusterOp,
  CLUSTER_VGID_BASE,
  EMPTY_CLUSTER_STATE,
  isDbPlaced,
  mnodeEndpoints,
  newClusterId,
  normalizeEndpoint,
  planCreateDnode,
  planReplicatedPlacement,
  requireDnode,
  vnodesOn,
  withDefaults,
  type ClusterOp,
  type ClusterState,
  type ReadyDnode,
} from '../../src/mnode/cluster-state.js';

function run(ops: readonly ClusterOp[]): ClusterState {
  return ops.reduce(applyClusterOp, EMPTY_CLUSTER_STATE);
}

const init: ClusterOp = { op: 'init', clusterId: '42', createdAtMs: 1000, endpoint: 'h1:6030' };

test('init founds dnode 1 with mnode 1; a replayed init changes nothing', () => {
  const s = run([init, { ...init, clusterId: '43' }]);
  assert.equal(s.clusterId, '42');
  assert.deepEqual(
    s.dnodes.map((d) => [d.id, d.endpoint, d.joined]),
    [[1, 'h1:6030', true]],
  );
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
  assert.deepEqual(
    s.dnodes.map((d) => d.id),
    [1, 3],
  );
  assert.throws(
    () => requireDnode(s, 2),
    (e: BasaltError) => e.code === 0x80000331,
  );
});

test('endpoints: quoted fqdn:port, default port 6030, invalid → 0x800003B3, duplicate → 0x80000330', () => {
  assert.equal(normalizeEndpoint('h2.example.com:6130'), 'h2.example.com:6130');
  assert.equal(normalizeEndpoint('h2'), 'h2:6030');
  for (const bad of ['', ':6030', 'h2:0', 'h2:65536', 'h2:', 'a b:6030']) {
    assert.throws(
      () => normalizeEndpoint(bad),
      (e: BasaltError) => e.code === 0x800003b3,
      bad,
    );
  }
  const s = run([init]);
  assert.throws(
    () => planCreateDnode(s, 'h1:6030', 1),
    (e: BasaltError) => e.code === 0x80000330 && /dnode 1 already has endpoint h1:6030/.test(e.message),
  );
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
  const ops: ClusterOp[] = [
    init,
    { op: 'createDnode', id: 2, endpoint: 'h2:6030', createdAtMs: 5 },
    { op: 'dnodeJoined', id: 2 },
  ];
  const a = run(ops);
  assert.deepEqual(run(ops), a);
  assert.deepEqual(JSON.parse(JSON.stringify(a)), a);
  assert.match(newClusterId(), /^[1-9]\d*$/);
});

// ---- per-vgroup placement of replicated databases

const ready = (...support: number[]): ReadyDnode[] => support.map((supportVnodes, i) => ({ id: i + 1, supportVnodes }));
const placed = (o: ClusterOp): readonly (readonly number[])[] =>
  o.op === 'placeReplicatedDb' ? o.vgroups.map((v) => v.dnodeIds) : [];

test('replica 3 vgroups 4 on 3 dnodes: every vgroup on all three, cluster vgIds from the base, never reused', () => {
  let s = run([init]);
  const op = planReplicatedPlacement(s, 'test', 3, 4, ready(32, 32, 32));
  assert.deepEqual(placed(op), [
    [1, 2, 3],
    [1, 2, 3],
    [1, 2, 3],
    [1, 2, 3],
  ]);
  assert.deepEqual(
    op.op === 'placeReplicatedDb' && op.vgroups.map((v) => v.vgId),
    [0, 1, 2, 3].map((i) => CLUSTER_VGID_BASE + i),
  );
  s = applyClusterOp(s, op);
  assert.deepEqual(
    [1, 2, 3].map((id) => vnodesOn(s, id)),
    [4, 4, 4],
  );
  assert.ok(isDbPlaced(s, 'test'));
  assert.deepEqual(applyClusterOp(s, op), s, 'a replayed placement changes nothing');
  s = applyClusterOp(s, { op: 'unplaceDb', name: 'test' });
  assert.ok(!isDbPlaced(s, 'test'));
  assert.equal(vnodesOn(s, 1), 0);
  const again = planReplicatedPlacement(s, 'test', 3, 1, ready(32, 32, 32));
  assert.equal(again.op === 'placeReplicatedDb' && again.vgroups[0]!.vgId, CLUSTER_VGID_BASE + 4);
});

test('replicas spread least loaded first: score = vnodes / supportVnodes, ties by lower id', () => {
  const s = run([init, { op: 'placeDb', name: 'one', dnodeId: 1, vgroups: 2 }]);
  // 4 dnodes, equal support: dnode 1 already has 2 vnodes, so the first vgroups avoid it.
  const even = planReplicatedPlacement(s, 'x', 3, 4, ready(10, 10, 10, 10));
  assert.deepEqual(placed(even), [
    [2, 3, 4],
    [2, 3, 4],
    [1, 2, 3],
    [1, 2, 4],
  ]);
  const after = applyClusterOp(s, even);
  assert.deepEqual(
    [1, 2, 3, 4].map((id) => vnodesOn(after, id)),
    [4, 4, 3, 3],
  );
  // A dnode with twice the support takes more replicas (ideal 3 : 1.5 : 1.5).
  const weighted = planReplicatedPlacement(run([init]), 'w', 1, 6, ready(20, 10, 10));
  const count = (id: number): number => placed(weighted).filter((d) => d.includes(id)).length;
  assert.deepEqual([count(1), count(2), count(3)], [3, 2, 1]);
});

test('fewer ready dnodes than replica → Out of dnodes (0x80000334); no free vnode → 0x800003B7', () => {
  const s = run([init]);
  assert.throws(
    () => planReplicatedPlacement(s, 'test', 3, 2, ready(8, 8)),
    (e: BasaltError) => e.code === 0x80000334 && /replica 3 but only 2 dnode\(s\) are ready \(1, 2\)/.test(e.message),
  );
  assert.throws(
    () => planReplicatedPlacement(s, 'test', 3, 2, ready(1, 1, 1)),
    (e: BasaltError) => e.code === 0x800003b7 && /vgroup 2/.test(e.message),
  );
});

test('a snapshot from before replicated placement reads with empty defaults', () => {
  const old = JSON.parse(JSON.stringify(run([init]))) as Record<string, unknown>;
  delete old['replicatedDbs'];
  delete old['nextVgId'];
  const s = withDefaults(old as Partial<ClusterState>);
  assert.deepEqual(s.replicatedDbs, {});
  assert.equal(s.nextVgId, CLUSTER_VGID_BASE);
  assert.equal(vnodesOn(s, 1), 0);
});

test('whole-db spread: every vgroup on the same least-loaded replica set with room for all', () => {
  const s = run([init, { op: 'placeDb', name: 'one', dnodeId: 1, vgroups: 2 }]);
  const op = planReplicatedPlacement(s, 'x', 3, 4, ready(10, 10, 10, 10), 'whole-db');
  assert.deepEqual(placed(op), [
    [2, 3, 4],
    [2, 3, 4],
    [2, 3, 4],
    [2, 3, 4],
  ]);
  const next = planReplicatedPlacement(applyClusterOp(s, op), 'y', 3, 2, ready(10, 10, 10, 10), 'whole-db');
  assert.deepEqual(placed(next)[0], [1, 2, 3]);
  assert.throws(
    () => planReplicatedPlacement(s, 'z', 3, 11, ready(10, 10, 10, 10), 'whole-db'),
    (e: BasaltError) => e.code === 0x800003b7,
  );
  assert.throws(
    () => planReplicatedPlacement(s, 'z', 3, 1, ready(10, 10), 'whole-db'),
    (e: BasaltError) => e.code === 0x80000334,
  );
});
