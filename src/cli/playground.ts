// `basalt playground` (what `npm start` runs): for now a single dnode in ./data on 6030/6041
// with instructions for connecting, until the cluster issue makes it a local multi-dnode
// cluster. Ctrl-C stops it cleanly.
import type { Command } from 'commander';
import { loadConfig } from '../common/config.js';
import { toBasaltError } from '../common/errors.js';
import { connectHint, startServer, stopOnSignals } from './start.js';

export function registerPlayground(program: Command, version: string): void {
  program
    .command('playground')
    .description('start a local Basalt to try out (for now one dnode in ./data on ports 6030/6041)')
    .option('--data-dir <dir>', 'data directory', 'data')
    .option('--server-port <port>', 'RPC port', '6030')
    .action(async (flags: { dataDir: string; serverPort: string }) => {
      let server;
      try {
        const loaded = loadConfig({ flags: { dataDir: flags.dataDir, serverPort: flags.serverPort, fqdn: 'localhost', listenHost: '127.0.0.1' } });
        server = await startServer(loaded, version);
      } catch (e) {
        process.stderr.write(`basalt playground: ${toBasaltError(e).message}\n`);
        process.exitCode = 1;
        return;
      }
      const c = server.config;
      process.stdout.write(
        `Basalt ${version} is running: one dnode, data in ${c.dataDir}, log in ${server.logger.file ?? '-'}\n` +
        `(a local multi-dnode cluster comes with the cluster work; this is the single-dnode stand-in)\n\n` +
        `Connect from another terminal:\n${connectHint(c, server.rest.port)}\n\n` +
        `Statements to try in the shell:\n` +
        `  create database if not exists power;\n` +
        `  use power;\n` +
        `  create stable meters (ts timestamp, current float, voltage int, phase float) tags (groupid int, location varchar(24));\n` +
        `  insert into d1001 using meters tags (2, 'California.SanFrancisco') values (now, 10.3, 219, 0.31) (now+1s, 12.6, 218, 0.33);\n` +
        `  select * from meters;\n` +
        `  select avg(current), max(voltage) from meters interval(1m);\n\n` +
        `Press Ctrl-C to stop.\n`,
      );
      stopOnSignals(server, (code) => { process.stdout.write('\nbasalt: stopped\n'); process.exit(code); });
    });
}
