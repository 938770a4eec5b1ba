// The move planners without processes: balance evens vnodes out, drain finds a home for every
// replica of a dropped dnode or refuses with the reason, redistribute checks its input,
// leaders spread evenly, and startMoves/finishMove/cancelMove keep the placement consistent.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { BasaltError } from '../../src/common/errors.js';
import {
  applyClusterOp,
  EMPTY_CLUSTER_STATE,
  vnodesOn,
  type ClusterOp,
  type ClusterState,
  type ReadyDnode,
} from '../../src/mnode/cluster-state.js';
import { planBalance, planDrain, planLeaders, planRedistribute } from '../../src/mnode/rebalance.js';

function cluster(dnodes: number): ClusterState {
  let s = applyClusterOp(EMPTY_CLUSTER_STATE, { op: 'init', clusterId: '1', createdAtMs: 0, endpoint: 'h1:6030' });
  for (let i = 2; i <= dnodes; i++)
    s = applyClusterOp(s, { op: 'createDnode', id: i, endpoint: `h${i}:6030`, createdAtMs: 0 });
  return s;
}

const ready = (ids: number[], support = 64): ReadyDnode[] => ids.map((id) => ({ id, supportVnodes: support }));

function place(s: ClusterState, name: string, vgroups: number[][]): ClusterState {
  const op: ClusterOp = {
    op: 'placeReplicatedDb',
    name,
    replica: vgroups[0]!.length,
    vgroups: vgroups.map((d, i) => ({ vgId: s.nextVgId + i, dnodeIds: d })),
  };
  return applyClusterOp(s, op);
}

/** Applies planned moves as if the reconciler finished them all. */
function finishAll(s: ClusterState, moves: ReturnType<typeof planBalance>): ClusterState {
  let out = applyClusterOp(s, { op: 'startMoves', moves });
  for (const m of [...out.moves]) out = applyClusterOp(out, { op: 'finishMove', id: m.id });
  return out;
}

test('balance moves replicas onto a new, empty dnode until loads differ by at most one', () => {
  let s = place(
    cluster(4),
    'test',
    Array.from({ length: 8 }, () => [1, 2, 3]),
  );
  const moves = planBalance(s, ready([1, 2, 3, 4]), 0);
  assert.equal(moves.length, 6);
  for (const m of moves) {
    assert.ok(m.to.includes(4) && !m.from.includes(4));
    assert.equal(new Set(m.to).size, 3);
  }
  s = finishAll(s, moves);
  assert.deepEqual(
    [1, 2, 3, 4].map((id) => vnodesOn(s, id)),
    [6, 6, 6, 6],
  );
  assert.equal(planBalance(s, ready([1, 2, 3, 4]), 0).length, 0, 'balanced: nothing more to move');
});

test('balance property: any placement ends with loads within one where vgroups allow, replicas distinct', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 3, max: 7 }),
      fc.integer({ min: 1, max: 12 }),
      fc.integer({ min: 0, max: 1000 }),
      (n, vgs, seed) => {
        const ids = Array.from({ length: n }, (_, i) => i + 1);
        let r = seed;
        const vgroups = Array.from({ length: vgs }, () => {
          const pool = [...ids];
          const pick: number[] = [];
          for (let k = 0; k < 3; k++) {
            r = (r * 1103515245 + 12345) % 2147483648;
            pick.push(pool.splice(r % pool.length, 1)[0]!);
          }
          return pick.sort((a, b) => a - b);
        });
        let s = place(cluster(n), 'db', vgroups);
        for (let round = 0; round < 10; round++) {
          const moves = planBalance(s, ready(ids), 0);
          if (moves.length === 0) break;
          s = finishAll(s, moves);
        }
        const loads = ids.map((id) => vnodesOn(s, id));
        assert.ok(Math.max(...loads) - Math.min(...loads) <= 1, `loads ${loads.join(',')}`);
        for (const v of s.replicatedDbs['db']!.vgroups) assert.equal(new Set(v.dnodeIds).size, 3);
        assert.equal(
          loads.reduce((a, b) => a + b, 0),
          vgs * 3,
        );
      },
    ),
    { numRuns: 200 },
  );
});

