// Plans for moving vgroup replicas: `balance vgroup`, `redistribute vgroup`, `drop dnode`
// (and `drop dnode force`), and the leader spread of `balance vgroup leader`. Pure functions
// of the cluster state and the ready dnodes; the mnode leader commits the result as a
// startMoves op and its reconciler carries the moves out (src/mnode/reconciler.ts).
import { BasaltError } from '../common/errors.js';
import { vnodesOn, type ClusterState, type ReadyDnode, type VgroupMove } from './cluster-state.js';

export type PlannedMove = Omit<VgroupMove, 'id'>;

interface VgroupRef {
  readonly db: string;
  readonly vgId: number;
  readonly dnodeIds: readonly number[];
}

function allVgroups(s: ClusterState): VgroupRef[] {
  const out: VgroupRef[] = [];
  for (const [db, p] of Object.entries(s.replicatedDbs))
    for (const v of p.vgroups) out.push({ db, vgId: v.vgId, dnodeIds: v.dnodeIds });
  return out.sort((a, b) => a.vgId - b.vgId);
}

function busy(s: ClusterState, vgId: number): boolean {
  return s.moves.some((m) => m.vgId === vgId);
}

const sorted = (ids: Iterable<number>): number[] => [...ids].sort((a, b) => a - b);

/**
 * Evens out vnodes over the ready dnodes (vnodes / supportVnodes): repeatedly moves one
 * replica from the most to the least loaded dnode, through a vgroup that has the first and
 * not the second, until no move lowers the spread. Each vgroup moves at most once per plan.
 */
export function planBalance(s: ClusterState, ready: readonly ReadyDnode[], nowMs: number): PlannedMove[] {
  const load = new Map(ready.map((d) => [d.id, vnodesOn(s, d.id)]));
  const support = new Map(ready.map((d) => [d.id, Math.max(1, d.supportVnodes)]));
  const score = (id: number): number => load.get(id)! / support.get(id)!;
  const taken = new Set<number>();
  const moves: PlannedMove[] = [];
  for (let round = 0; round < 10_000; round++) {
    const ids = [...load.keys()];
    if (ids.length < 2) break;
    ids.sort((a, b) => score(b) - score(a) || a - b);
    let done = false;
    // Most loaded first; for each, the least loaded target that makes things better.
    for (const from of ids) {
      for (const to of [...ids].reverse()) {
        if (from === to || load.get(from)! - load.get(to)! <= 1 || load.get(to)! >= support.get(to)!) continue;
        const vg = allVgroups(s).find(
          (v) => !taken.has(v.vgId) && !busy(s, v.vgId) && v.dnodeIds.includes(from) && !v.dnodeIds.includes(to),
        );
        if (!vg) continue;
        taken.add(vg.vgId);
        moves.push({
          db: vg.db,
          vgId: vg.vgId,
          from: vg.dnodeIds,
          to: sorted([...vg.dnodeIds.filter((x) => x !== from), to]),
          createdAtMs: nowMs,
          reason: 'balance vgroup',
        });
        load.set(from, load.get(from)! - 1);
        load.set(to, load.get(to)! + 1);
        done = true;
        break;
      }
      if (done) break;
    }
    if (!done) break;
  }
  return moves;
}

/** `redistribute vgroup N dnode a dnode b dnode c`: one vgroup onto exactly these dnodes. */
export function planRedistribute(
  s: ClusterState,
  vgId: number,
  dnodeIds: readonly number[],
  ready: readonly ReadyDnode[],
  nowMs: number,
): PlannedMove | null {
  const vg = allVgroups(s).find((v) => v.vgId === vgId);
  if (!vg) {
    const ids =
      allVgroups(s)
        .map((v) => v.vgId)
        .join(', ') || 'none';
    throw new BasaltError(
      'VGROUP_NOT_EXIST',
      `vgroup ${vgId} is not a vgroup of a replicated database (vgroups: ${ids}; see 'show <db>.vgroups')`,
    );
  }
  const p = s.replicatedDbs[vg.db]!;
  const target = sorted(new Set(dnodeIds));
  if (target.length !== dnodeIds.length)
    throw new BasaltError(
      'INVALID_PARA',
      `redistribute vgroup ${vgId} names a dnode twice; name ${p.replica} distinct dnodes`,
    );
  if (target.length !== p.replica)
    throw new BasaltError(
      'INVALID_PARA',
      `vgroup ${vgId} of database '${vg.db}' has replica ${p.replica}; name exactly ${p.replica} dnode(s)`,
    );
  const readyIds = new Set(ready.map((d) => d.id));
  for (const id of target) {
    if (!s.dnodes.some((d) => d.id === id))
      throw new BasaltError('DNODE_NOT_EXIST', `dnode ${id} does not exist; see 'show dnodes'`);
    if (!readyIds.has(id))
      throw new BasaltError(
        'DNODE_OFFLINE',
        `dnode ${id} is offline; redistribute only onto ready dnodes ('show dnodes')`,
      );
  }
  if (busy(s, vgId))
    throw new BasaltError('TRANS_CONFLICT', `vgroup ${vgId} is already moving; wait for it ('show transactions')`);
  if (target.join(',') === sorted(vg.dnodeIds).join(',')) return null;
  return { db: vg.db, vgId, from: vg.dnodeIds, to: target, createdAtMs: nowMs, reason: `redistribute vgroup ${vgId}` };
}

