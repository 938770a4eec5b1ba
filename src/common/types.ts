// SQL data types and schemas, shared by storage, SQL, query, RPC and the client.
// Type ids are TDengine's (TSDB_DATA_TYPE_*), so REST `column_meta` and clients match.

export enum DataType {
  BOOL = 1,
  TINYINT = 2,
  SMALLINT = 3,
  INT = 4,
  BIGINT = 5,
  FLOAT = 6,
  DOUBLE = 7,
  VARCHAR = 8, // also BINARY
  TIMESTAMP = 9,
  NCHAR = 10,
  UTINYINT = 11,
  USMALLINT = 12,
  UINT = 13,
  UBIGINT = 14,
}

export type Precision = 'ms' | 'us' | 'ns';

/** Ticks per millisecond per precision. */
export const TICKS_PER_MS: Record<Precision, number> = { ms: 1, us: 1e3, ns: 1e6 };

export interface ColumnSchema {
  readonly name: string;
  readonly type: DataType;
  /** Declared length in bytes for VARCHAR (bytes) and NCHAR (characters); fixed size otherwise. */
  readonly bytes: number;
}

/** Fixed byte width of each type; VARCHAR/NCHAR are variable (declared length lives in ColumnSchema). */
export const TYPE_BYTES: Record<DataType, number> = {
  [DataType.BOOL]: 1,
  [DataType.TINYINT]: 1,
  [DataType.SMALLINT]: 2,
  [DataType.INT]: 4,
  [DataType.BIGINT]: 8,
  [DataType.FLOAT]: 4,
  [DataType.DOUBLE]: 8,
  [DataType.VARCHAR]: 0,
  [DataType.TIMESTAMP]: 8,
  [DataType.NCHAR]: 0,
  [DataType.UTINYINT]: 1,
  [DataType.USMALLINT]: 2,
  [DataType.UINT]: 4,
  [DataType.UBIGINT]: 8,
};

/** The names TDengine shows in `describe` and REST `column_meta`. */
export const TYPE_NAMES: Record<DataType, string> = {
  [DataType.BOOL]: 'BOOL',
  [DataType.TINYINT]: 'TINYINT',
  [DataType.SMALLINT]: 'SMALLINT',
  [DataType.INT]: 'INT',
  [DataType.BIGINT]: 'BIGINT',
  [DataType.FLOAT]: 'FLOAT',
  [DataType.DOUBLE]: 'DOUBLE',
  [DataType.VARCHAR]: 'VARCHAR',
  [DataType.TIMESTAMP]: 'TIMESTAMP',
  [DataType.NCHAR]: 'NCHAR',
  [DataType.UTINYINT]: 'TINYINT UNSIGNED',
  [DataType.USMALLINT]: 'SMALLINT UNSIGNED',
  [DataType.UINT]: 'INT UNSIGNED',
  [DataType.UBIGINT]: 'BIGINT UNSIGNED',
};

export function isStringType(t: DataType): boolean {
  return t === DataType.VARCHAR || t === DataType.NCHAR;
}

export function isBigIntType(t: DataType): boolean {
  return t === DataType.BIGINT || t === DataType.UBIGINT;
}

export function isIntegerType(t: DataType): boolean {
  return (
    t === DataType.TINYINT ||
    t === DataType.SMALLINT ||
    t === DataType.INT ||
    t === DataType.BIGINT ||
    t === DataType.UTINYINT ||
    t === DataType.USMALLINT ||
    t === DataType.UINT ||
    t === DataType.UBIGINT
  );
}

export function isNumericType(t: DataType): boolean {
  return isIntegerType(t) || t === DataType.FLOAT || t === DataType.DOUBLE || t === DataType.BOOL;
}

/** Integer ranges per type (inclusive), as bigint to stay exact for 64-bit types. */
export const INT_RANGE: Partial<Record<DataType, readonly [bigint, bigint]>> = {
  [DataType.TINYINT]: [-128n, 127n],
  [DataType.SMALLINT]: [-32768n, 32767n],
  [DataType.INT]: [-2147483648n, 2147483647n],
  [DataType.BIGINT]: [-9223372036854775808n, 9223372036854775807n],
  [DataType.UTINYINT]: [0n, 255n],
  [DataType.USMALLINT]: [0n, 65535n],
  [DataType.UINT]: [0n, 4294967295n],
  [DataType.UBIGINT]: [0n, 18446744073709551615n],
};
