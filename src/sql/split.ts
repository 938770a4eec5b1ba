// Splits a script into statements on ';' that stand outside quotes and comments. Used by the
// shell (-s, -f, interactive input) and by Engine.executeMany. It never throws: an
// unterminated quote or comment simply runs to the end, and parse() reports it precisely.

/** Returns the statements' texts, trimmed, without their ';'; pieces holding only whitespace or comments are dropped. */
export function splitStatements(sql: string): string[] {
  const out: string[] = [];
  let start = 0;
  let hasCode = false; // the current piece holds something other than whitespace/comments
  let i = 0;
  const n = sql.length;
  const flush = (end: number): void => {
    if (hasCode) out.push(sql.slice(start, end).trim());
    hasCode = false;
  };
  while (i < n) {
    const c = sql[i]!;
    if (c === ';') {
      flush(i);
      i++;
      start = i;
    } else if (c === "'" || c === '"' || c === '`') {
      hasCode = true;
      i = skipQuoted(sql, i);
    } else if (c === '-' && sql[i + 1] === '-') {
      const nl = sql.indexOf('\n', i);
      i = nl < 0 ? n : nl + 1;
    } else if (c === '/' && sql[i + 1] === '*') {
      const end = sql.indexOf('*/', i + 2);
      i = end < 0 ? n : end + 2;
    } else {
      if (!isSpace(c)) hasCode = true;
      i++;
    }
  }
  flush(n);
  return out;
}

/** Index just past the quoted run starting at `i` (backslash escapes and doubled quotes stay inside). */
function skipQuoted(sql: string, i: number): number {
  const q = sql[i]!;
  let j = i + 1;
  while (j < sql.length) {
    const c = sql[j]!;
    if (c === '\\' && q !== '`') {
      j += 2;
    } else if (c === q) {
      if (sql[j + 1] === q)
        j += 2; // doubled quote is an escaped quote
      else return j + 1;
    } else {
      j++;
    }
  }
  return sql.length;
}

function isSpace(c: string): boolean {
  return c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f' || c === '\v';
}
