// Goal: one process hosts hundreds of groups, and idle groups cost one envelope per peer per
// round, not one message per group. Method: 3 hosts × 300 groups in memory; elect leaders
// spread over the hosts, count envelopes and coalesced heartbeats in idle rounds, then
// commit proposals in many groups at once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryLogStore } from '../../src/raft/log-store.js';
import { MultiRaft, type NodeEnvelope } from '../../src/raft/multi-raft.js';
import { Prng } from '../../src/raft/prng.js';

const GROUPS = 300;
const NODES = [1, 2, 3];

type Stores = Map<number, MemoryLogStore[]>;

function cluster(groups = GROUPS): { hosts: Map<number, MultiRaft>; stores: Stores } {
  const hosts = new Map<number, MultiRaft>();
  const stores: Stores = new Map();
  for (const id of NODES) {
    const host = new MultiRaft(id, 1000);
    const byGroup: MemoryLogStore[] = [];
    stores.set(id, byGroup);
    for (let g = 1; g <= groups; g++) {
      const store = MemoryLogStore.bootstrap(NODES);
      byGroup[g] = store;
      host.addGroup(g, { prng: new Prng(id * 100_000 + g) }, store);
    }
    hosts.set(id, host);
  }
  return { hosts, stores };
}

/** One round: every host persists its Ready and sends envelopes; then all are delivered. */
function round(hosts: Map<number, MultiRaft>, stores: Stores, tick: boolean): NodeEnvelope[] {
  const sent: NodeEnvelope[] = [];
  for (const host of hosts.values()) {
    if (tick) host.tick();
    if (!host.hasReady()) continue;
    const rd = host.ready();
    const byGroup = stores.get(host.nodeId)!;
    for (const [g, r] of rd.groups) {
      const store = byGroup[g]!;
      if (r.snapshot) store.applySnapshot(r.snapshot);
      store.append(r.entries);
      if (r.hardState) store.setHardState(r.hardState);
    }
    sent.push(...rd.envelopes);
    host.advance(rd);
  }
  for (const env of sent) hosts.get(env.to)!.receive(env);
  return sent;
}

test('multi-raft: 300 groups per host elect, coalesce heartbeats and commit', () => {
  const { hosts, stores } = cluster();
  // Apply the bootstrap membership, then spread leadership: group g campaigns on host g % 3 + 1.
  round(hosts, stores, false);
  for (let g = 1; g <= GROUPS; g++)
    hosts
      .get((g % 3) + 1)!
      .group(g)
      .campaign();
  for (let k = 0; k < 10; k++) round(hosts, stores, false);
  for (let g = 1; g <= GROUPS; g++) {
    assert.equal(
      hosts
        .get((g % 3) + 1)!
        .group(g)
        .status().role,
      'leader',
      `group ${g}`,
    );
  }

  // Idle rounds: each host sends at most one envelope per peer per round, however many groups.
  let envelopes = 0;
  let beats = 0;
  const rounds = 50;
  const t0 = process.hrtime.bigint();
  for (let k = 0; k < rounds; k++) {
    const sent = round(hosts, stores, true);
    for (const env of sent) {
      envelopes++;
      beats += env.heartbeats.length + env.heartbeatResps.length;
      assert.equal(env.messages.length, 0, 'idle groups send nothing but heartbeats');
    }
  }
  const msPerRound = Number(process.hrtime.bigint() - t0) / 1e6 / rounds;
  assert.ok(envelopes <= rounds * NODES.length * (NODES.length - 1), `envelopes ${envelopes}`);
  // Every leader heartbeats both followers each tick: 300 groups × 2 peers, plus responses.
  assert.ok(beats >= rounds * GROUPS * 2, `coalesced beats ${beats}`);
  process.stdout.write(
    `# idle round (${NODES.length * GROUPS} group replicas): ${msPerRound.toFixed(2)} ms, ${envelopes / rounds} envelopes\n`,
  );

  // Proposals in every group commit and reach every replica's log.
  for (let g = 1; g <= GROUPS; g++)
    hosts
      .get((g % 3) + 1)!
      .group(g)
      .propose(new Uint8Array([g & 0xff]));
  for (let k = 0; k < 6; k++) round(hosts, stores, false);
  for (let g = 1; g <= GROUPS; g++) {
    for (const id of NODES) {
      const s = hosts.get(id)!.group(g).status();
      assert.equal(s.commit, 5, `group ${g} node ${id} commit`);
      assert.equal(s.applied, 5, `group ${g} node ${id} applied`);
    }
  }
});

test('multi-raft: refuses more groups than its limit and duplicate ids', () => {
  const host = new MultiRaft(1, 2);
  host.addGroup(1, {}, MemoryLogStore.bootstrap([1]));
  assert.throws(() => host.addGroup(1, {}, MemoryLogStore.bootstrap([1])), /already exists/);
  host.addGroup(2, {}, MemoryLogStore.bootstrap([1]));
  assert.throws(() => host.addGroup(3, {}, MemoryLogStore.bootstrap([1])), /hosts 2 groups/);
});

test('multi-raft: ready(applyBudgetBytes) bounds committed bytes per round across groups, and groups take turns', () => {
  const groups = 4,
    entryBytes = 1000,
    perGroup = 10,
    budget = 3000;
  const { hosts, stores } = cluster(groups);
  round(hosts, stores, false);
  for (let g = 1; g <= groups; g++) hosts.get(1)!.group(g).campaign();
  for (let k = 0; k < 10; k++) round(hosts, stores, false);
  for (let g = 1; g <= groups; g++)
    for (let i = 0; i < perGroup; i++) hosts.get(1)!.group(g).propose(new Uint8Array(entryBytes).fill(g));
  // Rounds with the budget on host 2 (a follower): what it is handed to apply per round.
  const host2 = hosts.get(2)!;
  const firstServed: number[] = [];
  let appliedBytes = 0;
  for (let k = 0; k < 200; k++) {
    const sent: NodeEnvelope[] = [];
    for (const host of hosts.values()) {
      if (!host.hasReady()) continue;
      const rd = host === host2 ? host.ready(budget) : host.ready();
      let roundBytes = 0,
        biggest = 0,
        served = 0;
      for (const [g, r] of rd.groups) {
        const store = stores.get(host.nodeId)![g]!;
        store.append(r.entries);
        if (r.hardState) store.setHardState(r.hardState);
        for (const e of r.committedEntries) {
          roundBytes += e.data.length;
          biggest = Math.max(biggest, e.data.length);
        }
        if (host === host2 && served === 0 && r.committedEntries.some((e) => e.data.length === entryBytes)) served = g;
      }
      if (host === host2) {
        assert.ok(
          roundBytes <= budget + biggest,
          `round ${k}: ${roundBytes} committed bytes handed out, budget ${budget}`,
        );
        appliedBytes += roundBytes;
        if (served) firstServed.push(served);
      }
      sent.push(...rd.envelopes);
      host.advance(rd);
    }
    for (const env of sent) hosts.get(env.to)!.receive(env);
  }
  assert.equal(appliedBytes, groups * perGroup * entryBytes, 'every entry is applied in the end');
  assert.ok(
    new Set(firstServed).size > 1,
    `the budget does not always go to the same group first: ${firstServed.join(',')}`,
  );
});
