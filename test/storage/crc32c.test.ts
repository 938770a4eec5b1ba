import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { crc32c, crc32cIsNative, crc32cJs, crc32cNative } from '../../src/storage/crc32c.js';

const CHECK = Buffer.from('123456789');
const CHECK_VALUE = 0xe3069283;

test('native crc32c is loaded on this platform and matches the check value', () => {
  // The platforms we run on (linux x64/arm64, darwin) all have a prebuilt binary.
  assert.equal(crc32cIsNative, true);
  assert.equal(crc32cNative(CHECK), CHECK_VALUE);
  assert.equal(crc32cJs(CHECK), CHECK_VALUE);
  assert.equal(crc32c(CHECK), CHECK_VALUE);
});

test('native and JS crc32c agree on random buffers, ranges and seeds', () => {
  const input = fc.uint8Array({ minLength: 0, maxLength: 3000 }).chain((bytes) =>
    fc.record({
      bytes: fc.constant(bytes),
      start: fc.nat(bytes.length),
      len: fc.nat(bytes.length),
      seed: fc.oneof(fc.constant(0), fc.constant(0xffffffff), fc.nat(0xffffffff)),
      offset: fc.nat(15),
    }),
  );
  fc.assert(
    fc.property(input, ({ bytes, start, len, seed, offset }) => {
      // A view at an odd offset into a bigger ArrayBuffer, as a frame's payload would be.
      const backing = new Uint8Array(bytes.length + offset + 7);
      backing.set(bytes, offset);
      const buf = backing.subarray(offset, offset + bytes.length);
      const end = Math.min(bytes.length, start + len);
      const want = crc32cJs(buf, start, end, seed);
      assert.equal(crc32cNative(buf, start, end, seed), want);
      assert.equal(crc32c(buf, start, end, seed), want);
    }),
    { numRuns: 500 },
  );
});

test('a seed continues the CRC: crc(a ‖ b) = crc(b, seed crc(a)), on both implementations', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 2000 }), fc.uint8Array({ maxLength: 2000 }), (a, b) => {
      const ab = Buffer.concat([a, b]);
      const whole = crc32cJs(ab);
      assert.equal(crc32c(b, 0, b.length, crc32c(a)), whole);
      assert.equal(crc32cNative(b, 0, b.length, crc32cNative(a)!), whole);
      assert.equal(crc32cJs(b, 0, b.length, crc32cJs(a)), whole);
      assert.equal(crc32c(ab, a.length, ab.length, crc32c(ab, 0, a.length)), whole);
    }),
    { numRuns: 300 },
  );
});

test('without the native module (BASALT_CRC32C_JS=1) the JS fallback is used and agrees', () => {
  const mod = fileURLToPath(new URL('../../src/storage/crc32c.js', import.meta.url));
  const script = `import(${JSON.stringify(mod)}).then((m) => { const b = Buffer.alloc(5000, 7); process.stdout.write(JSON.stringify([m.crc32cIsNative, m.crc32c(Buffer.from('123456789')), m.crc32c(b, 3, 4000, 99), m.crc32cNative(b)])); });`;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
    env: { ...process.env, BASALT_CRC32C_JS: '1' },
  }).toString();
  const b = Buffer.alloc(5000, 7);
  assert.deepEqual(JSON.parse(out), [false, CHECK_VALUE, crc32cJs(b, 3, 4000, 99), null]);
});
