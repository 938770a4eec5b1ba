// The replicated cluster state: cluster id, dnodes (ids increasing, never reused), mnodes,
// and where each database's vgroups live. It is the state machine of the mnode Raft group
// (group 1): every change is a ClusterOp committed through Raft and applied by the pure
// `applyClusterOp` on every mnode, so all mnodes hold the same state. Liveness (last status,
// offline notes) is not here: it is soft state of the mnode leader (see liveness.ts).
import { randomBytes } from 'node:crypto';
import { assert } from '../common/assert.js';
import { BasaltError } from '../common/errors.js';
import { applyUserOp, EMPTY_USERS, type UserOp, type UsersState } from './users.js';

/**
 * First vgId the mnode hands out. Replica-1 databases still take vgIds from their dnode's
 * local catalog (counting up from 2), so cluster-assigned vgIds start far above them: the
 * two ranges never meet on one dnode (a vgId is both the vnode directory name and the Raft
 * group id on the dnode's shared runtime).
 */
export const CLUSTER_VGID_BASE = 1 << 20;

export interface DnodeRecord {
  readonly id: number;
  /** `fqdn:port` as given to `create dnode`. */
  readonly endpoint: string;
  readonly createdAtMs: number;
  /** True once the dnode has been admitted (its first status accepted). */
  readonly joined: boolean;
  /** Hex of the dnode's own secret, issued when it joins: its status reports prove they hold it. */
  readonly secret?: string;
}

/**
 * A join token: a new dnode proves it holds one to receive the cluster secret. Bound to an
 * endpoint (made by `create dnode`: good until that dnode joins) or not (the founder's, and
 * `create join token`: good for any created dnode until it expires).
 */
export interface JoinTokenRecord {
  /** rpc/peer-auth.ts joinTokenId(token): what a JOIN names it by. */
  readonly id: string;
  readonly token: string;
  readonly endpoint: string | null;
  /** 0: never expires. */
  readonly expiresAtMs: number;
  readonly createdAtMs: number;
}

export interface MnodeRecord {
  readonly dnodeId: number;
  readonly createdAtMs: number;
}

export interface DbPlacement {
  readonly dnodeId: number;
  readonly vgroups: number;
}

/** One vgroup of a replicated database: its cluster-wide vgId and the dnodes of its replicas. */
export interface VgroupPlacement {
  readonly vgId: number;
  /** Distinct dnode ids, ascending; also the vgroup's founding Raft voters on every replica. */
  readonly dnodeIds: readonly number[];
}

export interface ReplicatedDbPlacement {
  readonly replica: number;
  /** The options given to create database (a dnode that joins a vgroup later opens it with them). */
  readonly options?: Record<string, unknown>;
  /** In hash-range order (vgroup i owns hash range i of hashRanges(vgroups.length)). */
  readonly vgroups: readonly VgroupPlacement[];
}

/**
 * A change of one vgroup's replicas, driven step by step by the mnode leader's reconciler
 * (src/mnode/reconciler.ts): add each new replica as a learner, let it catch up, promote it,
 * then remove each old one. While it runs, the vgroup's placement lists old and new dnodes.
 */
export interface VgroupMove {
  readonly id: number;
  readonly db: string;
  readonly vgId: number;
  /** The replicas before the move, and the ones it ends with. */
  readonly from: readonly number[];
  readonly to: readonly number[];
  readonly createdAtMs: number;
  /** Why: 'balance vgroup', 'redistribute vgroup', 'drop dnode N'. */
  readonly reason: string;
}

/** A ready dnode as the placement planner sees it (liveness is the leader's soft state). */
export interface ReadyDnode {
  readonly id: number;
  readonly supportVnodes: number;
}

export interface ClusterState {
  /** Positive 63-bit number as a decimal string; '' before the cluster is initialised. */
  readonly clusterId: string;
  readonly createdAtMs: number;
  /** Next dnode id; ids are never reused, even after `drop dnode`. */
  readonly nextDnodeId: number;
  readonly dnodes: readonly DnodeRecord[];
  readonly mnodes: readonly MnodeRecord[];
  /** Database name → the dnode hosting all of its (replica-1) vgroups. */
  readonly dbPlacement: Readonly<Record<string, DbPlacement>>;
  /** Database name → per-vgroup replica placement (databases with replica > 1). */
  readonly replicatedDbs: Readonly<Record<string, ReplicatedDbPlacement>>;
  /** Next cluster-assigned vgId (≥ CLUSTER_VGID_BASE); never reused. */
  readonly nextVgId: number;
  /** Vgroup moves in progress, oldest first (`show transactions`). */
  readonly moves: readonly VgroupMove[];
  readonly nextMoveId: number;
  /** Dnodes being dropped: removed once no vnode is left on them. */
  readonly dropping: readonly number[];
  /** Join tokens in force. */
  readonly joinTokens: readonly JoinTokenRecord[];
  /** Users and grants (src/mnode/users.ts), cached by every dnode by their version. */
  readonly users: UsersState;
}

