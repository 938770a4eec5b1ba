// Checks of what callers hand the store: vnode options and the rows of a write. A write that
// fails a check is refused before it is logged, with an error naming the column and row.
import type { ColumnBlock } from '../common/block.js';
import { BasaltError } from '../common/errors.js';
import { Limits } from '../common/limits.js';
import { DataType, isStringType } from '../common/types.js';
import type { VnodeOptions } from './api.js';
import type { ColDef } from './meta.js';

const textEncoder = new TextEncoder();

export function checkBlock(table: string, schema: readonly ColDef[], block: ColumnBlock): void {
  if (block.columns.length !== schema.length) {
    throw new BasaltError(
      'INVALID_PARA',
      `write to '${table}' has ${block.columns.length} columns; the table has ${schema.length}`,
    );
  }
  const n = block.numRows;
  if (n < 1 || n > Limits.maxRowsPerSubmit)
    throw new BasaltError('INVALID_PARA', `write to '${table}' has ${n} rows; 1..${Limits.maxRowsPerSubmit} allowed`);
  for (let i = 0; i < schema.length; i++) {
    const c = block.columns[i]!,
      s = schema[i]!;
    if (c.type !== s.type)
      throw new BasaltError(
        'WRONG_VALUE_TYPE',
        `column '${s.name}' of '${table}' is type ${DataType[s.type]}; the write gives ${DataType[c.type]}`,
      );
    if (c.data.length !== n || (c.nulls && c.nulls.length !== n))
      throw new BasaltError(
        'INVALID_PARA',
        `column '${s.name}' of '${table}' has ${c.data.length} values for ${n} rows`,
      );
    if (isStringType(s.type)) {
      const d = c.data as string[];
      for (let r = 0; r < n; r++) {
        const v = d[r]!;
        // Cheap bound first: UTF-8 bytes <= 3 × UTF-16 units.
        if (v.length * 3 <= s.bytes) continue;
        const len = s.type === DataType.NCHAR ? [...v].length : textEncoder.encode(v).length;
        if (len > s.bytes)
          throw new BasaltError(
            'VALUE_TOO_LONG',
            `value of '${s.name}' in '${table}' row ${r} is ${len} long; the column holds ${s.bytes}`,
          );
      }
    }
  }
  const ts = block.columns[0]!;
  if (ts.nulls && ts.nulls.includes(1))
    throw new BasaltError('INVALID_TIMESTAMP', `the timestamp column of '${table}' cannot be null`);
  const t = ts.data as Float64Array;
  for (let r = 0; r < n; r++) {
    const v = t[r]!;
    if (!Number.isSafeInteger(v))
      throw new BasaltError(
        'INVALID_TIMESTAMP',
        `timestamp ${v} in '${table}' row ${r} is not an integer tick within ±2^53`,
      );
  }
}

export function checkOptions(o: VnodeOptions): void {
  const bad = (k: string, v: unknown): BasaltError =>
    new BasaltError('DB_OPTION_INVALID', `vnode option ${k} = ${String(v)} is out of range`);
  if (!(o.bufferBytes > 0)) throw bad('bufferBytes', o.bufferBytes);
  if (!(o.durationMs > 0)) throw bad('durationMs', o.durationMs);
  if (!(o.keepMs > 0)) throw bad('keepMs', o.keepMs);
  if (o.walLevel !== 1 && o.walLevel !== 2) throw bad('walLevel', o.walLevel);
  if (!(o.walFsyncPeriodMs >= 0)) throw bad('walFsyncPeriodMs', o.walFsyncPeriodMs);
  if (!(o.maxRows >= 1 && o.minRows >= 1 && o.minRows <= o.maxRows))
    throw bad('maxRows/minRows', `${o.maxRows}/${o.minRows}`);
}
