// Decoded column chunks, bounded in bytes. Window queries read the same partly covered block
// once per window; with this they decode it once. Files are immutable and their names never
// reused, so (file, offset) is a safe key. Cached vectors are shared: readers must not modify
// them (nor any block the store returns).
//
// Segmented LRU, so that a scan a little larger than the cache does not evict everything
// before it is read again (plain LRU hits nothing on a repeated scan of 101% of its size):
// a chunk enters the main segment while that has room (up to 15/16 of the budget), otherwise
// the probation segment; a hit in probation promotes the chunk to main (main's least recently
// used chunk is dropped to make room). Eviction takes probation's least recently used chunk
// first, so the main segment keeps what was read earlier and is read again, and a new working
// set moves in as its chunks are read a second time while still in probation. A hit in main
// only marks the chunk (CLOCK's second chance) instead of moving it in the Map: eviction gives
// marked chunks another round, so a hit costs one lookup, not three.
import type { ColumnVector } from '../common/block.js';

const STRING_OVERHEAD_BYTES = 40;
/** Share of the budget the main segment may hold; the rest is for probation at least. */
const MAIN_SHARE = 15 / 16;

function vectorBytes(v: ColumnVector): number {
  let n = v.nulls ? v.nulls.byteLength : 0;
  if (Array.isArray(v.data)) {
    for (const s of v.data) n += STRING_OVERHEAD_BYTES + 2 * s.length;
  } else n += (v.data as Float64Array).byteLength;
  return n;
}

interface Entry {
  readonly v: ColumnVector;
  readonly bytes: number;
  ref: boolean;
}

export class ChunkCache {
  /** Both segments in least-recently-used-first order (Map insertion order). */
  private readonly main = new Map<string, Entry>();
  private readonly probation = new Map<string, Entry>();
  private mainBytes = 0;
  private probationBytes = 0;
  private readonly mainMax: number;
  hits = 0;
  misses = 0;

  constructor(readonly maxBytes: number) {
    this.mainMax = maxBytes * MAIN_SHARE;
  }

  get(key: string): ColumnVector | undefined {
    let e = this.main.get(key);
    if (e) {
      this.hits++;
      e.ref = true;
      return e.v;
    }
    e = this.probation.get(key);
    if (!e) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    this.probation.delete(key);
    this.probationBytes -= e.bytes;
    e.ref = true;
    this.main.set(key, e);
    this.mainBytes += e.bytes;
    this.trimMain();
    return e.v;
  }

  put(key: string, v: ColumnVector): void {
    const bytes = vectorBytes(v);
    if (bytes > this.maxBytes / 4) return; // one huge chunk would flush everything else
    this.remove(key);
    const e: Entry = { v, bytes, ref: false };
    if (this.mainBytes + bytes <= this.mainMax) {
      this.main.set(key, e);
      this.mainBytes += bytes;
    } else {
      this.probation.set(key, e);
      this.probationBytes += bytes;
    }
    // Over budget: probation's oldest first, then main's (never the chunk just added while another can go).
    for (const [k, x] of this.probation) {
      if (this.sizeBytes() <= this.maxBytes || k === key) break;
      this.probation.delete(k);
      this.probationBytes -= x.bytes;
    }
    if (this.sizeBytes() > this.maxBytes) this.evictMain(() => this.sizeBytes() > this.maxBytes, key);
  }

  sizeBytes(): number {
    return this.mainBytes + this.probationBytes;
  }

  private remove(key: string): void {
    const m = this.main.get(key);
    if (m) {
      this.main.delete(key);
      this.mainBytes -= m.bytes;
    }
    const p = this.probation.get(key);
    if (p) {
      this.probation.delete(key);
      this.probationBytes -= p.bytes;
    }
  }

  /** Keeps main within its share. */
  private trimMain(): void {
    if (this.mainBytes > this.mainMax) this.evictMain(() => this.mainBytes > this.mainMax, null);
  }

  /**
   * Drops main's oldest unmarked chunks while `over()`; a marked chunk is unmarked and moved to
   * the young end instead (second chance). `keep` is never dropped. Two passes at most: after
   * one every chunk is unmarked.
   */
  private evictMain(over: () => boolean, keep: string | null): void {
    for (let pass = 0; pass < 2 && over(); pass++) {
      const n = this.main.size;
      let seen = 0;
      for (const [k, x] of this.main) {
        if (!over() || seen++ >= n) break;
        if (k === keep) continue;
        this.main.delete(k);
        if (x.ref) {
          x.ref = false;
          this.main.set(k, x);
          continue;
        }
        this.mainBytes -= x.bytes;
      }
    }
  }
}
