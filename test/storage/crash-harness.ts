// The crash loop shared by the short (npm test) and long (npm run test:crash) crash tests:
// spawn the writer, SIGKILL it at a random moment, reopen the store and check that every
// acknowledged batch is wholly present and no batch is partly present.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openVnodeStore } from '../../src/storage/index.js';
import { batchRows, batchTables, CRASH_OPTIONS, CRASH_TABLES } from './crash-shared.js';
import { tempDir } from './helpers.js';

const WRITER = join(dirname(fileURLToPath(import.meta.url)), 'crash-writer.js');

/** Kills the writer `killAfterMs` after it is ready to write, or after spawn when `early` (lands in recovery). */
function runAndKill(dir: string, killAfterMs: number, early: boolean, acked: Set<number>): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [WRITER, dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '',
      err = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const lines = out.split('\n');
      out = lines.pop()!;
      for (const l of lines) {
        if (l.startsWith('ack ')) acked.add(Number(l.slice(4)));
        else if (l === 'ready' && !timer) timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
      }
    });
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
    });
    let timer: NodeJS.Timeout | undefined = early ? setTimeout(() => child.kill('SIGKILL'), killAfterMs) : undefined;
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (signal === 'SIGKILL') resolve();
      else reject(new Error(`crash writer exited by itself (code ${code}): ${err}`));
    });
  });
}

export interface CrashLoopResult {
  iterations: number;
  acked: number;
  present: number;
}

export async function crashLoop(iterations: number, seed: number): Promise<CrashLoopResult> {
  const dir = tempDir('crash');
  const acked = new Set<number>();
  let rnd = seed >>> 0;
  const next = (): number => {
    rnd = (Math.imul(rnd, 1664525) + 1013904223) >>> 0;
    return rnd / 2 ** 32;
  };
  let present = new Map<number, number>();
  for (let it = 0; it < iterations; it++) {
    // Some kills land in startup and recovery, most in writes, some after longer runs (flushes, compactions).
    const early = next() < 0.15;
    const ms = early
      ? Math.floor(next() * 300)
      : next() < 0.7
        ? Math.floor(next() * 250)
        : 250 + Math.floor(next() * 800);
    await runAndKill(dir, ms, early, acked);
    const store = await openVnodeStore(dir, CRASH_OPTIONS);
    // Rows per (batch, table) as found.
    present = new Map<number, number>();
    const perTable = new Map<string, Map<number, number>>();
    for (let t = 0; t < CRASH_TABLES; t++) {
      const counts = new Map<number, number>();
      const info = store.getTable(`d${t}`);
      if (!info) continue;
      for (const blk of store.scan(`d${t}`, { from: -Infinity, to: Infinity }, [0, 2])) {
        const v = blk.columns[1]!.data as Int32Array;
        for (let i = 0; i < blk.numRows; i++) counts.set(v[i]!, (counts.get(v[i]!) ?? 0) + 1);
      }
      perTable.set(`d${t}`, counts);
      for (const [b, n] of counts) present.set(b, (present.get(b) ?? 0) + n);
    }
    for (const b of acked) {
      for (const t of batchTables(b)) {
        assert.equal(
          perTable.get(t)?.get(b) ?? 0,
          batchRows(b),
          `iteration ${it}: acknowledged batch ${b} has ${perTable.get(t)?.get(b) ?? 0} of ${batchRows(b)} rows in ${t}`,
        );
      }
    }
    for (const [b, n] of present) {
      assert.equal(n, 2 * batchRows(b), `iteration ${it}: batch ${b} is half there (${n} of ${2 * batchRows(b)} rows)`);
    }
    await store.close();
  }
  return { iterations, acked: acked.size, present: present.size };
}
