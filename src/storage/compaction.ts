// Compaction, per file set (fid): when a fid has several files, blocks of dropped tables or
// columns, overlapping blocks or small blocks that could be merged, its files are rewritten
// into one. Tables whose blocks are already in order and full are copied as encoded bytes
// (CRCs re-checked); the others are merged (newest write of a timestamp wins) and re-cut into
// blocks of maxRows. A second run finds nothing to do.
import { allocData, type ColumnBlock, type ColumnVector, type NumberArray } from '../common/block.js';
import type { VnodeOptions } from './api.js';
import { DataFileWriter } from './data-file.js';
import type { BlockRef, FileView } from './file-view.js';
import { fsyncDir } from './fsutil.js';
import type { Manifest, ManifestFile } from './manifest.js';
import type { ColDef, Meta } from './meta.js';
import { scanTable, type ReadContext } from './read-path.js';

export interface CompactionResult {
  files: ManifestFile[];
  removed: string[];
  added: ManifestFile[];
  nextFileSeq: number;
}

function tableIsClean(refs: readonly BlockRef[], liveColIds: ReadonlySet<number>, minRows: number): boolean {
  for (let i = 0; i < refs.length; i++) {
    const b = refs[i]!.b;
    if (i > 0 && b.minTs <= refs[i - 1]!.b.maxTs) return false;
    if (i < refs.length - 1 && b.rows < minRows) return false;
    if (b.cols.some((c) => !liveColIds.has(c.colId))) return false;
  }
  return true;
}

export async function compactFileSets(
  view: FileView,
  meta: Meta,
  manifest: Manifest,
  dataDir: string,
  opts: VnodeOptions,
): Promise<CompactionResult | null> {
  let seq = manifest.nextFileSeq;
  const removed: string[] = [];
  const added: ManifestFile[] = [];
  for (const [fid, files] of [...filesByFid(manifest).entries()].sort((a, b) => a[0] - b[0])) {
    const names = new Set(files.map((f) => f.name));
    const perTable = blocksPerTable(view, files, names);
    if (!needsCompaction(files, perTable, meta, opts.minRows)) continue;
    const name = `f${fid}-${seq}.dat`;
    const fileSeq = seq++;
    const bytes = await rewriteFileSet(`${dataDir}/${name}`, perTable, meta, opts);
    if (bytes >= 0) added.push({ name, fid, seq: fileSeq, bytes });
    removed.push(...names);
  }
  if (removed.length === 0) return null;
  fsyncDir(dataDir);
  const gone = new Set(removed);
  return { files: [...manifest.files.filter((f) => !gone.has(f.name)), ...added], removed, added, nextFileSeq: seq };
}

/** The manifest's files, per fid. */
function filesByFid(manifest: Manifest): Map<number, ManifestFile[]> {
  const byFid = new Map<number, ManifestFile[]>();
  for (const f of manifest.files) {
    let l = byFid.get(f.fid);
    if (!l) {
      l = [];
      byFid.set(f.fid, l);
    }
    l.push(f);
  }
  return byFid;
}

/** Blocks of one fid (its files `files`, named `names`), per table (the view keeps them in time order). */
function blocksPerTable(
  view: FileView,
  files: readonly ManifestFile[],
  names: ReadonlySet<string>,
): Map<number, BlockRef[]> {
  const perTable = new Map<number, BlockRef[]>();
  for (const f of files)
    for (const b of view.files.get(f.name)!.reader.blocks) if (!perTable.has(b.uid)) perTable.set(b.uid, []);
  for (const uid of perTable.keys())
    perTable.set(
      uid,
      view.blocksOf(uid).filter((r) => names.has(r.file.name)),
    );
  return perTable;
}

/** Whether a fid is worth rewriting: several files, a dropped table, or a table that is not clean. */
function needsCompaction(
  files: readonly ManifestFile[],
  perTable: ReadonlyMap<number, readonly BlockRef[]>,
  meta: Meta,
  minRows: number,
): boolean {
  if (files.length > 1) return true;
  for (const [uid, refs] of perTable) {
    const t = meta.getByUid(uid);
    if (!t) return true;
    const live = new Set(meta.columnsOf(t).map((c) => c.colId));
    if (!tableIsClean(refs, live, minRows)) return true;
  }
  return false;
}

