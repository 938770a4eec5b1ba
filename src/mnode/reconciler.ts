// The mnode leader's reconciler: carries out the vgroup moves committed in the cluster state
// (balance vgroup, redistribute vgroup, drop dnode) one Raft membership step at a time, and
// removes a dnode being dropped once nothing is left on it. Every step is decided from the
// committed state plus the vgroup leader's current membership, so it is idempotent: a new
// mnode leader (or this one after an error) simply looks again and does the next step, and
// a move interrupted by a leader change resumes where Raft membership stands.
//
// One move, from replicas F to replicas T:
//   1. each dnode of T \ F records the database and opens an empty replica (FORWARD host);
//   2. the vgroup leader adds it as a learner; it catches up by snapshot + log;
//   3. once its match index reaches the commit index, the leader promotes it;
//   4. each dnode of F \ T is removed (leadership handed to a T voter first if it leads);
//   5. finishMove commits T as the placement; every dnode of F ∪ T is told (the removed
//      ones close and delete their replica).
import { toBasaltError } from '../common/errors.js';
import { Limits } from '../common/limits.js';
import { vnodesOn, type ClusterState, type VgroupMove } from './cluster-state.js';
import type { Mnode } from './mnode.js';
import type { HostDatabase } from './cluster-messages.js';
import type { HostOnDnode, LeaderHost } from './leader-host.js';
import type { Liveness } from './liveness.js';

/** What `show transactions` shows of a move beyond its committed record (leader soft state). */
export interface MoveProgress {
  stage: string;
  failedTimes: number;
  lastExecMs: number;
  lastInfo: string;
}

/** The database's placement as a host message (a dnode joining a vgroup founds none). */
export function hostMessage(s: ClusterState, db: string, index: number): HostDatabase | null {
  const p = s.replicatedDbs[db];
  if (!p) return null;
  return {
    name: db,
    // The replica is explicit: during a move the vgroup lists old and new dnodes, one more than it.
    options: { ...(p.options ?? {}), replica: p.replica },
    vgroups: p.vgroups.map((v) => ({ vgId: v.vgId, dnodeIds: [...v.dnodeIds], moved: true })),
    index,
  };
}

export class Reconciler {
  private timer: NodeJS.Timeout | null = null;
  private running = false;
  private readonly progress = new Map<number, MoveProgress>();
  /** Moves whose new dnodes were told to host their replica (by this leader). */
  private readonly hosted = new Set<number>();

