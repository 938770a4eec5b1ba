// The SQL lexer: text -> tokens, on demand. Keywords are not a token kind: they are `ident`
// tokens the parser recognizes by lower-case value, so a keyword can still be a name where
// the grammar allows it. Lexical errors are SYNTAX_ERROR naming the text and position.
import { BasaltError } from '../common/errors.js';
import type { DurationUnit, Pos } from './ast.js';

export type TokenKind =
  /** Unquoted identifier or keyword; `value` is lower case. */
  | 'ident'
  /** Backtick-quoted identifier; `value` keeps case, without the backticks. */
  | 'qident'
  /** Single- or double-quoted string; `value` has escapes resolved. */
  | 'string'
  /** Decimal or hex integer; `value` is the digits as written. */
  | 'integer'
  | 'float'
  /** Integer immediately followed by a unit letter: `10d`, `1s`; `value` is the digits, `unit` the letter. */
  | 'duration'
  /** Operator or punctuation; `value` is the symbol. */
  | 'op'
  | 'eof';

export interface Token {
  readonly kind: TokenKind;
  readonly value: string;
  /** Exact source text of the token. */
  readonly text: string;
  readonly unit?: DurationUnit;
  /** Start index in the SQL string. */
  readonly offset: number;
  /** Index just past the token. */
  readonly end: number;
}

const DURATION_UNITS = new Set<string>(['b', 'u', 'a', 's', 'm', 'h', 'd', 'w', 'n', 'y']);
const SINGLE_OPS = new Set(['(', ')', ',', ';', '.', '*', '+', '-', '/', '%', '=', '<', '>', '&', '|']);
const DOUBLE_OPS = new Set(['<>', '!=', '<=', '>=', '||']);

/** The operator at `i`, longest match first (`<=` before `<`), or null. */
function operatorAt(s: string, i: number): string | null {
  const two = s.slice(i, i + 2);
  if (DOUBLE_OPS.has(two)) return two;
  const one = s[i]!;
  return SINGLE_OPS.has(one) ? one : null;
}

/** Maps string offsets to 1-based line/column, for error messages and AST positions. */
export class LineMap {
  private readonly starts: number[] = [0];

  constructor(private readonly text: string) {
    for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) this.starts.push(i + 1);
  }

  pos(offset: number): Pos {
    // Binary search for the last line start <= offset.
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { offset, line: lo + 1, column: offset - this.starts[lo]! + 1 };
  }

  get source(): string {
    return this.text;
  }
}

/** Builds the SYNTAX_ERROR message TDengine-style: quote the text near the problem, then its position. */
export function syntaxError(lines: LineMap, offset: number, nearText: string | null, problem: string): BasaltError {
  const p = lines.pos(offset);
  const where =
    nearText === null
      ? `at end of input (line ${p.line}, column ${p.column})`
      : `near '${clip(nearText)}' at line ${p.line}, column ${p.column}`;
  return new BasaltError('SYNTAX_ERROR', `${where}: ${problem}`, {
    offset,
    line: p.line,
    column: p.column,
    near: nearText,
  });
}

function clip(text: string): string {
  const oneLine = text.replace(/\s+/g, ' ');
  return oneLine.length > 40 ? oneLine.slice(0, 40) + '...' : oneLine;
}

function isIdentStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95;
}

function isIdentPart(c: number): boolean {
  return isIdentStart(c) || isDigit(c);
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** `e5`, `E-3`, `e+2` at index i. */
function isExponent(s: string, i: number): boolean {
  const c = s.charCodeAt(i);
  if (c !== 101 && c !== 69) return false;
  const n = s.charCodeAt(i + 1);
  return isDigit(n) || ((n === 43 || n === 45) && isDigit(s.charCodeAt(i + 2)));
}

function isHexDigit(c: number): boolean {
  return isDigit(c) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70);
}

export class Lexer {
  private i = 0;
  private prevKind: TokenKind | null = null;

