// Expression parsing by precedence climbing, lowest first:
//   OR < AND < NOT < predicates (comparison, IS [NOT] NULL, [NOT] IN/BETWEEN/LIKE/MATCH)
//   < | < & < + - < * / % < unary - + < primary.
// Each tree's depth is tracked so long chains cannot produce a tree an evaluator would
// overflow its stack on; recursion itself is guarded by Cursor.enter().
import { BasaltError } from '../common/errors.js';
import { Limits } from '../common/limits.js';
import type { BinaryOp, ComparisonOp, DurationLiteral, DurationUnit, Expr, FunctionCall } from './ast.js';
import type { Cursor } from './cursor.js';
import { PSEUDO_COLUMNS } from './keywords.js';
import type { Token } from './lexer.js';
import { parseType } from './types.js';

const depths = new WeakMap<object, number>();

function depthOf(e: Expr): number {
  return depths.get(e) ?? 1;
}

/** Records a composite node's depth (1 + deepest child) and rejects trees deeper than the limit. */
function built<T extends Expr>(c: Cursor, node: T, children: readonly Expr[], at: Token): T {
  let d = 0;
  for (const ch of children) d = Math.max(d, depthOf(ch));
  d += 1;
  if (d > Limits.maxSqlExprDepth) {
    c.failAt(
      at,
      `expression too deep (more than ${Limits.maxSqlExprDepth} nested operators); split it or use IN (...)`,
    );
  }
  depths.set(node, d);
  return node;
}

export function parseExpr(c: Cursor): Expr {
  c.enter();
  const e = parseOr(c);
  c.leave();
  return e;
}

function parseOr(c: Cursor): Expr {
  let left = parseAnd(c);
  while (c.isKw('or')) {
    const opTok = c.next();
    const right = parseAnd(c);
    left = binary(c, 'or', left, right, opTok);
  }
  return left;
}

function parseAnd(c: Cursor): Expr {
  let left = parseNot(c);
  while (c.isKw('and')) {
    const opTok = c.next();
    const right = parseNot(c);
    left = binary(c, 'and', left, right, opTok);
  }
  return left;
}

function parseNot(c: Cursor): Expr {
  if (c.isKw('not')) {
    const t = c.next();
    c.enter();
    const operand = parseNot(c);
    c.leave();
    return built(c, { kind: 'unary', op: 'not', operand, pos: c.pos(t) }, [operand], t);
  }
  return parsePredicate(c);
}

const COMPARISONS: Record<string, ComparisonOp> = {
  '=': '=',
  '<>': '<>',
  '!=': '<>',
  '<': '<',
  '<=': '<=',
  '>': '>',
  '>=': '>=',
};

function parsePredicate(c: Cursor): Expr {
  let left = parseBitOr(c);
  for (;;) {
    const t = c.peek();
    if (t.kind === 'op' && COMPARISONS[t.value] !== undefined) {
      c.next();
      const right = parseBitOr(c);
      left = binary(c, COMPARISONS[t.value]!, left, right, t);
      continue;
    }
    if (c.isKw('is')) {
      c.next();
      const not = c.acceptKw('not') !== null;
      c.expectKw('null', not ? 'NULL' : 'NULL or NOT NULL');
      left = built(c, { kind: 'isNull', expr: left, not, pos: left.pos }, [left], t);
      continue;
    }
    // [NOT] IN / BETWEEN / LIKE / MATCH / NMATCH
    let not = false;
    if (c.isKw('not')) {
      // After an operand, NOT can only start NOT IN / NOT BETWEEN / NOT LIKE.
      c.next();
      if (!isPredicateWord(c.peek())) c.fail('IN, BETWEEN or LIKE after NOT');
      not = true;
    }
    const w = c.peek();
    if (!isPredicateWord(w)) return left;
    c.next();
    if (w.value === 'in') {
      c.expectOp('(', "'(' to start the IN list");
      const list: Expr[] = [];
      do {
        if (list.length === Limits.maxSqlInListItems) tooManyInItems(c, w);
        list.push(inItem(c));
      } while (c.acceptOp(','));
      c.expectOp(')', "',' or ')' to close the IN list");
      left = built(c, { kind: 'in', expr: left, list, not, pos: left.pos }, [left, deepest(list)], w);
    } else if (w.value === 'between') {
      const low = parseBitOr(c);
      c.expectKw('and', 'AND in BETWEEN ... AND ...');
      const high = parseBitOr(c);
      left = built(c, { kind: 'between', expr: left, low, high, not, pos: left.pos }, [left, low, high], w);
    } else {
      const op = w.value as 'like' | 'match' | 'nmatch';
      const pattern = parseBitOr(c);
      left = built(c, { kind: 'like', op, expr: left, pattern, not, pos: left.pos }, [left, pattern], w);
    }
  }
}