  constructor(
    private readonly node: LeaderHost,
    private readonly liveness: Liveness,
    private readonly host: HostOnDnode,
  ) {}

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      void this.tick();
    }, Limits.mnodeMoveTickMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  progressOf(id: number): MoveProgress | undefined {
    return this.progress.get(id);
  }

  /** One pass over the pending moves and drops (also called right after a plan is committed). */
  async tick(): Promise<void> {
    const m = this.node.mnode;
    if (this.running || !m || !m.serving) return;
    this.running = true;
    try {
      for (const mv of m.state.moves) {
        if (!m.serving) break;
        await this.step(m, mv);
      }
      await this.finishDrops(m);
    } finally {
      this.running = false;
    }
  }

  private note(mv: VgroupMove, stage: string, info: string, failed = false): void {
    const p = this.progress.get(mv.id) ?? { stage, failedTimes: 0, lastExecMs: 0, lastInfo: '' };
    p.stage = stage;
    p.lastExecMs = Date.now();
    p.lastInfo = info;
    if (failed) p.failedTimes++;
    this.progress.set(mv.id, p);
  }

  private async step(m: Mnode, mv: VgroupMove): Promise<void> {
    const link = this.node.vgroups;
    const adds = mv.to.filter((x) => !mv.from.includes(x));
    const removes = mv.from.filter((x) => !mv.to.includes(x));
    link.note(mv.vgId, mv.db, [...new Set([...mv.from, ...mv.to])]);
    try {
      if (!this.hosted.has(mv.id)) {
        const h = hostMessage(m.state, mv.db, m.commitIndex);
        if (!h) return; // the database was dropped: unplaceDb removed the move too
        for (const id of adds) await this.host(id, h);
        this.hosted.add(mv.id);
      }
      let st = await link.ctl(mv.vgId, { action: 'status' });
      for (const add of adds) {
        if (!st.voters.includes(add) && !st.learners.includes(add)) {
          this.note(mv, 'add learner', `adding dnode ${add} as a learner of vgroup ${mv.vgId}`);
          st = await link.ctl(mv.vgId, { action: 'addLearner', node: add });
        }
        if (st.learners.includes(add)) {
          const match = new Map(st.match).get(add) ?? 0;
          if (match < st.commit) {
            this.note(mv, 'catch up', `dnode ${add} has ${match} of ${st.commit} entries of vgroup ${mv.vgId}`);
            return;
          }
          this.note(mv, 'promote', `promoting dnode ${add} to a voter of vgroup ${mv.vgId}`);
          st = await link.ctl(mv.vgId, { action: 'promote', node: add });
        }
      }
      for (const rem of removes) {
        if (!st.voters.includes(rem) && !st.learners.includes(rem)) continue;
        if (st.leader === rem) {
          const to = mv.to.find((x) => st.voters.includes(x) && x !== rem);
          if (to === undefined) return;
          this.note(mv, 'transfer', `dnode ${rem} leads vgroup ${mv.vgId}: handing leadership to dnode ${to}`);
          await link.ctl(mv.vgId, { action: 'transfer', node: to }, Limits.mnodeLeaderTransferTimeoutMs);
          return; // ask the new leader next time
        }
        this.note(mv, 'remove', `removing dnode ${rem} from vgroup ${mv.vgId}`);
        st = await link.ctl(mv.vgId, { action: 'remove', node: rem });
      }
      const settled =
        mv.to.every((x) => st.voters.includes(x)) && st.voters.length === mv.to.length && st.learners.length === 0;
      if (!settled) return;
      await m.propose({ op: 'finishMove', id: mv.id });
      this.note(mv, 'done', `vgroup ${mv.vgId} is on dnodes ${mv.to.join(', ')}`);
      this.node.log.info('vgroup move finished', {
        db: mv.db,
        vgId: mv.vgId,
        from: mv.from.join(','),
        to: mv.to.join(','),
        reason: mv.reason,
      });
      this.progress.delete(mv.id);
      this.hosted.delete(mv.id);
      // Every dnode that had or has a replica learns the final placement; a removed one
      // closes and deletes its replica. A dead one learns it from its status replies later.
      const h = hostMessage(m.state, mv.db, m.commitIndex);
      if (h) {
        for (const id of new Set([...mv.from, ...mv.to])) {
          await this.host(id, h).catch((e: unknown) =>
            this.node.log.warn('a dnode did not take the new placement; it follows at its next status', {
              dnodeId: id,
              vgId: mv.vgId,
              error: toBasaltError(e).message,
            }),
          );
        }
      }
    } catch (e) {
      const msg = toBasaltError(e).message;
      this.note(mv, this.progress.get(mv.id)?.stage ?? 'start', msg, true);
      const p = this.progress.get(mv.id)!;
      if (p.failedTimes === 1 || p.failedTimes % 40 === 0)
        this.node.log.warn('vgroup move step failed; retrying', {
          db: mv.db,
          vgId: mv.vgId,
          failedTimes: p.failedTimes,
          error: msg,
        });
    }
  }

  /** A dnode being dropped is removed once no vnode and no move is left on it. */
  private async finishDrops(m: Mnode): Promise<void> {
    for (const id of m.state.dropping) {
      const s = m.state;
      if (vnodesOn(s, id) > 0 || s.moves.some((x) => x.from.includes(id) || x.to.includes(id))) continue;
      if (!s.dnodes.some((d) => d.id === id)) continue;
      await m.propose({ op: 'dropDnode', id });
      this.liveness.forget(id);
      this.node.log.info('dnode dropped after its vnodes moved away; if it still runs it will be told and exit', {
        dnodeId: id,
      });
    }
  }
}
