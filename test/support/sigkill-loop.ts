// The nemesis shared by the real-process crash tests: SIGKILL a random replica, wait, restart
// it, repeat; then wait until every replica has applied what the leader committed. Seeded, and
// the seed is printed, so a failing schedule can be replayed with CRASH_SEED.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { mulberry32 } from '../../src/common/random.js';

export interface KillableReplica {
  proc: ChildProcess | undefined;
}

export interface SigkillLoopOptions<R extends KillableReplica> {
  readonly kills: number;
  /** Time a replica set runs between kills, and a victim stays down, in ms [min, max). */
  readonly upMs: readonly [number, number];
  readonly downMs: readonly [number, number];
  readonly start: (replica: R) => Promise<void>;
  readonly seed?: number;
}

export function crashSeed(): number {
  const fromEnv = process.env['CRASH_SEED'];
  const seed = fromEnv !== undefined ? Number(fromEnv) : Math.floor(Date.now() % 0x7fffffff);
  process.stdout.write(`# nemesis seed ${seed} (replay with CRASH_SEED=${seed})\n`);
  return seed;
}

export async function sigkillLoop<R extends KillableReplica>(
  replicas: readonly R[],
  o: SigkillLoopOptions<R>,
): Promise<void> {
  const rnd = mulberry32(o.seed ?? crashSeed());
  const between = (r: readonly [number, number]): number => r[0] + rnd() * (r[1] - r[0]);
  for (let i = 0; i < o.kills; i++) {
    await sleep(between(o.upMs));
    const victim = replicas[Math.floor(rnd() * replicas.length)]!;
    const proc = victim.proc;
    assert.ok(proc !== undefined, 'the victim replica is not running');
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.kill('SIGKILL');
    await exited;
    victim.proc = undefined;
    await sleep(between(o.downMs));
    await o.start(victim);
  }
}

export interface ApplyStatus {
  readonly role: string;
  readonly commit: number;
  readonly applied: number;
}

/** Waits until there is a leader and every replica has applied its commit index; throws after timeoutMs. */
export async function waitConverged(
  statuses: () => Promise<ReadonlyArray<ApplyStatus | undefined>>,
  timeoutMs: number,
): Promise<void> {
  let target = 0;
  const until = Date.now() + timeoutMs;
  for (;;) {
    const st = await statuses();
    const lead = st.find((s) => s?.role === 'leader');
    if (lead) target = Math.max(target, lead.commit);
    if (lead && st.every((s) => s !== undefined && s.applied >= target)) return;
    if (Date.now() > until) throw new Error(`no convergence in ${timeoutMs} ms: ${JSON.stringify(st)}`);
    await sleep(100);
  }
}
