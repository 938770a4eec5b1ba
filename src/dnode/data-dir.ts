// The dnode's own corner of dataDir: creates the directory on first start, proves it is
// writable before anything else touches it, and keeps dnode/dnode.json (identity and
// format version, cluster membership, see DnodeIdentity). A dataDir written by another format version is refused, never rewritten.
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BasaltError } from '../common/errors.js';
import { writeFileAtomicSync } from '../common/atomic-file.js';

export const DATA_FORMAT_VERSION = 1;

export interface DnodeIdentity {
  readonly formatVersion: number;
  readonly dnodeId: number;
  readonly clusterId: string;
  readonly endpoint: string;
  readonly createdAtMs: number;
  /** Set when the mnode said this dnode was dropped; it then refuses to start. */
  readonly dropped: boolean;
  /** Every dnode of the cluster as last told by the mnode. */
  readonly dnodeEps: readonly IdentityEndpoint[];
  /** The mnode endpoints; used instead of firstEp once joined. */
  readonly mnodeEps: readonly string[];
}

function unwritable(dir: string, e: unknown): never {
  const code = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
  throw new BasaltError(
    'DATA_DIR_UNWRITABLE',
    `dataDir ${dir} cannot be written (${code}); fix its permissions or set dataDir to a writable directory`,
  );
}

/** Creates dataDir if needed and checks that files can be created and synced in it. */
export function ensureWritableDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (e) {
    unwritable(dir, e);
  }
  const probe = join(dir, `.write-probe-${process.pid}`);
  try {
    const fd = openSync(probe, 'w');
    try {
      writeFileSync(fd, 'ok');
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    rmSync(probe, { force: true });
  } catch (e) {
    unwritable(dir, e);
  }
}

export interface IdentityEndpoint {
  readonly id: number;
  readonly ep: string;
}

/** Reads dnode/dnode.json; null when this dataDir is new. */
export function readIdentity(dataDir: string): DnodeIdentity | null {
  const file = join(dataDir, 'dnode', 'dnode.json');
  if (!existsSync(file)) return null;
  let parsed: Partial<DnodeIdentity>;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<DnodeIdentity>;
  } catch (e) {
    throw new BasaltError(
      'FILE_CORRUPTED',
      `${file} is not valid JSON (${(e as Error).message}); restore it from a backup`,
    );
  }
  if (parsed.formatVersion !== DATA_FORMAT_VERSION) {
    throw new BasaltError(
      'DATA_DIR_INCOMPATIBLE',
      `${dataDir} was written by data format version ${String(parsed.formatVersion)}, this build reads version ${DATA_FORMAT_VERSION}; use a matching Basalt version or another dataDir`,
    );
  }
  if (typeof parsed.dnodeId !== 'number' || typeof parsed.clusterId !== 'string') {
    throw new BasaltError('FILE_CORRUPTED', `${file} lacks dnodeId/clusterId; restore it from a backup`);
  }
  return {
    formatVersion: DATA_FORMAT_VERSION,
    dnodeId: parsed.dnodeId,
    clusterId: parsed.clusterId,
    endpoint: parsed.endpoint ?? '',
    createdAtMs: parsed.createdAtMs ?? Date.now(),
    dropped: parsed.dropped === true,
    dnodeEps: parsed.dnodeEps ?? [],
    mnodeEps: parsed.mnodeEps ?? [],
  };
}

/** Writes dnode/dnode.json atomically (temp file, fsync, rename, fsync the directory). */
export function writeIdentity(dataDir: string, identity: DnodeIdentity): void {
  const dir = join(dataDir, 'dnode');
  try {
    mkdirSync(dir, { recursive: true });
    writeFileAtomicSync(join(dir, 'dnode.json'), JSON.stringify(identity, null, 2) + '\n');
  } catch (e) {
    unwritable(dataDir, e);
  }
}

/** A not-yet-joined identity (dnodeId 0, no cluster). */
export function blankIdentity(endpoint: string): DnodeIdentity {
  return {
    formatVersion: DATA_FORMAT_VERSION,
    dnodeId: 0,
    clusterId: '',
    endpoint,
    createdAtMs: Date.now(),
    dropped: false,
    dnodeEps: [],
    mnodeEps: [],
  };
}

/**
 * This dnode's secrets (dataDir/dnode/*.key, mode 0600): the cluster secret every member
 * holds (peer authentication) and its own secret (proves its identity to the mnode leader).
 * Null before it joins.
 */
export interface DnodeSecrets {
  readonly clusterSecret: Buffer;
  readonly dnodeSecret: Buffer;
}

const CLUSTER_KEY = 'cluster.key';
const DNODE_KEY = 'dnode.key';
/** The founder's multi-use join token, for the operator to hand to new dnodes. */
export const JOIN_TOKEN_FILE = 'join-token';

function readKey(file: string): Buffer {
  const hex = readFileSync(file, 'utf8').trim();
  if (!/^[0-9a-f]{64}$/.test(hex))
    throw new BasaltError(
      'FILE_CORRUPTED',
      `${file} does not hold a 64-hex-digit key; restore it from a backup of this dnode`,
    );
  return Buffer.from(hex, 'hex');
}

export function readSecrets(dataDir: string): DnodeSecrets | null {
  const dir = join(dataDir, 'dnode');
  const c = join(dir, CLUSTER_KEY);
  const d = join(dir, DNODE_KEY);
  if (!existsSync(c) || !existsSync(d)) return null;
  return { clusterSecret: readKey(c), dnodeSecret: readKey(d) };
}

export function writeSecrets(dataDir: string, s: DnodeSecrets): void {
  const dir = join(dataDir, 'dnode');
  try {
    mkdirSync(dir, { recursive: true });
    writeFileAtomicSync(join(dir, CLUSTER_KEY), `${s.clusterSecret.toString('hex')}\n`, 0o600);
    writeFileAtomicSync(join(dir, DNODE_KEY), `${s.dnodeSecret.toString('hex')}\n`, 0o600);
  } catch (e) {
    unwritable(dataDir, e);
  }
}

export function writeJoinTokenFile(dataDir: string, token: string): string {
  const file = join(dataDir, 'dnode', JOIN_TOKEN_FILE);
  try {
    writeFileAtomicSync(file, `${token}\n`, 0o600);
  } catch (e) {
    unwritable(dataDir, e);
  }
  return file;
}
