// Decoded column chunks, least recently used first out, bounded in bytes. Window queries read
// the same partly covered block once per window; with this they decode it once. Files are
// immutable and their names never reused, so (file, offset) is a safe key. Cached vectors are
// shared: readers must not modify them (nor any block the store returns).
import type { ColumnVector } from '../common/block.js';

const STRING_OVERHEAD_BYTES = 40;

function vectorBytes(v: ColumnVector): number {
  let n = v.nulls ? v.nulls.byteLength : 0;
  if (Array.isArray(v.data)) { for (const s of v.data) n += STRING_OVERHEAD_BYTES + 2 * s.length; }
  else n += (v.data as Float64Array).byteLength;
  return n;
}

export class ChunkCache {
  private readonly map = new Map<string, { v: ColumnVector; bytes: number }>();
  private bytes = 0;
  hits = 0;
  misses = 0;

  constructor(readonly maxBytes: number) {}

  get(key: string): ColumnVector | undefined {
    const e = this.map.get(key);
    if (!e) { this.misses++; return undefined; }
    this.hits++;
    this.map.delete(key);
    this.map.set(key, e);
    return e.v;
  }

  put(key: string, v: ColumnVector): void {
    const bytes = vectorBytes(v);
    if (bytes > this.maxBytes / 4) return; // one huge chunk would flush everything else
    const old = this.map.get(key);
    if (old) { this.bytes -= old.bytes; this.map.delete(key); }
    this.map.set(key, { v, bytes });
    this.bytes += bytes;
    for (const [k, e] of this.map) {
      if (this.bytes <= this.maxBytes) break;
      this.map.delete(k);
      this.bytes -= e.bytes;
    }
  }

  sizeBytes(): number { return this.bytes; }
}
