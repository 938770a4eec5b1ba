// A query result on the client: columnar blocks with typed arrays, as the server sent them,
// plus conveniences for small results (rows(), value()). Values: numbers for 8-32-bit
// integers, FLOAT/DOUBLE and TIMESTAMP (integer ticks in `precision`); bigint for
// BIGINT/BIGINT UNSIGNED; boolean for BOOL; string for VARCHAR/NCHAR; null for NULL.
import { valueAt, type ColumnBlock, type ColumnVector } from '../common/block.js';
import { float32Decimal } from '../common/float32.js';
import { DataType, TYPE_NAMES, type Precision } from '../common/types.js';

export type Value = number | bigint | string | boolean | null;

export interface ResultColumn {
  readonly name: string;
  readonly type: DataType;
  /** SQL type name as `describe` and REST column_meta show it (INT, VARCHAR, ...). */
  readonly typeName: string;
  readonly bytes: number;
}

export interface ResultHead {
  readonly kind: 'query' | 'exec';
  /** Create | Insert | Drop | Alter | Delete | Query | Use (shell footers). */
  readonly verb: string;
  readonly columns: readonly ResultColumn[];
  readonly precision: Precision;
  readonly affectedRows: number;
  /** Set by `use db`. */
  readonly useDb: string | null;
}

export function makeColumn(name: string, type: DataType, bytes: number): ResultColumn {
  return { name, type, bytes, typeName: TYPE_NAMES[type] ?? `TYPE ${type}` };
}

export class ResultSet implements ResultHead {
  readonly numRows: number;

  constructor(
    readonly head: ResultHead,
    readonly blocks: readonly ColumnBlock[],
  ) {
    let n = 0;
    for (const b of blocks) n += b.numRows;
    this.numRows = n;
  }

  get kind(): 'query' | 'exec' {
    return this.head.kind;
  }
  get verb(): string {
    return this.head.verb;
  }
  get columns(): readonly ResultColumn[] {
    return this.head.columns;
  }
  get precision(): Precision {
    return this.head.precision;
  }
  get affectedRows(): number {
    return this.head.affectedRows;
  }
  get useDb(): string | null {
    return this.head.useDb;
  }

  /** All rows as arrays of values (allocates per row: for small results and tests). */
  rows(): Value[][] {
    const out: Value[][] = [];
    for (const b of this.blocks) {
      for (let r = 0; r < b.numRows; r++) out.push(b.columns.map((c) => cellValue(c, r)));
    }
    return out;
  }

  /** One value by row index and column index or name. */
  value(row: number, column: number | string): Value {
    const ci = typeof column === 'number' ? column : this.columnIndex(column);
    let r = row;
    for (const b of this.blocks) {
      if (r < b.numRows) return cellValue(b.columns[ci]!, r);
      r -= b.numRows;
    }
    throw new RangeError(`row ${row} is beyond the ${this.numRows} rows of this result`);
  }

  columnIndex(name: string): number {
    const i = this.columns.findIndex((c) => c.name === name);
    if (i < 0)
      throw new RangeError(
        `no column '${name}' in this result; columns are ${this.columns.map((c) => c.name).join(', ')}`,
      );
    return i;
  }
}

/** One cell as a user sees it: a FLOAT as the shortest decimal of its 32-bit value (10.3, not 10.300000190734863). */
function cellValue(c: ColumnVector, row: number): Value {
  const v = valueAt(c, row);
  return c.type === DataType.FLOAT && typeof v === 'number' ? float32Decimal(v) : v;
}
