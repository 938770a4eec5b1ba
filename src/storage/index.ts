// Entry point of the storage engine. See api.ts for the contract and docs/storage-format.md
// for the on-disk format.
import type { VnodeOptions } from './api.js';
import { LocalVnodeStore, type StoreMode } from './store.js';

export type * from './api.js';
export { LocalVnodeStore, type StoreMode } from './store.js';
export { encodeMetaPayload, encodeWritePayload, decodePayload, rememberDecoded, type Payload } from './payload.js';
export type { MetaOp } from './meta.js';
export { MetaMutations } from './meta-mutations.js';
export { Wal, type WalEntry, type WalOptions } from './wal.js';
export { installSnapshot, type SnapshotInfo } from './snapshot.js';

/** Opens (creating the directory if missing) and recovers the vnode store in `dir`. */
export function openVnodeStore(dir: string, options: VnodeOptions, mode: StoreMode = {}): Promise<LocalVnodeStore> {
  return LocalVnodeStore.open(dir, options, mode);
}
