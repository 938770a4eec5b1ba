// Invariant checks that stay on in production: a broken invariant means corruption or a
// bug, and crashing beats serving wrong data. Expected conditions use BasaltError instead.
export class AssertionError extends Error {
  override name = 'AssertionError';
}

export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new AssertionError(`BUG: ${message}`);
}

export function unreachable(value: never, message = 'unreachable'): never {
  throw new AssertionError(`BUG: ${message}: ${String(value)}`);
}
