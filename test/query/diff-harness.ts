// Differential testing of the select path against SQLite: the same seeded random data goes
// into Basalt (real storage, several vgroups, part flushed to files, some rows overwritten)
// and into one SQLite table; random queries are generated side by side in both dialects and
// their results compared row for row (doubles with a relative tolerance).
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { openSelectFixture, type Cell, type SelectFixture } from './select-fixture.js';
import { mulberry32 } from '../../src/common/random.js';
export { mulberry32 };

class Rng {
  constructor(readonly next: () => number) {}
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  pick<T>(a: readonly T[]): T {
    return a[Math.floor(this.next() * a.length)]!;
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
}

const T0 = 1_700_000_000_000;
const STEP_MS = 1000;
const LOCS = ['sf', 'la', 'sd', 'pa'];
const WORDS = ['apple', 'apricot', 'banana', 'berry', 'cherry', 'kiwi', 'lemon', 'lime', 'mango', 'melon'];

interface Row {
  tb: string;
  ts: number;
  i: number | null;
  b: number | null;
  d: number | null;
  f: number | null;
  o: boolean | null;
  s: string | null;
  g: number;
  loc: string;
}

/** A pair of equivalent query texts. */
interface QueryPair {
  basalt: string;
  sqlite: string;
}

export interface DiffSetup {
  readonly fx: SelectFixture;
  readonly lite: Database.Database;
  readonly tables: readonly string[];
  readonly rowsPerTable: number;
  close(): Promise<void>;
}

function sqlLit(v: number | boolean | string | null): string {
  if (v === null) return 'null';
  if (typeof v === 'string') return `'${v}'`;
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  return String(v);
}

/** Loads the random data into both systems. */
export async function setupDiff(seed: number, nTables = 5, rowsPerTable = 400): Promise<DiffSetup> {
  const rng = new Rng(mulberry32(seed));
  const fx = await openSelectFixture();
  const lite = new Database(':memory:');
  lite.pragma('case_sensitive_like = true');
  lite.exec(
    'create table st (tb text, ts integer, i integer, b integer, d real, f real, o integer, s text, g integer, loc text, primary key (tb, ts))',
  );
  await fx.exec(
    'create database dft vgroups 3 maxrows 200 minrows 10; use dft; create stable st (ts timestamp, i int, b bigint, d double, f float, o bool, s varchar(16)) tags (g int, loc varchar(16))',
  );
  const tables: string[] = [];
  const ins = lite.prepare('insert or replace into st values (?,?,?,?,?,?,?,?,?,?)');
  const genRow = (tb: string, ts: number, g: number, loc: string): Row => ({
    tb,
    ts,
    g,
    loc,
    i: rng.chance(0.1) ? null : rng.int(-50, 50),
    b: rng.chance(0.1) ? null : rng.int(-1_000_000, 1_000_000) * 1000,
    d: rng.chance(0.1) ? null : Math.round((rng.next() * 200 - 100) * 100) / 100,
    f: rng.chance(0.1) ? null : Math.fround(Math.round(rng.next() * 1000) / 8),
    o: rng.chance(0.1) ? null : rng.chance(0.5),
    s: rng.chance(0.1) ? null : rng.pick(WORDS),
  });
  const insertRows = async (rows: Row[]): Promise<void> => {
    const byTable = new Map<string, Row[]>();
    for (const r of rows) {
      const l = byTable.get(r.tb) ?? [];
      l.push(r);
      byTable.set(r.tb, l);
    }
    let sql = 'insert into';
    for (const [tb, rs] of byTable) {
      sql +=
        ` ${tb} values ` +
        rs
          .map(
            (r) =>
              `(${r.ts}, ${sqlLit(r.i)}, ${sqlLit(r.b)}, ${sqlLit(r.d)}, ${sqlLit(r.f)}, ${sqlLit(r.o)}, ${sqlLit(r.s)})`,
          )
          .join(' ');
    }
    await fx.exec(sql);
    for (const r of rows) ins.run(r.tb, r.ts, r.i, r.b, r.d, r.f, r.o === null ? null : r.o ? 1 : 0, r.s, r.g, r.loc);
  };
  const all: Row[] = [];
  for (let t = 0; t < nTables; t++) {
    const tb = `t${t}`,
      g = rng.int(1, 3),
      loc = rng.pick(LOCS);
    tables.push(tb);
    await fx.exec(`create table ${tb} using st tags (${g}, '${loc}')`);
    let ts = T0 + rng.int(0, 5) * STEP_MS;
    for (let r = 0; r < rowsPerTable; r++) {
      all.push(genRow(tb, ts, g, loc));
      ts += STEP_MS * rng.int(1, 3);
    }
  }
  // First half, flush to files, second half, then overwrite some rows (later write wins).
  const half = Math.floor(all.length / 2);
  await insertRows(all.slice(0, half));
  await fx.exec('flush database dft');
  await insertRows(all.slice(half));
  const overwrite = Array.from({ length: 20 }, () => {
    const r = rng.pick(all);
    return genRow(r.tb, r.ts, r.g, r.loc);
  });
  await insertRows(overwrite);
  return {
    fx,
    lite,
    tables,
    rowsPerTable,
    close: async () => {
      lite.close();
      await fx.close();
    },
  };
}

// ---- query generation: each generator returns the same query in both dialects ----

type Gen = (rng: Rng, s: DiffSetup) => QueryPair;

interface Term {
  b: string;
  q: string;
}
const NUM_COLS = ['i', 'b', 'd', 'f'];

function numLiteral(rng: Rng, col: string): string {
  switch (col) {
    case 'i':
      return String(rng.int(-50, 50));
    case 'b':
      return String(rng.int(-1_000_000, 1_000_000) * 1000);
    case 'd':
      return String(Math.round((rng.next() * 200 - 100) * 10) / 10);
    default:
      return String(rng.int(0, 125));
  }
}

function predicate(rng: Rng, s: DiffSetup, depth = 0): Term {
  const k = rng.int(0, depth > 1 ? 9 : 12);
  const c = rng.pick(NUM_COLS);
  switch (k) {
    case 0:
    case 1: {
      const op = rng.pick(['=', '<>', '<', '<=', '>', '>=']);
      const v = numLiteral(rng, c);
      return { b: `${c} ${op} ${v}`, q: `${c} ${op} ${v}` };
    }
    case 2: {
      const lo = Number(numLiteral(rng, c)),
        hi = lo + Math.abs(Number(numLiteral(rng, c)));
      const not = rng.chance(0.3) ? 'not ' : '';
      return { b: `${c} ${not}between ${lo} and ${hi}`, q: `${c} ${not}between ${lo} and ${hi}` };
    }
    case 3: {
      const list = [numLiteral(rng, 'i'), numLiteral(rng, 'i'), numLiteral(rng, 'i')].join(', ');
      const not = rng.chance(0.3) ? 'not ' : '';
      return { b: `i ${not}in (${list})`, q: `i ${not}in (${list})` };
    }
    case 4: {
      const col = rng.pick(['i', 'd', 's', 'o', 'f']);
      const not = rng.chance(0.5) ? 'not ' : '';
      return { b: `${col} is ${not}null`, q: `${col} is ${not}null` };
    }
    case 5: {
      const p = rng.pick(['a%', '%an%', 'b_rry', '%e', 'l%n', '%']);
      const not = rng.chance(0.3) ? 'not ' : '';
      return { b: `s ${not}like '${p}'`, q: `s ${not}like '${p}'` };
    }
    case 6: {
      const a = rng.int(0, s.rowsPerTable * 2),
        len = rng.int(10, s.rowsPerTable * 2);
      const lo = T0 + a * STEP_MS,
        hi = lo + len * STEP_MS;
      const op1 = rng.pick(['>', '>=']),
        op2 = rng.pick(['<', '<=']);
      return { b: `ts ${op1} ${lo} and ts ${op2} ${hi}`, q: `ts ${op1} ${lo} and ts ${op2} ${hi}` };
    }
    case 7: {
      const v = rng.pick(LOCS),
        v2 = rng.pick(LOCS);
      return rng.chance(0.5)
        ? { b: `loc = '${v}'`, q: `loc = '${v}'` }
        : { b: `loc in ('${v}', '${v2}')`, q: `loc in ('${v}', '${v2}')` };
    }
    case 8: {
      const v = rng.int(1, 3);
      const op = rng.pick(['=', '<>', '>=']);
      return { b: `g ${op} ${v}`, q: `g ${op} ${v}` };
    }
    case 9: {
      switch (rng.int(0, 2)) {
        case 0: {
          const v = rng.chance(0.5);
          return { b: `o = ${v}`, q: `o = ${v ? 1 : 0}` };
        }
        case 1: {
          const tb = rng.pick(s.tables);
          return { b: `tbname = '${tb}'`, q: `tb = '${tb}'` };
        }
        default: {
          const ms = T0 + rng.int(0, s.rowsPerTable * 2) * STEP_MS;
          return { b: `ts >= '${new Date(ms).toISOString()}'`, q: `ts >= ${ms}` };
        }
      }
    }
    case 10: {
      const a = predicate(rng, s, depth + 1),
        b = predicate(rng, s, depth + 1);
      return { b: `(${a.b}) and (${b.b})`, q: `(${a.q}) and (${b.q})` };
    }
    case 11: {
      const a = predicate(rng, s, depth + 1),
        b = predicate(rng, s, depth + 1);
      return { b: `(${a.b}) or (${b.b})`, q: `(${a.q}) or (${b.q})` };
    }
    default: {
      const a = predicate(rng, s, depth + 1);
      return { b: `not (${a.b})`, q: `not (${a.q})` };
    }
  }
}

function where(rng: Rng, s: DiffSetup): Term {
  if (rng.chance(0.2)) return { b: '', q: '' };
  const p = predicate(rng, s);
  return { b: ` where ${p.b}`, q: ` where ${p.q}` };
}

function scalarExpr(rng: Rng): Term {
  switch (rng.int(0, 9)) {
    case 0:
      return { b: 'i + d', q: 'i + d' };
    case 1:
      return { b: 'i * 2', q: 'i * 2' };
    case 2:
      return { b: 'd / 4', q: 'd / 4.0' };
    case 3:
      return { b: 'i / b', q: 'cast(i as real) / b' };
    case 4:
      return { b: 'f - i', q: 'f - i' };
    case 5:
      return { b: 'abs(i)', q: 'abs(i)' };
    case 6:
      return { b: 'i > 0', q: 'i > 0' };
    case 7:
      return { b: 'length(s)', q: 'length(s)' };
    case 8:
      return rng.chance(0.5)
        ? { b: 'upper(s)', q: 'upper(s)' }
        : {
            b: 'case when i > 0 then d when s is null then 0 else f end',
            q: 'case when i > 0 then d when s is null then 0 else f end',
          };
    default:
      return { b: 'concat(s, loc)', q: 's || loc' };
  }
}

function aggExpr(rng: Rng): Term {
  const c = rng.pick(NUM_COLS);
  switch (rng.int(0, 10)) {
    case 0:
      return { b: 'count(*)', q: 'count(*)' };
    case 1: {
      const col = rng.pick(['i', 'd', 's', 'o']);
      return { b: `count(${col})`, q: `count(${col})` };
    }
    case 2:
      return { b: `sum(${c})`, q: `sum(${c})` };
    case 3:
      return { b: `avg(${c})`, q: `avg(${c})` };
    case 4:
      return { b: `min(${c})`, q: `min(${c})` };
    case 5:
      return { b: `max(${c})`, q: `max(${c})` };
    case 6:
      return { b: `spread(${c})`, q: `(max(${c}) - min(${c}))` };
    case 7:
      return { b: `stddev(${c})`, q: `sqrt(max(0, avg(${c} * ${c}) - avg(${c}) * avg(${c})))` };
    case 8:
      return { b: `sum(i + d)`, q: `sum(i + d)` };
    case 9:
      return { b: `count(*) + 1`, q: `count(*) + 1` };
    default:
      return { b: `max(${c}) - min(${c})`, q: `max(${c}) - min(${c})` };
  }
}

function limitClause(rng: Rng): string {
  if (rng.chance(0.5)) return '';
  return rng.chance(0.5) ? ` limit ${rng.int(0, 30)}` : ` limit ${rng.int(1, 30)} offset ${rng.int(0, 40)}`;
}

const GENERATORS: Gen[] = [
  // Filtered projection, ordered by (ts, tbname) — unique, so limits are deterministic.
  (rng, s) => {
    const items: Term[] = [];
    const n = rng.int(1, 4);
    for (let k = 0; k < n; k++)
      items.push(
        rng.chance(0.5)
          ? scalarExpr(rng)
          : (() => {
              const c = rng.pick(['ts', 'i', 'b', 'd', 'f', 's', 'o', 'loc', 'g', 'tbname']);
              return { b: c, q: c === 'tbname' ? 'tb' : c };
            })(),
      );
    const w = where(rng, s),
      dir = rng.chance(0.3) ? ' desc' : '',
      lim = limitClause(rng);
    return {
      basalt: `select ${items.map((t) => t.b).join(', ')} from st${w.b} order by ts${dir}, tbname${dir}${lim}`,
      sqlite: `select ${items.map((t) => t.q).join(', ')} from st${w.q} order by ts${dir}, tb${dir}${lim}`,
    };
  },
  // One child table ordered by ts alone (streamed ascending, tail-kept descending).
  (rng, s) => {
    const tb = rng.pick(s.tables),
      w = where(rng, s),
      dir = rng.chance(0.5) ? ' desc' : '',
      lim = limitClause(rng);
    const cond = w.q === '' ? `tb = '${tb}'` : `(${w.q.slice(7)}) and tb = '${tb}'`;
    return {
      basalt: `select ts, i, s from ${tb}${w.b} order by ts${dir}${lim}`,
      sqlite: `select ts, i, s from st where ${cond} order by ts${dir}${lim}`,
    };
  },
  // Whole-table aggregates.
  (rng, s) => {
    const aggs = Array.from({ length: rng.int(1, 4) }, () => aggExpr(rng)),
      w = where(rng, s);
    return {
      basalt: `select ${aggs.map((a) => a.b).join(', ')} from st${w.b}`,
      sqlite: `select ${aggs.map((a) => a.q).join(', ')} from st${w.q}`,
    };
  },
  // Aggregates of one child table.
  (rng, s) => {
    const tb = rng.pick(s.tables),
      aggs = Array.from({ length: rng.int(1, 3) }, () => aggExpr(rng)),
      w = where(rng, s);
    const qw = w.q === '' ? ` where tb = '${tb}'` : `${w.q} and tb = '${tb}'`;
    return {
      basalt: `select ${aggs.map((a) => a.b).join(', ')} from ${tb}${w.b}`,
      sqlite: `select ${aggs.map((a) => a.q).join(', ')} from st${w.q === '' ? qw : ` where (${w.q.slice(7)}) and tb = '${tb}'`}`,
    };
  },
  // Selectors of one child table (deterministic there: one row per timestamp).
  (rng, s) => {
    const tb = rng.pick(s.tables),
      c = rng.pick(['i', 'd', 's', 'f']),
      w = where(rng, s);
    const cond = w.q === '' ? `tb = '${tb}'` : `(${w.q.slice(7)}) and tb = '${tb}'`;
    const sel = rng.pick([
      { b: `first(${c})`, q: `(select ${c} from st where ${cond} and ${c} is not null order by ts limit 1)` },
      { b: `last(${c})`, q: `(select ${c} from st where ${cond} and ${c} is not null order by ts desc limit 1)` },
      { b: `last_row(${c})`, q: `(select ${c} from st where ${cond} order by ts desc limit 1)` },
    ]);
    return {
      basalt: `select ${sel.b}, count(*) from ${tb}${w.b}`,
      sqlite: `select ${sel.q}, count(*) from st where ${cond}`,
    };
  },
  // A selector with companion columns on one child table: the other values of the selected row.
  (rng, s) => {
    const tb = rng.pick(s.tables),
      c = rng.pick(['i', 'd', 'f', 'b']),
      w = where(rng, s);
    const cond = w.q === '' ? `tb = '${tb}'` : `(${w.q.slice(7)}) and tb = '${tb}'`;
    const fn = rng.pick(['max', 'min', 'first', 'last']);
    const ord = fn === 'max' ? `${c} desc, ts` : fn === 'min' ? `${c}, ts` : fn === 'first' ? 'ts' : 'ts desc';
    const pick = (col: string): string =>
      `(select ${col} from st where ${cond} and ${c} is not null order by ${ord} limit 1)`;
    return {
      basalt: `select ${fn}(${c}), ts, s from ${tb}${w.b}`,
      sqlite: `select ${pick(c)}, ${pick('ts')}, ${pick('s')}`,
    };
  },
  // Two group keys and having.
  (rng, s) => {
    const a = aggExpr(rng),
      w = where(rng, s),
      n = rng.int(0, 30);
    return {
      basalt: `select loc, o, ${a.b} from st${w.b} group by loc, o having count(*) > ${n} order by loc, o`,
      sqlite: `select loc, o, ${a.q} from st${w.q} group by loc, o having count(*) > ${n} order by loc, o`,
    };
  },
  // Group by a tag / tbname / column, ordered by the key.
  (rng, s) => {
    const key = rng.pick(['loc', 'g', 'tbname', 's', 'o', 'i']);
    const qk = key === 'tbname' ? 'tb' : key;
    const aggs = Array.from({ length: rng.int(1, 3) }, () => aggExpr(rng)),
      w = where(rng, s);
    const dir = rng.chance(0.3) ? ' desc' : '';
    const kw = key === 'tbname' && rng.chance(0.5) ? 'partition' : 'group';
    // With partition by, limit applies per partition (TDengine), which SQLite has no form for.
    const lim = kw === 'partition' ? '' : limitClause(rng);
    return {
      basalt: `select ${key}, ${aggs.map((a) => a.b).join(', ')} from st${w.b} ${kw} by ${key} order by ${key}${dir}${lim}`,
      sqlite: `select ${qk}, ${aggs.map((a) => a.q).join(', ')} from st${w.q} group by ${qk} order by ${qk}${dir}${lim}`,
    };
  },
  // Interval windows (optionally per table), ordered by window start.
  (rng, s) => {
    const secs = rng.pick([5, 10, 30, 60]);
    const perTable = rng.chance(0.3);
    const aggs = Array.from({ length: rng.int(1, 3) }, () => aggExpr(rng)),
      w = where(rng, s);
    const ms = secs * 1000;
    const wq = `(ts - (ts % ${ms}))`;
    return perTable
      ? {
          basalt: `select tbname, _wstart, ${aggs.map((a) => a.b).join(', ')} from st${w.b} partition by tbname interval(${secs}s) order by tbname, _wstart`,
          sqlite: `select tb, ${wq} as ws, ${aggs.map((a) => a.q).join(', ')} from st${w.q} group by tb, ws order by tb, ws`,
        }
      : {
          basalt: `select _wstart, ${aggs.map((a) => a.b).join(', ')} from st${w.b} interval(${secs}s)`,
          sqlite: `select ${wq} as ws, ${aggs.map((a) => a.q).join(', ')} from st${w.q} group by ws order by ws`,
        };
  },
  // Sliding windows, optionally partitioned by a row-varying column.
  (rng, s) => {
    const slide = rng.pick([5, 10, 20]),
      m = rng.pick([1, 2, 3]),
      interval = slide * m;
    const part = rng.chance(0.5) ? rng.pick(['o', 'g', 's']) : null;
    const aggs = Array.from({ length: rng.int(1, 2) }, () => aggExpr(rng)),
      w = where(rng, s);
    const S = slide * 1000,
      I = interval * 1000;
    const ks = Array.from({ length: m }, (_, k) => `(${k})`).join(', ');
    const inner = `select st.*, (ts - (ts % ${S})) - kk.k * ${S} as ws from st join (with k(k) as (values ${ks}) select k from k) kk${w.q}`;
    const pb = part === null ? '' : ` partition by ${part}`;
    return {
      basalt: `select ${part === null ? '' : `${part}, `}_wstart, ${aggs.map((a) => a.b).join(', ')} from st${w.b}${pb} interval(${interval}s) sliding(${slide}s) order by ${part === null ? '' : `${part}, `}_wstart`,
      sqlite: `select ${part === null ? '' : `${part}, `}ws, ${aggs.map((a) => a.q).join(', ')} from (${inner}) where ws + ${I} > ts group by ${part === null ? '' : `${part}, `}ws order by ${part === null ? '' : `${part}, `}ws`,
    };
  },
  // Session / state windows of one child table (SQLite: window starts from lag(), ids by a running sum).
  (rng, s) => {
    const tb = rng.pick(s.tables),
      w = where(rng, s),
      aggs = Array.from({ length: rng.int(1, 2) }, () => aggExpr(rng));
    const cond = w.q === '' ? `tb = '${tb}'` : `(${w.q.slice(7)}) and tb = '${tb}'`;
    const session = rng.chance(0.5),
      gap = rng.pick([1, 2, 3]);
    const start = session
      ? `case when ts - lag(ts) over (order by ts) <= ${gap * 1000} then 0 else 1 end`
      : 'case when lag(o) over (order by ts) = o then 0 else 1 end';
    const rows = session ? `select * from st where ${cond}` : `select * from st where ${cond} and o is not null`;
    return {
      basalt: `select _wstart, ${aggs.map((a) => a.b).join(', ')} from ${tb}${w.b} ${session ? `session(ts, ${gap}s)` : 'state_window(o)'}`,
      sqlite:
        `with r as (select *, ${start} as st0 from (${rows})), g as (select *, sum(st0) over (order by ts rows unbounded preceding) as sid from r) ` +
        `select min(ts), ${aggs.map((a) => a.q).join(', ')} from g group by sid order by sid`,
    };
  },
  // Order by an aggregate (ties broken by the key).
  (rng, s) => {
    const a = aggExpr(rng),
      w = where(rng, s),
      dir = rng.chance(0.5) ? ' desc' : '';
    return {
      basalt: `select loc, ${a.b} as v from st${w.b} group by loc order by v${dir}, loc`,
      sqlite: `select loc, ${a.q} as v from st${w.q} group by loc order by v${dir} nulls ${dir ? 'last' : 'first'}, loc`,
    };
  },
];

function norm(v: unknown): unknown {
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (v === undefined) return null;
  return v;
}

function cellsEqual(a: unknown, b: unknown): boolean {
  const x = norm(a),
    y = norm(b);
  if (typeof x === 'number' && typeof y === 'number') {
    if (x === y) return true;
    return Math.abs(x - y) <= 1e-6 * Math.max(1, Math.abs(x), Math.abs(y));
  }
  return x === y;
}

export function generateQuery(rng: Rng, s: DiffSetup): QueryPair {
  return rng.pick(GENERATORS)(rng, s);
}

/** Runs `count` random queries; on the first mismatch fails with the seed and both query texts. */
export async function runDiff(seed: number, count: number): Promise<{ queries: number; rows: number }> {
  const s = await setupDiff(seed);
  const rng = new Rng(mulberry32(seed ^ 0x5bd1e995));
  let rows = 0;
  try {
    for (let n = 0; n < count; n++) {
      const q = generateQuery(rng, s);
      const ctx = `seed ${seed}, query #${n}\n  basalt: ${q.basalt}\n  sqlite: ${q.sqlite}`;
      let got: Cell[][];
      try {
        got = await s.fx.rows(q.basalt);
      } catch (e) {
        throw new Error(`${ctx}\n  basalt failed: ${(e as Error).message}`);
      }
      const want = s.lite.prepare(q.sqlite).raw(true).all() as unknown[][];
      if (got.length !== want.length) {
        assert.fail(
          `${ctx}\n  row count ${got.length} != ${want.length}\n  got ${fmt(got.slice(0, 5))}\n  want ${fmt(want.slice(0, 5))}`,
        );
      }
      for (let r = 0; r < got.length; r++) {
        const g = got[r]!,
          w = want[r]!;
        if (g.length !== w.length || g.some((c, i) => !cellsEqual(c, w[i]))) {
          assert.fail(`${ctx}\n  row ${r} differs\n  got  ${fmt([g])}\n  want ${fmt([w])}`);
        }
      }
      rows += got.length;
    }
  } finally {
    await s.close();
  }
  return { queries: count, rows };
}

function fmt(rows: unknown[][]): string {
  return JSON.stringify(rows, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v));
}
