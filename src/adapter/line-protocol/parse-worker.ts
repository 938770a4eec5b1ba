// The worker side of parse-pool.ts: parses line-protocol bodies off the main thread. One
// series cache per database name (bounded like the main thread's), so a steady stream of
// requests decodes each series key once per worker. Replies carry the ParsedBatch with its
// typed arrays transferred, or the error (name, message, data) to rebuild on the main thread.
import { parentPort } from 'node:worker_threads';
import { isBasaltError } from '../../common/errors.js';
import { Limits } from '../../common/limits.js';
import type { Precision } from '../../common/types.js';
import type { ParsedBatch } from './batch.js';
import { parseLineProtocol, type LinePrecision } from './parse.js';
import { SeriesCache } from './series-cache.js';

export interface ParseJob {
  readonly id: number;
  readonly db: string;
  readonly body: Uint8Array;
  readonly precision: LinePrecision;
  readonly tsPrecision: Precision;
  readonly nowMs: number;
}

export type ParseReply =
  | { readonly id: number; readonly ok: true; readonly batch: ParsedBatch }
  | {
      readonly id: number;
      readonly ok: false;
      readonly errorName: string | null;
      readonly message: string;
      readonly data?: Record<string, unknown>;
    };

const caches = new Map<string, SeriesCache>();

function cacheOf(db: string): SeriesCache {
  let c = caches.get(db);
  if (c === undefined) {
    if (caches.size >= Limits.lineProtocolWorkerCachedDbs) caches.delete(caches.keys().next().value as string);
    c = new SeriesCache();
    caches.set(db, c);
  }
  return c;
}

/** The distinct ArrayBuffers under a batch's typed arrays (each may be listed once only). */
export function transferList(batch: ParsedBatch): ArrayBuffer[] {
  const out = new Set<ArrayBuffer>();
  const add = (a: unknown): void => {
    if (ArrayBuffer.isView(a) && a.buffer instanceof ArrayBuffer) out.add(a.buffer);
  };
  for (const m of batch.measurements) {
    add(m.ts);
    add(m.lineOfRow);
    add(m.seriesOfRow);
    for (const f of m.fields) {
      add(f.data);
      add(f.nulls);
    }
  }
  return [...out];
}

parentPort?.on('message', (job: ParseJob) => {
  let reply: ParseReply;
  let transfer: ArrayBuffer[] = [];
  try {
    const batch = parseLineProtocol(job.body, job.precision, {
      tsPrecision: job.tsPrecision,
      nowMs: job.nowMs,
      seriesCache: cacheOf(job.db),
    });
    reply = { id: job.id, ok: true, batch };
    transfer = transferList(batch);
  } catch (e) {
    reply = isBasaltError(e)
      ? { id: job.id, ok: false, errorName: e.errorName, message: e.message, ...(e.data ? { data: e.data } : {}) }
      : { id: job.id, ok: false, errorName: null, message: e instanceof Error ? e.message : String(e) };
  }
  parentPort!.postMessage(reply, transfer);
});
