// Kill -9 an engine process in the middle of DDL and inserts (wal_level 2), restart on the
// same directory: every acknowledged insert is there, every acknowledged schema change is
// there, and the super tables are usable in every vgroup (start-up reconciliation).
// BASALT_CRASH_ROUNDS sets the number of kill/restart rounds (npm test: 3).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { openTestEngine, runSql } from '../sql/harness.js';

const child = join(dirname(fileURLToPath(import.meta.url)), 'engine-crash-child.js');
const ROUNDS = Number(process.env['BASALT_CRASH_ROUNDS'] ?? '3');

interface Acks {
  rows: Map<number, number>;
  alters: Array<{ i: number; st: string }>;
  next: number;
}

function runUntilKilled(dir: string, startAt: number, killAfterLines: number, acks: Acks): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [child, dir, String(startAt)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let buf = '';
    let lines = 0;
    let err = '';
    p.stderr.on('data', (d: Buffer) => {
      err += d.toString();
    });
    p.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        const m = /^ack (\d+) (\d+)$/.exec(line);
        const a = /^alter (\d+) (s\d)$/.exec(line);
        if (m) {
          acks.rows.set(Number(m[1]), Number(m[2]));
          acks.next = Math.max(acks.next, Number(m[1]) + 1);
        }
        if (a) {
          acks.alters.push({ i: Number(a[1]), st: a[2]! });
          acks.next = Math.max(acks.next, Number(a[1]) + 1);
        }
        if (++lines === killAfterLines) p.kill('SIGKILL');
      }
    });
    p.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolve();
      else reject(new Error(`child exited with ${code}: ${err}`));
    });
  });
}

test(`kill -9 during DDL and inserts, ${ROUNDS} rounds: acknowledged work survives`, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'basalt-crash-'));
  const acks: Acks = { rows: new Map(), alters: [], next: 0 };
  try {
    for (let round = 0; round < ROUNDS; round++) {
      // Kill after a varying number of lines, so the kill lands at different points.
      await runUntilKilled(dir, acks.next + 1, 3 + ((round * 7) % 13), acks);
      // The unacknowledged statement in flight may or may not have landed; skip its index.
      acks.next++;
    }
    assert.ok(acks.rows.size >= ROUNDS, `only ${acks.rows.size} inserts acknowledged`);
    assert.ok(acks.alters.length > 0, 'no schema change was acknowledged');
    const te = await openTestEngine({ dir });
    te.session = { user: 'root', db: 'crash' };
    for (const [i, rows] of acks.rows) {
      const r = await runSql(te, `select count(*), sum(v) from c${i}`);
      assert.deepEqual(r.rows, [[BigInt(rows), BigInt(rows * i)]], `acknowledged insert ${i}`);
    }
    for (const { i, st } of acks.alters) {
      const d = await runSql(te, `describe ${st}`);
      assert.ok(
        d.rows.some((r) => r[0] === `a${i}`),
        `acknowledged 'alter stable ${st} add column a${i}'`,
      );
    }
    // Every super table is consistent across vgroups: new child tables land in every vgroup.
    for (let s = 0; s < 3; s++) {
      for (let k = 0; k < 12; k++)
        await runSql(te, `insert into probe_${s}_${k} using s${s} tags (0) (ts, v) values (1700000000000, 1)`);
      const r = await runSql(te, `select count(*) from s${s} where tbname like 'probe%'`);
      assert.deepEqual(r.rows, [[12n]]);
    }
    await te.engine.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
