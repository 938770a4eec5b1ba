// CRC32C (Castagnoli, reflected polynomial 0x82F63B78). Every WAL entry, block column and
// manifest carries one, so a flipped bit is caught before it becomes data.
// The native @node-rs/crc32 (SSE4.2 / ARMv8 CRC instructions) does this at many GB/s where
// the JS slicing-by-8 below manages ~0.5 GB/s; under replicated ingest the JS one was 8-10%
// of a dnode's CPU. The JS one stays: it is the fallback where the native module has no
// build (or fails to load), and it is faster for tiny inputs, where the N-API call costs more
// than the bytes (NATIVE_MIN_BYTES, measured with bench/wal-append.bench.ts).
import { createRequire } from 'node:module';

const POLY = 0x82f63b78;
const T = new Uint32Array(8 * 256);
for (let i = 0; i < 256; i++) {
  let c = i;
  for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLY : c >>> 1;
  T[i] = c >>> 0;
}
for (let i = 0; i < 256; i++) {
  for (let s = 1; s < 8; s++) T[s * 256 + i] = (T[(s - 1) * 256 + i]! >>> 8) ^ T[T[(s - 1) * 256 + i]! & 0xff]!;
}

/**
 * Below this many bytes the JS loop (~1 ns/B when hot) beats the native call (~100 ns fixed,
 * ~170 ns with the subarray view; measured on x64, Node 20).
 */
const NATIVE_MIN_BYTES = 160;

type NativeCrc32c = (input: Uint8Array, initialState?: number) => number;

function loadNative(): NativeCrc32c | null {
  if (process.env['BASALT_CRC32C_JS'] === '1') return null;
  try {
    const mod = createRequire(import.meta.url)('@node-rs/crc32') as { crc32c?: unknown };
    if (typeof mod.crc32c !== 'function') return null;
    const fn = mod.crc32c as NativeCrc32c;
    // A build that disagrees on the check value would corrupt every file we write.
    if (fn(Buffer.from('123456789'), 0) !== 0xe3069283) return null;
    return fn;
  } catch {
    // No prebuilt binary for this platform (or no package): the JS loop is correct, only slower.
    return null;
  }
}

const native: NativeCrc32c | null = loadNative();

/** True when crc32c() uses the native module for inputs of NATIVE_MIN_BYTES and more. */
export const crc32cIsNative: boolean = native !== null;

/** CRC32C of buf[start, end); `seed` continues a previous CRC: crc32c(b, 0, n, crc32c(a)) = crc32c(a ‖ b). */
export function crc32c(buf: Uint8Array, start = 0, end = buf.length, seed = 0): number {
  if (native !== null && end - start >= NATIVE_MIN_BYTES) {
    // A view, not a copy: the native side reads the bytes in place.
    const view = start === 0 && end === buf.length ? buf : buf.subarray(start, end);
    return native(view, seed >>> 0) >>> 0;
  }
  return crc32cJs(buf, start, end, seed);
}

/** The JS implementation: the fallback, and the reference the native one is tested against. */
export function crc32cJs(buf: Uint8Array, start = 0, end = buf.length, seed = 0): number {
  let c = ~seed >>> 0;
  let i = start;
  // Slicing-by-8: eight table look-ups per 8 bytes instead of one per byte.
  while (end - i >= 8) {
    const lo = (c ^ (buf[i]! | (buf[i + 1]! << 8) | (buf[i + 2]! << 16) | (buf[i + 3]! << 24))) >>> 0;
    c =
      T[7 * 256 + (lo & 0xff)]! ^
      T[6 * 256 + ((lo >>> 8) & 0xff)]! ^
      T[5 * 256 + ((lo >>> 16) & 0xff)]! ^
      T[4 * 256 + (lo >>> 24)]! ^
      T[3 * 256 + buf[i + 4]!]! ^
      T[2 * 256 + buf[i + 5]!]! ^
      T[256 + buf[i + 6]!]! ^
      T[buf[i + 7]!]!;
    i += 8;
  }
  while (i < end) c = T[(c ^ buf[i++]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

/** The native implementation (null where it did not load), for tests and benchmarks. */
export function crc32cNative(buf: Uint8Array, start = 0, end = buf.length, seed = 0): number | null {
  return native === null ? null : native(buf.subarray(start, end), seed >>> 0) >>> 0;
}
