// The parser's view of the token stream: lookahead, keyword and operator matching, name
// reading, positions, the nesting-depth guard and the one way to report a syntax error.
import { assert } from '../common/assert.js';
import { Limits } from '../common/limits.js';
import type { Pos } from './ast.js';
import { isReserved } from './keywords.js';
import { Lexer, LineMap, syntaxError, type Token } from './lexer.js';

export class Cursor {
  readonly lines: LineMap;
  private readonly lexer: Lexer;
  private readonly buf: Token[] = [];
  /** End index of the last consumed token (for slicing source text). */
  private lastEndIdx = 0;
  private nesting = 0;

  constructor(readonly sql: string) {
    this.lines = new LineMap(sql);
    this.lexer = new Lexer(sql, this.lines);
  }

  peek(k = 0): Token {
    while (this.buf.length <= k) {
      const last = this.buf[this.buf.length - 1];
      // Past the end, keep answering eof without asking the lexer again.
      this.buf.push(last !== undefined && last.kind === 'eof' ? last : this.lexer.next());
    }
    return this.buf[k]!;
  }

  next(): Token {
    const t = this.peek();
    if (t.kind !== 'eof') {
      this.buf.shift();
      this.lastEndIdx = t.end;
    }
    return t;
  }

  get lastEnd(): number {
    return this.lastEndIdx;
  }

  pos(t: Token = this.peek()): Pos {
    return this.lines.pos(t.offset);
  }

  /** True at the end of a statement: ';' or end of input. */
  atEnd(): boolean {
    const t = this.peek();
    return t.kind === 'eof' || (t.kind === 'op' && t.value === ';');
  }

  isKw(word: string, k = 0): boolean {
    const t = this.peek(k);
    return t.kind === 'ident' && t.value === word;
  }

  acceptKw(word: string): Token | null {
    return this.isKw(word) ? this.next() : null;
  }

  expectKw(word: string, expected = word.toUpperCase()): Token {
    if (!this.isKw(word)) this.fail(expected);
    return this.next();
  }

  isOp(op: string, k = 0): boolean {
    const t = this.peek(k);
    return t.kind === 'op' && t.value === op;
  }

  acceptOp(op: string): Token | null {
    return this.isOp(op) ? this.next() : null;
  }

  expectOp(op: string, expected = `'${op}'`): Token {
    if (!this.isOp(op)) this.fail(expected);
    return this.next();
  }

  /** True if the next token can be a name: a non-reserved identifier or a backtick-quoted one. */
  isName(k = 0): boolean {
    const t = this.peek(k);
    return t.kind === 'qident' || (t.kind === 'ident' && !isReserved(t.value));
  }

  /** Reads a name (lower-cased unless backtick-quoted); `what` says what kind of name for the error. */
  name(what: string): string {
    if (!this.isName()) {
      const t = this.peek();
      if (t.kind === 'ident')
        this.fail(`${what} (${t.value.toUpperCase()} is a keyword; quote it with backticks to use it as a name)`);
      this.fail(what);
    }
    return this.next().value;
  }

  /** Reads a non-negative integer that fits a JS number exactly. */
  integer(what: string): number {
    const t = this.peek();
    if (t.kind !== 'integer') this.fail(what);
    const v = BigInt(t.value);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw syntaxError(this.lines, t.offset, t.text, `${what} is too large`);
    this.next();
    return Number(v);
  }

  /** Reads a string literal's value. */
  string(what: string): string {
    const t = this.peek();
    if (t.kind !== 'string') this.fail(what);
    return this.next().value;
  }

  /** Throws SYNTAX_ERROR at the next token: "near '<tok>' at line L, column C: expected <what>". */
  fail(expected: string, t: Token = this.peek()): never {
    throw syntaxError(this.lines, t.offset, t.kind === 'eof' ? null : t.text, `expected ${expected}`);
  }

  /** Throws SYNTAX_ERROR at a token with a free-form problem description. */
  failAt(t: Token, problem: string): never {
    throw syntaxError(this.lines, t.offset, t.kind === 'eof' ? null : t.text, problem);
  }

  /** Guards recursion: call before descending into a nested construct, `leave()` after. */
  enter(): void {
    if (++this.nesting > Limits.maxSqlNestingDepth) {
      this.nesting = 0;
      this.failAt(
        this.peek(),
        `nested too deeply (more than ${Limits.maxSqlNestingDepth} levels of parentheses, calls or subqueries); simplify the statement`,
      );
    }
  }

  leave(): void {
    assert(this.nesting > 0, 'Cursor.leave() without a matching enter()');
    this.nesting--;
  }

  /** Nested constructs entered and not yet left (0 between statements). */
  get nestingDepth(): number {
    return this.nesting;
  }
}
