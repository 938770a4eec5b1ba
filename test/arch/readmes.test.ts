// Every source folder has a README whose Boundaries section names an entry file that exists
// and says what the folder may import exactly as the layer table of docs/architecture.md.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parseLayerTable, sourceFolders } from './layer-check.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const rules = parseLayerTable(readFileSync(join(root, 'docs', 'architecture.md'), 'utf8'));

/** The backticked names after "- May import:" ('nothing' for an empty list). */
function mayImport(readme: string): string[] | null {
  const line = /^- May import: (.*)$/m.exec(readme)?.[1];
  if (line === undefined) return null;
  return [...line.matchAll(/`([^`]+)`/g)]
    .map((m) => m[1]!)
    .filter((n) => n !== 'nothing')
    .sort();
}

test('each src/ folder README has a Boundaries section that agrees with docs/architecture.md', () => {
  const problems: string[] = [];
  for (const folder of sourceFolders(root)) {
    const path = join(root, 'src', folder, 'README.md');
    if (!existsSync(path)) {
      problems.push(`src/${folder}/README.md is missing`);
      continue;
    }
    const text = readFileSync(path, 'utf8');
    if (!/^## Boundaries$/m.test(text)) problems.push(`src/${folder}/README.md has no '## Boundaries' section`);
    const entry = /^- Entry: `([^`]+)`/m.exec(text)?.[1];
    const hasCode = readdirSync(join(root, 'src', folder)).some((n) => n.endsWith('.ts'));
    if (entry === undefined) {
      // A folder with no code yet may say so instead of naming a file.
      if (hasCode || !/^- Entry: none\b/m.test(text))
        problems.push(`src/${folder}/README.md has no '- Entry:' line naming its entry file`);
    } else if (!existsSync(join(root, 'src', folder, entry)))
      problems.push(`src/${folder}/README.md names entry ${entry}, which does not exist`);
    const said = mayImport(text);
    const allowed = rules.get(folder);
    if (said === null) {
      problems.push(`src/${folder}/README.md has no '- May import:' line`);
      continue;
    }
    if (allowed === undefined) continue; // the layer test reports a folder missing from the table
    const want = (folder === 'common' ? [] : [...allowed, 'common']).sort();
    if (said.join(',') !== want.join(','))
      problems.push(
        `src/${folder}/README.md says it may import ${said.join(', ') || 'nothing'}; docs/architecture.md says ${want.join(', ') || 'nothing'}`,
      );
  }
  assert.deepEqual(problems, []);
});