export type ClusterOp =
  | {
      readonly op: 'init';
      readonly clusterId: string;
      readonly createdAtMs: number;
      readonly endpoint: string;
      /** The founder's own secret (hex) and its multi-use join token. */
      readonly dnodeSecret?: string;
      readonly joinToken?: JoinTokenRecord;
    }
  | {
      readonly op: 'createDnode';
      readonly id: number;
      readonly endpoint: string;
      readonly createdAtMs: number;
      readonly joinToken?: JoinTokenRecord;
    }
  | { readonly op: 'addJoinToken'; readonly token: JoinTokenRecord }
  | { readonly op: 'dnodeSecret'; readonly id: number; readonly secret: string }
  | { readonly op: 'dropDnode'; readonly id: number }
  | { readonly op: 'dnodeJoined'; readonly id: number }
  | { readonly op: 'addMnode'; readonly dnodeId: number; readonly createdAtMs: number }
  | { readonly op: 'dropMnode'; readonly dnodeId: number }
  | { readonly op: 'placeDb'; readonly name: string; readonly dnodeId: number; readonly vgroups: number }
  | {
      readonly op: 'placeReplicatedDb';
      readonly name: string;
      readonly replica: number;
      readonly vgroups: readonly VgroupPlacement[];
      readonly options?: Record<string, unknown>;
    }
  | { readonly op: 'startMoves'; readonly moves: readonly Omit<VgroupMove, 'id'>[]; readonly dropDnode?: number }
  | { readonly op: 'finishMove'; readonly id: number }
  | { readonly op: 'cancelMove'; readonly id: number }
  | { readonly op: 'unplaceDb'; readonly name: string }
  | UserOp;

export const EMPTY_CLUSTER_STATE: ClusterState = {
  clusterId: '',
  createdAtMs: 0,
  nextDnodeId: 1,
  dnodes: [],
  mnodes: [],
  dbPlacement: {},
  replicatedDbs: {},
  nextVgId: CLUSTER_VGID_BASE,
  moves: [],
  nextMoveId: 1,
  dropping: [],
  joinTokens: [],
  users: EMPTY_USERS,
};

function setVgroupDnodes(s: ClusterState, db: string, vgId: number, dnodeIds: readonly number[]): ClusterState {
  const p = s.replicatedDbs[db];
  if (!p) return s;
  const vgroups = p.vgroups.map((v) => (v.vgId === vgId ? { vgId, dnodeIds: [...dnodeIds].sort((a, b) => a - b) } : v));
  return { ...s, replicatedDbs: { ...s.replicatedDbs, [db]: { ...p, vgroups } } };
}

/** A state read from an older snapshot may lack fields added since; fill them with defaults. */
export function withDefaults(s: Partial<ClusterState>): ClusterState {
  return { ...EMPTY_CLUSTER_STATE, ...s };
}

/** A new random cluster id (positive 63-bit, shown by `show cluster` as BIGINT). */
export function newClusterId(): string {
  return (randomBytes(8).readBigUInt64BE() & 0x7fffffffffffffffn || 1n).toString();
}

