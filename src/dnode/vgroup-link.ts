// How a dnode reaches vgroups it holds no replica of (src/vnode/remote-vnode.ts), both ends:
//   - VgroupLinkClient (the VgroupLink of this dnode's RemoteVnodes): sends a mutation, a
//     meta request or a select subplan to the vgroup's replicas — the last known leader
//     first, then the others (online ones first), following NOT_LEADER hints — bounded in
//     attempts and time, ending with an error that names the vgroup and what each dnode said;
//   - VgroupService: the replica side (VNODE_PROPOSE / VNODE_META / VNODE_SUBPLAN).
// Subplans run on the replica through src/vnode/subplan-service.ts. Subplans, meta and
// partial results are plain data with typed arrays and bigints: they travel as v8
// structured-clone bytes (node:v8 serialize), which keeps them exact.
import { deserialize, serialize } from 'node:v8';
import { BasaltError, toBasaltError } from '../common/errors.js';
import { Limits } from '../common/limits.js';
import type { RpcReply } from '../rpc/server.js';
import type { RemoteMetaReply, VgroupLink } from '../vnode/remote-vnode.js';
import type { ReplicatedVnode } from '../vnode/replicated-vnode.js';
import { decodeSubplan, runShippedSubplan } from '../vnode/subplan-service.js';
import { asMap, ClusterMsg, type VnodeCtl, type VnodeCtlReply } from '../mnode/cluster-messages.js';
import type { PeerPool } from './peer-pool.js';

/** One attempt at one replica: mutations and meta answer fast; a subplan may scan a lot. */
const ATTEMPT_TIMEOUT_MS = Limits.clusterRpcTimeoutMs;
const SUBPLAN_TIMEOUT_MS = Limits.rpcTimeoutMs;
/** Errors after which another replica (or the same one later) may succeed. */
const RETRY = new Set([
  'NOT_LEADER',
  // The leader is handing over (a move removes it, or balance vgroup leader): ask again.
  'PROPOSAL_DROPPED',
  'NO_QUORUM',
  'NO_LEADER',
  'CONNECTION_FAILED',
  'SHUTTING_DOWN',
  'NOT_READY',
  'TIMEOUT',
]);

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export interface LinkEnv {
  readonly peers: PeerPool;
  readonly selfId: () => number;
  readonly epOf: (dnodeId: number) => string | undefined;
  /** Dnodes the mnode leader shows offline: tried last. */
  readonly offline: () => readonly number[];
  /** The vgroup's replica dnodes as the mnode last said (status replies), if known. */
  readonly placedHosts: (vgId: number) => readonly number[] | undefined;
}

function reason(e: BasaltError): string {
  switch (e.errorName) {
    case 'CONNECTION_FAILED':
      return 'unreachable';
    case 'TIMEOUT':
      return 'no answer';
    case 'NOT_LEADER':
      return 'not the leader';
    case 'NO_QUORUM':
    case 'NO_LEADER':
      return 'no quorum';
    case 'SHUTTING_DOWN':
      return 'stopping';
    case 'NOT_READY':
      return 'not ready';
    default:
      return e.message;
  }
}

export class VgroupLinkClient implements VgroupLink {
  private readonly leaderHint = new Map<number, number>();
  /** vgId → until when it is known leaderless, and the error that said so. */
  private readonly down = new Map<number, { untilMs: number; error: BasaltError }>();
  private readonly noted = new Map<number, { db: string; dnodeIds: readonly number[] }>();

  constructor(private readonly env: LinkEnv) {}

  /** What the engine's catalog says of a vgroup (used until the mnode's placement is known). */
  note(vgId: number, db: string, dnodeIds: readonly number[]): void {
    this.noted.set(vgId, { db, dnodeIds });
  }

  hostsOf(vgId: number): readonly number[] {
    return this.env.placedHosts(vgId) ?? this.noted.get(vgId)?.dnodeIds ?? [];
  }

  async propose(vgId: number, payload: Uint8Array): Promise<void> {
    await this.call(vgId, 'write to', ClusterMsg.VNODE_PROPOSE, { vgId }, [payload], ATTEMPT_TIMEOUT_MS, true);
  }

