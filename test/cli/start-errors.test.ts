// `basalt start` refuses to start with one clear line and exit code 1 for the operator
// mistakes of the issue: a port in use, an unwritable dataDir, an unknown or bad config key.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, tempDir } from '../rpc/harness.js';
import { runBasalt } from './run-basalt.js';

function oneLine(stderr: string): string {
  const lines = stderr.split('\n').filter((l) => l !== '');
  assert.equal(lines.length, 1, `expected one line, got: ${stderr}`);
  return lines[0]!;
}

test('serverPort in use: names the port and the setting', async () => {
  const tmp = tempDir('start');
  const blocker = createServer();
  const port = await freePort();
  await new Promise<void>((r) => blocker.listen(port, '127.0.0.1', r));
  try {
    const r = await runBasalt([
      'start',
      '--data-dir',
      join(tmp.dir, 'd'),
      '--server-port',
      String(port),
      '--listen-host',
      '127.0.0.1',
    ]);
    assert.equal(r.code, 1);
    assert.equal(
      oneLine(r.stderr),
      `basalt start: Port already in use: serverPort ${port} on 127.0.0.1 is already in use; stop the process using it or set serverPort to a free port`,
    );
  } finally {
    blocker.close();
    tmp.remove();
  }
});

test('httpPort in use: names httpPort', async () => {
  const tmp = tempDir('start');
  const blocker = createServer();
  const [sp, hp] = [await freePort(), await freePort()];
  await new Promise<void>((r) => blocker.listen(hp, '127.0.0.1', r));
  try {
    const r = await runBasalt([
      'start',
      '--data-dir',
      join(tmp.dir, 'd'),
      '--server-port',
      String(sp),
      '--http-port',
      String(hp),
      '--listen-host',
      '127.0.0.1',
    ]);
    assert.equal(r.code, 1);
    assert.match(
      oneLine(r.stderr),
      new RegExp(`httpPort ${hp} on 127.0.0.1 is already in use; .*set httpPort to a free port`),
    );
  } finally {
    blocker.close();
    tmp.remove();
  }
});

test('unwritable dataDir: names the directory and the fix', async () => {
  const tmp = tempDir('start');
  try {
    // A regular file where a directory should be: unwritable even for root.
    writeFileSync(join(tmp.dir, 'file'), 'x');
    const r = await runBasalt([
      'start',
      '--data-dir',
      join(tmp.dir, 'file', 'data'),
      '--server-port',
      String(await freePort()),
      '--listen-host',
      '127.0.0.1',
    ]);
    assert.equal(r.code, 1);
    assert.match(
      oneLine(r.stderr),
      /^basalt start: Data directory is not writable: dataDir .*file\/data cannot be written \(ENOTDIR\); fix its permissions or set dataDir/,
    );
  } finally {
    tmp.remove();
  }
});

test('unknown and malformed config keys: name the key, file and line', async () => {
  const tmp = tempDir('start');
  try {
    mkdirSync(join(tmp.dir, 'cfg'));
    writeFileSync(join(tmp.dir, 'cfg', 'basalt.cfg'), 'fqdn localhost\nmonitr 1\n');
    const r = await runBasalt(['start', '-c', join(tmp.dir, 'cfg')]);
    assert.equal(r.code, 1);
    assert.match(
      oneLine(r.stderr),
      /^basalt start: Unknown config key: 'monitr' in .*basalt\.cfg line 2 is not a Basalt setting/,
    );
    writeFileSync(join(tmp.dir, 'cfg', 'basalt.cfg'), 'statusInterval 99\n');
    const r2 = await runBasalt(['start', '-c', join(tmp.dir, 'cfg')]);
    assert.equal(r2.code, 1);
    assert.match(
      oneLine(r2.stderr),
      /Invalid config value: statusInterval '99' in .*basalt\.cfg line 1 is out of range; set statusInterval to seconds between status messages \(1-30\)/,
    );
    const r3 = await runBasalt(['start', '--data-dir', join(tmp.dir, 'd')], { env: { BASALT_SERVER_PORT: 'abc' } });
    assert.equal(r3.code, 1);
    assert.match(oneLine(r3.stderr), /serverPort 'abc' from environment variable BASALT_SERVER_PORT is not an integer/);
  } finally {
    tmp.remove();
  }
});

test("start -C prints the effective configuration and each value's source", async () => {
  const tmp = tempDir('start');
  try {
    writeFileSync(join(tmp.dir, 'basalt.cfg'), 'fqdn td1\nserverPort 6130\n');
    const r = await runBasalt(['start', '-C', '-c', tmp.dir, '--http-port', '7777'], {
      env: { BASALT_STATUS_INTERVAL: '4' },
    });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^fqdn +td1 +# file$/m);
    assert.match(r.stdout, /^serverPort +6130 +# file$/m);
    assert.match(r.stdout, /^firstEp +td1:6130 +# default$/m);
    assert.match(r.stdout, /^httpPort +7777 +# flag$/m);
    assert.match(r.stdout, /^statusInterval +4 +# env$/m);
  } finally {
    tmp.remove();
  }
});
