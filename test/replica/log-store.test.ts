// The LogStore conformance suite against both implementations.
import { MemoryLogStore, type LogStore } from '../../src/raft/index.js';
import { WalLogStore } from '../../src/replica/wal-log-store.js';
import { tempDir } from './harness.js';
import { logStoreConformance } from './log-store-conformance.js';

logStoreConformance('MemoryLogStore', {
  create: async () => new MemoryLogStore(),
  cleanup: async () => undefined,
});

let tmp: ReturnType<typeof tempDir> | undefined;
let open: WalLogStore | undefined;
logStoreConformance('WalLogStore', {
  create: async () => {
    tmp = tempDir('logstore');
    // Small segments and a tiny cache, so reads and compaction go through the files.
    open = WalLogStore.open(tmp.dir, { segmentBytes: 512, maxCachedBytes: 200 });
    return open;
  },
  reopen: async (s: LogStore) => {
    const w = s as WalLogStore;
    await w.sync();
    await w.close();
    open = WalLogStore.open(tmp!.dir, { segmentBytes: 512, maxCachedBytes: 200 });
    return open;
  },
  cleanup: async () => {
    await open?.close();
    tmp?.remove();
  },
});
