// The dnode's own corner of dataDir: creates the directory on first start, proves it is
// writable before anything else touches it, and keeps dnode/dnode.json (identity and
// format version). A dataDir written by another format version is refused, never rewritten.
import { randomUUID } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BasaltError } from '../common/errors.js';

export const DATA_FORMAT_VERSION = 1;

export interface DnodeIdentity {
  readonly formatVersion: number;
  readonly dnodeId: number;
  readonly clusterId: string;
  readonly endpoint: string;
  readonly createdAtMs: number;
}

function unwritable(dir: string, e: unknown): never {
  const code = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
  throw new BasaltError('DATA_DIR_UNWRITABLE', `dataDir ${dir} cannot be written (${code}); fix its permissions or set dataDir to a writable directory`);
}

/** Creates dataDir if needed and checks that files can be created and synced in it. */
export function ensureWritableDir(dir: string): void {
  try { mkdirSync(dir, { recursive: true }); } catch (e) { unwritable(dir, e); }
  const probe = join(dir, `.write-probe-${process.pid}`);
  try {
    const fd = openSync(probe, 'w');
    try { writeFileSync(fd, 'ok'); fsyncSync(fd); } finally { closeSync(fd); }
    rmSync(probe, { force: true });
  } catch (e) { unwritable(dir, e); }
}

/** Reads dnode/dnode.json, or writes it on first start. */
export function loadOrCreateIdentity(dataDir: string, endpoint: string): { identity: DnodeIdentity; created: boolean } {
  const dir = join(dataDir, 'dnode');
  const file = join(dir, 'dnode.json');
  if (existsSync(file)) {
    let parsed: Partial<DnodeIdentity>;
    try { parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<DnodeIdentity>; }
    catch (e) { throw new BasaltError('FILE_CORRUPTED', `${file} is not valid JSON (${(e as Error).message}); restore it from a backup`); }
    if (parsed.formatVersion !== DATA_FORMAT_VERSION) {
      throw new BasaltError('DATA_DIR_INCOMPATIBLE', `${dataDir} was written by data format version ${String(parsed.formatVersion)}, this build reads version ${DATA_FORMAT_VERSION}; use a matching Basalt version or another dataDir`);
    }
    if (typeof parsed.dnodeId !== 'number' || typeof parsed.clusterId !== 'string') {
      throw new BasaltError('FILE_CORRUPTED', `${file} lacks dnodeId/clusterId; restore it from a backup`);
    }
    return { identity: parsed as DnodeIdentity, created: false };
  }
  try { mkdirSync(dir, { recursive: true }); } catch (e) { unwritable(dataDir, e); }
  const identity: DnodeIdentity = { formatVersion: DATA_FORMAT_VERSION, dnodeId: 1, clusterId: randomUUID(), endpoint, createdAtMs: Date.now() };
  const tmp = file + '.tmp';
  try {
    const fd = openSync(tmp, 'w');
    try { writeFileSync(fd, JSON.stringify(identity, null, 2) + '\n'); fsyncSync(fd); } finally { closeSync(fd); }
    renameSync(tmp, file);
  } catch (e) { unwritable(dataDir, e); }
  return { identity, created: true };
}
