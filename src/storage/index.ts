// Entry point of the storage engine. See api.ts for the contract and docs/storage-format.md
// for the on-disk format.
import type { VnodeOptions } from './api.js';
import { LocalVnodeStore } from './store.js';

export type * from './api.js';
export { LocalVnodeStore } from './store.js';
export { Wal, type WalEntry, type WalOptions } from './wal.js';
export { installSnapshot, type SnapshotInfo } from './snapshot.js';

/** Opens (creating the directory if missing) and recovers the vnode store in `dir`. */
export function openVnodeStore(dir: string, options: VnodeOptions): Promise<LocalVnodeStore> {
  return LocalVnodeStore.open(dir, options);
}
