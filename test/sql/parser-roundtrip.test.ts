// Precedence and associativity, checked by round trip: random expression trees are printed
// with the fewest parentheses the grammar allows (plus random extra parentheses, case and
// comments), parsed back, and compared with the original tree in a canonical fully
// parenthesized form. A wrong precedence level or associativity changes the tree.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Expr } from '../../src/sql/ast.js';
import { parseOne } from '../../src/sql/index.js';

type R = () => number;

function rng(seed: number): R {
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

/** A generated tree: the AST's shape without positions. */
type G =
  | { kind: 'column'; name: string }
  | { kind: 'integer'; value: bigint }
  | { kind: 'float'; text: string }
  | { kind: 'string'; value: string }
  | { kind: 'null' }
  | { kind: 'now' }
  | { kind: 'bool'; value: boolean }
  | { kind: 'duration'; text: string }
  | { kind: 'pseudo'; name: string }
  | { kind: 'binary'; op: string; left: G; right: G }
  | { kind: 'unary'; op: string; operand: G }
  | { kind: 'in'; expr: G; list: G[]; not: boolean }
  | { kind: 'between'; expr: G; low: G; high: G; not: boolean }
  | { kind: 'like'; op: string; expr: G; pattern: G; not: boolean }
  | { kind: 'isNull'; expr: G; not: boolean }
  | { kind: 'function'; name: string; args: G[] }
  | { kind: 'star' };

const LEVEL: Record<string, number> = {
  or: 1,
  and: 2,
  '=': 4,
  '<>': 4,
  '<': 4,
  '<=': 4,
  '>': 4,
  '>=': 4,
  '|': 5,
  '&': 6,
  '+': 7,
  '-': 7,
  '*': 8,
  '/': 8,
  '%': 8,
};
const BIN_OPS = Object.keys(LEVEL);

/** Binding strength of a node: how tightly it holds together when printed bare. */
function prec(g: G): number {
  switch (g.kind) {
    case 'binary':
      return LEVEL[g.op]!;
    case 'unary':
      return g.op === 'not' ? 3 : 9;
    case 'in':
    case 'between':
    case 'like':
    case 'isNull':
      return 4;
    case 'integer':
      return g.value < 0n ? 9 : 10; // a negative literal prints with a sign
    default:
      return 10;
  }
}

function gen(r: R, depth: number): G {
  if (depth <= 0 || r() < 0.25) return leaf(r);
  const k = r();
  if (k < 0.5)
    return {
      kind: 'binary',
      op: BIN_OPS[Math.floor(r() * BIN_OPS.length)]!,
      left: gen(r, depth - 1),
      right: gen(r, depth - 1),
    };
  if (k < 0.58) return { kind: 'unary', op: r() < 0.5 ? 'not' : '-', operand: gen(r, depth - 1) };
  if (k < 0.66)
    return { kind: 'in', expr: gen(r, depth - 1), list: [gen(r, depth - 2), gen(r, depth - 2)], not: r() < 0.5 };
  if (k < 0.74)
    return {
      kind: 'between',
      expr: gen(r, depth - 1),
      low: gen(r, depth - 1),
      high: gen(r, depth - 1),
      not: r() < 0.5,
    };
  if (k < 0.82)
    return {
      kind: 'like',
      op: ['like', 'match', 'nmatch'][Math.floor(r() * 3)]!,
      expr: gen(r, depth - 1),
      pattern: gen(r, depth - 1),
      not: false,
    };
  if (k < 0.88) return { kind: 'isNull', expr: gen(r, depth - 1), not: r() < 0.5 };
  const n = Math.floor(r() * 3);
  return {
    kind: 'function',
    name: ['abs', 'concat', 'timetruncate', 'f_x'][Math.floor(r() * 4)]!,
    args: Array.from({ length: n }, () => gen(r, depth - 1)),
  };
}

function leaf(r: R): G {
  const k = Math.floor(r() * 10);
  switch (k) {
    case 0:
      return { kind: 'column', name: ['a', 'b', 'current', 'voltage'][Math.floor(r() * 4)]! };
    case 1:
      return { kind: 'integer', value: BigInt(Math.floor(r() * 1000)) };
    case 2:
      return { kind: 'integer', value: -BigInt(1 + Math.floor(r() * 1000)) };
    case 3:
      return { kind: 'float', text: `${Math.floor(r() * 100)}.5` };
    case 4:
      return { kind: 'string', value: r() < 0.5 ? "it's" : 'x;y -- z' };
    case 5:
      return r() < 0.5 ? { kind: 'null' } : { kind: 'now' };
    case 6:
      return { kind: 'bool', value: r() < 0.5 };
    case 7:
      return { kind: 'duration', text: `${1 + Math.floor(r() * 60)}${'smhd'[Math.floor(r() * 4)]}` };
    case 8:
      return { kind: 'pseudo', name: r() < 0.5 ? 'tbname' : '_wstart' };
    default:
      return { kind: 'function', name: 'count', args: [{ kind: 'star' }] };
  }
}

/** Prints with minimal parentheses, randomly adding extra ones, keyword case and comments. */
function print(r: R, g: G): string {
  const kw = (w: string): string => (r() < 0.3 ? w.toUpperCase() : w);
  const sp = (): string => (r() < 0.05 ? ' /* c */ ' : r() < 0.05 ? ' -- c\n' : ' ');
  const sub = (child: G, min: number): string => {
    const s = print(r, child);
    return prec(child) < min || r() < 0.05 ? `(${s})` : s;
  };
  switch (g.kind) {
    case 'column':
      return r() < 0.2 ? `\`${g.name}\`` : g.name;
    case 'integer':
      return g.value.toString();
    case 'float':
      return g.text;
    case 'string':
      return `'${g.value.replace(/'/g, "''")}'`;
    case 'null':
      return kw('null');
    case 'now':
      return kw('now');
    case 'bool':
      return kw(String(g.value));
    case 'duration':
      return g.text;
    case 'pseudo':
      return g.name;
    case 'star':
      return '*';
    case 'binary': {
      const l = LEVEL[g.op]!;
      const op = g.op === 'or' || g.op === 'and' ? kw(g.op) : g.op;
      return `${sub(g.left, l)}${sp()}${op}${sp()}${sub(g.right, l + 1)}`;
    }
    case 'unary': {
      if (g.op === 'not') return `${kw('not')} ${sub(g.operand, 3)}`;
      // `-5` would lex as the literal -5; parenthesize numeric operands to keep a unary node.
      const o = g.operand;
      const s = o.kind === 'integer' || o.kind === 'float' ? `(${print(r, o)})` : sub(o, 9);
      return `-${s.startsWith('-') ? ' ' : ''}${s}`;
    }
    case 'in':
      return `${sub(g.expr, 5)} ${g.not ? kw('not') + ' ' : ''}${kw('in')} (${g.list.map((x) => print(r, x)).join(', ')})`;
    case 'between':
      return `${sub(g.expr, 5)} ${g.not ? kw('not') + ' ' : ''}${kw('between')} ${sub(g.low, 5)} ${kw('and')} ${sub(g.high, 5)}`;
    case 'like':
      return `${sub(g.expr, 5)} ${kw(g.op)} ${sub(g.pattern, 5)}`;
    case 'isNull':
      return `${sub(g.expr, 5)} ${kw('is')} ${g.not ? kw('not') + ' ' : ''}${kw('null')}`;
    case 'function':
      return `${r() < 0.3 ? g.name.toUpperCase() : g.name}(${g.args.map((x) => print(r, x)).join(', ')})`;
  }
}

/** Canonical, fully parenthesized form of a generated tree or a parsed AST. */
function canon(e: G | Expr): string {
  switch (e.kind) {
    case 'column':
      return `col:${e.name}`;
    case 'integer':
      return `int:${e.value}`;
    case 'float':
      return 'text' in e ? `float:${Number(e.text)}` : 'float';
    case 'string':
      return `str:${JSON.stringify(e.value)}`;
    case 'null':
      return 'null';
    case 'now':
      return 'now';
    case 'bool':
      return `bool:${e.value}`;
    case 'duration':
      return `dur:${e.text}`;
    case 'pseudo':
      return `pseudo:${e.name}`;
    case 'star':
      return '*';
    case 'binary':
      return `(${canon(e.left)} ${e.op} ${canon(e.right)})`;
    case 'unary':
      return `(${e.op} ${canon(e.operand)})`;
    case 'in':
      return `(${canon(e.expr)} ${e.not ? 'not ' : ''}in [${e.list.map(canon).join(', ')}])`;
    case 'between':
      return `(${canon(e.expr)} ${e.not ? 'not ' : ''}between ${canon(e.low)} and ${canon(e.high)})`;
    case 'like':
      return `(${canon(e.expr)} ${e.not ? 'not ' : ''}${e.op} ${canon(e.pattern)})`;
    case 'isNull':
      return `(${canon(e.expr)} is ${e.not ? 'not ' : ''}null)`;
    case 'function':
      return `${e.name}(${e.args.map(canon).join(', ')})`;
    default:
      return `?${e.kind}`;
  }
}

describe('sql parser round trip', () => {
  it('20,000 random expressions parse back to the same tree', () => {
    const r = rng(77);
    let maxLen = 0;
    for (let i = 0; i < 20_000; i++) {
      const g = gen(r, 1 + Math.floor(r() * 6));
      const text = print(r, g);
      maxLen = Math.max(maxLen, text.length);
      const sql = `select ${text}\n from t`;
      let stmt: ReturnType<typeof parseOne>;
      try {
        stmt = parseOne(sql);
      } catch (e) {
        assert.fail(`#${i} failed to parse: ${sql}\n  ${(e as Error).message}`);
      }
      assert.ok(stmt.kind === 'select');
      assert.equal(canon(stmt.items[0]!.expr), canon(g), `#${i}: ${sql}`);
    }
    assert.ok(maxLen > 100, 'the generator should build sizeable expressions');
  });

  it('the same in WHERE, ORDER BY and insert values positions', () => {
    const r = rng(5);
    for (let i = 0; i < 2000; i++) {
      const g = gen(r, 4);
      const text = print(r, g);
      const w = parseOne(`select * from t where ${text} order by ${text} desc`);
      assert.ok(w.kind === 'select');
      assert.equal(canon(w.where!), canon(g), text);
      assert.equal(canon(w.orderBy[0]!.expr), canon(g), text);
      const ins = parseOne(`insert into t values (${text}, ${text})`);
      assert.ok(ins.kind === 'insert');
      assert.equal(canon(ins.targets[0]!.rows[0]![1]!), canon(g), text);
    }
  });
});