/** Applies one committed op; pure and deterministic (ops carry every generated value). */
export function applyClusterOp(s: ClusterState, o: ClusterOp): ClusterState {
  switch (o.op) {
    case 'init':
      return applyInit(s, o);
    case 'createDnode':
      return applyCreateDnode(s, o);
    case 'dropDnode':
      return {
        ...s,
        dnodes: s.dnodes.filter((d) => d.id !== o.id),
        mnodes: s.mnodes.filter((m) => m.dnodeId !== o.id),
        dropping: s.dropping.filter((x) => x !== o.id),
      };
    case 'dnodeJoined': {
      // A token made for this dnode has done its job.
      const ep = dnodeById(s, o.id)?.endpoint;
      return {
        ...s,
        dnodes: s.dnodes.map((d) => (d.id === o.id ? { ...d, joined: true } : d)),
        joinTokens: s.joinTokens.filter((t) => t.endpoint === null || t.endpoint !== ep),
      };
    }
    case 'addJoinToken':
      return addToken(s, o.token);
    case 'dnodeSecret':
      return { ...s, dnodes: s.dnodes.map((d) => (d.id === o.id ? { ...d, secret: o.secret } : d)) };
    case 'addMnode':
      if (s.mnodes.some((m) => m.dnodeId === o.dnodeId)) return s;
      return { ...s, mnodes: [...s.mnodes, { dnodeId: o.dnodeId, createdAtMs: o.createdAtMs }] };
    case 'dropMnode':
      return { ...s, mnodes: s.mnodes.filter((m) => m.dnodeId !== o.dnodeId) };
    case 'placeDb':
      return { ...s, dbPlacement: { ...s.dbPlacement, [o.name]: { dnodeId: o.dnodeId, vgroups: o.vgroups } } };
    case 'placeReplicatedDb':
      return applyPlaceReplicatedDb(s, o);
    case 'startMoves':
      return applyStartMoves(s, o);
    case 'finishMove':
    case 'cancelMove': {
      const m = s.moves.find((x) => x.id === o.id);
      if (!m) return s;
      const rest = { ...s, moves: s.moves.filter((x) => x.id !== o.id) };
      return setVgroupDnodes(rest, m.db, m.vgId, o.op === 'finishMove' ? m.to : m.from);
    }
    case 'unplaceDb':
      return applyUnplaceDb(s, o);
    case 'usersInit':
    case 'createUser':
    case 'alterUser':
    case 'dropUser':
    case 'grant':
    case 'revoke':
      return { ...s, users: applyUserOp(s.users, o) };
  }
}

/** The ClusterOp of one kind. */
type ClusterOpOf<K extends ClusterOp['op']> = Extract<ClusterOp, { readonly op: K }>;

function applyInit(s: ClusterState, o: ClusterOpOf<'init'>): ClusterState {
  if (s.clusterId !== '') return s; // replayed bootstrap entry
  return {
    ...s,
    clusterId: o.clusterId,
    createdAtMs: o.createdAtMs,
    nextDnodeId: 2,
    dnodes: [
      {
        id: 1,
        endpoint: o.endpoint,
        createdAtMs: o.createdAtMs,
        joined: true,
        ...(o.dnodeSecret ? { secret: o.dnodeSecret } : {}),
      },
    ],
    mnodes: [{ dnodeId: 1, createdAtMs: o.createdAtMs }],
    joinTokens: o.joinToken ? [o.joinToken] : [],
  };
}

/** At most this many tokens are kept: the oldest go first. */
const MAX_JOIN_TOKENS = 64;

/** Adds a token, dropping expired ones (as of its creation: the op carries the time). */
function addToken(s: ClusterState, t: JoinTokenRecord): ClusterState {
  const live = s.joinTokens.filter((x) => x.id !== t.id && (x.expiresAtMs === 0 || x.expiresAtMs > t.createdAtMs));
  return { ...s, joinTokens: [...live, t].slice(-MAX_JOIN_TOKENS) };
}

/** The token with this id that is still in force at `nowMs`. */
export function joinTokenById(s: ClusterState, id: string, nowMs: number): JoinTokenRecord | undefined {
  return s.joinTokens.find((t) => t.id === id && (t.expiresAtMs === 0 || t.expiresAtMs > nowMs));
}

function applyCreateDnode(s: ClusterState, o: ClusterOpOf<'createDnode'>): ClusterState {
  // Plans are made on the leader's applied state, so these never trigger; if one did,
  // every replica resolves it the same way instead of stopping the group: an endpoint
  // already present is kept, and an id never goes below the high-water mark.
  if (s.dnodes.some((d) => d.endpoint === o.endpoint)) return s;
  const id = Math.max(o.id, s.nextDnodeId);
  const out = {
    ...s,
    nextDnodeId: id + 1,
    dnodes: [...s.dnodes, { id, endpoint: o.endpoint, createdAtMs: o.createdAtMs, joined: false }],
  };
  return o.joinToken ? addToken(out, o.joinToken) : out;
}

