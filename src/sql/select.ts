// SELECT: items, FROM (table or subquery), WHERE, PARTITION BY, window (INTERVAL/SESSION/
// STATE_WINDOW with SLIDING and FILL), GROUP BY, HAVING, ORDER BY, SLIMIT/LIMIT.
import type {
  Expr,
  FillClause,
  FillMode,
  FromClause,
  LimitClause,
  OrderItem,
  SelectItem,
  SelectStmt,
  WindowClause,
} from './ast.js';
import type { Cursor } from './cursor.js';
import { durationLiteral, parseExpr } from './expr.js';
import { parseTableName } from './names.js';

/** Parses `select ...`; the cursor is at SELECT. */
export function parseSelect(c: Cursor): SelectStmt {
  const start = c.expectKw('select');
  const pos = c.pos(start);
  const distinct = c.acceptKw('distinct') !== null;
  const items: SelectItem[] = [];
  do items.push(parseSelectItem(c));
  while (c.acceptOp(','));

  let from: FromClause | null = null;
  if (c.acceptKw('from')) from = parseFrom(c);
  else if (!c.atEnd() && !isClauseStart(c) && !c.isOp(')')) c.fail("FROM or ','");

  const where = c.acceptKw('where') ? parseExpr(c) : null;
  let partitionBy: Expr[] = [];
  if (c.isKw('partition')) {
    c.next();
    c.expectKw('by', 'BY after PARTITION');
    partitionBy = exprList(c);
  }
  const window = parseWindow(c);
  let groupBy: Expr[] = [];
  if (c.isKw('group')) {
    c.next();
    c.expectKw('by', 'BY after GROUP');
    groupBy = exprList(c);
  }
  const having = c.acceptKw('having') ? parseExpr(c) : null;
  let orderBy: OrderItem[] = [];
  if (c.isKw('order')) {
    c.next();
    c.expectKw('by', 'BY after ORDER');
    orderBy = parseOrderBy(c);
  }
  // TDengine accepts SLIMIT and LIMIT in either order.
  let limit: LimitClause | null = null;
  let slimit: LimitClause | null = null;
  for (;;) {
    if (limit === null && c.isKw('limit')) limit = parseLimit(c, 'limit', 'offset');
    else if (slimit === null && c.isKw('slimit')) slimit = parseLimit(c, 'slimit', 'soffset');
    else break;
  }
  if (!c.atEnd() && !c.isOp(')')) {
    c.fail(
      from === null
        ? "FROM, ',' or the end of the statement"
        : 'WHERE, PARTITION BY, INTERVAL, GROUP BY, ORDER BY, LIMIT or the end of the statement',
    );
  }
  return {
    kind: 'select',
    distinct,
    items,
    from,
    where,
    partitionBy,
    window,
    groupBy,
    having,
    orderBy,
    limit,
    slimit,
    pos,
  };
}

const CLAUSE_WORDS = new Set([
  'where',
  'partition',
  'interval',
  'session',
  'state_window',
  'group',
  'having',
  'order',
  'limit',
  'slimit',
]);

function isClauseStart(c: Cursor): boolean {
  const t = c.peek();
  return t.kind === 'ident' && CLAUSE_WORDS.has(t.value);
}

function parseSelectItem(c: Cursor): SelectItem {
  const first = c.peek();
  const pos = c.pos(first);
  let expr: Expr;
  if (c.isOp('*')) {
    c.next();
    expr = { kind: 'star', table: null, pos };
  } else if (c.isName() && c.isOp('.', 1) && c.isOp('*', 2)) {
    const table = c.name('a table name');
    c.next();
    c.next();
    expr = { kind: 'star', table, pos };
  } else {
    expr = parseExpr(c);
  }
  const text = c.sql.slice(first.offset, c.lastEnd).trim();
  let alias: string | null = null;
  if (expr.kind === 'star') {
    if (c.isKw('as')) c.failAt(c.peek(), "'*' cannot have an alias; name the columns to alias them");
  } else if (c.acceptKw('as')) {
    alias = c.name('an alias name after AS');
  } else if (c.isName()) {
    alias = c.name('an alias name');
  }
  return { expr, alias, text, pos };
}

function parseFrom(c: Cursor): FromClause {
  const t = c.peek();
  const pos = c.pos(t);
  if (c.isOp('(')) {
    c.next();
    c.enter();
    const select = parseSelect(c);
    c.expectOp(')', "')' to close the subquery");
    c.leave();
    return { kind: 'subquery', select, alias: parseAlias(c), pos };
  }
  const table = parseTableName(c, 'a table name');
  const from: FromClause = { kind: 'table', table, alias: parseAlias(c), pos };
  if (c.isOp(',') || c.isKw('join') || c.isKw('join', 1)) {
    c.failAt(c.peek(), 'joins are not supported; query one table or super table at a time');
  }
  return from;
}

