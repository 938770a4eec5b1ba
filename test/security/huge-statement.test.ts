// Issue #13 finding 5, replayed against a real process: a 15 MB `IN (…)` list stalled the
// event loop for everyone (a concurrent `select 1` took 35 s). Now a statement is at most
// Limits.maxSqlBytes (1 MB, as TDengine 3) and an IN list costs time linear in its length and
// is capped at Limits.maxSqlInListItems: the 15 MB statement and an over-long list are refused
// at once with STATEMENT_TOO_LONG naming the limit, a list at the cap returns the right rows,
// the largest INSERT lands whole, and meanwhile `select server_version()` on another
// connection answers within a second.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { connect, type Connection } from '../../src/client/index.js';
import { Limits } from '../../src/common/limits.js';
import { freeBasePort, sleep, TestCluster } from '../cluster/harness.js';

const STATEMENT_TOO_LONG = 0x80002656;
/** Longest a concurrent small query may wait while the big statement runs. */
const CONCURRENT_MAX_MS = 1_000;

const cluster = new TestCluster();
let port = 0;

function login(): Promise<Connection> {
  return connect({ host: '127.0.0.1', port, user: 'root', password: 'taosdata', timeoutMs: 120_000 });
}

before(async () => {
  port = await freeBasePort(1);
  await cluster.start('d1', port);
  const c = await login();
  try {
    await c.query('create database huge');
    await c.query('create table huge.t (ts timestamp, v int)');
    await c.query(
      'insert into huge.t values (1700000000000, 1) (1700000001000, 5) (1700000002000, 100) (1700000003000, 7) (1700000004000, 8)',
    );
  } finally {
    c.close();
  }
});

after(async () => {
  await cluster.cleanup();
});

/** `v in (2, 5, 8, …, 100, 7)`: `items` values, about `bytes` long when bytes is given. */
function inStatement(limit: { bytes?: number; items?: number }): { text: string; items: number } {
  const parts: string[] = [];
  let bytes = 0;
  const more = (): boolean => (limit.bytes !== undefined ? bytes < limit.bytes : parts.length < (limit.items ?? 0) - 2);
  for (let i = 0; more(); i++) {
    const p = String(i * 3 + 2);
    parts.push(p);
    bytes += p.length + 1;
  }
  parts.push('100', '7');
  return { text: `select ts, v from huge.t where v in (${parts.join(',')}) order by ts`, items: parts.length };
}

/**
 * Runs `text` on one connection while another sends `select server_version()` one after
 * another; returns the statement's outcome, its time, and the slowest concurrent answer.
 */
async function withConcurrentQueries(
  text: string,
): Promise<{ rows: unknown[][] | null; code: number; ms: number; slowestMs: number; count: number }> {
  const big = await login();
  const small = await login();
  try {
    const t0 = performance.now();
    let ms = 0;
    let done = false;
    const run = big.query(text).then(
      (r) => ({ rows: r.rows() as unknown[][], code: 0 }),
      (e: { code: number }) => ({ rows: null, code: e.code >>> 0 }),
    );
    void run.then(() => {
      ms = performance.now() - t0;
      done = true;
    });
    const latencies: number[] = [];
    do {
      const t = performance.now();
      assert.equal((await small.query('select server_version()')).rows().length, 1);
      latencies.push(performance.now() - t);
      await sleep(20);
    } while (!done);
    const r = await run;
    return { ...r, ms, slowestMs: Math.max(...latencies), count: latencies.length };
  } finally {
    big.close();
    small.close();
  }
}

/**
 * Sends `text` while other connections run small queries: it must be refused with
 * STATEMENT_TOO_LONG without holding them up, and the client's error must match `message`.
 */