function applyPlaceReplicatedDb(s: ClusterState, o: ClusterOpOf<'placeReplicatedDb'>): ClusterState {
  // Planned on the leader's applied state; a duplicate (a retried proposal) is ignored
  // the same way on every replica.
  if (s.dbPlacement[o.name] || s.replicatedDbs[o.name]) return s;
  const top = Math.max(s.nextVgId - 1, ...o.vgroups.map((v) => v.vgId));
  const placed: ReplicatedDbPlacement = o.options
    ? { replica: o.replica, options: o.options, vgroups: o.vgroups }
    : { replica: o.replica, vgroups: o.vgroups };
  return { ...s, nextVgId: top + 1, replicatedDbs: { ...s.replicatedDbs, [o.name]: placed } };
}

function applyStartMoves(s: ClusterState, o: ClusterOpOf<'startMoves'>): ClusterState {
  let out: ClusterState = s;
  let id = s.nextMoveId;
  const added: VgroupMove[] = [];
  for (const m of o.moves) {
    // A vgroup moves once at a time: a second plan for it waits for the first to finish.
    if (out.moves.some((x) => x.vgId === m.vgId) || added.some((x) => x.vgId === m.vgId) || !out.replicatedDbs[m.db])
      continue;
    added.push({ ...m, id: id++ });
    out = setVgroupDnodes(out, m.db, m.vgId, [...new Set([...m.from, ...m.to])]);
  }
  const dropping =
    o.dropDnode !== undefined && !out.dropping.includes(o.dropDnode) ? [...out.dropping, o.dropDnode] : out.dropping;
  return { ...out, moves: [...out.moves, ...added], nextMoveId: id, dropping };
}

function applyUnplaceDb(s: ClusterState, o: ClusterOpOf<'unplaceDb'>): ClusterState {
  const p = { ...s.dbPlacement };
  delete p[o.name];
  const r = { ...s.replicatedDbs };
  delete r[o.name];
  return { ...s, dbPlacement: p, replicatedDbs: r, moves: s.moves.filter((m) => m.db !== o.name) };
}

export function dnodeById(s: ClusterState, id: number): DnodeRecord | undefined {
  return s.dnodes.find((d) => d.id === id);
}

export function dnodeByEndpoint(s: ClusterState, ep: string): DnodeRecord | undefined {
  return s.dnodes.find((d) => d.endpoint === ep);
}

/** Parses and checks `fqdn:port` (port defaults to 6030); INVALID_DNODE_EP otherwise. */
export function normalizeEndpoint(raw: string): string {
  const text = raw.trim();
  const m = /^([^:\s]*)(?::(\d*))?$/.exec(text);
  const fqdn = m?.[1] ?? '';
  const portText = m?.[2];
  const port = portText === undefined ? 6030 : Number(portText);
  if (
    !m ||
    fqdn === '' ||
    fqdn.length > 128 ||
    portText === '' ||
    !Number.isInteger(port) ||
    port < 1 ||
    port > 65535
  ) {
    throw new BasaltError(
      'INVALID_DNODE_EP',
      `'${raw}' is not a dnode endpoint; write it as "fqdn:port" with a port from 1 to 65535, e.g. create dnode "h2.example.com:6030"`,
    );
  }
  return `${fqdn}:${port}`;
}

export function planCreateDnode(s: ClusterState, rawEp: string, nowMs: number): ClusterOp {
  const endpoint = normalizeEndpoint(rawEp);
  const have = dnodeByEndpoint(s, endpoint);
  if (have)
    throw new BasaltError(
      'DNODE_ALREADY_EXISTS',
      `dnode ${have.id} already has endpoint ${endpoint}; see 'show dnodes'`,
    );
  return { op: 'createDnode', id: s.nextDnodeId, endpoint, createdAtMs: nowMs };
}

/** How long the join token `create dnode` prints stays good (unless the dnode joins first). */
export const DNODE_JOIN_TOKEN_TTL_MS = 24 * 3600 * 1000;

export function requireDnode(s: ClusterState, id: number): DnodeRecord {
  const d = dnodeById(s, id);
  if (!d) {
    const ids = s.dnodes.map((x) => x.id).join(', ');
    throw new BasaltError(
      'DNODE_NOT_EXIST',
      `dnode ${id} does not exist; the cluster has dnode(s) ${ids} (see 'show dnodes')`,
    );
  }
  return d;
}

/** The endpoints of the mnodes, in mnode order (for redirects and the dnodes' saved set). */
export function mnodeEndpoints(s: ClusterState): string[] {
  const out: string[] = [];
  for (const m of s.mnodes) {
    const d = dnodeById(s, m.dnodeId);
    if (d) out.push(d.endpoint);
  }
  return out;
}

