// Line-protocol parsing on the worker thread (parse-pool.ts): for bodies large enough to go
// there, the result and the errors are exactly those of the inline parser.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import type { ParsedBatch } from '../../src/adapter/line-protocol/batch.js';
import { parseLineProtocol } from '../../src/adapter/line-protocol/parse.js';
import { parseLineProtocolAsync, stopParseWorkers } from '../../src/adapter/line-protocol/parse-pool.js';
import { Limits } from '../../src/common/limits.js';
import { SeriesCache } from '../../src/adapter/line-protocol/series-cache.js';
import { isBasaltError } from '../../src/common/errors.js';

const NOW_MS = 1_700_000_123_456;
process.env['BASALT_LP_WORKERS'] = '1';
after(() => stopParseWorkers());

function body(lines: number, tail = ''): Buffer {
  const out: string[] = [];
  for (let i = 0; i < lines; i++) {
    const t = i % 7;
    out.push(
      `meters,location=California.S\\ F,groupid=${t},tbname=d${t} current=${(i % 1000) / 7},voltage=${200 + (i % 30)}i,` +
        `on=${i % 2 ? 't' : 'false'},note="n\\"${i % 5}" ${1_700_000_000 + i}`,
    );
    if (i % 100 === 0) out.push(`# comment ${i}`, '', `other,host=h${i % 3} n=${i}u,s="x y" ${1_700_000_000 + i}`);
  }
  return Buffer.from(out.join('\n') + tail, 'utf8');
}

/** Plain data of a batch (typed arrays as arrays), to compare the two paths. */
function plain(b: ParsedBatch): unknown {
  return JSON.parse(
    JSON.stringify(b, (_k, v: unknown) => {
      if (typeof v === 'bigint') return `${v}n`;
      if (ArrayBuffer.isView(v))
        return Array.from(v as unknown as ArrayLike<number | bigint>, (x) => (typeof x === 'bigint' ? `${x}n` : x));
      return v;
    }),
  );
}

test('a large body parsed on the worker equals the inline parse, twice (series cache warm)', async () => {
  const b = body(4000);
  assert.ok(b.length >= Limits.lineProtocolWorkerMinBodyBytes, `body of ${b.length} bytes goes to the worker`);
  const inline = parseLineProtocol(b, 's', { tsPrecision: 'ms', nowMs: NOW_MS, seriesCache: new SeriesCache() });
  for (let k = 0; k < 2; k++) {
    const viaWorker = await parseLineProtocolAsync({
      db: 'db1',
      body: b,
      precision: 's',
      tsPrecision: 'ms',
      nowMs: NOW_MS,
      seriesCache: new SeriesCache(),
    });
    assert.deepEqual(plain(viaWorker), plain(inline));
  }
  assert.ok(b.length > 0, 'the caller keeps its body');
});

test('small bodies are parsed inline and agree too', async () => {
  const b = body(10);
  assert.ok(b.length < Limits.lineProtocolWorkerMinBodyBytes);
  const r = await parseLineProtocolAsync({
    db: 'db1',
    body: b,
    precision: 's',
    tsPrecision: 'ms',
    nowMs: NOW_MS,
    seriesCache: new SeriesCache(),
  });
  assert.deepEqual(plain(r), plain(parseLineProtocol(b, 's', { tsPrecision: 'ms', nowMs: NOW_MS })));
});

test('a bad line on the worker is the same BasaltError as inline, naming the line', async () => {
  const b = body(4000, '\nmeters,tbname=d1 current= 1700009999');
  let inlineErr: unknown;
  try {
    parseLineProtocol(b, 's', { tsPrecision: 'ms', nowMs: NOW_MS });
  } catch (e) {
    inlineErr = e;
  }
  assert.ok(isBasaltError(inlineErr));
  await assert.rejects(
    parseLineProtocolAsync({
      db: 'db2',
      body: b,
      precision: 's',
      tsPrecision: 'ms',
      nowMs: NOW_MS,
      seriesCache: new SeriesCache(),
    }),
    (e: unknown) => {
      assert.ok(isBasaltError(e));
      assert.equal(e.errorName, inlineErr.errorName);
      assert.equal(e.code, inlineErr.code);
      assert.equal(e.message, inlineErr.message);
      assert.match(e.message, /line \d+/);
      return true;
    },
  );
});
