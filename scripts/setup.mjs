#!/usr/bin/env node
// Sets the checkout up when needed, with no dependency of its own: `npm ci` when
// node_modules does not match package-lock.json, then an incremental `tsc` build.
// `npm start` and `npm test` call it first, so a fresh clone needs only Node.js >= 20.
// Dependencies install without their install scripts: the only package that has one is
// better-sqlite3 (the SQLite oracle of the differential test), whose C build takes about three
// minutes here; `--with-test-deps` (npm test) builds it once, and `npm start` never waits for it.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const lockPath = join(root, 'package-lock.json');
const stampPath = join(root, 'node_modules', '.basalt-lock-sha256');

function fail(message) {
  process.stderr.write(`basalt setup: ${message}\n`);
  process.exit(1);
}

const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const withTestDeps = process.argv.includes('--with-test-deps');

const [major] = process.versions.node.split('.').map(Number);
if (major < 20) fail(`Node.js ${process.versions.node} is too old; install Node.js 20 or newer.`);
if (!existsSync(lockPath)) fail('package-lock.json is missing; restore it from git (git checkout package-lock.json).');

const lockHash = createHash('sha256').update(readFileSync(lockPath)).digest('hex');
const installed = existsSync(stampPath) ? readFileSync(stampPath, 'utf8').trim() : '';
if (installed !== lockHash) {
  process.stderr.write('basalt setup: installing dependencies (npm ci --ignore-scripts)...\n');
  const r = spawnSync(npm, ['ci', '--no-audit', '--no-fund', '--ignore-scripts'], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) fail(`npm ci failed (exit ${r.status}); see the output above.`);
  writeFileSync(stampPath, lockHash + '\n');
}

const sqliteBinary = join(root, 'node_modules', 'better-sqlite3', 'build', 'Release', 'better_sqlite3.node');
if (withTestDeps && !existsSync(sqliteBinary)) {
  process.stderr.write(
    'basalt setup: building better-sqlite3 for the SQLite differential test (C, about 3 minutes; once per install)...\n',
  );
  const t0 = Date.now();
  const r = spawnSync(npm, ['rebuild', 'better-sqlite3', '--no-audit', '--no-fund'], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0 || !existsSync(sqliteBinary))
    fail(
      `building better-sqlite3 failed (exit ${r.status}); it needs a C++ compiler, make and python3 (apt-get install build-essential python3)`,
    );
  process.stderr.write(`basalt setup: better-sqlite3 built in ${((Date.now() - t0) / 1000).toFixed(0)}s\n`);
}

const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
if (!existsSync(join(root, 'dist', '.tsbuildinfo')))
  process.stderr.write('basalt setup: building (tsc, the first build takes about 15 s)...\n');
const t0 = Date.now();
const r = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.json')], { cwd: root, stdio: 'inherit' });
if (r.status !== 0) fail('the TypeScript build failed; see the errors above.');
if (Date.now() - t0 > 3000) process.stderr.write(`basalt setup: built in ${((Date.now() - t0) / 1000).toFixed(1)}s\n`);

// tsc never deletes what it emitted for a source that was moved or removed; a stale compiled
// test would still run (and pass against stale code), so outputs without a source go.
function pruneStale(dir) {
  if (!existsSync(dir)) return 0;
  let removed = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const full = join(dir, e.name);
    if (e.isDirectory()) {
      removed += pruneStale(full);
      continue;
    }
    const m = /^(.*)\.js(\.map)?$/.exec(e.name);
    if (m === null) continue;
    const src = join(root, relative(join(root, 'dist'), dir), m[1] + '.ts');
    if (!existsSync(src)) {
      rmSync(full);
      removed++;
    }
  }
  return removed;
}
for (const top of ['src', 'test', 'bench']) pruneStale(join(root, 'dist', top));
