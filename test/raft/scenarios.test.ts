// Goal: pin down the exact message-level behaviour of the tricky Raft cases (paper Figures 7
// and 8, PreVote, CheckQuorum, ReadIndex, learners and snapshots, leader removal, transfer).
// Method: each test/raft/scenarios/*.txt file is a '#' header saying what the scenario shows,
// then commands ("> cmd") each followed by the trace it must produce. UPDATE=1 rewrites the
// traces after an intended behaviour change (review the diff!).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ScenarioHarness } from './scenario-harness.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const dir = join(root, 'test', 'raft', 'scenarios');

function execute(text: string): string {
  const lines = text.split('\n');
  const out: string[] = [];
  let k = 0;
  for (; k < lines.length && !lines[k]!.startsWith('>'); k++) out.push(lines[k]!);
  const h = new ScenarioHarness();
  for (; k < lines.length; k++) {
    const line = lines[k]!;
    if (line.startsWith('>')) {
      out.push(line);
      for (const l of h.run(line.slice(1))) out.push(l);
    } else if (line.startsWith('#') || (line === '' && lines[k + 1]?.startsWith('#'))) {
      out.push(line);
    }
  }
  while (out.length > 0 && out[out.length - 1] === '') out.pop();
  return out.join('\n') + '\n';
}

const files = readdirSync(dir)
  .filter((f) => f.endsWith('.txt'))
  .sort();

test('there are scenario files', () => {
  assert.ok(files.length >= 7, `found ${files.length}`);
});

for (const file of files) {
  test(`scenario ${file}`, () => {
    const path = join(dir, file);
    const text = readFileSync(path, 'utf8');
    const header = text.split('\n')[0] ?? '';
    assert.ok(header.startsWith('#'), `${file} must open with a comment saying what it shows`);
    const actual = execute(text);
    if (process.env['UPDATE'] === '1') writeFileSync(path, actual);
    else assert.equal(actual, text, `trace of ${file} changed; rerun with UPDATE=1 if intended`);
  });
}
