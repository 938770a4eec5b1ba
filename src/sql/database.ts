// Database statements: create/alter/drop/use/flush/compact database and their options.
// Option values are only shape-checked here; ranges (replica 1|3, buffer 3..16384...) are
// the analyzer's, which names the option by the position kept in each DbOption.
import type {
  DbOption,
  DurationUnit,
  DurationValue,
  NumericDbOptionName,
  Statement,
  StringDbOptionName,
} from './ast.js';
import type { Cursor } from './cursor.js';
import type { Token } from './lexer.js';

const NUMERIC = new Set<NumericDbOptionName>([
  'vgroups',
  'replica',
  'buffer',
  'wal_level',
  'wal_fsync_period',
  'maxrows',
  'minrows',
  'pages',
  'pagesize',
  'comp',
  'cachesize',
  'stt_trigger',
  'wal_retention_period',
  'wal_retention_size',
]);
const STRINGS = new Set<StringDbOptionName>(['precision', 'cachemodel', 'strict']);
const OPTION_LIST =
  'VGROUPS, REPLICA, BUFFER, DURATION, KEEP, PRECISION, WAL_LEVEL, WAL_FSYNC_PERIOD, MAXROWS, MINROWS';

/** `database` or its TDengine synonym `db`? TDengine 3 only has DATABASE; keep it strict. */
function dbKeyword(c: Cursor): Token {
  return c.expectKw('database', 'DATABASE');
}

/** After CREATE: `database [if not exists] name options...`. */
export function parseCreateDatabase(c: Cursor, start: Token): Statement {
  dbKeyword(c);
  const ifNotExists = parseIfNotExists(c);
  const name = c.name('a database name');
  const options = parseDbOptions(c, true);
  return { kind: 'createDatabase', ifNotExists, name, options, pos: c.pos(start) };
}

export function parseAlterDatabase(c: Cursor, start: Token): Statement {
  dbKeyword(c);
  const name = c.name('a database name');
  const options = parseDbOptions(c, false);
  if (options.length === 0) c.fail(`a database option to change (BUFFER, KEEP, WAL_LEVEL, WAL_FSYNC_PERIOD...)`);
  return { kind: 'alterDatabase', name, options, pos: c.pos(start) };
}

export function parseDropDatabase(c: Cursor, start: Token): Statement {
  dbKeyword(c);
  const ifExists = parseIfExists(c);
  const name = c.name('a database name');
  return { kind: 'dropDatabase', ifExists, name, pos: c.pos(start) };
}

export function parseIfNotExists(c: Cursor): boolean {
  if (!c.isKw('if')) return false;
  c.next();
  c.expectKw('not', 'NOT EXISTS after IF');
  c.expectKw('exists', 'EXISTS after IF NOT');
  return true;
}

export function parseIfExists(c: Cursor): boolean {
  if (!c.isKw('if')) return false;
  c.next();
  c.expectKw('exists', 'EXISTS after IF');
  return true;
}

function parseDbOptions(c: Cursor, create: boolean): DbOption[] {
  const options: DbOption[] = [];
  while (!c.atEnd()) {
    const t = c.peek();
    if (t.kind !== 'ident') c.fail(`a database option (${OPTION_LIST}) or the end of the statement`);
    const pos = c.pos(t);
    const word = t.value;
    c.next();
    const valuePos = c.pos();
    if (NUMERIC.has(word as NumericDbOptionName)) {
      const value = c.integer(`an integer value for ${word.toUpperCase()}`);
      options.push({ name: word as NumericDbOptionName, value, pos, valuePos });
    } else if (STRINGS.has(word as StringDbOptionName)) {
      const v = c.peek();
      // TDengine wants quotes (precision 'us'); a bare word is accepted too.
      if (v.kind !== 'string' && v.kind !== 'ident')
        c.fail(`a quoted value for ${word.toUpperCase()}, e.g. ${word.toUpperCase()} 'ms'`);
      c.next();
      options.push({ name: word as StringDbOptionName, value: v.value, pos, valuePos });
    } else if (word === 'duration') {
      options.push({ name: 'duration', value: durationValue(c, 'DURATION'), pos, valuePos });
    } else if (word === 'keep') {
      const values: DurationValue[] = [durationValue(c, 'KEEP')];
      while (c.acceptOp(',')) {
        if (values.length === 3) c.failAt(c.peek(), 'KEEP takes at most three values (keep0,keep1,keep2)');
        values.push(durationValue(c, 'KEEP'));
      }
      options.push({ name: 'keep', values, pos, valuePos });
    } else {
      c.failAt(
        t,
        `unknown database option ${word.toUpperCase()}; ${create ? 'CREATE' : 'ALTER'} DATABASE takes ${OPTION_LIST}`,
      );
    }
  }
  return options;
}

/** `10d`, `12h`, `1440m`, or a bare integer (days). */
function durationValue(c: Cursor, option: string): DurationValue {
  const t = c.peek();
  const pos = c.pos(t);
  if (t.kind === 'duration') {
    c.next();
    return { value: BigInt(t.value), unit: t.unit as DurationUnit, text: t.text, pos };
  }
  if (t.kind === 'integer') {
    c.next();
    return { value: BigInt(t.value), unit: null, text: t.text, pos };
  }
  return c.fail(`a duration for ${option}, such as 10d, 12h or 1440m`);
}

/** `use db`. */
export function parseUse(c: Cursor, start: Token): Statement {
  const name = c.name('a database name');
  return { kind: 'useDatabase', name, pos: c.pos(start) };
}

/** `flush database db` / `compact database db`. */
export function parseFlushOrCompact(c: Cursor, start: Token): Statement {
  dbKeyword(c);
  const name = c.name('a database name');
  return start.value === 'flush'
    ? { kind: 'flushDatabase', name, pos: c.pos(start) }
    : { kind: 'compactDatabase', name, pos: c.pos(start) };
}
