// What a replicated service (the mnode catalog, a vnode) gives the Raft runtime. The runtime
// calls these from its Ready loop, one call at a time per group, in log order.
import type { ConfState, Entry, NodeId, Snapshot, StateRole } from '../raft/index.js';

export interface StateMachine {
  /**
   * The last log index whose effect this state machine holds when the group opens: 0 for a
   * state machine that keeps nothing across restarts (the runtime then restores the latest
   * snapshot and replays the log after it).
   */
  appliedIndex(): number;
  /**
   * Applies committed entries (never leader no-ops or membership entries), in order. The
   * optional result array, aligned with `entries`, is what the proposer's promise resolves to.
   * A throw is fatal for the group: an entry can be neither skipped nor applied twice.
   */
  // biome-ignore lint/suspicious/noConfusingVoidType: `void` lets implementations declare `apply(): void` (undefined would not)
  apply(entries: readonly Entry[]): readonly unknown[] | void | Promise<readonly unknown[] | void>;
  /** An image of the state at the last applied index, for a lagging or new replica. */
  snapshot(): Uint8Array | Promise<Uint8Array>;
  /**
   * Optional: an image built while the runtime goes on applying entries (so a large state does
   * not hold every group's heartbeats), with the log index it holds exactly: every entry up to
   * `index` and none after. Without it the runtime calls snapshot() between two rounds.
   */
  snapshotConcurrent?(): Promise<{ readonly index: number; readonly data: Uint8Array }>;
  /** Replaces the whole state by a snapshot's image (its meta.index becomes the applied index). */
  restore(snap: Snapshot): void | Promise<void>;
  /** Membership took effect at `index` (after the entry applied). */
  onConfChange?(conf: ConfState, index: number): void;
  /** Role or known leader changed (for `show vgroups`, routing, leases). */
  onLeaderChange?(leader: NodeId, role: StateRole, term: number): void;
}