  async meta(vgId: number, have: { epoch: number; version: number } | null): Promise<RemoteMetaReply> {
    const r = await this.call(
      vgId,
      'read the tables of',
      ClusterMsg.VNODE_META,
      { vgId, ...(have ?? {}) },
      [],
      ATTEMPT_TIMEOUT_MS,
      false,
      Limits.vgroupMetaDeadlineMs,
    );
    const reply = deserialize(r.payload) as RemoteMetaReply;
    // The replica's view of the leader: reads and writes start there, and a freeze of it is
    // noticed by asking the others (unlessLeaderMoved) instead of waiting out the attempt.
    const lead = reply.status?.leader ?? 0;
    if (lead > 0 && this.hostsOf(vgId).includes(lead)) this.leaderHint.set(vgId, lead);
    return reply;
  }

  async subplan(vgId: number, kind: 'agg' | 'rows', plan: unknown): Promise<unknown> {
    const r = await this.call(
      vgId,
      'query',
      ClusterMsg.VNODE_SUBPLAN,
      { vgId, kind },
      [serialize(plan)],
      SUBPLAN_TIMEOUT_MS,
      false,
    );
    return deserialize(r.payload);
  }

  /** A membership or leadership command (or 'status') at the vgroup's leader (the mnode's reconciler). */
  async ctl(vgId: number, control: VnodeCtl, timeoutMs: number = ATTEMPT_TIMEOUT_MS): Promise<VnodeCtlReply> {
    const r = await this.call(
      vgId,
      `${control.action} at the leader of`,
      ClusterMsg.VNODE_CTL,
      { ...control, vgId },
      [],
      timeoutMs,
      true,
    );
    return deserialize(r.payload) as VnodeCtlReply;
  }

  /**
   * `req` to dnode `target`, the vgroup's presumed leader; but once another replica names a
   * different leader while `req` is still unanswered, a NOT_LEADER naming it, so the caller
   * goes there at once (a frozen or cut-off leader answers nothing until the attempt's
   * timeout). The abandoned request may still complete at the old leader: rows are
   * idempotent, and the caller already retries elsewhere after a TIMEOUT.
   */
  private async unlessLeaderMoved(
    vgId: number,
    target: number,
    req: Promise<{ payload: Uint8Array }>,
  ): Promise<{ payload: Uint8Array }> {
    if (this.hostsOf(vgId).length < 2) return req;
    const watch = { done: false };
    const moved = this.watchLeader(vgId, target, watch);
    try {
      const first = await Promise.race([req.then((r) => ({ r, lead: 0 })), moved.then((lead) => ({ r: null, lead }))]);
      if (first.r !== null) return first.r;
      req.catch(() => undefined);
      throw new BasaltError(
        'NOT_LEADER',
        `dnode ${target} did not answer for vgroup ${vgId} within ${Limits.vgroupLeaderCheckMs} ms and dnode ${first.lead} leads it now`,
        { leader: first.lead, vgId },
      );
    } finally {
      watch.done = true;
    }
  }

  /**
   * Resolves with the leader another replica names, once it is not `target`; stays pending
   * while they name `target` or nobody (until `watch.done`, bounded in rounds either way).
   */
  private async watchLeader(vgId: number, target: number, watch: { done: boolean }): Promise<number> {
    await sleep(Limits.vgroupLeaderCheckMs);
    const rounds = Math.ceil(Limits.vgroupRequestDeadlineMs / (Limits.vgroupLeaderCheckMs / 2)) + 1;
    for (let k = 0; k < rounds && !watch.done; k++) {
      for (const other of this.hostsOf(vgId)) {
        if (watch.done) break;
        if (other === target) continue;
        const lead = await this.askLeader(vgId, other);
        if (lead > 0 && lead !== target && this.hostsOf(vgId).includes(lead)) return lead;
      }
      await sleep(Limits.vgroupLeaderCheckMs / 2);
    }
    return new Promise<number>(() => undefined);
  }

  /** The leader dnode `other` knows of for the vgroup (itself when it leads), 0 if none or no answer. */
  private async askLeader(vgId: number, other: number): Promise<number> {
    const ep = this.env.epOf(other);
    if (!ep) return 0;
    try {
      const r = await this.env.peers.request(
        ep,
        ClusterMsg.VNODE_CTL,
        { action: 'status', vgId },
        [],
        Limits.vgroupLeaderAskMs,
      );
      return (deserialize(r.payload) as VnodeCtlReply).leader;
    } catch (e) {
      const be = toBasaltError(e);
      return be.errorName === 'NOT_LEADER' ? Number((be.data as { leader?: unknown } | undefined)?.leader ?? 0) : 0;
    }
  }