  constructor(
    private readonly sql: string,
    readonly lines: LineMap,
  ) {}

  next(): Token {
    const t = this.scan();
    this.prevKind = t.kind;
    return t;
  }

  private scan(): Token {
    this.skipSpaceAndComments();
    const s = this.sql;
    const start = this.i;
    if (start >= s.length) return { kind: 'eof', value: '', text: '', offset: start, end: start };
    const c = s.charCodeAt(start);

    if (isIdentStart(c)) {
      let j = start + 1;
      while (j < s.length && isIdentPart(s.charCodeAt(j))) j++;
      this.i = j;
      const text = s.slice(start, j);
      return { kind: 'ident', value: text.toLowerCase(), text, offset: start, end: j };
    }
    if (isDigit(c) || (c === 46 /* . */ && isDigit(s.charCodeAt(start + 1)) && !this.afterName())) {
      return this.number(start);
    }
    if (c === 96 /* ` */) return this.backtick(start);
    if (c === 39 || c === 34) return this.string(start);
    if (c === 92 /* \ */) {
      const text = s.slice(start, start + 2);
      if (text === '\\G' || text === '\\g') {
        throw syntaxError(
          this.lines,
          start,
          text,
          "'\\G' (vertical output) is a shell suffix, not SQL; remove it, or run the statement in `basalt sql`",
        );
      }
      throw syntaxError(this.lines, start, text, 'unexpected backslash outside a string');
    }
    const op = operatorAt(s, start);
    if (op !== null) {
      this.i = start + op.length;
      return { kind: 'op', value: op, text: op, offset: start, end: this.i };
    }
    const cp = s.codePointAt(start)!;
    const ch = String.fromCodePoint(cp);
    throw syntaxError(
      this.lines,
      start,
      ch,
      `unexpected character ${JSON.stringify(ch)} (U+${cp.toString(16).toUpperCase().padStart(4, '0')}); quote names with backticks and text with single quotes`,
    );
  }

  /** A '.' glued to a preceding name is a qualifier dot (`db.t`, `t.5`?), never the start of `.5`. */
  private afterName(): boolean {
    if (this.i === 0) return false;
    const p = this.sql.charCodeAt(this.i - 1);
    return (this.prevKind === 'ident' || this.prevKind === 'qident') && (isIdentPart(p) || p === 96);
  }

  private skipSpaceAndComments(): void {
    const s = this.sql;
    for (;;) {
      const c = s.charCodeAt(this.i);
      // 0xFEFF: a byte-order mark at the start of a script file read with -f.
      if (c === 32 || c === 9 || c === 10 || c === 13 || c === 12 || c === 11 || c === 0xfeff) {
        this.i++;
      } else if (c === 45 && s.charCodeAt(this.i + 1) === 45) {
        const nl = s.indexOf('\n', this.i);
        this.i = nl < 0 ? s.length : nl + 1;
      } else if (c === 47 && s.charCodeAt(this.i + 1) === 42) {
        const end = s.indexOf('*/', this.i + 2);
        if (end < 0) throw syntaxError(this.lines, this.i, '/*', "unterminated comment; close it with '*/'");
        this.i = end + 2;
      } else {
        return;
      }
    }
  }

