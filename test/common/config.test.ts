import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { envNameToKey, keyToEnvName, loadConfig, parseConfigText } from '../../src/common/config.js';
import type { BasaltError } from '../../src/common/errors.js';

function withDir(fn: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'basalt-cfg-'));
  try {
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('env names map like taosd: BASALT_FIRST_EP → firstEp', () => {
  assert.equal(envNameToKey('BASALT_FIRST_EP'), 'firstEp');
  assert.equal(envNameToKey('BASALT_SERVER_PORT'), 'serverPort');
  assert.equal(envNameToKey('BASALT_TTL_CHANGE_ON_WRITE'), 'ttlChangeOnWrite');
  assert.equal(envNameToKey('HOME'), null);
});

test("TDengine's TAOS_* variables set the same keys as BASALT_*; BASALT_* wins where both are set", () => {
  assert.equal(envNameToKey('TAOS_FIRST_EP'), 'firstEp');
  assert.equal(keyToEnvName('ttlChangeOnWrite'), 'BASALT_TTL_CHANGE_ON_WRITE');
  // Seed 001's StatefulSet sets these three.
  const seed = loadConfig({
    env: { TAOS_FIRST_EP: 'td-0.taosd:6030', TAOS_FQDN: 'td-1.taosd', TAOS_SERVER_PORT: '6030' },
  });
  assert.equal(seed.config.firstEp, 'td-0.taosd:6030');
  assert.equal(seed.config.fqdn, 'td-1.taosd');
  assert.equal(seed.config.serverPort, 6030);
  assert.equal(seed.sources.fqdn, 'env');
  assert.deepEqual(seed.warnings, []);
  const both = loadConfig({
    env: { BASALT_SERVER_PORT: '6230', TAOS_SERVER_PORT: '6130' },
    flags: { fqdn: 'localhost' },
  });
  assert.equal(both.config.serverPort, 6230);
});

test('an unknown BASALT_* or TAOS_* variable is a warning naming the closest setting', () => {
  const r = loadConfig({
    env: { BASALT_FIRST_EPP: 'a:6030', TAOS_MONITOR_FQDN: 'keeper', TAOS_SERVERPORT_X: '1' },
    flags: { fqdn: 'localhost' },
  });
  const w = r.warnings.join('\n');
  assert.match(
    w,
    /BASALT_FIRST_EPP is not a Basalt setting and was ignored \(did you mean BASALT_FIRST_EP, setting 'firstEp'\?\)/,
  );
  assert.match(w, /TAOS_MONITOR_FQDN is a TDengine setting Basalt does not have and was ignored/);
  assert.equal(r.config.firstEp, 'localhost:6030', 'the misspelt variable set nothing');
});

test("'key=value' and 'key = value' in a config file get the fix, not 'unknown setting'", () => {
  for (const line of ['firstEp=td1:6030', 'firstEp = td1:6030', 'firstEp =td1:6030']) {
    assert.throws(
      () => parseConfigText(`fqdn td2\n${line}\n`, '/etc/basalt/basalt.cfg'),
      (e: BasaltError) => {
        assert.equal(e.errorName, 'CONFIG_BAD_VALUE');
        assert.match(e.message, /\/etc\/basalt\/basalt\.cfg line 2 sets firstEp with '=': .* write 'firstEp td1:6030'/);
        return true;
      },
      line,
    );
  }
  // A value that merely contains '=' is still a value.
  assert.deepEqual(
    parseConfigText('dataDir /srv/a=b\n', 'f').map((e) => [e.key, e.value]),
    [['dataDir', '/srv/a=b']],
  );
});

test('defaults: ports derive from serverPort, firstEp from fqdn', () => {
  const { config, sources } = loadConfig({ env: {}, cwd: '/srv', flags: { fqdn: 'localhost', serverPort: '6130' } });
  assert.equal(config.httpPort, 6141);
  assert.equal(config.firstEp, 'localhost:6130');
  assert.equal(config.dataDir, '/srv/data');
  assert.equal(config.logDir, '/srv/data/log');
  assert.equal(config.statusInterval, 1);
  assert.equal(config.ttlChangeOnWrite, 0);
  assert.ok(config.supportVnodes >= 7);
  assert.equal(sources.httpPort, 'default');
  assert.equal(sources.serverPort, 'flag');
});

test('file (case-insensitive names, # comments) < env < flags', () => {
  withDir((dir) => {
    writeFileSync(
      join(dir, 'basalt.cfg'),
      [
        '# a taos.cfg-style file',
        'FQDN        td1',
        'serverport  7030   # inline comment',
        'dataDir     /var/lib/basalt 0 1',
        '',
        'statusInterval 3',
      ].join('\n'),
    );
    const r = loadConfig({
      configPath: dir,
      env: { BASALT_STATUS_INTERVAL: '5', BASALT_UNRELATED_THING: 'x' },
      flags: { serverPort: '8030' },
    });
    assert.equal(r.file, join(dir, 'basalt.cfg'));
    assert.equal(r.config.fqdn, 'td1');
    assert.equal(r.config.dataDir, '/var/lib/basalt');
    assert.equal(r.config.statusInterval, 5);
    assert.equal(r.config.serverPort, 8030);
    assert.equal(r.config.httpPort, 8041);
    assert.equal(r.sources.fqdn, 'file');
    assert.equal(r.sources.statusInterval, 'env');
    assert.match(r.warnings.join('\n'), /BASALT_UNRELATED_THING/);
    // -c may name the file itself too.
    assert.equal(loadConfig({ configPath: join(dir, 'basalt.cfg'), env: {} }).config.serverPort, 7030);
  });
});

test('an unknown key names the file, the line, a suggestion and the fix', () => {
  assert.throws(
    () => parseConfigText('fqdn a\nservrPort 6030\n', '/etc/basalt/basalt.cfg'),
    (e: BasaltError) => {
      assert.equal(e.errorName, 'CONFIG_UNKNOWN_KEY');
      assert.equal(
        e.message,
        "Unknown config key: 'servrPort' in /etc/basalt/basalt.cfg line 2 is not a Basalt setting (did you mean 'serverPort'?); fix or remove that line",
      );
      return true;
    },
  );
});

test('bad values name key, value and origin; they are one line', () => {
  withDir((dir) => {
    writeFileSync(join(dir, 'basalt.cfg'), 'serverPort 70000\n');
    assert.throws(
      () => loadConfig({ configPath: dir, env: {} }),
      (e: BasaltError) =>
        e.errorName === 'CONFIG_BAD_VALUE' &&
        /serverPort '70000' in .*basalt.cfg line 1 is out of range/.test(e.message) &&
        !e.message.includes('\n'),
    );
  });
  assert.throws(
    () => loadConfig({ env: { BASALT_STATUS_INTERVAL: 'often' } }),
    /statusInterval 'often' from environment variable BASALT_STATUS_INTERVAL is not an integer/,
  );
  assert.throws(
    () => loadConfig({ env: {}, flags: { firstEp: 'a:b:c' } }),
    /firstEp 'a:b:c' on the command line is not an endpoint/,
  );
  assert.throws(
    () => loadConfig({ env: {}, flags: { bogus: '1' } }),
    (e: BasaltError) => e.errorName === 'CONFIG_UNKNOWN_KEY',
  );
  assert.throws(() => parseConfigText('fqdn\n', 'f.cfg'), /fqdn in f.cfg line 1 has no value/);
  assert.throws(() => loadConfig({ configPath: '/definitely/not/here', env: {} }), /does not exist/);
  assert.throws(
    () => loadConfig({ env: {}, flags: { serverPort: '7000', httpPort: '7000' } }),
    /httpPort 7000 equals serverPort/,
  );
});