/**
 * One IN list item. A plain literal followed by ',' or ')' is read directly: lists of millions
 * of literals are the common huge statement, and the full precedence descent per item cost
 * ten calls each (issue #13 finding 5).
 */
function inItem(c: Cursor): Expr {
  const t = c.peek();
  if (t.kind === 'integer' || t.kind === 'float' || t.kind === 'string') {
    const n = c.peek(1);
    if (n.kind === 'op' && (n.value === ',' || n.value === ')')) {
      c.next();
      const pos = c.pos(t);
      if (t.kind === 'integer') return { kind: 'integer', value: BigInt(t.value), text: t.text, pos };
      if (t.kind === 'float') return { kind: 'float', value: Number(t.value), text: t.text, pos };
      return { kind: 'string', value: t.value, pos };
    }
  }
  return parseExpr(c);
}

/**
 * The parse, the plan and the lookup set of an IN list run on the event loop every client
 * shares, at about a microsecond per item: the list is capped so one statement holds the loop
 * for tens of milliseconds, not seconds. Stops at the first item past the cap, so refusing a
 * 15 MB list costs no more than the cap.
 */
function tooManyInItems(c: Cursor, w: Token): never {
  const p = c.lines.pos(w.offset);
  throw new BasaltError(
    'STATEMENT_TOO_LONG',
    `IN list at line ${p.line}, column ${p.column} has more than ${Limits.maxSqlInListItems} items (the limit maxSqlInListItems); ` +
      'split it over several statements, or select a range (between, >=, <) or by tag instead',
    { offset: w.offset, line: p.line, column: p.column, limit: Limits.maxSqlInListItems },
  );
}

/** The item of `list` with the greatest depth (literals are 1), standing for all of them in `built`. */
function deepest(list: readonly Expr[]): Expr {
  let best = list[0]!;
  let d = depthOf(best);
  for (let i = 1; i < list.length; i++) {
    const di = depthOf(list[i]!);
    if (di > d) {
      d = di;
      best = list[i]!;
    }
  }
  return best;
}

function isPredicateWord(t: Token): boolean {
  return (
    t.kind === 'ident' &&
    (t.value === 'in' || t.value === 'between' || t.value === 'like' || t.value === 'match' || t.value === 'nmatch')
  );
}

function parseBitOr(c: Cursor): Expr {
  let left = parseBitAnd(c);
  while (c.isOp('|')) {
    const t = c.next();
    left = binary(c, '|', left, parseBitAnd(c), t);
  }
  return left;
}

function parseBitAnd(c: Cursor): Expr {
  let left = parseAdditive(c);
  while (c.isOp('&')) {
    const t = c.next();
    left = binary(c, '&', left, parseAdditive(c), t);
  }
  return left;
}

function parseAdditive(c: Cursor): Expr {
  let left = parseMultiplicative(c);
  while (c.isOp('+') || c.isOp('-')) {
    const t = c.next();
    left = binary(c, t.value as '+' | '-', left, parseMultiplicative(c), t);
  }
  return left;
}

function parseMultiplicative(c: Cursor): Expr {
  let left = parseUnary(c);
  while (c.isOp('*') || c.isOp('/') || c.isOp('%')) {
    const t = c.next();
    left = binary(c, t.value as '*' | '/' | '%', left, parseUnary(c), t);
  }
  return left;
}

function parseUnary(c: Cursor): Expr {
  if (c.isOp('-') || c.isOp('+')) {
    const t = c.next();
    const n = c.peek();
    // Fold the sign into a number literal so `-5` is the literal -5 (exact, also for -2^63)
    // and `+5` is just 5: insert values and fill values then stay plain constants.
    if (n.kind === 'integer' || n.kind === 'float') {
      c.next();
      if (t.value === '+') {
        return n.kind === 'integer'
          ? { kind: 'integer', value: BigInt(n.value), text: n.text, pos: c.pos(t) }
          : { kind: 'float', value: Number(n.value), text: n.text, pos: c.pos(t) };
      }
      if (n.kind === 'integer') return { kind: 'integer', value: -BigInt(n.value), text: '-' + n.text, pos: c.pos(t) };
      return { kind: 'float', value: -Number(n.value), text: '-' + n.text, pos: c.pos(t) };
    }
    c.enter();
    const operand = parseUnary(c);
    c.leave();
    return built(c, { kind: 'unary', op: t.value as '-' | '+', operand, pos: c.pos(t) }, [operand], t);
  }
  return parsePrimary(c);
}

function binary(c: Cursor, op: BinaryOp, left: Expr, right: Expr, opTok: Token): Expr {
  return built(c, { kind: 'binary', op, left, right, pos: left.pos, opPos: c.pos(opTok) }, [left, right], opTok);
}

const PRIMARY_EXPECTED = "an expression (a column, number, string, function call or '(')";