  private number(start: number): Token {
    const s = this.sql;
    let j = start;
    if (s.charCodeAt(j) === 48 && (s[j + 1] === 'x' || s[j + 1] === 'X') && isHexDigit(s.charCodeAt(j + 2))) {
      j += 2;
      while (j < s.length && isHexDigit(s.charCodeAt(j))) j++;
      return this.finishNumber(start, j, 'integer');
    }
    let kind: 'integer' | 'float' = 'integer';
    while (j < s.length && isDigit(s.charCodeAt(j))) j++;
    if (
      s.charCodeAt(j) === 46 &&
      (isDigit(s.charCodeAt(j + 1)) || !isIdentStart(s.charCodeAt(j + 1)) || isExponent(s, j + 1))
    ) {
      kind = 'float';
      j++;
      while (j < s.length && isDigit(s.charCodeAt(j))) j++;
    }
    const e = s.charCodeAt(j);
    if (e === 101 || e === 69) {
      let k = j + 1;
      if (s[k] === '+' || s[k] === '-') k++;
      if (isDigit(s.charCodeAt(k))) {
        kind = 'float';
        j = k;
        while (j < s.length && isDigit(s.charCodeAt(j))) j++;
      }
    }
    // A unit letter glued to an integer makes a duration: 10d, 1s, 100a.
    if (kind === 'integer' && j < s.length && isIdentStart(s.charCodeAt(j))) {
      const unit = s[j]!.toLowerCase();
      if (DURATION_UNITS.has(unit) && !(j + 1 < s.length && isIdentPart(s.charCodeAt(j + 1)))) {
        this.i = j + 1;
        const text = s.slice(start, j + 1);
        return {
          kind: 'duration',
          value: s.slice(start, j),
          text,
          unit: unit as DurationUnit,
          offset: start,
          end: j + 1,
        };
      }
    }
    return this.finishNumber(start, j, kind);
  }

  private finishNumber(start: number, j: number, kind: 'integer' | 'float'): Token {
    const s = this.sql;
    if (j < s.length && isIdentPart(s.charCodeAt(j))) {
      let k = j;
      while (k < s.length && isIdentPart(s.charCodeAt(k))) k++;
      throw syntaxError(
        this.lines,
        start,
        s.slice(start, k),
        'invalid number; a duration is an integer and one unit of b, u, a, s, m, h, d, w, n, y (e.g. 10s), and names cannot start with a digit',
      );
    }
    this.i = j;
    const text = s.slice(start, j);
    return { kind, value: text, text, offset: start, end: j };
  }

  private backtick(start: number): Token {
    const s = this.sql;
    const end = s.indexOf('`', start + 1);
    if (end < 0)
      throw syntaxError(
        this.lines,
        start,
        s.slice(start, start + 20),
        'unterminated quoted name; close it with a backtick (`)',
      );
    const value = s.slice(start + 1, end);
    if (value.length === 0) throw syntaxError(this.lines, start, '``', 'empty quoted name');
    this.i = end + 1;
    return { kind: 'qident', value, text: s.slice(start, end + 1), offset: start, end: end + 1 };
  }

  private string(start: number): Token {
    const s = this.sql;
    const q = s[start]!;
    let j = start + 1;
    let out = '';
    let runStart = j;
    for (;;) {
      if (j >= s.length) {
        throw syntaxError(this.lines, start, s.slice(start, start + 20), `unterminated string; close it with ${q}`);
      }
      const c = s[j]!;
      if (c === '\\') {
        out += s.slice(runStart, j);
        const e = s[j + 1];
        if (e === undefined) {
          j = s.length; // a final lone backslash: report the unterminated string
          continue;
        }
        out += ESCAPES[e] ?? e;
        j += 2;
        runStart = j;
      } else if (c === q) {
        if (s[j + 1] === q) {
          out += s.slice(runStart, j + 1);
          j += 2;
          runStart = j;
        } else {
          out += s.slice(runStart, j);
          this.i = j + 1;
          return { kind: 'string', value: out, text: s.slice(start, j + 1), offset: start, end: j + 1 };
        }
      } else {
        j++;
      }
    }
  }
}

// Backslash escapes in strings; any other escaped character stands for itself (\' \" \\ \%).
// `\%` and `\_` stay escaped so LIKE patterns can match a literal % or _.
const ESCAPES: Record<string, string> = {
  n: '\n',
  t: '\t',
  r: '\r',
  '0': '\0',
  b: '\b',
  Z: '\x1a',
  '%': '\\%',
  _: '\\_',
};