/**
 * Writes the live tables of one fid into the data file `path`, in uid order: clean tables as
 * copied blocks, the others merged and re-cut. Returns the file's bytes, or -1 when no block
 * was left (the file is not kept).
 */
async function rewriteFileSet(
  path: string,
  perTable: ReadonlyMap<number, readonly BlockRef[]>,
  meta: Meta,
  opts: VnodeOptions,
): Promise<number> {
  const w = new DataFileWriter(path);
  try {
    for (const uid of [...perTable.keys()].sort((a, b) => a - b)) {
      const t = meta.getByUid(uid);
      if (!t) continue; // dropped table: its blocks go away
      const refs = perTable.get(uid)!;
      const schema = meta.columnsOf(t);
      const live = new Set(schema.map((c) => c.colId));
      if (tableIsClean(refs, live, opts.minRows)) {
        for (const r of refs) w.copyBlock(r.file.reader, r.b);
        continue;
      }
      mergeTable(w, uid, t.name, schema, refs, meta, opts.maxRows);
      await new Promise<void>((r) => setImmediate(r));
    }
    let bytes = -1;
    if (w.blockCount() > 0) bytes = w.finish();
    else w.abort();
    return bytes;
  } catch (e) {
    w.abort();
    throw e;
  }
}

/** Merges one table's blocks through the read path restricted to them, re-cut into blocks of maxRows. */
function mergeTable(
  w: DataFileWriter,
  uid: number,
  table: string,
  schema: readonly ColDef[],
  refs: readonly BlockRef[],
  meta: Meta,
  maxRows: number,
): void {
  const sub = new SubView(refs);
  const ctx: ReadContext = {
    meta,
    mem: new Map(),
    imm: null,
    files: sub as unknown as FileView,
    maxRows,
  };
  const colIds = schema.map((c) => c.colId);
  const all = concatBlocks([
    ...scanTable(
      ctx,
      table,
      { from: -Infinity, to: Infinity },
      schema.map((_, i) => i),
    ),
  ]);
  for (let a = 0; a < all.numRows; a += maxRows)
    w.addBlock(uid, colIds, all.columns, a, Math.min(all.numRows, a + maxRows));
}

/** One block holding the rows of several (same-schema) blocks, so they can be re-cut evenly. */
function concatBlocks(blocks: readonly ColumnBlock[]): ColumnBlock {
  if (blocks.length === 1) return blocks[0]!;
  let n = 0;
  for (const b of blocks) n += b.numRows;
  const columns = (blocks[0]?.columns ?? []).map((c0, ci) => {
    const data = allocData(c0.type, n) as NumberArray;
    const anyNull = blocks.some((b) => b.columns[ci]!.nulls !== null);
    const nulls = anyNull ? new Uint8Array(n) : null;
    let at = 0;
    for (const b of blocks) {
      const c = b.columns[ci]!;
      if (Array.isArray(c.data)) for (let i = 0; i < b.numRows; i++) (data as unknown as string[])[at + i] = c.data[i]!;
      else data.set(c.data as NumberArray, at);
      if (nulls && c.nulls) nulls.set(c.nulls, at);
      at += b.numRows;
    }
    return { type: c0.type, data, nulls } as ColumnVector;
  });
  return { numRows: n, columns };
}

/** A FileView stand-in that shows only some blocks of one table. */
class SubView {
  constructor(private readonly refs: readonly BlockRef[]) {}
  blocksOf(): readonly BlockRef[] {
    return this.refs;
  }
  blocksIn(_uid: number, from: number, to: number): BlockRef[] {
    return this.refs.filter((r) => r.b.maxTs >= from && r.b.minTs <= to);
  }
  summaryOf(): null {
    return null;
  }
}
