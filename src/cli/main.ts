// The `basalt` command: one binary, subcommands (start, sql, bench, check, playground...).
// Each subcommand lives in its own file in this folder and registers itself here.
import { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { registerBench } from './bench.js';
import { registerPlayground } from './playground.js';
import { registerCheck, registerSql } from './sql.js';
import { registerStart } from './start.js';

export function basaltVersion(): string {
  const pkgPath = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'package.json');
  return (JSON.parse(readFileSync(pkgPath, 'utf8')) as { version: string }).version;
}

const program = new Command();
program
  .name('basalt')
  .description('Basalt: a distributed time-series database (TDengine 3.x cluster model)')
  .version(basaltVersion(), '-V, --version');

registerStart(program, basaltVersion());
registerSql(program, basaltVersion());
registerCheck(program);
registerPlayground(program, basaltVersion());
registerBench(program);

await program.parseAsync(process.argv);