  /** Replicas to try, in order: the hinted leader, then online ones, then the rest. */
  private order(vgId: number): number[] {
    const hosts = [...this.hostsOf(vgId)];
    const offline = new Set(this.env.offline());
    const hint = this.leaderHint.get(vgId);
    return hosts.sort(
      (a, b) => Number(b === hint) - Number(a === hint) || Number(offline.has(a)) - Number(offline.has(b)) || a - b,
    );
  }

  private async call(
    vgId: number,
    what: string,
    msgType: number,
    control: Record<string, unknown>,
    payload: Uint8Array[],
    timeoutMs: number,
    needLeader: boolean,
    deadlineMs: number = Limits.vgroupRequestDeadlineMs,
  ): Promise<{ payload: Uint8Array }> {
    const startMs = Date.now();
    const known = this.down.get(vgId);
    if (known && known.untilMs > startMs) throw known.error;
    const deadline = startMs + deadlineMs;
    const said = new Map<number, string>();
    let attempts = 0;
    while (attempts < Limits.vgroupMaxAttempts && Date.now() < deadline) {
      const order = this.order(vgId);
      if (order.length === 0) break;
      let redirected = false;
      for (const id of order) {
        if (attempts >= Limits.vgroupMaxAttempts || Date.now() >= deadline) break;
        const ep = this.env.epOf(id);
        if (!ep) {
          said.set(id, 'endpoint unknown');
          continue;
        }
        attempts++;
        try {
          const attemptMs = Math.max(200, Math.min(timeoutMs, deadline - Date.now()));
          const req = this.env.peers.request(ep, msgType, control, payload, attemptMs);
          // Reads may go to any replica, but they too start at the presumed leader: watch it.
          const r =
            needLeader || this.leaderHint.get(vgId) === id ? await this.unlessLeaderMoved(vgId, id, req) : await req;
          if (needLeader) this.leaderHint.set(vgId, id);
          this.down.delete(vgId);
          return r;
        } catch (e) {
          const be = toBasaltError(e);
          if (!RETRY.has(be.errorName)) throw be;
          said.set(id, reason(be));
          const lead = Number((be.data as { leader?: unknown } | undefined)?.leader ?? 0);
          if (
            be.errorName === 'NOT_LEADER' &&
            lead > 0 &&
            lead !== id &&
            this.hostsOf(vgId).includes(lead) &&
            this.leaderHint.get(vgId) !== lead
          ) {
            this.leaderHint.set(vgId, lead);
            redirected = true;
            break; // start over at the leader it named
          }
          if (this.leaderHint.get(vgId) === id) this.leaderHint.delete(vgId);
        }
      }
      if (!redirected) await sleep(Limits.vgroupRoundPauseMs);
    }
    const db = this.noted.get(vgId)?.db ?? '?';
    const hosts = this.hostsOf(vgId);
    const unreachable = hosts.filter((id) =>
      ['unreachable', 'no answer', 'endpoint unknown', 'stopping'].includes(said.get(id) ?? ''),
    );
    const detail = hosts.map((id) => `dnode ${id}: ${said.get(id) ?? 'not tried'}`).join('; ');
    const head =
      unreachable.length > 0
        ? `vgroup ${vgId} of db ${db} has no leader: dnode${unreachable.length > 1 ? 's' : ''} ${unreachable.join(', ')} unreachable`
        : `vgroup ${vgId} of db ${db} has no leader`;
    const error = new BasaltError(
      'NO_LEADER',
      `${head} (could not ${what} it in ${Date.now() - startMs} ms, ${attempts} attempts; ${detail}); ${hosts.length === 1 ? `a vgroup of replica 1 needs its dnode ${hosts[0]} running` : `a vgroup of replica ${hosts.length} needs ${Math.floor(hosts.length / 2) + 1} of its dnodes running`}: start the stopped ones ('show dnodes')`,
      { vgId },
    );
    this.down.set(vgId, { untilMs: Date.now() + Limits.vgroupDownHoldMs, error });
    throw error;
  }
}

