// MurmurHash3 x86 32-bit (the hash TDengine uses for table names), over UTF-8 bytes, seed 0.
// Table routing: hash32(tableName) falls into one vgroup's hash range.
const encoder = new TextEncoder();

export function murmur3_32(data: Uint8Array, seed = 0): number {
  const c1 = 0xcc9e2d51,
    c2 = 0x1b873593;
  let h = seed >>> 0;
  const n = data.length,
    blocks = n & ~3;
  for (let i = 0; i < blocks; i += 4) {
    let k = data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24);
    k = Math.imul(k, c1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, c2);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  // Tail bytes (0 to 3): mixed in as one partial block.
  const tail = n & 3;
  if (tail > 0) {
    let k = 0;
    if (tail === 3) k ^= data[blocks + 2]! << 16;
    if (tail >= 2) k ^= data[blocks + 1]! << 8;
    k ^= data[blocks]!;
    k = Math.imul(k, c1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, c2);
    h ^= k;
  }
  h ^= n;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

export function hash32(name: string): number {
  return murmur3_32(encoder.encode(name));
}

/** Splits [0, 2^32) into `n` contiguous inclusive ranges, as the mnode assigns to a database's vgroups. */
export function hashRanges(n: number): Array<{ begin: number; end: number }> {
  const out: Array<{ begin: number; end: number }> = [];
  const step = Math.floor(0x100000000 / n);
  for (let i = 0; i < n; i++) {
    const begin = i * step;
    const end = i === n - 1 ? 0xffffffff : (i + 1) * step - 1;
    out.push({ begin, end });
  }
  return out;
}
