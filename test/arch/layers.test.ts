// The layer rule of docs/architecture.md, enforced on the source tree (src/**/*.ts).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  checkImports,
  formatViolation,
  parseLayerTable,
  readSources,
  sourceFolders,
  type SourceFile,
} from './layer-check.js';

// dist/test/arch/ -> repository root
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const table = readFileSync(join(root, 'docs', 'architecture.md'), 'utf8');

test('every import under src/ follows the layer table of docs/architecture.md', () => {
  const rules = parseLayerTable(table);
  const missing = sourceFolders(root).filter((f) => !rules.has(f));
  assert.deepEqual(
    missing,
    [],
    `src/ folders without a row in the layer table of docs/architecture.md: ${missing.join(', ')}`,
  );
  const files = readSources(root);
  assert.ok(files.length > 100, `read ${files.length} source files`);
  const { violations } = checkImports(files, rules);
  assert.equal(
    violations.length,
    0,
    `imports that break the layer rule:\n${violations.map(formatViolation).join('\n')}`,
  );
});

test('the checker catches upward, sideways, dynamic and re-export imports, and leaves allowed ones alone', () => {
  const rules = parseLayerTable(table);
  const files: SourceFile[] = [
    {
      path: 'src/client/a.ts',
      text: "import { x } from '../vnode/routing.js';\nimport type { Y } from '../rpc/client.js';\n",
    },
    {
      path: 'src/query/b.ts',
      text: "// a comment\nimport {\n  Catalog,\n} from '../engine/catalog.js';\nimport { z } from '../common/errors.js';\n",
    },
    {
      path: 'src/storage/c.ts',
      text: "export { w } from '../raft/index.js';\nconst m = await import('../sql/parser.js');\n",
    },
    {
      path: 'src/common/d.ts',
      text: "import { q } from '../storage/api.js';\nimport { r } from './errors.js';\nimport { readFileSync } from 'node:fs';\n",
    },
    {
      path: 'src/engine/e.ts',
      text: "import { s } from '../query/select/index.js';\nimport '../vnode/vnode-set.js';\n",
    },
  ];
  const { violations } = checkImports(files, rules);
  assert.deepEqual(
    violations.map((v) => `${v.file}:${v.line} -> ${v.target}`),
    [
      'src/client/a.ts:1 -> src/vnode/routing.js',
      'src/query/b.ts:2 -> src/engine/catalog.js',
      'src/storage/c.ts:1 -> src/raft/index.js',
      'src/storage/c.ts:2 -> src/sql/parser.js',
      'src/common/d.ts:1 -> src/storage/api.js',
    ],
  );
  assert.match(
    formatViolation(violations[0]!),
    /^src\/client\/a\.ts:1 imports src\/vnode\/routing\.js: client may import sql, rpc \(docs\/architecture\.md\)$/,
  );
  const unknown = checkImports([{ path: 'src/newlayer/x.ts', text: '' }], rules).unknownFolders;
  assert.deepEqual(unknown, ['newlayer']);
});

test('the table parser refuses a table without markers or with a folder twice', () => {
  assert.throws(
    () => parseLayerTable('| folder | may import |\n|---|---|\n| a | b |\n'),
    /between <!-- layers:begin -->/,
  );
  assert.throws(() => parseLayerTable('<!-- layers:begin -->\n| a | b |\n| a | c |\n<!-- layers:end -->'), /two rows/);
  const rules = parseLayerTable(
    '<!-- layers:begin -->\n| folder | may import |\n|---|---|\n| a | b, c |\n| b | — |\n<!-- layers:end -->',
  );
  assert.deepEqual([...rules.get('a')!], ['b', 'c']);
  assert.deepEqual([...rules.get('b')!], []);
});
