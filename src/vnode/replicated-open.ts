// Adapts ReplicatedVnode to VnodeSet's OpenStore callback, so a dnode can host replicated
// vnodes with today's VnodeSet unchanged: VnodeSet names each directory vnode<vgId>, and the
// caller says, per vgroup, whether this replica is a founder (initial placement of create
// database: the voter list) or joins later (balance / drop dnode: undefined).
import { basename } from 'node:path';
import { BasaltError } from '../common/errors.js';
import type { NodeId } from '../raft/index.js';
import type { VnodeOptions } from '../storage/api.js';
import type { OpenStore } from './vnode-set.js';
import { ReplicatedVnode, type ReplicatedVnodeConfig } from './replicated-vnode.js';

export interface ReplicatedOpenerOptions extends Omit<ReplicatedVnodeConfig, 'vgId' | 'dir' | 'options' | 'founders'> {
  /**
   * The founding voters of a vgroup this replica helps create, or undefined for a replica
   * that joins an existing group (and for reopening at restart: an existing log ignores it).
   * Never pass founders to a replica that joined later: an empty joiner would bootstrap a
   * rival membership.
   */
  readonly foundersOf: (vgId: number) => readonly NodeId[] | undefined;
}

export function vgIdOfDir(dir: string): number {
  const m = /^vnode(\d+)$/.exec(basename(dir));
  if (!m) throw new BasaltError('INVALID_PARA', `'${dir}' is not a vnode directory (vnode<vgId>)`);
  return Number(m[1]);
}

export function replicatedStoreOpener(o: ReplicatedOpenerOptions): OpenStore {
  const { foundersOf, ...rest } = o;
  return (dir: string, options: VnodeOptions) => {
    const vgId = vgIdOfDir(dir);
    const founders = foundersOf(vgId);
    return ReplicatedVnode.open({ ...rest, vgId, dir, options, ...(founders ? { founders } : {}) });
  };
}
