// Safety properties checked as the simulation runs (Raft paper Figure 3 plus extras). Each
// check is incremental so that checking after every step stays cheap.
import type { Entry, NodeId } from '../../src/raft/types.js';

export class SimViolation extends Error {
  override name = 'SimViolation';
}

function fail(message: string): never {
  throw new SimViolation(message);
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

interface CommittedEntry {
  readonly term: number;
  readonly type: Entry['type'];
  readonly data: Uint8Array;
  /** The smallest term of a node that was seen holding it as committed (≥ the committing leader's term). */
  knownAtTerm: number;
}

export class SimChecker {
  private readonly leaderOfTerm = new Map<number, NodeId>();
  /** Index → the entry every replica must commit and apply there. */
  private readonly committed: (CommittedEntry | undefined)[] = [];
  /** (index, term) → entry contents and the previous entry's term, for Log Matching. */
  private readonly persisted = new Map<string, { data: Uint8Array; prevTerm: number | undefined }>();
  /** Effective command order: position → clientId * 2^32 + seq. */
  private readonly effective: number[] = [];
  readonly effectivePosition = new Map<number, number>();

  leaderElected(
    id: NodeId,
    term: number,
    termAt: (i: number) => number | undefined,
    firstIndex: number,
    lastIndex: number,
  ): boolean {
    const prev = this.leaderOfTerm.get(term);
    if (prev !== undefined) {
      if (prev !== id) fail(`election safety: nodes ${prev} and ${id} both leaders of term ${term}`);
      return false;
    }
    this.leaderOfTerm.set(term, id);
    // Leader completeness: every entry committed in an earlier term is in the new leader's log.
    for (let i = Math.max(1, firstIndex); i < this.committed.length; i++) {
      const c = this.committed[i];
      if (!c || c.knownAtTerm >= term) continue;
      if (i > lastIndex)
        fail(`leader completeness: leader ${id} of term ${term} lacks committed index ${i} (last ${lastIndex})`);
      const t = termAt(i);
      if (t !== c.term)
        fail(
          `leader completeness: leader ${id} of term ${term} has term ${t} at committed index ${i}, expected ${c.term}`,
        );
    }
    return true;
  }

  entryCommitted(node: NodeId, nodeTerm: number, e: Entry): void {
    const c = this.committed[e.index];
    if (!c) {
      this.committed[e.index] = { term: e.term, type: e.type, data: e.data, knownAtTerm: nodeTerm };
      return;
    }
    if (c.term !== e.term || c.type !== e.type || !sameBytes(c.data, e.data)) {
      fail(
        `state machine safety: node ${node} committed (${e.index}, term ${e.term}) but (${e.index}, term ${c.term}) was committed before`,
      );
    }
    if (nodeTerm < c.knownAtTerm) c.knownAtTerm = nodeTerm;
  }

  entryApplied(node: NodeId, e: Entry): void {
    const c = this.committed[e.index];
    if (!c) fail(`node ${node} applied index ${e.index} before anyone committed it`);
    if (c.term !== e.term || !sameBytes(c.data, e.data)) {
      fail(`state machine safety: node ${node} applied (${e.index}, term ${e.term}) ≠ committed term ${c.term}`);
    }
  }

  entryPersisted(node: NodeId, e: Entry, prevTerm: number | undefined): void {
    const key = `${e.index}/${e.term}`;
    const p = this.persisted.get(key);
    if (!p) {
      this.persisted.set(key, { data: e.data, prevTerm });
      return;
    }
    if (!sameBytes(p.data, e.data))
      fail(`log matching: node ${node} has different data at (${e.index}, term ${e.term})`);
    if (prevTerm !== undefined && p.prevTerm !== undefined && prevTerm !== p.prevTerm) {
      fail(
        `log matching: node ${node} has term ${prevTerm} before (${e.index}, ${e.term}), another node has ${p.prevTerm}`,
      );
    }
    if (p.prevTerm === undefined) p.prevTerm = prevTerm;
  }

  /** A command took effect at a replica's effective position (1-based): same everywhere. */
  commandEffective(node: NodeId, position: number, key: number): void {
    const prev = this.effective[position];
    if (prev === undefined) {
      this.effective[position] = key;
      if (this.effectivePosition.has(key)) fail(`exactly once: command ${key} took effect twice`);
      this.effectivePosition.set(key, position);
    } else if (prev !== key) {
      fail(`apply order: node ${node} applied command ${key} at position ${position}, others applied ${prev}`);
    }
  }

  leaders(): number {
    return this.leaderOfTerm.size;
  }
  committedCount(): number {
    return this.committed.length - 1;
  }
}