async function refusedWithoutStall(text: string, items: number, size: string, message: RegExp): Promise<void> {
  const r = await withConcurrentQueries(text);
  process.stdout.write(
    `# ${size} statement, ${items} IN items: answered ${r.code.toString(16)} in ${r.ms.toFixed(0)} ms; ` +
      `${r.count} concurrent select server_version(), slowest ${r.slowestMs.toFixed(0)} ms\n`,
  );
  assert.equal(r.code, STATEMENT_TOO_LONG);
  assert.ok(r.slowestMs < CONCURRENT_MAX_MS, `a concurrent query waited ${r.slowestMs.toFixed(0)} ms`);
  const c = await login();
  try {
    await assert.rejects(c.query(text), (e: Error) => {
      assert.match(e.message, message);
      return true;
    });
  } finally {
    c.close();
  }
}

test('a 15 MB statement is refused at once with the size limit named, and does not stall another connection', async () => {
  const { text, items } = inStatement({ bytes: 15 * 1024 * 1024 });
  assert.ok(text.length > Limits.maxSqlBytes);
  await refusedWithoutStall(
    text,
    items,
    `${(text.length / 1024 / 1024).toFixed(1)} MB`,
    new RegExp(`longer than ${Limits.maxSqlBytes} bytes; split it`),
  );
});

test('an IN list over its cap inside a 1 MB statement is refused at once, naming maxSqlInListItems', async () => {
  const { text, items } = inStatement({ bytes: Limits.maxSqlBytes - 4096 });
  assert.ok(items > Limits.maxSqlInListItems);
  await refusedWithoutStall(
    text,
    items,
    `${(text.length / 1024).toFixed(0)} KB`,
    new RegExp(`more than ${Limits.maxSqlInListItems} items \\(the limit maxSqlInListItems\\); split it`),
  );
});

test('a 1 MB INSERT, the largest statement, lands whole without stalling another connection', async () => {
  const rows: string[] = [];
  let bytes = 0;
  for (let i = 0; bytes < Limits.maxSqlBytes - 4096; i++) {
    const r = `(${1_800_000_000_000 + i},${i})`;
    rows.push(r);
    bytes += r.length + 1;
  }
  const text = `insert into huge.big using huge.t values ${rows.join(' ')}`.replace(' using huge.t', '');
  await (async () => {
    const c = await login();
    try {
      await c.query('create table if not exists huge.big (ts timestamp, v int)');
    } finally {
      c.close();
    }
  })();
  const r = await withConcurrentQueries(text);
  process.stdout.write(
    `# ${(text.length / 1024).toFixed(0)} KB INSERT of ${rows.length} rows: answered in ${r.ms.toFixed(0)} ms; ` +
      `${r.count} concurrent select server_version(), slowest ${r.slowestMs.toFixed(0)} ms\n`,
  );
  assert.equal(r.code, 0);
  assert.ok(r.slowestMs < CONCURRENT_MAX_MS, `a concurrent query waited ${r.slowestMs.toFixed(0)} ms`);
  const c = await login();
  try {
    assert.equal(Number((await c.query('select count(*) from huge.big')).rows()[0]![0]), rows.length);
  } finally {
    c.close();
  }
});

test('an IN list at the cap returns the right rows without stalling another connection', async () => {
  const { text, items } = inStatement({ items: Limits.maxSqlInListItems });
  assert.equal(items, Limits.maxSqlInListItems);
  const r = await withConcurrentQueries(text);
  process.stdout.write(
    `# ${(text.length / 1024).toFixed(0)} KB statement, ${items} IN items: answered in ${r.ms.toFixed(0)} ms; ` +
      `${r.count} concurrent select server_version(), slowest ${r.slowestMs.toFixed(0)} ms\n`,
  );
  assert.equal(r.code, 0);
  assert.deepEqual(
    r.rows!.map((row) => Number(row[1])),
    [5, 100, 7, 8],
  );
  assert.ok(r.slowestMs < CONCURRENT_MAX_MS, `a concurrent query waited ${r.slowestMs.toFixed(0)} ms`);
  // One item more is refused.
  const over = inStatement({ items: Limits.maxSqlInListItems + 1 });
  const c = await login();
  try {
    await assert.rejects(c.query(over.text), (e: { code: number }) => e.code >>> 0 === STATEMENT_TOO_LONG);
  } finally {
    c.close();
  }
});
