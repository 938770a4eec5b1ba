// SIGTERM while a client is writing: the dnode answers or refuses what is in flight, closes
// the engine, and after a restart every acknowledged insert is there.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { connect } from '../../src/client/index.js';
import { freePort, tempDir } from '../rpc/harness.js';
import { spawnBasalt, stopChild } from '../cli/run-basalt.js';

test('every insert acknowledged before SIGTERM survives the restart', async (t) => {
  const tmp = tempDir('sigterm');
  const [rpcPort, httpPort] = [await freePort(), await freePort()];
  const args = [
    'start',
    '--data-dir',
    join(tmp.dir, 'data'),
    '--server-port',
    String(rpcPort),
    '--http-port',
    String(httpPort),
    '--listen-host',
    '127.0.0.1',
    '--fqdn',
    'localhost',
  ];
  let server = await spawnBasalt(args, /ready;/);
  try {
    const c = await connect({ port: rpcPort, timeoutMs: 5000 });
    await c.query('create database load');
    await c.query('create table load.t (ts timestamp, v int)');
    let acked = 0;
    let attempted = 0;
    let stopAt = 0;
    const base = Date.now() - 60_000;
    // Four writers in parallel, each row its own statement; stop on the first refusal.
    const writer = async (w: number): Promise<void> => {
      for (let i = 0; i < 100_000; i++) {
        const k = i * 4 + w;
        attempted++;
        try {
          await c.query(`insert into load.t values (${base + k}, ${k})`);
          acked++;
        } catch {
          return;
        }
        if (stopAt && Date.now() > stopAt + 5000) return;
      }
    };
    const writers = [0, 1, 2, 3].map(writer);
    await new Promise((r) => setTimeout(r, 400));
    stopAt = Date.now();
    const code = await stopChild(server.child, 'SIGTERM');
    await Promise.all(writers);
    c.close();
    assert.equal(code, 0, server.stderr());
    assert.ok(acked > 20, `only ${acked} inserts acknowledged before SIGTERM`);

    server = await spawnBasalt(args, /ready;/);
    const c2 = await connect({ port: rpcPort });
    try {
      const n = Number((await c2.query('select count(*) from load.t')).value(0, 0));
      t.diagnostic(`acknowledged ${acked}, attempted ${attempted}, found ${n} after restart`);
      assert.ok(n >= acked, `${n} rows after restart, ${acked} were acknowledged`);
      assert.ok(n <= attempted, `${n} rows after restart, only ${attempted} were attempted`);
    } finally {
      c2.close();
    }
    assert.equal(await stopChild(server.child, 'SIGTERM'), 0);
  } finally {
    if (server.child.exitCode === null) await stopChild(server.child, 'SIGKILL');
    tmp.remove();
  }
});