/** Vnodes a dnode hosts: whole replica-1 databases plus one per replicated vgroup it is in. */
export function vnodesOn(s: ClusterState, dnodeId: number): number {
  let n = 0;
  for (const p of Object.values(s.dbPlacement)) if (p.dnodeId === dnodeId) n += p.vgroups;
  for (const p of Object.values(s.replicatedDbs)) for (const v of p.vgroups) if (v.dnodeIds.includes(dnodeId)) n++;
  return n;
}

/** True when a database of this name is placed (either kind). */
export function isDbPlaced(s: ClusterState, name: string): boolean {
  return s.dbPlacement[name] !== undefined || s.replicatedDbs[name] !== undefined;
}

/**
 * Places each vgroup of a replicated database on `replica` distinct ready dnodes, least
 * loaded first (score = vnodes / supportVnodes, ties by lower id), counting the vnodes
 * already chosen for earlier vgroups, so the replicas spread evenly. OUT_OF_DNODES when
 * fewer dnodes are ready than the replica asks for; VNODES_EXHAUSTED when they are but not
 * enough of them have a free vnode. `whole-db` puts every vgroup on the same `replica`
 * least-loaded dnodes (what create database uses until a dnode can reach vgroups it does
 * not host: see src/mnode/README.md).
 */
export function planReplicatedPlacement(
  s: ClusterState,
  name: string,
  replica: number,
  vgroups: number,
  ready: readonly ReadyDnode[],
  spread: 'per-vgroup' | 'whole-db' = 'per-vgroup',
): ClusterOp {
  assert(Number.isInteger(replica) && replica >= 1, `replica ${replica} must be a positive integer`);
  assert(Number.isInteger(vgroups) && vgroups >= 1, `vgroups ${vgroups} must be a positive integer`);
  if (ready.length < replica) {
    const ids = ready.map((d) => d.id).join(', ') || 'none';
    throw new BasaltError(
      'OUT_OF_DNODES',
      `database '${name}' asks for replica ${replica} but only ${ready.length} dnode(s) are ready (${ids}); start the offline dnodes or add dnodes ('show dnodes', 'create dnode'), or use replica 1`,
    );
  }
  const load = new Map(ready.map((d) => [d.id, vnodesOn(s, d.id)]));
  if (spread === 'whole-db') {
    // One replica set for every vgroup: the `replica` least-loaded dnodes with room for all.
    const score = (d: ReadyDnode): number => load.get(d.id)! / d.supportVnodes;
    const roomy = ready.filter((d) => d.supportVnodes - load.get(d.id)! >= vgroups);
    if (roomy.length < replica) {
      throw new BasaltError(
        'VNODES_EXHAUSTED',
        `database '${name}' needs ${vgroups} free vnode(s) on each of ${replica} ready dnodes but only ${roomy.length} have them; use fewer vgroups, drop a database, add dnodes or raise supportVnodes`,
      );
    }
    const chosen = [...roomy]
      .sort((a, b) => score(a) - score(b) || a.id - b.id)
      .slice(0, replica)
      .map((d) => d.id)
      .sort((a, b) => a - b);
    return {
      op: 'placeReplicatedDb',
      name,
      replica,
      vgroups: Array.from({ length: vgroups }, (_, i) => ({ vgId: s.nextVgId + i, dnodeIds: chosen })),
    };
  }
  const out: VgroupPlacement[] = [];
  for (let i = 0; i < vgroups; i++) {
    const free = ready.filter((d) => load.get(d.id)! < d.supportVnodes);
    if (free.length < replica) {
      throw new BasaltError(
        'VNODES_EXHAUSTED',
        `database '${name}' needs ${vgroups} vgroup(s) × replica ${replica} vnodes but only ${free.length} ready dnode(s) have a free vnode for vgroup ${i + 1}; use fewer vgroups, drop a database, add dnodes or raise supportVnodes`,
      );
    }
    const score = (d: ReadyDnode): number => load.get(d.id)! / d.supportVnodes;
    const chosen = [...free]
      .sort((a, b) => score(a) - score(b) || a.id - b.id)
      .slice(0, replica)
      .map((d) => d.id);
    for (const id of chosen) load.set(id, load.get(id)! + 1);
    out.push({ vgId: s.nextVgId + i, dnodeIds: chosen.sort((a, b) => a - b) });
  }
  return { op: 'placeReplicatedDb', name, replica, vgroups: out };
}
