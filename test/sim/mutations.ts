// Mutation evidence: each entry plants one deliberate bug (by patching a prototype method at
// run time, so the library source never contains it), then sweeps seeds until the simulator
// reports a violation. Prints how many seeds each mutation survived.
//   [MAX_SEEDS=2000] node dist/test/sim/mutations.js [name...]
import { Raft } from '../../src/raft/raft.js';
import { RaftLog } from '../../src/raft/raft-log.js';
import { message, type Message } from '../../src/raft/types.js';
import { runSeed, type SimHooks } from './simulator.js';

// The patches reach private members of Raft on purpose; this view names the ones they use.
interface RaftInternals {
  readonly voters: number[];
  readonly prs: ReadonlyMap<number, { readonly match: number }>;
  readonly log: RaftLog;
  readonly term: number;
  vote: number;
  electionElapsed: number;
  send(m: Message): void;
  respondRead(m: Message, index: number): void;
}
type Patch = () => () => void;

function patch<T>(proto: object, name: string, fn: (this: T, ...args: never[]) => unknown): () => void {
  const methods = proto as Record<string, unknown>;
  const original = methods[name];
  methods[name] = fn;
  return () => {
    methods[name] = original;
  };
}

interface Mutation {
  readonly name: string;
  readonly bug: string;
  readonly apply: Patch;
  readonly hooks?: SimHooks;
}

const mutations: Mutation[] = [
  {
    name: 'figure8',
    bug: 'leader counts replicas of old-term entries toward commit',
    apply: () =>
      patch(Raft.prototype, 'maybeCommit', function (this: RaftInternals): boolean {
        const voters: number[] = this.voters;
        const matches = voters.map((id) => this.prs.get(id)!.match).sort((a, b) => b - a);
        const mci = matches[Math.floor(voters.length / 2)];
        if (mci <= this.log.committed) return false;
        this.log.commitTo(mci);
        return true;
      }),
  },
  {
    name: 'stale-vote',
    bug: 'grant a vote to a candidate whose log is less up to date',
    apply: () => patch(RaftLog.prototype, 'isUpToDate', () => true),
  },
  {
    name: 'double-vote',
    bug: 'grant a second vote in the same term',
    apply: () =>
      patch(Raft.prototype, 'handleVoteRequest', function (this: RaftInternals, m: Message): void {
        const respType = m.type === 'MsgVote' ? 'MsgVoteResp' : 'MsgPreVoteResp';
        if (this.log.isUpToDate(m.index, m.logTerm)) {
          this.send(message({ type: respType, to: m.from, term: m.term }));
          if (m.type === 'MsgVote') {
            this.electionElapsed = 0;
            this.vote = m.from;
          }
        } else {
          this.send(message({ type: respType, to: m.from, term: this.term, reject: true }));
        }
      }),
  },
  {
    name: 'send-before-persist',
    bug: "driver sends a Ready's messages before its entries and vote are durable",
    apply: () => () => {},
    hooks: { sendBeforePersist: true },
  },
  {
    name: 'leader-unpersisted-match',
    bug: 'leader counts its own not-yet-durable entries toward commit',
    apply: () =>
      patch(RaftLog.prototype, 'stableLastIndex', function (this: RaftLog): number {
        return this.lastIndex();
      }),
  },
  {
    name: 'read-no-confirm',
    bug: 'ReadIndex answered without confirming leadership with a quorum',
    apply: () =>
      patch(Raft.prototype, 'leaderReadIndex', function (this: RaftInternals, m: Message): void {
        this.respondRead(m, this.log.committed);
      }),
  },
];

const maxSeeds = Number(process.env['MAX_SEEDS'] ?? '2000');
const only = process.argv.slice(2);
process.stdout.write('| mutation | bug | seeds until caught | first violation |\n|---|---|---|---|\n');
for (const m of mutations) {
  if (only.length > 0 && !only.includes(m.name)) continue;
  const restore = m.apply();
  let caughtAt: number | undefined;
  let what = '';
  try {
    for (let seed = 1; seed <= maxSeeds; seed++) {
      try {
        runSeed(seed, 3000, m.hooks ?? {});
      } catch (e) {
        caughtAt = seed;
        const text = e instanceof Error ? e.message : String(e);
        what = (/failed at step \d+: (.*)/.exec(text)?.[1] ?? text).slice(0, 110);
        break;
      }
    }
  } finally {
    restore();
  }
  const seeds = caughtAt === undefined ? `not caught in ${maxSeeds}` : String(caughtAt);
  process.stdout.write(`| ${m.name} | ${m.bug} | ${seeds} | ${what.replace(/\|/g, '/')} |\n`);
}