/** The replica side: answers for the vgroups this dnode hosts a replica of. */
export class VgroupService {
  constructor(
    private readonly replicas: ReadonlyMap<number, ReplicatedVnode>,
    private readonly selfId: () => number,
  ) {}

  private replica(vgId: unknown): ReplicatedVnode {
    const v = typeof vgId === 'number' ? this.replicas.get(vgId) : undefined;
    if (!v)
      throw new BasaltError(
        'NOT_READY',
        `dnode ${this.selfId()} hosts no replica of vgroup ${String(vgId)} (it may have moved; ask the others)`,
      );
    return v;
  }

  async propose(control: unknown, payload: Uint8Array): Promise<RpcReply> {
    const { vgId } = asMap<{ vgId: number }>(control, 'VNODE_PROPOSE');
    // The payload is a view into the frame body, which the RPC layer allocates per frame and
    // never writes again (rpc/frame.ts), so it can become the Raft entry as it is. Only a view
    // into a much larger buffer (a small frame in Buffer's shared 8 KB pool) is copied, so the
    // entry does not pin memory it does not use.
    const own = payload.byteLength * 2 >= payload.buffer.byteLength ? payload : Uint8Array.from(payload);
    await this.replica(vgId).proposeForwarded(own);
    return { control: { ok: true } };
  }

  async ctl(control: unknown): Promise<RpcReply> {
    const c = asMap<{ vgId: number; action: string; node?: number }>(control, 'VNODE_CTL');
    const v = this.replica(c.vgId);
    if (!v.isLeader()) {
      const lead = v.status().leader;
      if (lead)
        throw new BasaltError(
          'NOT_LEADER',
          `dnode ${this.selfId()} does not lead vgroup ${c.vgId}; dnode ${lead} does`,
          { leader: lead, vgId: c.vgId },
        );
      throw new BasaltError('NO_QUORUM', `vgroup ${c.vgId} has no leader known to dnode ${this.selfId()}; retry`, {
        leader: 0,
        vgId: c.vgId,
      });
    }
    const node = Number(c.node);
    const needNode = (): number => {
      if (!Number.isSafeInteger(node) || node <= 0)
        throw new BasaltError('BAD_FRAME', `VNODE_CTL ${c.action} needs a dnode id`);
      return node;
    };
    switch (c.action) {
      case 'status':
        break;
      case 'addLearner':
        await v.addLearner(needNode());
        break;
      case 'promote':
        await v.promote(needNode());
        break;
      case 'remove':
        await v.remove(needNode());
        break;
      case 'transfer':
        await v.transferLeader(needNode());
        break;
      default:
        throw new BasaltError('BAD_FRAME', `VNODE_CTL action '${c.action}' is unknown`);
    }
    const st = v.status();
    const match: Array<[number, number]> = [...st.voters, ...st.learners].map((id) => [
      id,
      id === st.nodeId ? st.lastIndex : (v.matchIndexOf(id) ?? 0),
    ]);
    const reply: VnodeCtlReply = {
      leader: st.leader,
      voters: [...st.voters],
      learners: [...st.learners],
      commit: st.commit,
      match,
    };
    return { control: { ok: true }, payload: [serialize(reply)] };
  }

  async meta(control: unknown): Promise<RpcReply> {
    const c = asMap<{ vgId: number; epoch?: number; version?: number }>(control, 'VNODE_META');
    const v = this.replica(c.vgId);
    await v.readBarrier({ allowFollower: true });
    const m = v.meta;
    const st = v.status();
    const stats = v.stats();
    const same = c.epoch === m.epoch && c.version === m.version;
    const reply: RemoteMetaReply = {
      epoch: m.epoch,
      version: m.version,
      snapshot: same ? null : m.snapshot(),
      status: { leader: st.leader, voters: [...st.voters], learners: [...st.learners] },
      rows: stats.rows,
      tables: stats.tables,
    };
    return { control: { ok: true }, payload: [serialize(reply)] };
  }

  async subplan(control: unknown, payload: Uint8Array): Promise<RpcReply> {
    const c = asMap<{ vgId: number; kind: string }>(control, 'VNODE_SUBPLAN');
    const v = this.replica(c.vgId);
    const plan = decodeSubplan(payload);
    await v.readBarrier({ allowFollower: true });
    return { control: { ok: true }, payload: [runShippedSubplan(v, c.vgId, c.kind, plan)] };
  }
}
