// A Raft log write that meets a full disk: the runtime waits and persists the same Ready again
// once there is room (logging the wait once and the end once), instead of stopping every
// group of the node. The log store here refuses appends with DISK_FULL while `full` is set,
// as the WAL does after cutting a failed append back.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BasaltError } from '../../src/common/errors.js';
import { bootstrapEntries, MemoryLogStore, type Entry } from '../../src/raft/index.js';
import { ReplicaRuntime } from '../../src/replica/runtime.js';
import { RaftTransport } from '../../src/replica/transport.js';
import { RecordingStateMachine, sleep } from './harness.js';

class FillingStore extends MemoryLogStore {
  full = false;
  refusals = 0;
  override append(entries: readonly Entry[]): void {
    if (this.full && entries.length > 0) {
      this.refusals++;
      throw new BasaltError('DISK_FULL', 'the volume holding /test is full (test); free space on it');
    }
    super.append(entries);
  }
}

test('a log append refused by a full disk is persisted once space is back; the runtime keeps running', async () => {
  const lines: string[] = [];
  const transport = new RaftTransport({ nodeId: 1 });
  const runtime = new ReplicaRuntime({ nodeId: 1, transport, log: (level, m) => lines.push(`${level} ${m}`) });
  const store = new FillingStore();
  store.append(bootstrapEntries([1]));
  store.setHardState({ term: 1, vote: 0, commit: 1 });
  const sm = new RecordingStateMachine();
  try {
    const group = await runtime.addGroup({ group: 7, store, stateMachine: sm });
    group.campaign();
    for (let i = 0; i < 200 && group.status().role !== 'leader'; i++) await sleep(10);
    assert.equal(group.status().role, 'leader');
    await group.propose(new TextEncoder().encode('before'));

    store.full = true;
    const pending = group.propose(new TextEncoder().encode('during'));
    for (let i = 0; i < 200 && store.refusals < 2; i++) await sleep(10);
    assert.ok(store.refusals >= 2, 'the append was tried again while the disk stayed full');
    assert.equal(runtime.failed, undefined, 'a full disk does not stop the runtime');
    assert.ok(!sm.values.includes('during'), 'nothing applies before it is persisted');

    store.full = false;
    await pending;
    await group.propose(new TextEncoder().encode('after'));
    assert.deepEqual(sm.values.slice(-3), ['before', 'during', 'after']);
    assert.equal(lines.filter((l) => /waits for disk space/.test(l)).length, 1, lines.join('\n'));
    assert.equal(lines.filter((l) => /disk space is back/.test(l)).length, 1, lines.join('\n'));
  } finally {
    await runtime.close();
  }
});
