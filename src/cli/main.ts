// The `basalt` command: one binary, subcommands (start, sql, bench, check, playground...).
// Each subcommand lives in its own file in this folder and registers itself here.
import { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export function basaltVersion(): string {
  const pkgPath = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'package.json');
  return (JSON.parse(readFileSync(pkgPath, 'utf8')) as { version: string }).version;
}

const program = new Command();
program
  .name('basalt')
  .description('Basalt: a distributed time-series database (TDengine 3.x cluster model)')
  .version(basaltVersion(), '-V, --version');

program
  .command('playground')
  .description('start a local multi-dnode cluster (not built yet)')
  .action(() => {
    process.stdout.write(
      'basalt playground is not built yet. What exists so far:\n' +
        '  npm test              run the test suite\n' +
        '  basalt --help         list the commands\n',
    );
  });

await program.parseAsync(process.argv);
