// The open data files of a vnode and, per table, their blocks ordered by time: what reads
// and compaction see. Files removed by compaction or retention are unlinked at once but their
// descriptors stay open a while, so a scan already under way can finish reading them.
import * as fs from 'node:fs';
import { DataFileReader, type BlockMeta } from './data-file.js';
import type { ManifestFile } from './manifest.js';

export interface FileHandle extends ManifestFile { readonly reader: DataFileReader }
export interface BlockRef { readonly file: FileHandle; readonly b: BlockMeta }

const RETIRED_CLOSE_DELAY_MS = 60_000;

export class FileView {
  readonly files = new Map<string, FileHandle>();
  private readonly byTable = new Map<number, BlockRef[]>();
  private readonly retired = new Set<DataFileReader>();
  private rows = 0;

  constructor(readonly dataDir: string) {}

  /** Opens the manifest's files; files the manifest does not name (a crash mid-flush) are deleted. */
  load(list: readonly ManifestFile[]): void {
    const keep = new Set(list.map((f) => f.name));
    for (const n of fs.readdirSync(this.dataDir)) if (!keep.has(n)) fs.unlinkSync(`${this.dataDir}/${n}`);
    this.add(list);
  }

  add(list: readonly ManifestFile[]): void {
    const touched = new Set<number>();
    for (const f of list) {
      const h: FileHandle = { ...f, reader: new DataFileReader(`${this.dataDir}/${f.name}`) };
      this.files.set(f.name, h);
      for (const b of h.reader.blocks) {
        let refs = this.byTable.get(b.uid);
        if (!refs) { refs = []; this.byTable.set(b.uid, refs); }
        refs.push({ file: h, b });
        touched.add(b.uid);
        this.rows += b.rows;
      }
    }
    for (const uid of touched) this.byTable.get(uid)!.sort((x, y) => x.b.minTs - y.b.minTs || x.file.seq - y.file.seq);
  }

  replace(removed: readonly string[], added: readonly ManifestFile[]): void {
    const gone = new Set(removed);
    const touched = new Set<number>();
    for (const n of removed) {
      const h = this.files.get(n);
      if (!h) continue;
      this.files.delete(n);
      for (const b of h.reader.blocks) { touched.add(b.uid); this.rows -= b.rows; }
      fs.unlinkSync(h.reader.path);
      this.retired.add(h.reader);
      setTimeout(() => { if (this.retired.delete(h.reader)) h.reader.close(); }, RETIRED_CLOSE_DELAY_MS).unref();
    }
    for (const uid of touched) {
      const refs = this.byTable.get(uid)!.filter((r) => !gone.has(r.file.name));
      if (refs.length > 0) this.byTable.set(uid, refs); else this.byTable.delete(uid);
    }
    this.add(added);
  }

  /** Blocks of a table, by min timestamp then file age. */
  blocksOf(uid: number): readonly BlockRef[] { return this.byTable.get(uid) ?? []; }

  tableUids(): IterableIterator<number> { return this.byTable.keys(); }

  totalRows(): number { return this.rows; }

  closeAll(): void {
    for (const h of this.files.values()) h.reader.close();
    for (const r of this.retired) r.close();
    this.retired.clear();
  }
}
