// The vnodes this dnode hosts: one VnodeStore per vgroup under dataDir/vnode/vnode<vgId>/,
// opened with its database's options through the OpenStore callback the engine passes: a
// local store for a replica-1 vgroup, or this dnode's replica of a replicated vgroup (a
// ReplicatedVnode, leader or follower of its Raft group). Vgroups with no replica on this
// dnode (RemoteVnode views) are not held here: the engine keeps those itself.
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { assert } from '../common/assert.js';
import type { VnodeOptions, VnodeStore } from '../storage/api.js';

export type OpenStore = (dir: string, options: VnodeOptions) => Promise<VnodeStore> | VnodeStore;

export class VnodeSet {
  private readonly stores = new Map<number, VnodeStore>();
  private readonly root: string;
  private readonly openStore: OpenStore;

  constructor(dataDir: string, openStore: OpenStore) {
    this.root = join(dataDir, 'vnode');
    this.openStore = openStore;
    mkdirSync(this.root, { recursive: true });
  }

  dirOf(vgId: number): string {
    return join(this.root, `vnode${vgId}`);
  }

  async open(vgId: number, options: VnodeOptions): Promise<VnodeStore> {
    const have = this.stores.get(vgId);
    if (have) return have;
    const store = await this.openStore(this.dirOf(vgId), options);
    this.stores.set(vgId, store);
    return store;
  }

  /** Closes and opens again with new options (alter database). */
  async reopen(vgId: number, options: VnodeOptions): Promise<VnodeStore> {
    const s = this.stores.get(vgId);
    this.stores.delete(vgId);
    if (s) await s.close();
    return this.open(vgId, options);
  }

  get(vgId: number): VnodeStore {
    const s = this.stores.get(vgId);
    assert(s !== undefined, `vnode ${vgId} is not open`);
    return s;
  }

  has(vgId: number): boolean {
    return this.stores.has(vgId);
  }

  /** Closes the vnode and deletes its directory (drop database). */
  async drop(vgId: number): Promise<void> {
    const s = this.stores.get(vgId);
    this.stores.delete(vgId);
    if (s) await s.close();
    rmSync(this.dirOf(vgId), { recursive: true, force: true });
  }

  /** vgIds with a directory on disk (to clean up vnodes a crash left behind a drop). */
  onDisk(): number[] {
    if (!existsSync(this.root)) return [];
    const out: number[] = [];
    for (const name of readdirSync(this.root)) {
      const m = /^vnode(\d+)$/.exec(name);
      if (m) out.push(Number(m[1]));
    }
    return out;
  }

  openIds(): number[] {
    return [...this.stores.keys()].sort((a, b) => a - b);
  }

  async closeAll(): Promise<void> {
    const all = [...this.stores.values()];
    this.stores.clear();
    for (const s of all) await s.close();
  }
}
