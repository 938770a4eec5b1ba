// The SQL front end's public surface: parse text into statements (src/sql/ast.ts).
export type * from './ast.js';
export { parse, parseOne, parserCalls, useStatement } from './parser.js';
export { splitStatements } from './split.js';
export { databasesNamed } from './statement-dbs.js';
