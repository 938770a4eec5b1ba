// Reads the layer table of docs/architecture.md and checks every relative import under src/
// against it. Pure functions over file text, so the checker itself can be tested on a
// made-up tree.
import { readdirSync, readFileSync } from 'node:fs';
import { join, normalize, relative, sep } from 'node:path';

export type LayerRules = ReadonlyMap<string, ReadonlySet<string>>;

const BEGIN = '<!-- layers:begin -->';
const END = '<!-- layers:end -->';
/** Open to every folder (and importing no other). */
const OPEN = 'common';

/** The table between the layers markers: `| folder | may import |` rows. */
export function parseLayerTable(markdown: string): LayerRules {
  const from = markdown.indexOf(BEGIN);
  const to = markdown.indexOf(END);
  if (from < 0 || to < from)
    throw new Error(`docs/architecture.md: the layer table must sit between ${BEGIN} and ${END}`);
  const rules = new Map<string, Set<string>>();
  for (const line of markdown.slice(from + BEGIN.length, to).split('\n')) {
    const cells = line.split('|').map((c) => c.trim());
    // ['', folder, imports, ''] for a table row; skip the header and its rule.
    if (cells.length < 4 || cells[1] === 'folder' || /^-+$/.test(cells[1]!)) continue;
    const folder = cells[1]!;
    const allowed = cells[2] === '—' || cells[2] === '' ? [] : cells[2]!.split(',').map((s) => s.trim());
    if (rules.has(folder)) throw new Error(`docs/architecture.md: folder '${folder}' has two rows in the layer table`);
    rules.set(folder, new Set(allowed));
  }
  if (rules.size === 0) throw new Error('docs/architecture.md: the layer table has no rows');
  return rules;
}

export interface SourceFile {
  /** Path relative to the repository root, with '/' separators: `src/client/connection.ts`. */
  readonly path: string;
  readonly text: string;
}

export interface Violation {
  readonly file: string;
  readonly line: number;
  readonly target: string;
  readonly rule: string;
}

// Static imports and re-exports (`import … from '…'`, `export … from '…'`, `import '…'`) and
// dynamic `import('…')`; type-only imports count like any other.
const IMPORT_RE =
  /(?:^|[\s;])(?:import|export)\s[^'"`;]*?\bfrom\s*(['"])([^'"]+)\1|(?:^|[\s;])import\s*(['"])([^'"]+)\3|\bimport\s*\(\s*(['"])([^'"]+)\5\s*\)/g;

function folderOf(path: string): string | null {
  const parts = path.split('/');
  return parts[0] === 'src' && parts.length > 2 ? parts[1]! : null;
}

export function checkImports(
  files: readonly SourceFile[],
  rules: LayerRules,
): { violations: Violation[]; unknownFolders: string[] } {
  const violations: Violation[] = [];
  const unknown = new Set<string>();
  for (const f of files) {
    const from = folderOf(f.path);
    if (from === null) continue;
    if (!rules.has(from)) {
      unknown.add(from);
      continue;
    }
    const allowed = rules.get(from)!;
    IMPORT_RE.lastIndex = 0;
    for (let m = IMPORT_RE.exec(f.text); m !== null; m = IMPORT_RE.exec(f.text)) {
      const spec = m[2] ?? m[4] ?? m[6]!;
      if (!spec.startsWith('.')) continue; // node: builtins and packages
      const dir = f.path.split('/').slice(0, -1).join('/');
      const target = normalize(join(dir, spec)).split(sep).join('/');
      const to = folderOf(target);
      const line = f.text.slice(0, m.index).split('\n').length + (f.text[m.index] === '\n' ? 1 : 0);
      if (to === null) {
        violations.push({ file: f.path, line, target, rule: `src/${from} may import only inside src/` });
        continue;
      }
      if (to === from) continue;
      if (to === OPEN && from !== OPEN) continue;
      if (!allowed.has(to)) {
        const list = [...allowed].join(', ') || 'nothing but common';
        violations.push({ file: f.path, line, target, rule: `${from} may import ${list} (docs/architecture.md)` });
      }
    }
  }
  return { violations, unknownFolders: [...unknown].sort() };
}

/** Every .ts file under `root`/src, as SourceFiles. */
export function readSources(root: string): SourceFile[] {
  const out: SourceFile[] = [];
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const full = join(dir, e.name);
      if (e.isDirectory()) walk(full);
      else if (e.name.endsWith('.ts'))
        out.push({ path: relative(root, full).split(sep).join('/'), text: readFileSync(full, 'utf8') });
    }
  };
  walk(join(root, 'src'));
  return out;
}

/** Folders directly under src/ (every one needs a row in the table, even one with no .ts yet). */
export function sourceFolders(root: string): string[] {
  return readdirSync(join(root, 'src'), { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
}

export function formatViolation(v: Violation): string {
  return `${v.file}:${v.line} imports ${v.target}: ${v.rule}`;
}
