#!/usr/bin/env node
// Runs the compiled test files of `npm test` with Node's built-in test runner.
// Usage: node scripts/run-tests.mjs [folder-under-test ...]   (default: every folder)
// With no folder (that is, `npm test`) Biome checks lint and formatting first (`npm run lint`;
// `npm run format` rewrites), and any error stops the run before a test starts; with folders
// only the tests run.
// Long suites (crash loops, 20,000 simulator seeds, chaos, scale) are separate npm
// scripts; their files end in `.long.test.js` and are skipped here.
import { existsSync, readdirSync, statSync } from 'node:fs';
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

// One line per finding (× error, ! warning such as a function over 70 lines), with file:line:col.
function lint() {
  const biome = join(root, 'node_modules', '@biomejs', 'biome', 'bin', 'biome');
  if (!existsSync(biome)) {
    process.stderr.write(
      'run-tests: Biome is not installed (node_modules/@biomejs/biome); run npm ci (npm test does)\n',
    );
    process.exit(1);
  }
  // `check` = lint + formatting (+ import order is off in biome.jsonc): one pass, ~1 s.
  const args = ['check', '--reporter=concise', '--max-diagnostics=none', 'src', 'test', 'bench', 'scripts'];
  const r = spawnSync(process.execPath, [biome, ...args], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    process.stderr.write(
      `run-tests: lint or format check failed (biome exit ${r.status ?? r.signal}): fix the errors marked × above ` +
        '(`npm run lint` shows them in context; `npm run format` fixes formatting); no test was run\n',
    );
    process.exit(1);
  }
}

if (only.length === 0) lint();
let files = collect(testRoot, []);
if (only.length > 0) files = files.filter((f) => only.some((o) => relative(testRoot, f).startsWith(o)));
if (files.length === 0) {
  process.stderr.write('run-tests: no test files found under dist/test\n');
  process.exit(1);
}
const r = spawnSync(process.execPath, ['--test', '--test-concurrency=2', ...files], { cwd: root, stdio: 'inherit' });
process.exit(r.status ?? 1);
