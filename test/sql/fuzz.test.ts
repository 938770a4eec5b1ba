// Parser robustness: more than 100,000 random and mutated SQL strings. parse() must either
// return statements or throw a BasaltError with a SQL error code (never another exception,
// never hang); successful parses must carry consistent positions; splitting a parseable
// script must yield the same statements. Deterministic: the seed is fixed (override with
// BASALT_FUZZ_SEED, and the count with BASALT_FUZZ_N) and printed on failure.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BasaltError } from '../../src/common/errors.js';
import { parse, splitStatements } from '../../src/sql/index.js';

const SEED = Number(process.env['BASALT_FUZZ_SEED'] ?? 20261123);
/** Inputs in the main run; BASALT_FUZZ_N raises it for longer local runs. */
const N = Math.max(104_000, Number(process.env['BASALT_FUZZ_N'] ?? 0));

/** xorshift32: small, fast, deterministic. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 4294967296;
  };
}

const CORPUS = [
  'create database if not exists test1 replica 1; use test1; create table if not exists t1(ts timestamp, n int); insert into t1 values(now, 1)(now+1s, 2);',
  'select *from test1.t1',
  'select count(*) from test.meters;',
  'show databases',
  'show test1.vgroups',
  "create database d vgroups 4 replica 3 buffer 64 duration 10d keep 10d,100d,3650d precision 'us' wal_level 2 wal_fsync_period 3000 maxrows 4096 minrows 100",
  'alter database d buffer 128 keep 100d',
  'drop database if exists d',
  'create stable meters (ts timestamp, current float, voltage int, phase float) tags (location binary(64), groupid int)',
  "create table if not exists d1 using st (groupid, location) tags (3, 'x') d2 using st tags (4, 'y')",
  'create table t (ts timestamp, a tinyint unsigned, f varchar(10), n nchar(4))',
  'drop table if exists db.t1, t2',
  'drop stable meters',
  "show power.tables like 'd%'",
  'show create stable db.meters',
  'describe meters',
  'alter stable meters add column c2 int',
  "alter table d1001 set tag location = 'Beijing'",
  'alter stable meters modify tag location binary(128)',
  "insert into d1001 using meters tags ('SF', 2) values (now, 10.3, 219, 0.31) d1002 values (now-2h, -1, 0x10, 1e5)",
  "insert into t (ts, n) values ('2023-01-01 00:00:00', 1), (1700000000000, null)",
  'delete from t where ts < now - 1d',
  "select _wstart, avg(current) from meters where ts > now - 1h and location in ('a','b') partition by tbname interval(1h, 5m) sliding(30m) fill(value, 0) order by _wstart desc limit 10 offset 2 slimit 3",
  'select location, avg(current) from meters group by location having avg(current) > 10 order by 2 desc',
  "select * from t where name like 'd%' and v not between 1 and 2 and w is not null or x not in (1, 2)",
  'select cast(v as varchar(10)), timetruncate(ts, 1h), abs(-v) + ceil(v) * 2 from t',
  "select case when v > 1 then 'hi' else 'lo' end from (select v from t) x",
  'select last_row(*), tbname from meters partition by tbname',
  'select server_version(); select database(); select now()',
  'select count(*) from t session(ts, 10s); select count(*) from t state_window(status)',
  'create dnode "h2.example.com:6030"; create dnode h3 port 6030; create mnode on dnode 2',
  'drop dnode 2 force unsafe; balance vgroup; balance vgroup leader; redistribute vgroup 2 dnode 1 dnode 2 dnode 3',
  'show dnodes; show mnodes; show vgroups; show vnodes on dnode 1; show cluster; show variables; show dnode 1 variables; show transactions; show users',
  "alter dnode 1 'debugFlag' '143'; alter all dnodes 'monitor' '1'; alter user root pass 'x'",
  'select /* c */ a -- c\n from t',
];

const FRAGMENTS = [
  'select',
  'from',
  'where',
  'insert',
  'into',
  'values',
  'using',
  'tags',
  'create',
  'table',
  'stable',
  'database',
  'show',
  'drop',
  'alter',
  'interval',
  'sliding',
  'fill',
  'partition',
  'by',
  'group',
  'order',
  'limit',
  'offset',
  'and',
  'or',
  'not',
  'in',
  'between',
  'like',
  'is',
  'null',
  'now',
  'cast',
  'as',
  'case',
  'when',
  'end',
  'dnode',
  'count(*)',
  'avg(',
  'tbname',
  '_wstart',
  '(',
  ')',
  ',',
  ';',
  '.',
  '*',
  '+',
  '-',
  '/',
  '%',
  '=',
  '<>',
  '!=',
  '<=',
  '>=',
  '<',
  '>',
  '&',
  '|',
  '||',
  "'",
  '"',
  '`',
  '\\',
  '\\G',
  '--',
  '/*',
  '*/',
  '1s',
  '10d',
  '0x',
  '1e',
  '1e999',
  '18446744073709551616',
  '-9223372036854775809',
  '99999999999999999999999999999999999',
  '.5',
  '1.',
  "'abc'",
  '"x"',
  '`Q`',
  'if not exists',
  'if exists',
  '\n',
  '\t',
  ' ',
  '\u0000',
  '\u00e9',
  '\u4e2d',
  '\ud83d\ude00',
  '\ud800',
  '\ufeff',
  '\u2028',
  'keep',
  'precision',
  'replica',
  'vgroups',
];

