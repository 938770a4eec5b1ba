// Column types as written in DDL and CAST: `int`, `int unsigned`, `varchar(20)`, `binary(16)`,
// `nchar(8)`, `timestamp`... BINARY is TDengine's older name for VARCHAR.
import { BasaltError } from '../common/errors.js';
import { DataType } from '../common/types.js';
import type { TypeSpec } from './ast.js';
import type { Cursor } from './cursor.js';

const FIXED: Record<string, DataType> = {
  bool: DataType.BOOL,
  tinyint: DataType.TINYINT,
  smallint: DataType.SMALLINT,
  int: DataType.INT,
  integer: DataType.INT,
  bigint: DataType.BIGINT,
  float: DataType.FLOAT,
  double: DataType.DOUBLE,
  timestamp: DataType.TIMESTAMP,
};

const UNSIGNED: Partial<Record<DataType, DataType>> = {
  [DataType.TINYINT]: DataType.UTINYINT,
  [DataType.SMALLINT]: DataType.USMALLINT,
  [DataType.INT]: DataType.UINT,
  [DataType.BIGINT]: DataType.UBIGINT,
};

const VARIABLE: Record<string, DataType> = {
  varchar: DataType.VARCHAR,
  binary: DataType.VARCHAR,
  nchar: DataType.NCHAR,
};

// TDengine types Basalt does not have (yet): named so the error can say so instead of "syntax error".
const UNSUPPORTED = new Set(['json', 'varbinary', 'geometry', 'decimal', 'blob', 'mediumblob', 'text']);

const EXPECTED =
  'a data type (BOOL, TINYINT, SMALLINT, INT, BIGINT, FLOAT, DOUBLE, TIMESTAMP, VARCHAR(n), BINARY(n), NCHAR(n))';

/**
 * Reads a type. `lengthRequired`: column definitions must give VARCHAR/NCHAR a length;
 * CAST may omit it (length null, the analyzer picks one).
 */
export function parseType(c: Cursor, lengthRequired: boolean): TypeSpec {
  const t = c.peek();
  if (t.kind !== 'ident') c.fail(EXPECTED);
  const pos = c.pos(t);
  const word = t.value;
  const fixed = FIXED[word];
  if (fixed !== undefined) {
    c.next();
    const u = UNSIGNED[fixed];
    if (u !== undefined && c.acceptKw('unsigned')) {
      return { type: u, length: null, text: `${word.toUpperCase()} UNSIGNED`, pos };
    }
    return { type: fixed, length: null, text: word.toUpperCase(), pos };
  }
  const variable = VARIABLE[word];
  if (variable !== undefined) {
    c.next();
    if (!c.isOp('(')) {
      if (lengthRequired) c.fail(`'(' and a length, as in ${word.toUpperCase()}(32)`);
      return { type: variable, length: null, text: word.toUpperCase(), pos };
    }
    c.next();
    const n = c.integer(`the length of ${word.toUpperCase()} (a positive integer)`);
    c.expectOp(')', `')' after the length of ${word.toUpperCase()}`);
    return { type: variable, length: n, text: `${word.toUpperCase()}(${n})`, pos };
  }
  if (UNSUPPORTED.has(word)) {
    throw new BasaltError(
      'INVALID_DATA_TYPE',
      `type ${word.toUpperCase()} at line ${pos.line}, column ${pos.column} is not supported; use VARCHAR(n) or NCHAR(n)`,
      { offset: pos.offset, line: pos.line, column: pos.column },
    );
  }
  return c.fail(EXPECTED);
}
