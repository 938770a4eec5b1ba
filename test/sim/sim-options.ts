// Swarm testing: the seed chooses the fault mix as well as the schedule, so different seeds
// explore different corners (no faults, heavy loss, crash storms, slow disks, ...).
import { Prng } from '../../src/raft/prng.js';

export interface SimOptions {
  readonly seed: number;
  readonly steps: number;
  /** Initial voters 1..voterCount; spare ids after them may join as learners. */
  readonly voterCount: number;
  readonly spareCount: number;
  readonly clientCount: number;
  readonly preVote: boolean;
  readonly checkQuorum: boolean;
  readonly readOnly: 'safe' | 'lease';
  readonly electionTicks: number;
  readonly heartbeatTicks: number;
  readonly maxInflightAppends: number;
  readonly maxAppendBytes: number;
  readonly snapshotChunkBytes: number;
  /** Applied entries between snapshots; entries kept behind a snapshot. */
  readonly snapshotEvery: number;
  readonly compactKeep: number;
  /** Network: per-message probabilities and delay bound in steps. */
  readonly lossP: number;
  readonly dupP: number;
  readonly delayMaxSteps: number;
  /** Per-step probabilities of fault events. */
  readonly partitionP: number;
  readonly healP: number;
  readonly crashP: number;
  /** Per-step chance to crash whichever node currently leads (leader churn finds Figure-8 cases). */
  readonly crashLeaderP: number;
  readonly restartP: number;
  readonly confChangeP: number;
  readonly transferP: number;
  /** Disk: steps a Ready's fsync takes, at most. */
  readonly diskDelayMaxSteps: number;
  readonly proposeP: number;
  readonly readP: number;
}

export function swarmOptions(seed: number, steps: number): SimOptions {
  const p = new Prng(seed ^ 0x5bd1e995);
  const checkQuorum = p.chance(0.7);
  const voterCount = p.pick([3, 3, 3, 5, 5, 1]);
  const electionTicks = p.pick([6, 10, 10, 15]);
  // A round trip must fit well inside the election timeout, or no leader can hold a quorum
  // (a real deployment sizes electionTicks the same way).
  const delayMaxSteps = Math.min(p.pick([1, 2, 4, 8]), Math.max(1, Math.floor(electionTicks / 3)));
  return {
    seed,
    steps,
    voterCount,
    spareCount: voterCount === 1 ? 1 : p.pick([0, 1, 2]),
    clientCount: p.range(1, 5),
    preVote: p.chance(0.7),
    checkQuorum,
    readOnly: checkQuorum && p.chance(0.3) ? 'lease' : 'safe',
    electionTicks,
    heartbeatTicks: p.pick([1, 1, 2]),
    maxInflightAppends: p.pick([1, 2, 4, 64]),
    maxAppendBytes: p.pick([40, 100, 1000, 1 << 20]),
    snapshotChunkBytes: p.pick([8, 32, 1024]),
    snapshotEvery: p.pick([5, 20, 60, 1_000_000]),
    compactKeep: p.pick([0, 2, 10]),
    lossP: p.pick([0, 0.01, 0.05, 0.2]),
    dupP: p.pick([0, 0.02, 0.1]),
    delayMaxSteps,
    partitionP: p.pick([0, 0.002, 0.01, 0.03]),
    healP: p.pick([0.005, 0.02, 0.05]),
    crashP: p.pick([0, 0.001, 0.005, 0.02]),
    restartP: p.pick([0.01, 0.05, 0.2]),
    crashLeaderP: p.pick([0, 0, 0.005, 0.02, 0.05]),
    confChangeP: p.pick([0, 0, 0.005, 0.02]),
    diskDelayMaxSteps: p.pick([0, 1, 3, 10]),
    transferP: p.pick([0, 0, 0.002, 0.01]),
    proposeP: p.pick([0.1, 0.3, 0.8]),
    readP: p.pick([0, 0.05, 0.2]),
  };
}

export function describeOptions(o: SimOptions): string {
  return Object.entries(o)
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(' ');
}