test('drain moves every replica off a dnode, or refuses when replica 3 would not fit', () => {
  let s = place(cluster(4), 'test', [
    [1, 2, 3],
    [2, 3, 4],
    [1, 3, 4],
    [1, 2, 4],
  ]);
  const moves = planDrain(s, 4, ready([1, 2, 3]), 0);
  assert.equal(moves.length, 3);
  s = finishAll(s, moves);
  assert.equal(vnodesOn(s, 4), 0);
  for (const v of s.replicatedDbs['test']!.vgroups) assert.deepEqual(v.dnodeIds, [1, 2, 3]);
  const three = place(cluster(3), 'test', [[1, 2, 3]]);
  assert.throws(
    () => planDrain(three, 3, ready([1, 2]), 0),
    (e: unknown) => e instanceof BasaltError && e.errorName === 'OUT_OF_DNODES' && /needs 3 dnodes/.test(e.message),
  );
});

test('redistribute checks its dnodes; a moving vgroup is not moved twice', () => {
  const s = place(cluster(4), 'test', [[1, 2, 3]]);
  const vgId = s.replicatedDbs['test']!.vgroups[0]!.vgId;
  assert.throws(() => planRedistribute(s, vgId, [1, 1, 2], ready([1, 2, 3, 4]), 0), /twice/);
  assert.throws(() => planRedistribute(s, vgId, [1, 2], ready([1, 2, 3, 4]), 0), /exactly 3/);
  assert.throws(() => planRedistribute(s, vgId, [1, 2, 9], ready([1, 2, 3, 4]), 0), /dnode 9 does not exist/);
  assert.throws(() => planRedistribute(s, vgId, [1, 2, 4], ready([1, 2, 3]), 0), /offline/);
  assert.throws(
    () => planRedistribute(s, 77, [1, 2, 4], ready([1, 2, 3, 4]), 0),
    (e: unknown) => e instanceof BasaltError && e.errorName === 'VGROUP_NOT_EXIST',
  );
  assert.equal(planRedistribute(s, vgId, [3, 2, 1], ready([1, 2, 3, 4]), 0), null, 'already there');
  const mv = planRedistribute(s, vgId, [1, 2, 4], ready([1, 2, 3, 4]), 0)!;
  const moving = applyClusterOp(s, { op: 'startMoves', moves: [mv] });
  assert.deepEqual(moving.replicatedDbs['test']!.vgroups[0]!.dnodeIds, [1, 2, 3, 4], 'old and new while moving');
  assert.throws(
    () => planRedistribute(moving, vgId, [2, 3, 4], ready([1, 2, 3, 4]), 0),
    (e: unknown) => e instanceof BasaltError && e.errorName === 'TRANS_CONFLICT',
  );
  const cancelled = applyClusterOp(moving, { op: 'cancelMove', id: moving.moves[0]!.id });
  assert.deepEqual(cancelled.replicatedDbs['test']!.vgroups[0]!.dnodeIds, [1, 2, 3]);
  const done = applyClusterOp(moving, { op: 'finishMove', id: moving.moves[0]!.id });
  assert.deepEqual(done.replicatedDbs['test']!.vgroups[0]!.dnodeIds, [1, 2, 4]);
  assert.equal(done.moves.length, 0);
});

test('leaders spread evenly whenever the placement allows (augmenting paths, not greedy)', () => {
  // 4 vgroups on 4 dnodes, each missing one: a perfect spread exists for any current leaders.
  const sets = [
    [2, 3, 4],
    [1, 3, 4],
    [1, 2, 4],
    [1, 2, 3],
  ];
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 4, maxLength: 4 }), (picks) => {
      const groups = sets.map((voters, i) => ({ vgId: i + 2, voters, leader: voters[picks[i]!]! }));
      const want = planLeaders(groups);
      const final = groups.map((g) => want.get(g.vgId) ?? g.leader);
      assert.equal(new Set(final).size, 4, `leaders ${final.join(',')}`);
      groups.forEach((g, i) => {
        assert.ok(g.voters.includes(final[i]!));
      });
    }),
    { numRuns: 81 },
  );
});

test('leaders spread: 8 vgroups on 3 dnodes → 3/3/2, keeping leaders that are already fair', () => {
  const groups = Array.from({ length: 8 }, (_, i) => ({ vgId: i + 2, voters: [1, 2, 3], leader: 1 }));
  const want = planLeaders(groups);
  const final = groups.map((g) => want.get(g.vgId) ?? g.leader);
  const per = [1, 2, 3].map((id) => final.filter((x) => x === id).length).sort();
  assert.deepEqual(per, [2, 3, 3]);
  assert.ok(want.size <= 6, 'leaders already on dnode 1 stay where fair');
  const fair = planLeaders([
    { vgId: 2, voters: [1, 2, 3], leader: 2 },
    { vgId: 3, voters: [1, 2, 3], leader: 3 },
    { vgId: 4, voters: [1, 2, 3], leader: 1 },
  ]);
  assert.equal(fair.size, 0);
});
