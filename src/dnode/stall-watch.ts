// Notices when this process did not run its timers for a while: a blocked event loop (a long
// synchronous step), CPU starvation, or the process stopped (SIGSTOP, a paused container). A
// Raft leader that does not run sends no heartbeats, so its followers elect another leader
// after the election timeout: the warning names the cause operators look for in that case.
import { Limits } from '../common/limits.js';
import type { Logger } from './logger.js';

export interface StallWatch {
  stop(): void;
}

export function watchStalls(log: Logger): StallWatch {
  let last = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    const lateMs = now - last - Limits.stallCheckMs;
    last = now;
    if (lateMs >= Limits.stallWarnMs)
      log.warn(
        `this dnode did not run for ${Math.round(lateMs)} ms (event loop blocked, CPU starved, or the process was stopped): its Raft peers may have elected other leaders meanwhile`,
        { stalledMs: Math.round(lateMs) },
      );
  }, Limits.stallCheckMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
