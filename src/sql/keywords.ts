// Reserved words: identifiers that can never be an unquoted name, because an expression or a
// select list would become ambiguous (`select a from t`: is `from` an alias?). Everything
// else (e.g. `tables`, `value`, `status`, `current`) stays usable as a name. A reserved word
// can still be a name when quoted with backticks.
const RESERVED = new Set<string>([
  'select', 'distinct', 'from', 'where', 'and', 'or', 'not', 'in', 'between', 'like', 'match', 'nmatch',
  'is', 'null', 'true', 'false', 'as', 'group', 'order', 'by', 'partition', 'interval', 'sliding', 'fill',
  'having', 'limit', 'offset', 'slimit', 'soffset', 'asc', 'desc', 'union', 'session', 'state_window',
  'case', 'when', 'then', 'else', 'end', 'now', 'cast', 'insert', 'into', 'values', 'using', 'tags',
  'create', 'drop', 'alter', 'delete', 'show', 'use', 'if', 'exists', 'on', 'join',
]);

export function isReserved(lowerWord: string): boolean {
  return RESERVED.has(lowerWord);
}

/** Pseudo columns recognized when written unquoted. */
export const PSEUDO_COLUMNS = new Set<string>(['tbname', '_wstart', '_wend', '_wduration', '_rowts', '_qstart', '_qend', '_irowts', '_c0']);