/**
 * Moves every replica off dnode `id` (drop dnode): each vgroup on it gets the least-loaded
 * ready dnode it is not on instead. Refused when some vgroup has no such dnode.
 */
export function planDrain(s: ClusterState, id: number, ready: readonly ReadyDnode[], nowMs: number): PlannedMove[] {
  const load = new Map(ready.filter((d) => d.id !== id).map((d) => [d.id, vnodesOn(s, d.id)]));
  const support = new Map(ready.map((d) => [d.id, Math.max(1, d.supportVnodes)]));
  const moves: PlannedMove[] = [];
  for (const vg of allVgroups(s)) {
    if (!vg.dnodeIds.includes(id)) continue;
    if (busy(s, vg.vgId))
      throw new BasaltError(
        'TRANS_CONFLICT',
        `vgroup ${vg.vgId} of database '${vg.db}' is already moving; wait for it ('show transactions') and retry`,
      );
    const candidates = [...load.keys()]
      .filter((d) => !vg.dnodeIds.includes(d) && load.get(d)! < support.get(d)!)
      .sort((a, b) => load.get(a)! / support.get(a)! - load.get(b)! / support.get(b)! || a - b);
    const to = candidates[0];
    if (to === undefined) {
      const replica = s.replicatedDbs[vg.db]!.replica;
      throw new BasaltError(
        'OUT_OF_DNODES',
        `dnode ${id} cannot be dropped: vgroup ${vg.vgId} of database '${vg.db}' (replica ${replica}) would have nowhere to move its replica — it needs ${replica} dnodes and the other ready dnodes either hold it already or are full; add a dnode first ('create dnode'), or drop the database`,
      );
    }
    load.set(to, load.get(to)! + 1);
    moves.push({
      db: vg.db,
      vgId: vg.vgId,
      from: vg.dnodeIds,
      to: sorted([...vg.dnodeIds.filter((x) => x !== id), to]),
      createdAtMs: nowMs,
      reason: `drop dnode ${id}`,
    });
  }
  return moves;
}

/**
 * `balance vgroup leader`: a leader for each vgroup among its voters so that no dnode leads
 * more than ceil(vgroups / dnodes) where the placement allows (a matching with capacities,
 * found by augmenting paths), keeping a vgroup's current leader where it fits. Returns vgId →
 * wanted leader (only where it changes).
 */
export function planLeaders(
  groups: ReadonlyArray<{ vgId: number; voters: readonly number[]; leader: number }>,
): Map<number, number> {
  const list = groups.filter((g) => g.voters.length > 0);
  const dnodes = new Set(list.flatMap((g) => g.voters));
  const want = new Map<number, number>();
  if (list.length === 0) return want;
  for (let cap = Math.ceil(list.length / dnodes.size); cap <= list.length; cap++) {
    const holders = new Map<number, number[]>();
    const assigned = new Array<number>(list.length).fill(0);
    const place = (gi: number, seen: Set<number>): boolean => {
      const g = list[gi]!;
      const order = [...g.voters].sort((a, b) => Number(b === g.leader) - Number(a === g.leader) || a - b);
      for (const d of order) {
        if (seen.has(d)) continue;
        seen.add(d);
        const h = holders.get(d) ?? [];
        holders.set(d, h);
        if (h.length < cap) {
          h.push(gi);
          assigned[gi] = d;
          return true;
        }
        for (const other of [...h]) {
          if (place(other, seen)) {
            h.splice(h.indexOf(other), 1);
            h.push(gi);
            assigned[gi] = d;
            return true;
          }
        }
      }
      return false;
    };
    if (!list.every((_, gi) => place(gi, new Set()))) continue;
    list.forEach((g, gi) => {
      if (assigned[gi] !== g.leader) want.set(g.vgId, assigned[gi]!);
    });
    return want;
  }
  return want;
}
