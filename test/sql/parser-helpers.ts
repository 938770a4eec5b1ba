// Helpers for the table-driven parser tests: partial deep matching of AST fragments.
import assert from 'node:assert/strict';
import { BasaltError } from '../../src/common/errors.js';
import type { ErrorName } from '../../src/common/errors.js';
import { parse } from '../../src/sql/index.js';

/**
 * Asserts that `actual` contains `expected`: objects are compared key by key on the keys of
 * `expected` only, arrays element by element with equal lengths, everything else with ===.
 */
export function assertFragment(actual: unknown, expected: unknown, path = '$'): void {
  if (Array.isArray(expected)) {
    assert.ok(Array.isArray(actual), `${path}: expected an array, got ${show(actual)}`);
    assert.equal(actual.length, expected.length, `${path}: array length (got ${show(actual)})`);
    expected.forEach((e, i) => {
      assertFragment(actual[i], e, `${path}[${i}]`);
    });
    return;
  }
  if (expected !== null && typeof expected === 'object') {
    assert.ok(actual !== null && typeof actual === 'object', `${path}: expected an object, got ${show(actual)}`);
    for (const [k, v] of Object.entries(expected)) {
      assertFragment((actual as Record<string, unknown>)[k], v, `${path}.${k}`);
    }
    return;
  }
  assert.equal(actual, expected, `${path}: got ${show(actual)}, expected ${show(expected)}`);
}

export function show(v: unknown): string {
  return JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? `${x}n` : x));
}

export interface OkCase {
  readonly sql: string;
  /** Fragments of the statements, one per statement. */
  readonly ast: readonly unknown[];
}

export interface ErrCase {
  readonly sql: string;
  readonly code?: ErrorName;
  /** Fragments the message must contain. */
  readonly msg: readonly string[] | string;
}

export function checkOk(c: OkCase): void {
  let got: ReturnType<typeof parse>;
  try {
    got = parse(c.sql);
  } catch (e) {
    assert.fail(`${c.sql}\n  threw ${(e as Error).message}`);
  }
  try {
    assertFragment(got, c.ast);
  } catch (e) {
    assert.fail(`${c.sql}\n  ${(e as Error).message}\n  AST: ${show(got)}`);
  }
}

export function checkErr(c: ErrCase): void {
  try {
    const got = parse(c.sql);
    assert.fail(`${c.sql}\n  parsed but should fail: ${show(got)}`);
  } catch (e) {
    if (!(e instanceof BasaltError)) throw e;
    assert.equal(e.errorName, c.code ?? 'SYNTAX_ERROR', `${c.sql}: ${e.message}`);
    for (const m of typeof c.msg === 'string' ? [c.msg] : c.msg) {
      assert.ok(e.message.includes(m), `${c.sql}\n  message ${JSON.stringify(e.message)} lacks ${JSON.stringify(m)}`);
    }
  }
}
