// Decoded series keys kept across requests (one cache per database): a client writing the same
// devices again and again sends the same `measurement,tag=value...` bytes, and decoding them
// (unescaping, UTF-8, sorting tags) is most of the cost of a line whose series is new to the
// request. Keys are copied into an arena and found by the hash the parser already computed.
// Bounded: past maxEntries or maxArenaBytes it starts over, so memory stays flat.
import { assert } from '../../common/assert.js';

/** A series key as decoded once. */
export interface DecodedSeries {
  /** The measurement's bytes as written (latin1), to find the request's measurement builder. */
  readonly measurementRaw: string;
  readonly measurement: string;
  readonly tagKeys: readonly string[];
  readonly tagValues: readonly string[];
  readonly tbname: string | null;
}

export class SeriesCache {
  private arena: Uint8Array;
  private arenaUsed = 0;
  private slots: Int32Array;
  private mask: number;
  private starts: Int32Array;
  private lens: Int32Array;
  private hashes: Int32Array;
  private decoded: DecodedSeries[] = [];
  private count = 0;

  constructor(
    private readonly maxEntries = 200_000,
    private readonly maxArenaBytes = 32 * 1024 * 1024,
  ) {
    assert(maxEntries >= 1 && maxArenaBytes >= 1024, 'series cache limits too small');
    this.arena = new Uint8Array(64 * 1024);
    this.slots = new Int32Array(1024);
    this.mask = 1023;
    this.starts = new Int32Array(512);
    this.lens = new Int32Array(512);
    this.hashes = new Int32Array(512);
  }

  get size(): number {
    return this.count;
  }

  /** The decoded series whose key is body[start, start+len) with hash `h`, if cached. */
  get(body: Uint8Array, start: number, len: number, h: number): DecodedSeries | undefined {
    const arena = this.arena;
    let i = h & this.mask;
    for (;;) {
      const v = this.slots[i]!;
      if (v === 0) return undefined;
      const id = v - 1;
      if (this.hashes[id] === h && this.lens[id] === len) {
        const a = this.starts[id]!;
        let k = 0;
        while (k < len && arena[a + k] === body[start + k]) k++;
        if (k === len) return this.decoded[id];
      }
      i = (i + 1) & this.mask;
    }
  }

  add(body: Uint8Array, start: number, len: number, h: number, d: DecodedSeries): void {
    if (len > this.maxArenaBytes / 4) return; // a key this long is not worth keeping
    if (this.count + 1 > this.maxEntries || this.arenaUsed + len > this.maxArenaBytes) this.clear();
    if (this.arenaUsed + len > this.arena.length) {
      let n = this.arena.length * 2;
      while (n < this.arenaUsed + len) n *= 2;
      const a = new Uint8Array(Math.min(n, this.maxArenaBytes));
      a.set(this.arena.subarray(0, this.arenaUsed));
      this.arena = a;
    }
    this.arena.set(body.subarray(start, start + len), this.arenaUsed);
    const id = this.count++;
    if (id === this.starts.length) {
      const grow = (x: Int32Array): Int32Array<ArrayBuffer> => {
        const y = new Int32Array(x.length * 2);
        y.set(x);
        return y;
      };
      this.starts = grow(this.starts);
      this.lens = grow(this.lens);
      this.hashes = grow(this.hashes);
    }
    this.starts[id] = this.arenaUsed;
    this.lens[id] = len;
    this.hashes[id] = h;
    this.decoded[id] = d;
    this.arenaUsed += len;
    if (this.count * 2 > this.slots.length) this.rehash(this.slots.length * 2);
    else this.place(this.slots, this.mask, id);
  }

  clear(): void {
    this.count = 0;
    this.arenaUsed = 0;
    this.decoded = [];
    this.slots.fill(0);
  }

  private place(slots: Int32Array, mask: number, id: number): void {
    let i = this.hashes[id]! & mask;
    while (slots[i] !== 0) i = (i + 1) & mask;
    slots[i] = id + 1;
  }

  private rehash(size: number): void {
    const slots = new Int32Array(size);
    const mask = size - 1;
    for (let id = 0; id < this.count; id++) this.place(slots, mask, id);
    this.slots = slots;
    this.mask = mask;
  }
}
