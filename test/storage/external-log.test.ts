// The store driven by an external log owner, as a Raft vnode will drive it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeMetaPayload, encodeWritePayload, openVnodeStore } from '../../src/storage/index.js';
import { METERS_COLUMNS, METERS_TAGS, metersBlock, options, tempDir } from './helpers.js';

test('externalLog: the owner appends, applies committed entries, and replays after restart', async () => {
  const dir = tempDir('raftlike');
  let s = await openVnodeStore(dir, options(), { externalLog: true });
  await assert.rejects(s.write({ rows: [] }), /log owner/);
  const payloads = [
    encodeMetaPayload({
      op: 'createSuper',
      def: { name: 'meters', columns: METERS_COLUMNS, tags: METERS_TAGS },
      atMs: 1,
    }),
    encodeMetaPayload({ op: 'createChild', def: { name: 'd0', stable: 'meters', tagValues: [1, 'x'] }, atMs: 2 }),
    encodeWritePayload({ rows: [{ table: 'd0', block: metersBlock(1_700_000_000_000, 100) }] }),
    encodeWritePayload({ rows: [{ table: 'd0', block: metersBlock(1_700_000_100_000, 100) }] }),
    // A refused entry (unknown table) changes nothing and reports its error.
    encodeWritePayload({ rows: [{ table: 'nope', block: metersBlock(1, 1) }] }),
  ];
  s.wal.append(payloads.map((data, i) => ({ index: i + 1, term: 3, data })));
  await s.wal.sync();
  for (let i = 1; i <= 4; i++) s.applyLogged(i, s.wal.entries(i, i + 1)[0]!.data);
  assert.throws(() => s.applyLogged(5, payloads[4]!), /does not exist/);
  assert.equal(s.aggregate('d0', { from: -Infinity, to: Infinity }, []).rows, 200);
  await s.flush();
  assert.equal(s.flushedIndex(), 5, 'flushed everything applied');
  assert.equal(s.wal.firstIndex(), 1, 'the owner, not the store, compacts the log');
  await s.close();
  s = await openVnodeStore(dir, options(), { externalLog: true });
  assert.equal(s.appliedIndex(), 5);
  assert.equal(s.aggregate('d0', { from: -Infinity, to: Infinity }, []).rows, 200);
  // Entries after the flush are the owner's to replay: append one, restart, nothing applied until it says so.
  s.wal.append([
    {
      index: 6,
      term: 4,
      data: encodeWritePayload({ rows: [{ table: 'd0', block: metersBlock(1_700_001_000_000, 7) }] }),
    },
  ]);
  await s.close();
  s = await openVnodeStore(dir, options(), { externalLog: true });
  assert.equal(s.aggregate('d0', { from: -Infinity, to: Infinity }, []).rows, 200);
  s.applyLogged(6, s.wal.entries(6, 7)[0]!.data);
  assert.equal(s.aggregate('d0', { from: -Infinity, to: Infinity }, []).rows, 207);
  assert.equal(s.wal.term(6), 4);
  await s.close();
});