function parsePrimary(c: Cursor): Expr {
  const t = c.peek();
  const pos = c.pos(t);
  switch (t.kind) {
    case 'integer':
      c.next();
      return { kind: 'integer', value: BigInt(t.value), text: t.text, pos };
    case 'float':
      c.next();
      return { kind: 'float', value: Number(t.value), text: t.text, pos };
    case 'duration':
      return durationLiteral(c);
    case 'string':
      c.next();
      return { kind: 'string', value: t.value, pos };
    case 'qident':
      return columnOrQualified(c);
    case 'op':
      if (t.value === '(') {
        c.next();
        const e = parseExpr(c);
        c.expectOp(')', "')' to close '('");
        return e;
      }
      return c.fail(PRIMARY_EXPECTED);
    case 'ident':
      break;
    default:
      return c.fail(PRIMARY_EXPECTED);
  }
  switch (t.value) {
    case 'null':
      c.next();
      return { kind: 'null', pos };
    case 'true':
    case 'false':
      c.next();
      return { kind: 'bool', value: t.value === 'true', pos };
    case 'now':
      c.next();
      if (c.acceptOp('(')) c.expectOp(')', "')': now() takes no arguments");
      return { kind: 'now', pos };
    case 'cast':
      return parseCast(c);
    case 'case':
      return parseCase(c);
    default:
      break;
  }
  if (c.isOp('(', 1) && t.kind === 'ident' && c.isName()) return parseCall(c);
  if (!c.isName()) c.name(PRIMARY_EXPECTED); // throws, saying so if the word is a keyword
  return columnOrQualified(c);
}

/** `name`, `t.name`, `tbname`, `t.tbname`, `_wstart`. */
function columnOrQualified(c: Cursor): Expr {
  const first = c.peek();
  const pos = c.pos(first);
  const name1 = c.name('a column name');
  if (c.isOp('.')) {
    c.next();
    const t2 = c.peek();
    if (t2.kind === 'ident' && PSEUDO_COLUMNS.has(t2.value)) {
      c.next();
      return { kind: 'pseudo', name: t2.value as never, table: name1, pos };
    }
    const name2 = c.name('a column name after the table qualifier');
    return { kind: 'column', table: name1, name: name2, pos };
  }
  if (first.kind === 'ident' && PSEUDO_COLUMNS.has(first.value)) {
    return { kind: 'pseudo', name: first.value as never, table: null, pos };
  }
  return { kind: 'column', table: null, name: name1, pos };
}

function parseCall(c: Cursor): FunctionCall {
  const nameTok = c.next();
  c.next(); // '('
  // No enter() here: each argument is a parseExpr, which counts one nesting level.
  const args: Expr[] = [];
  if (!c.isOp(')')) {
    do {
      if (c.isOp('*')) {
        const s = c.next();
        args.push({ kind: 'star', table: null, pos: c.pos(s) });
      } else {
        args.push(parseExpr(c));
      }
    } while (c.acceptOp(','));
  }
  c.expectOp(')', `',' or ')' to close the arguments of ${nameTok.value}(`);
  return built(c, { kind: 'function', name: nameTok.value, args, pos: c.pos(nameTok) }, args, nameTok);
}

function parseCast(c: Cursor): Expr {
  const t = c.next();
  c.expectOp('(', "'(' after CAST");
  const expr = parseExpr(c);
  c.expectKw('as', 'AS in CAST(expr AS type)');
  const type = parseType(c, false);
  c.expectOp(')', "')' to close CAST(");
  return built(c, { kind: 'cast', expr, type, pos: c.pos(t) }, [expr], t);
}

function parseCase(c: Cursor): Expr {
  const t = c.next();
  if (c.isKw('end')) c.fail('WHEN');
  const operand = c.isKw('when') ? null : parseExpr(c);
  const whens: Array<{ when: Expr; then: Expr }> = [];
  const children: Expr[] = operand ? [operand] : [];
  while (c.acceptKw('when')) {
    const when = parseExpr(c);
    c.expectKw('then', 'THEN');
    const then = parseExpr(c);
    whens.push({ when, then });
    children.push(when, then);
  }
  if (whens.length === 0) c.fail('WHEN');
  let elseExpr: Expr | null = null;
  if (c.acceptKw('else')) {
    elseExpr = parseExpr(c);
    children.push(elseExpr);
  }
  c.expectKw('end', whens.length > 0 ? 'WHEN, ELSE or END' : 'END');
  return built(c, { kind: 'case', operand, whens, else: elseExpr, pos: c.pos(t) }, children, t);
}

/** Reads a duration literal such as `1h` (interval, sliding, timetruncate, now+1s). */
export function durationLiteral(c: Cursor, what = 'a duration such as 10s, 1h or 1d'): DurationLiteral {
  const t = c.peek();
  if (t.kind !== 'duration') c.fail(what);
  c.next();
  return { kind: 'duration', value: BigInt(t.value), unit: t.unit as DurationUnit, text: t.text, pos: c.pos(t) };
}
