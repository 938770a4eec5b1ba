// The bench-peers `meters` generator (../shared/bench-peers/lib/gen.js), reimplemented to
// produce the same values column by column: splitmix32 derives per-table seeds, mulberry32
// streams the values, each value is the decimal text gen.js writes, read back as a number.
import type { ColumnVector } from '../src/common/block.js';
import { DataType } from '../src/common/types.js';
import { mulberry32, splitmix32 } from '../src/common/random.js';

const CITIES = [
  'California.SanFrancisco',
  'California.LosAngeles',
  'California.SanDiego',
  'California.SanJose',
  'California.PaloAlto',
  'California.Campbell',
  'California.MountainView',
  'California.Sunnyvale',
  'California.SantaClara',
  'California.Cupertino',
];

export interface BenchMeta {
  name: string;
  groupid: number;
  location: string;
}

export function tableMeta(seed: number, t: number): BenchMeta {
  const r = mulberry32(splitmix32(seed * 7919 + 1_000_003 + t));
  return { name: 'd' + t, groupid: 1 + Math.floor(r() * 10), location: CITIES[Math.floor(r() * CITIES.length)]! };
}

/** One table's rows as a block (ts in ms, current FLOAT, voltage INT, phase FLOAT) plus the exact decimal currents. */
export function generateTable(
  seed: number,
  t: number,
  rows: number,
  startSec: number,
): { numRows: number; columns: ColumnVector[]; exactCurrent: Float64Array } {
  const r = mulberry32(splitmix32(seed * 104729 + t));
  const ts = new Float64Array(rows),
    cur = new Float32Array(rows),
    volt = new Int32Array(rows),
    ph = new Float32Array(rows);
  const exact = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    const c = Number((8 + 4 * r()).toFixed(3));
    const v = 215 + Math.floor(r() * 11);
    const p = Number(r().toFixed(4));
    ts[i] = (startSec + i) * 1000;
    cur[i] = c;
    exact[i] = c;
    volt[i] = v;
    ph[i] = p;
  }
  return {
    numRows: rows,
    columns: [
      { type: DataType.TIMESTAMP, data: ts, nulls: null },
      { type: DataType.FLOAT, data: cur, nulls: null },
      { type: DataType.INT, data: volt, nulls: null },
      { type: DataType.FLOAT, data: ph, nulls: null },
    ],
    exactCurrent: exact,
  };
}
