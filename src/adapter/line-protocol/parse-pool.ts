// Line-protocol parsing on a worker thread, so that on a multi-core machine the main thread
// keeps serving (building blocks, writing the WAL and memtable, answering queries) while the
// next request is parsed: parsing is about half of a request's CPU time. Small bodies are
// parsed inline, where a thread hop would cost more than it saves, and so are all bodies when
// the machine has one core or workers are off (BASALT_LP_WORKERS=0).
//
// The result is the same ParsedBatch parseLineProtocol returns (typed arrays transferred, not
// copied), and a parse error is the same BasaltError (name, message, data) the inline parser
// throws, so callers cannot tell the paths apart. A worker that dies fails the requests it
// held with INTERNAL and is replaced on the next request.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { BasaltError, type ErrorName } from '../../common/errors.js';
import { Limits } from '../../common/limits.js';
import type { Precision } from '../../common/types.js';
import type { ParsedBatch } from './batch.js';
import { parseLineProtocol, type LinePrecision } from './parse.js';
import type { ParseJob, ParseReply } from './parse-worker.js';
import type { SeriesCache } from './series-cache.js';

interface Pending {
  resolve: (b: ParsedBatch) => void;
  reject: (e: Error) => void;
}

class ParseWorker {
  readonly worker: Worker;
  readonly pending = new Map<number, Pending>();
  dead = false;
  constructor(onExit: (w: ParseWorker) => void) {
    // A small young generation: the worker's garbage is short-lived and its arrays are transferred
    // out, so this keeps the worker's resident memory down (~10 MiB less in the peer bench) at little GC cost.
    this.worker = new Worker(new URL('./parse-worker.js', import.meta.url), {
      resourceLimits: { maxYoungGenerationSizeMb: Limits.lineProtocolWorkerYoungGenMb },
    });
    this.worker.unref(); // only jobs in flight keep the process alive (ref'd in submit)
    this.worker.on('message', (r: ParseReply) => {
      const p = this.pending.get(r.id);
      if (!p) return;
      this.pending.delete(r.id);
      if (this.pending.size === 0) this.worker.unref();
      if (r.ok) {
        p.resolve(r.batch);
        return;
      }
      if (r.errorName === null) {
        p.reject(new Error(r.message));
        return;
      }
      const e = new BasaltError(r.errorName as ErrorName, undefined, r.data);
      e.message = r.message;
      p.reject(e);
    });
    const fail = (why: string): void => {
      if (this.dead) return;
      this.dead = true;
      onExit(this);
      for (const p of this.pending.values())
        p.reject(new BasaltError('INTERNAL', `the line-protocol parse worker ${why}; retry the request`));
      this.pending.clear();
    };
    this.worker.on('error', (e) => fail(`failed (${e.message})`));
    this.worker.on('exit', (code) => fail(`exited with code ${code}`));
  }
}

let nextId = 1;
let workers: ParseWorker[] = [];
let rr = 0;

/** Workers to run: BASALT_LP_WORKERS, else one when the machine has two or more cores. */
function workerCount(): number {
  const env = process.env['BASALT_LP_WORKERS'];
  if (env !== undefined && env !== '') {
    const n = Number(env);
    return Number.isInteger(n) && n >= 0 ? Math.min(n, 8) : 0;
  }
  return availableParallelism() >= 2 ? 1 : 0;
}

function pick(): ParseWorker | null {
  const n = workerCount();
  if (n === 0) return null;
  while (workers.length < n)
    workers.push(
      new ParseWorker((w) => {
        workers = workers.filter((x) => x !== w);
      }),
    );
  // The worker with the fewest jobs in flight (round robin among equals).
  let best: ParseWorker | null = null;
  for (let k = 0; k < workers.length; k++) {
    const w = workers[(rr + k) % workers.length]!;
    if (best === null || w.pending.size < best.pending.size) best = w;
  }
  rr++;
  return best;
}

export interface ParseRequest {
  /** Database name: workers keep a series cache per database. */
  readonly db: string;
  readonly body: Uint8Array;
  readonly precision: LinePrecision;
  readonly tsPrecision: Precision;
  readonly nowMs: number;
  /** The main thread's cache for this database, used when parsing inline. */
  readonly seriesCache: SeriesCache;
}

/** parseLineProtocol, on a worker thread when the body is large enough and workers are on. */
export function parseLineProtocolAsync(req: ParseRequest): Promise<ParsedBatch> {
  const w = req.body.length >= Limits.lineProtocolWorkerMinBodyBytes ? pick() : null;
  if (w === null) {
    try {
      return Promise.resolve(
        parseLineProtocol(req.body, req.precision, {
          tsPrecision: req.tsPrecision,
          nowMs: req.nowMs,
          seriesCache: req.seriesCache,
        }),
      );
    } catch (e) {
      return Promise.reject(e);
    }
  }
  const id = nextId++;
  // A copy the worker owns (the caller keeps its body; a Buffer may be a view of a shared pool).
  const body = new Uint8Array(req.body);
  const job: ParseJob = {
    id,
    db: req.db,
    body,
    precision: req.precision,
    tsPrecision: req.tsPrecision,
    nowMs: req.nowMs,
  };
  return new Promise<ParsedBatch>((resolve, reject) => {
    w.pending.set(id, { resolve, reject });
    w.worker.ref();
    w.worker.postMessage(job, [body.buffer as ArrayBuffer]);
  });
}

/** Stops the workers (tests; a process exits without this, the workers being unref'd when idle). */
export async function stopParseWorkers(): Promise<void> {
  const ws = workers;
  workers = [];
  await Promise.all(ws.map((w) => w.worker.terminate()));
}