function pick<T>(r: () => number, arr: readonly T[]): T {
  return arr[Math.floor(r() * arr.length)]!;
}

function randomChar(r: () => number): string {
  const k = r();
  if (k < 0.6) return String.fromCharCode(32 + Math.floor(r() * 95)); // printable ASCII
  if (k < 0.75) return String.fromCharCode(Math.floor(r() * 32)); // control chars
  if (k < 0.9) return String.fromCharCode(Math.floor(r() * 0xffff)); // any BMP unit, incl. lone surrogates
  return String.fromCodePoint(0x10000 + Math.floor(r() * 0xfffff));
}

/** Splits SQL into rough tokens for token-level mutation (not the real lexer, on purpose). */
function roughTokens(sql: string): string[] {
  return sql.match(/\s+|[A-Za-z_][A-Za-z0-9_]*|\d+[a-z]?|'[^']*'|"[^"]*"|`[^`]*`|./gs) ?? [];
}

function mutate(r: () => number, sql: string): string {
  let s = sql;
  const rounds = 1 + Math.floor(r() * 4);
  for (let i = 0; i < rounds; i++) {
    const k = Math.floor(r() * 11);
    const at = Math.floor(r() * (s.length + 1));
    switch (k) {
      case 0: // delete a byte range
        s = s.slice(0, at) + s.slice(at + 1 + Math.floor(r() * 6));
        break;
      case 1: // insert random characters
        s =
          s.slice(0, at) + Array.from({ length: 1 + Math.floor(r() * 3) }, () => randomChar(r)).join('') + s.slice(at);
        break;
      case 2: // insert a fragment
        s = s.slice(0, at) + pick(r, FRAGMENTS) + s.slice(at);
        break;
      case 3: {
        // delete a token
        const t = roughTokens(s);
        t.splice(Math.floor(r() * t.length), 1);
        s = t.join('');
        break;
      }
      case 4: {
        // swap two tokens
        const t = roughTokens(s);
        const a = Math.floor(r() * t.length);
        const b = Math.floor(r() * t.length);
        [t[a], t[b]] = [t[b]!, t[a]!];
        s = t.join('');
        break;
      }
      case 5: {
        // duplicate a token
        const t = roughTokens(s);
        const a = Math.floor(r() * t.length);
        t.splice(a, 0, t[a] ?? '');
        s = t.join('');
        break;
      }
      case 6: // truncate
        s = s.slice(0, at);
        break;
      case 7: // replace a number with a huge or odd one
        s = s.replace(
          /\d+/,
          pick(r, ['18446744073709551616', '1e400', '0', '-0', '9'.repeat(400), '0x' + 'f'.repeat(40), '1.5e-400']),
        );
        break;
      case 8: {
        // deep nesting around a position
        const depth = Math.floor(r() * 400);
        s = s.slice(0, at) + '('.repeat(depth) + s.slice(at) + ')'.repeat(Math.floor(r() * depth));
        break;
      }
      case 9: // flip case of a stretch
        s = s.slice(0, at) + s.slice(at, at + 10).toUpperCase() + s.slice(at + 10);
        break;
      default: // splice in another corpus statement
        s = s.slice(0, at) + pick(r, CORPUS).slice(Math.floor(r() * 20)) + s.slice(at);
        break;
    }
  }
  return s;
}

function tokenSoup(r: () => number): string {
  const n = Math.floor(r() * 30);
  const parts: string[] = [];
  for (let i = 0; i < n; i++) parts.push(r() < 0.8 ? pick(r, FRAGMENTS) : randomChar(r));
  return parts.join(r() < 0.5 ? ' ' : '');
}

function randomString(r: () => number): string {
  const n = Math.floor(r() * 60);
  let s = '';
  for (let i = 0; i < n; i++) s += randomChar(r);
  return s;
}

const SQL_ERRORS = new Set(['SYNTAX_ERROR', 'INVALID_DATA_TYPE', 'STATEMENT_TOO_LONG']);

interface Stats {
  ok: number;
  errors: number;
  slowestMs: number;
  slowest: string;
}

/** Parses one input and checks the contract; returns whether it parsed. */
function check(sql: string, stats: Stats): boolean {
  const t0 = performance.now();
  let ok = false;
  try {
    const stmts = parse(sql);
    ok = true;
    checkPositions(sql, stmts);
  } catch (e) {
    if (!(e instanceof BasaltError)) {
      throw new Error(
        `non-BasaltError ${(e as Error)?.name}: ${(e as Error)?.message} for input ${JSON.stringify(sql.slice(0, 300))}`,
      );
    }
    if (!SQL_ERRORS.has(e.errorName))
      throw new Error(`unexpected code ${e.errorName} for ${JSON.stringify(sql.slice(0, 300))}`);
    if (e.errorName === 'SYNTAX_ERROR' && !/(line \d+, column \d+)/.test(e.message)) {
      throw new Error(`syntax error without a position: ${e.message} for ${JSON.stringify(sql.slice(0, 300))}`);
    }
  }
  const ms = performance.now() - t0;
  if (ms > stats.slowestMs) {
    stats.slowestMs = ms;
    stats.slowest = sql.slice(0, 100);
  }
  if (ok) stats.ok++;
  else stats.errors++;
  return ok;
}

