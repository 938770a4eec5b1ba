#!/usr/bin/env node
// Runs the compiled test files of `npm test` with Node's built-in test runner.
// Usage: node scripts/run-tests.mjs [folder-under-test ...]   (default: every folder)
// Long suites (crash loops, 20,000 simulator seeds, chaos, scale) are separate npm
// scripts; their files end in `.long.test.js` and are skipped here.
import { readdirSync, statSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const testRoot = join(root, 'dist', 'test');
const only = process.argv.slice(2);

function collect(dir, out) {
  for (const name of readdirSync(dir).sort()) {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) collect(full, out);
    else if (name.endsWith('.test.js') && !name.endsWith('.long.test.js')) out.push(full);
  }
  return out;
}

let files = collect(testRoot, []);
if (only.length > 0) files = files.filter((f) => only.some((o) => relative(testRoot, f).startsWith(o)));
if (files.length === 0) {
  process.stderr.write('run-tests: no test files found under dist/test\n');
  process.exit(1);
}
const r = spawnSync(process.execPath, ['--test', '--test-concurrency=2', ...files], { cwd: root, stdio: 'inherit' });
process.exit(r.status ?? 1);
