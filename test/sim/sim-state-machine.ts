// The replicated state machine of the simulator: a client session table that applies each
// (clientId, seq) at most once, as a real database's dedup table would, plus a hash chain
// over the effective commands so that two replicas' states compare in O(1).
import { assert } from '../../src/common/assert.js';

export function encodeCommand(clientId: number, seq: number): Uint8Array {
  const b = new Uint8Array(8);
  const v = new DataView(b.buffer);
  v.setUint32(0, clientId);
  v.setUint32(4, seq);
  return b;
}

export function decodeCommand(data: Uint8Array): { clientId: number; seq: number } {
  assert(data.length === 8, `command must be 8 bytes, got ${data.length}`);
  const v = new DataView(data.buffer, data.byteOffset, 8);
  return { clientId: v.getUint32(0), seq: v.getUint32(4) };
}

export class SimStateMachine {
  appliedIndex = 0;
  /** Commands that took effect (duplicates excluded). */
  effectiveCount = 0;
  hash = 0;
  readonly lastSeq = new Map<number, number>();

  /** Applies one command; returns its effective position (1-based) or 0 for a duplicate. */
  applyCommand(index: number, clientId: number, seq: number): number {
    this.appliedIndex = index;
    const last = this.lastSeq.get(clientId) ?? 0;
    if (seq <= last) return 0;
    // Clients send seq n+1 only after n was acknowledged, so a gap means a lost write.
    assert(seq === last + 1, `client ${clientId}: seq ${seq} applied after ${last} (acknowledged write lost)`);
    this.lastSeq.set(clientId, seq);
    this.effectiveCount++;
    this.hash = (Math.imul(this.hash ^ (clientId * 65599 + seq), 0x01000193) + this.effectiveCount) >>> 0;
    return this.effectiveCount;
  }

  skip(index: number): void {
    this.appliedIndex = index;
  }

  serialize(padBytes: number): Uint8Array {
    const pairs = [...this.lastSeq.entries()].sort((a, b) => a[0] - b[0]);
    const b = new Uint8Array(16 + pairs.length * 8 + padBytes);
    const v = new DataView(b.buffer);
    v.setUint32(0, this.appliedIndex);
    v.setUint32(4, this.effectiveCount);
    v.setUint32(8, this.hash);
    v.setUint32(12, pairs.length);
    pairs.forEach(([c, s], k) => {
      v.setUint32(16 + k * 8, c);
      v.setUint32(20 + k * 8, s);
    });
    return b;
  }

  static deserialize(data: Uint8Array): SimStateMachine {
    const sm = new SimStateMachine();
    if (data.length === 0) return sm;
    const v = new DataView(data.buffer, data.byteOffset, data.length);
    sm.appliedIndex = v.getUint32(0);
    sm.effectiveCount = v.getUint32(4);
    sm.hash = v.getUint32(8);
    const n = v.getUint32(12);
    for (let k = 0; k < n; k++) sm.lastSeq.set(v.getUint32(16 + k * 8), v.getUint32(20 + k * 8));
    return sm;
  }
}