/** Every `pos` in the tree lies inside the text and agrees with its line and column. */
function checkPositions(sql: string, root: unknown): void {
  const lineStarts = [0];
  for (let i = 0; i < sql.length; i++) if (sql[i] === '\n') lineStarts.push(i + 1);
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const v = stack.pop();
    if (v === null || typeof v !== 'object') continue;
    if (Array.isArray(v)) {
      stack.push(...v);
      continue;
    }
    for (const [k, x] of Object.entries(v)) {
      if ((k === 'pos' || k === 'valuePos' || k === 'opPos') && x !== null && typeof x === 'object') {
        const p = x as { offset: number; line: number; column: number };
        assert.ok(p.offset >= 0 && p.offset <= sql.length, `offset ${p.offset} outside the text`);
        assert.equal(
          lineStarts[p.line - 1]! + p.column - 1,
          p.offset,
          `line/column disagree with offset in ${JSON.stringify(sql.slice(0, 200))}`,
        );
      } else {
        stack.push(x);
      }
    }
  }
}

describe('sql parser fuzz', () => {
  it('100,000+ random and mutated statements: return or BasaltError, never hang', (t) => {
    const r = rng(SEED);
    const stats: Stats = { ok: 0, errors: 0, slowestMs: 0, slowest: '' };
    const started = performance.now();
    let splitChecked = 0;
    try {
      for (let i = 0; i < N; i++) {
        const kind = i % 10;
        const sql =
          kind < 6
            ? mutate(r, pick(r, CORPUS))
            : kind < 8
              ? tokenSoup(r)
              : kind < 9
                ? randomString(r)
                : pick(r, CORPUS);
        const ok = check(sql, stats);
        // A script that parses must split into pieces that parse to the same statements.
        if (ok && i % 4 === 0) {
          const whole = parse(sql).length;
          const pieces = splitStatements(sql).reduce((n, p) => n + parse(p).length, 0);
          assert.equal(pieces, whole, `split mismatch for ${JSON.stringify(sql.slice(0, 300))}`);
          splitChecked++;
        }
      }
    } catch (e) {
      throw new Error(`fuzz failed (seed ${SEED}): ${(e as Error).message}`);
    }
    const totalMs = performance.now() - started;
    t.diagnostic(
      `seed ${SEED}: ${stats.ok} parsed, ${stats.errors} rejected, ${splitChecked} split checks, slowest ${stats.slowestMs.toFixed(1)} ms, total ${totalMs.toFixed(0)} ms`,
    );
    assert.equal(stats.ok + stats.errors, N);
    // Both outcomes must occur often, or the generator is not exercising the parser.
    assert.ok(stats.ok > N * 0.12, `only ${stats.ok} inputs parsed`);
    assert.ok(stats.errors > N * 0.5, `only ${stats.errors} inputs failed`);
    assert.ok(splitChecked > 1000);
    assert.ok(stats.slowestMs < 1000, `slowest parse took ${stats.slowestMs.toFixed(1)} ms: ${stats.slowest}`);
    assert.ok(totalMs < 45_000 * (N / 104_000), `fuzz took ${totalMs.toFixed(0)} ms`);
  });

  it('pathological inputs: huge nesting, long tokens, many statements', () => {
    const stats: Stats = { ok: 0, errors: 0, slowestMs: 0, slowest: '' };
    const inputs = [
      'select ' + '('.repeat(100_000),
      'select ' + '-'.repeat(100_000) + '1',
      'select ' + 'not '.repeat(50_000) + '1',
      'select ' + 'abs('.repeat(50_000),
      'select * from t where ' + 'a=1 and '.repeat(50_000) + 'b=2',
      'select ' + "'".repeat(100_001),
      'select `' + 'x'.repeat(1_000_000),
      '/*'.repeat(10_000),
      '--'.repeat(10_000),
      'select 1;'.repeat(20_000),
      ';'.repeat(100_000),
      '9'.repeat(1_000_000),
      'select ' + '9'.repeat(1_000_000),
      'select 1e' + '9'.repeat(1000),
      'insert into t values ' + '(1)'.repeat(50_000),
      'create table t (' + Array.from({ length: 5000 }, (_, i) => `c${i} int`).join(',') + ')',
      'select ' + Array.from({ length: 5000 }, (_, i) => `c${i}`).join(','),
      '\\'.repeat(1000),
      '\u0000'.repeat(1000),
      '\ud83d'.repeat(1000),
    ];
    for (const sql of inputs) check(sql, stats);
    assert.ok(stats.slowestMs < 2000, `slowest: ${stats.slowestMs.toFixed(0)} ms on ${stats.slowest}`);
    assert.ok(stats.errors >= 10);
  });
});
