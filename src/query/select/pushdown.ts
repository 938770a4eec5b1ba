// WHERE pushdown: timestamp bounds become the scan's time range, conjuncts over tags and
// tbname become a per-table filter (equality / IN also a tag-index lookup or a table list),
// and the rest stays a row filter.
import { DataType, isStringType } from '../../common/types.js';
import type { TagValue } from '../../storage/api.js';
import { isPerTable } from './exec-subplan.js';
import type { Expr, ScalarValue } from './ir.js';
import type { TagLookup } from './route.js';
import type { TableScope } from './translate.js';

function conjuncts(e: Expr | null): Expr[] {
  if (e === null) return [];
  return e.k === 'and' ? [...e.args] : [e];
}

export function andOf(list: Expr[]): Expr | null {
  if (list.length === 0) return null;
  if (list.length === 1) return list[0]!;
  return { k: 'and', args: list, t: DataType.BOOL, bytes: 1 };
}

const FLIP: Record<string, string> = { '<': '>', '<=': '>=', '>': '<', '>=': '<=', '=': '=' };

/** Narrows `range` by a conjunct on the timestamp; true when the conjunct is fully captured. */
function captureTimeBound(c: Expr, range: { from: number; to: number }): boolean {
  const isTs = (e: Expr): boolean => e.k === 'slot' && e.slot === 0;
  const num = (e: Expr): number | null =>
    e.k === 'const' && e.value !== null && typeof e.value !== 'string' && typeof e.value !== 'boolean'
      ? Number(e.value)
      : null;
  if (c.k === 'between' && !c.not && isTs(c.e)) {
    const lo = num(c.lo),
      hi = num(c.hi);
    if (lo === null || hi === null) return false;
    range.from = Math.max(range.from, Math.ceil(lo));
    range.to = Math.min(range.to, Math.floor(hi));
    return true;
  }
  if (c.k !== 'cmp' || c.op === '<>') return false;
  let op: string = c.op,
    v: number | null;
  if (isTs(c.l)) v = num(c.r);
  else if (isTs(c.r)) {
    v = num(c.l);
    op = FLIP[op]!;
  } else return false;
  if (v === null || Number.isNaN(v)) return false;
  switch (op) {
    case '>':
      range.from = Math.max(range.from, Math.floor(v) + 1);
      break;
    case '>=':
      range.from = Math.max(range.from, Math.ceil(v));
      break;
    case '<':
      range.to = Math.min(range.to, Math.ceil(v) - 1);
      break;
    case '<=':
      range.to = Math.min(range.to, Math.floor(v));
      break;
    case '=':
      range.from = Math.max(range.from, Math.ceil(v));
      range.to = Math.min(range.to, Math.floor(v));
      break;
  }
  return true;
}

/** `tag = const` / `tag in (consts)`: a lookup the tag index can answer. */
function tagLookupOf(c: Expr, scope: TableScope): TagLookup | null {
  // Floating-point tags may be stored rounded (FLOAT); equality on them is left to the table filter.
  const exact = (t: DataType): boolean => t !== DataType.FLOAT && t !== DataType.DOUBLE;
  if (c.k === 'cmp' && c.op === '=') {
    const [t, v] = c.l.k === 'tag' ? [c.l, c.r] : [c.r, c.l];
    if (t.k === 'tag' && exact(t.t) && v.k === 'const' && v.value !== null)
      return { tagName: scope.tags[t.tag]!.name, values: [tagValueFor(t.t, v.value)] };
  }
  if (c.k === 'in' && !c.not && c.e.k === 'tag' && exact(c.e.t) && c.list.every((x) => x !== null)) {
    const tt = c.e.t;
    return { tagName: scope.tags[c.e.tag]!.name, values: c.list.map((x) => tagValueFor(tt, x)) };
  }
  return null;
}

function tagValueFor(t: DataType, v: ScalarValue): TagValue {
  if (isStringType(t)) return String(v);
  if (t === DataType.BOOL) return typeof v === 'boolean' ? v : Number(v) !== 0;
  if (t === DataType.BIGINT || t === DataType.UBIGINT) return typeof v === 'bigint' ? v : BigInt(Math.trunc(Number(v)));
  return Number(v);
}

/** `tbname = 'x'` / `tbname in (...)`: the tables named. */
function tbnamesOf(c: Expr): string[] | null {
  if (c.k === 'cmp' && c.op === '=') {
    const [t, v] = c.l.k === 'tbname' ? [c.l, c.r] : [c.r, c.l];
    if (t.k === 'tbname' && v.k === 'const' && typeof v.value === 'string') return [v.value];
  }
  if (c.k === 'in' && !c.not && c.e.k === 'tbname' && c.list.every((x) => typeof x === 'string'))
    return c.list as string[];
  return null;
}

export interface SplitWhere {
  /** Inclusive bounds in ticks; from > to means no row can match. */
  readonly range: { from: number; to: number };
  readonly tableConds: Expr[];
  readonly rowConds: Expr[];
  readonly tagLookup: TagLookup | null;
  readonly tbnames: string[] | null;
}

export function splitWhere(where: Expr | null, scope: TableScope): SplitWhere {
  const range = { from: -Infinity, to: Infinity };
  const tableConds: Expr[] = [],
    rowConds: Expr[] = [];
  let tagLookup: TagLookup | null = null,
    tbnames: string[] | null = null;
  for (const c of conjuncts(where)) {
    if (c.k === 'const') {
      if (c.value !== true) range.from = Infinity;
      continue;
    }
    if (captureTimeBound(c, range)) continue;
    if (isPerTable(c)) {
      tableConds.push(c);
      tbnames ??= tbnamesOf(c);
      tagLookup ??= tagLookupOf(c, scope);
    } else rowConds.push(c);
  }
  return { range, tableConds, rowConds, tagLookup, tbnames };
}