function parseAlias(c: Cursor): string | null {
  if (c.acceptKw('as')) return c.name('an alias name after AS');
  return c.isName() ? c.name('an alias name') : null;
}

function exprList(c: Cursor): Expr[] {
  const list: Expr[] = [];
  do list.push(parseExpr(c));
  while (c.acceptOp(','));
  return list;
}

function parseWindow(c: Cursor): WindowClause | null {
  const t = c.peek();
  const pos = c.pos(t);
  if (c.isKw('interval')) {
    c.next();
    c.expectOp('(', "'(' after INTERVAL");
    const interval = durationLiteral(c, 'an interval such as 10s, 1h or 1d');
    const offset = c.acceptOp(',') ? durationLiteral(c, 'an interval offset such as 10m') : null;
    c.expectOp(')', offset ? "')'" : "',' or ')'");
    let sliding = null;
    if (c.acceptKw('sliding')) {
      c.expectOp('(', "'(' after SLIDING");
      sliding = durationLiteral(c, 'a sliding step such as 30s');
      c.expectOp(')', "')'");
    }
    const fill = c.isKw('fill') ? parseFill(c) : null;
    return { kind: 'interval', interval, offset, sliding, fill, pos };
  }
  if (c.isKw('session')) {
    c.next();
    c.expectOp('(', "'(' after SESSION");
    const column = parseExpr(c);
    c.expectOp(',', "',' and a gap duration, as in SESSION(ts, 10s)");
    const gap = durationLiteral(c, 'a session gap such as 10s');
    c.expectOp(')', "')'");
    return { kind: 'session', column, gap, pos };
  }
  if (c.isKw('state_window')) {
    c.next();
    c.expectOp('(', "'(' after STATE_WINDOW");
    const expr = parseExpr(c);
    c.expectOp(')', "')'");
    return { kind: 'state', expr, pos };
  }
  if (c.isKw('sliding') || c.isKw('fill')) c.failAt(t, `${t.value.toUpperCase()} needs an INTERVAL(...) before it`);
  return null;
}

const FILL_MODES = new Set<FillMode>(['none', 'null', 'null_f', 'value', 'value_f', 'prev', 'next', 'linear']);

function parseFill(c: Cursor): FillClause {
  const t = c.next();
  const pos = c.pos(t);
  c.expectOp('(', "'(' after FILL");
  const m = c.peek();
  if (m.kind !== 'ident' || !FILL_MODES.has(m.value as FillMode))
    c.fail('a fill mode: NONE, NULL, VALUE, PREV, NEXT or LINEAR');
  c.next();
  const mode = m.value as FillMode;
  const values: Expr[] = [];
  if (mode === 'value' || mode === 'value_f') {
    c.expectOp(',', "',' and the fill value(s), as in FILL(VALUE, 0)");
    do values.push(parseExpr(c));
    while (c.acceptOp(','));
  }
  c.expectOp(')', "')' to close FILL(");
  return { mode, values, pos };
}

function parseOrderBy(c: Cursor): OrderItem[] {
  const items: OrderItem[] = [];
  do {
    const pos = c.pos();
    const expr = parseExpr(c);
    let desc = false;
    if (c.acceptKw('desc')) desc = true;
    else c.acceptKw('asc');
    let nulls: 'first' | 'last' | null = null;
    if (c.acceptKw('nulls')) {
      if (c.acceptKw('first')) nulls = 'first';
      else if (c.acceptKw('last')) nulls = 'last';
      else c.fail('FIRST or LAST after NULLS');
    }
    items.push({ expr, desc, nulls, pos });
  } while (c.acceptOp(','));
  return items;
}

/** `limit n [offset m]` or `limit m, n`; same shape for slimit/soffset. */
function parseLimit(c: Cursor, word: string, offsetWord: string): LimitClause {
  const t = c.next();
  const pos = c.pos(t);
  const what = `a row count after ${word.toUpperCase()}`;
  const first = c.integer(what);
  if (c.acceptOp(',')) {
    const count = c.integer(what);
    return { limit: count, offset: first, pos };
  }
  const offset = c.acceptKw(offsetWord) ? c.integer(`a row count after ${offsetWord.toUpperCase()}`) : 0;
  return { limit: first, offset, pos };
}
