// Preloaded into the dnode by profile.sh (`node --import …/prof-hook.mjs bin/basalt start`):
// SIGUSR2 starts the V8 CPU profiler, the next SIGUSR2 stops it and writes
// $BASALT_PROF_DIR/<n>-<phase>.cpuprofile, where <phase> is read from $BASALT_PROF_DIR/phase
// (written by the script before it signals). So one dnode process can be profiled per phase
// (ingest, then queries after the flush) exactly as the peer bench runs it. Beside each profile,
// <n>-<phase>.mem.json holds the phase's peak of each process.memoryUsage() field in MiB, and
// <n>-<phase>.gc.json the phase's garbage collections by kind (count, total ms).
import { Session } from 'node:inspector';
import { constants as perfConstants, PerformanceObserver } from 'node:perf_hooks';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

// BASALT_TRACE_GC=1 also prints V8's --trace-gc lines (with the reason of each collection)
// to stdout; the flag is refused in NODE_OPTIONS, so it is set here.
if (process.env.BASALT_TRACE_GC === '1') (await import('node:v8')).setFlagsFromString('--trace-gc');
if (process.env.BASALT_TRACE_GC === 'nvp') (await import('node:v8')).setFlagsFromString('--trace-gc-nvp');
// BASALT_V8_FLAGS: V8 flags set at startup (experiments).
if (process.env.BASALT_V8_FLAGS) (await import('node:v8')).setFlagsFromString(process.env.BASALT_V8_FLAGS);
const dir = process.env.BASALT_PROF_DIR;
if (dir) {
  const session = new Session();
  session.connect();
  const post = (method, params = {}) =>
    new Promise((resolve, reject) => session.post(method, params, (err, res) => (err ? reject(err) : resolve(res))));
  let running = false;
  let n = 0;
  // Peak of each process.memoryUsage() field during the phase (sampled every 100 ms).
  let peak = {};
  setInterval(() => {
    if (!running) return;
    for (const [k, v] of Object.entries(process.memoryUsage())) peak[k] = Math.max(peak[k] ?? 0, v);
  }, 100).unref();
  const GC_KINDS = {
    [perfConstants.NODE_PERFORMANCE_GC_MINOR]: 'scavenge',
    [perfConstants.NODE_PERFORMANCE_GC_MAJOR]: 'mark-compact',
    [perfConstants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental-marking',
    [perfConstants.NODE_PERFORMANCE_GC_WEAKCB]: 'weak-callbacks',
  };
  let gc = {};
  new PerformanceObserver((list) => {
    if (!running) return;
    for (const e of list.getEntries()) {
      const kind = GC_KINDS[e.detail?.kind] ?? `kind-${e.detail?.kind}`;
      const g = (gc[kind] ??= { count: 0, ms: 0 });
      g.count++;
      g.ms = Math.round((g.ms + e.duration) * 10) / 10;
    }
  }).observe({ entryTypes: ['gc'] });
  await post('Profiler.enable');
  await post('Profiler.setSamplingInterval', { interval: 500 });
  process.on('SIGUSR2', () => {
    if (!running) {
      running = true;
      peak = {};
      gc = {};
      void post('Profiler.start');
      return;
    }
    running = false;
    let phase = 'phase';
    try {
      phase = readFileSync(join(dir, 'phase'), 'utf8').trim() || phase;
    } catch {
      /* default name */
    }
    void post('Profiler.stop').then(({ profile }) => {
      writeFileSync(join(dir, `${++n}-${phase}.cpuprofile`), JSON.stringify(profile));
      const mib = Object.fromEntries(Object.entries(peak).map(([k, v]) => [k, Math.round(v / 1048576)]));
      writeFileSync(join(dir, `${n}-${phase}.mem.json`), JSON.stringify(mib) + '\n');
      writeFileSync(join(dir, `${n}-${phase}.gc.json`), JSON.stringify(gc) + '\n');
      writeFileSync(join(dir, `${n}-${phase}.done`), '');
    });
  });
}
