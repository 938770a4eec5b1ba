// Series keys (measurement + tags as written) → series ids for one request, without making a
// string per line: keys stay in the request body, are hashed four bytes at a time (MurmurHash3
// rounds) and compared as 32-bit words, in an open-addressing table that doubles at half full.
import { assert } from '../../common/assert.js';

const INITIAL_SLOTS = 1024;

export class SeriesTable {
  /** id + 1 per slot; 0 = empty. */
  private slots = new Int32Array(INITIAL_SLOTS);
  private mask = INITIAL_SLOTS - 1;
  private starts = new Int32Array(INITIAL_SLOTS / 2);
  private lens = new Int32Array(INITIAL_SLOTS / 2);
  private hashes = new Int32Array(INITIAL_SLOTS / 2);
  /** Series registered so far; ids are 0 .. count-1 in order of first appearance. */
  count = 0;

  constructor(
    private readonly body: Uint8Array,
    private readonly view: DataView,
  ) {}

  hash(start: number, len: number): number {
    const view = this.view;
    let h = len;
    let k = 0;
    for (; k + 4 <= len; k += 4) {
      let w = Math.imul(view.getInt32(start + k, true), 0xcc9e2d51);
      w = Math.imul((w << 15) | (w >>> 17), 0x1b873593);
      h ^= w;
      h = Math.imul((h << 13) | (h >>> 19), 5) + 0xe6546b64;
    }
    for (; k < len; k++) h = Math.imul(h ^ this.body[start + k]!, 0x1b873593);
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
    return h | 0;
  }

  /** The id of the key body[start, start+len) with hash `h`, registering it if new; `isNew` tells which. */
  findOrAdd(start: number, len: number, h: number): number {
    const slots = this.slots;
    let i = h & this.mask;
    for (;;) {
      const v = slots[i]!;
      if (v === 0) break;
      const id = v - 1;
      if (this.hashes[id] === h && this.lens[id] === len && this.equal(this.starts[id]!, start, len)) {
        this.isNew = false;
        return id;
      }
      i = (i + 1) & this.mask;
    }
    const id = this.count++;
    if (id === this.starts.length) this.growEntries();
    this.starts[id] = start;
    this.lens[id] = len;
    this.hashes[id] = h;
    slots[i] = id + 1;
    if (this.count * 2 > slots.length) this.rehash();
    this.isNew = true;
    return id;
  }

  /** Set by findOrAdd: whether the last key was seen for the first time. */
  isNew = false;

  private equal(a: number, b: number, len: number): boolean {
    const view = this.view;
    let k = 0;
    for (; k + 4 <= len; k += 4) if (view.getInt32(a + k, true) !== view.getInt32(b + k, true)) return false;
    for (; k < len; k++) if (this.body[a + k] !== this.body[b + k]) return false;
    return true;
  }

  private growEntries(): void {
    const n = this.starts.length * 2;
    const grow = (a: Int32Array): Int32Array<ArrayBuffer> => {
      const b = new Int32Array(n);
      b.set(a);
      return b;
    };
    this.starts = grow(this.starts);
    this.lens = grow(this.lens);
    this.hashes = grow(this.hashes);
  }

  private rehash(): void {
    const slots = new Int32Array(this.slots.length * 2);
    const mask = slots.length - 1;
    for (let id = 0; id < this.count; id++) {
      let i = this.hashes[id]! & mask;
      while (slots[i] !== 0) i = (i + 1) & mask;
      slots[i] = id + 1;
    }
    this.slots = slots;
    this.mask = mask;
    assert(this.count * 2 <= slots.length, 'series table over half full after rehash');
  }
}
