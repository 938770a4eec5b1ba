// The line-protocol parser on its own: escaping, field types, timestamps and precisions,
// duplicate fields, comments/blank lines/CRLF, the grouped columnar output, and errors that
// name the line. A seeded round trip checks random names and values survive escaping.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { groupRowsBySeries, type MeasurementData, type ParsedBatch } from '../../src/adapter/line-protocol/batch.js';
import { parseLineProtocol, type LinePrecision, type ParseOptions } from '../../src/adapter/line-protocol/parse.js';
import { SeriesCache } from '../../src/adapter/line-protocol/series-cache.js';
import { isBasaltError, type ErrorName } from '../../src/common/errors.js';
import { mulberry32 as rng } from '../../src/common/random.js';

const NOW_MS = 1_700_000_123_456;

function parse(text: string, precision: LinePrecision = 'ns', opts: ParseOptions = {}): ParsedBatch {
  return parseLineProtocol(Buffer.from(text, 'utf8'), precision, { nowMs: NOW_MS, ...opts });
}

function only(b: ParsedBatch): MeasurementData {
  assert.equal(b.measurements.length, 1, `measurements: ${b.measurements.map((m) => m.name).join(', ')}`);
  return b.measurements[0]!;
}

/** The value of field `name` at `row` (null where the line lacked it). */
function field(m: MeasurementData, name: string, row: number): unknown {
  const f = m.fields.find((x) => x.name === name);
  assert.ok(f, `no field '${name}' among ${m.fields.map((x) => x.name).join(', ')}`);
  if (f.nulls !== null && f.nulls[row] === 1) return null;
  return (f.data as ArrayLike<unknown>)[row];
}

function parseError(
  text: string,
  name: ErrorName,
  line: number,
  fragment: string,
  precision: LinePrecision = 'ns',
): void {
  try {
    parse(text, precision);
  } catch (e) {
    assert.ok(isBasaltError(e), String(e));
    assert.equal(e.errorName, name, e.message);
    assert.ok(e.message.includes(`line ${line}:`), `'${e.message}' does not name line ${line}`);
    assert.ok(e.message.includes(fragment), `'${e.message}' lacks '${fragment}'`);
    return;
  }
  assert.fail(`expected ${name} at line ${line} for ${JSON.stringify(text)}`);
}

test('the benchmark meters line: tags, tbname, float and integer fields, seconds', () => {
  const b = parse(
    'meters,groupid=3,location=California.SanJose,tbname=d7 current=10.123,voltage=219i,phase=0.1234 1704067200\n',
    's',
  );
  const m = only(b);
  assert.equal(b.points, 1);
  assert.equal(m.name, 'meters');
  assert.deepEqual(m.series, [
    { tagKeys: ['groupid', 'location'], tagValues: ['3', 'California.SanJose'], tbname: 'd7', firstLine: 1 },
  ]);
  assert.deepEqual(
    m.fields.map((f) => [f.name, f.kind]),
    [
      ['current', 'float'],
      ['voltage', 'int'],
      ['phase', 'float'],
    ],
  );
  assert.equal(field(m, 'current', 0), 10.123);
  assert.equal(field(m, 'voltage', 0), 219n);
  assert.equal(field(m, 'phase', 0), 0.1234);
  assert.deepEqual([...m.ts], [1704067200000]);
});

test('escapes: spaces and commas in measurements; commas, equals and spaces in tag keys, tag values and field keys', () => {
  const b = parse(
    'my\\ meas\\,x,tag\\ key\\,1\\=a=val\\ 1\\,2\\=3 field\\ k\\,e\\=y=1i 1\n' +
      'cpu\\=eq,host=a=b\\c f=2i 2\n'.replace('a=b', 'a\\=b'),
  );
  const [m1, m2] = b.measurements;
  assert.equal(m1!.name, 'my meas,x');
  assert.deepEqual(m1!.series[0]!.tagKeys, ['tag key,1=a']);
  assert.deepEqual(m1!.series[0]!.tagValues, ['val 1,2=3']);
  assert.equal(m1!.fields[0]!.name, 'field k,e=y');
  // In a measurement only comma and space are escapes; a backslash elsewhere stays as written.
  assert.equal(m2!.name, 'cpu\\=eq');
  assert.deepEqual(m2!.series[0]!.tagValues, ['a=b\\c']);
});

test('string fields: escaped quotes and backslashes, other backslashes kept, commas, spaces, = and newlines inside', () => {
  const m = only(parse('m s="say \\"hi\\", a\\\\b = c\\d",t="two\nlines",e="" 5\nm s="next" 6\n'));
  assert.equal(field(m, 's', 0), 'say "hi", a\\b = c\\d');
  assert.equal(field(m, 't', 0), 'two\nlines');
  assert.equal(field(m, 'e', 0), '');
  assert.equal(field(m, 's', 1), 'next');
  // The string spanning two lines is still one point, and the next point is on line 3.
  assert.deepEqual([...m.lineOfRow], [1, 3]);
  assert.equal(m.fields.find((f) => f.name === 's')!.maxBytes, Buffer.byteLength('say "hi", a\\b = c\\d'));
});

test('field types: floats in every spelling, i, u, booleans, strings with UTF-8', () => {
  const m = only(
    parse(
      'm a=1,b=-1.5,c=2e3,d=-2.5E-3,e=.5,f=1.,g=0,h=123456789012345678901234567890,k=1e-400,' +
        'i1=0i,i2=-42i,i3=9223372036854775807i,i4=-9223372036854775808i,u1=0u,u2=18446744073709551615u,' +
        'b1=t,b2=T,b3=true,b4=True,b5=TRUE,b6=f,b7=F,b8=false,b9=False,b10=FALSE,s="héllo ✓" 1\n',
    ),
  );
  const kinds = Object.fromEntries(m.fields.map((f) => [f.name, f.kind]));
  for (const k of ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'k']) assert.equal(kinds[k], 'float', k);
  for (const k of ['i1', 'i2', 'i3', 'i4']) assert.equal(kinds[k], 'int', k);
  for (const k of ['u1', 'u2']) assert.equal(kinds[k], 'uint', k);
  for (let k = 1; k <= 10; k++) assert.equal(kinds[`b${k}`], 'bool');
  assert.equal(kinds['s'], 'string');
  assert.deepEqual(
    ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'k'].map((k) => field(m, k, 0)),
    [1, -1.5, 2000, -0.0025, 0.5, 1, 0, 1.2345678901234568e29, 0],
  );
  assert.deepEqual(
    ['i1', 'i2', 'i3', 'i4', 'u1', 'u2'].map((k) => field(m, k, 0)),
    [0n, -42n, 9223372036854775807n, -9223372036854775808n, 0n, 18446744073709551615n],
  );
  assert.deepEqual(
    Array.from({ length: 10 }, (_, k) => field(m, `b${k + 1}`, 0)),
    [1, 1, 1, 1, 1, 0, 0, 0, 0, 0],
  );
  assert.equal(field(m, 's', 0), 'héllo ✓');
  assert.equal(m.fields.find((f) => f.name === 's')!.maxBytes, Buffer.byteLength('héllo ✓'));
});

test('floats parse to the same double as JavaScript does, on the fast path and off it', () => {
  const texts = [
    '0.1',
    '0.2',
    '10.123',
    '0.1234',
    '3.141592653589793',
    '123456789012345',
    '1234567890123456789',
    '1e22',
    '1e23',
    '9007199254740993',
    '2.2250738585072014e-308',
    '4.9e-324',
    '1.7976931348623157e308',
    '-0.0',
    '5e-324',
    '0.000001',
  ];
  const m = only(parse(texts.map((t, i) => `m v=${t} ${i}`).join('\n')));
  texts.forEach((t, i) => {
    assert.equal(Object.is(field(m, 'v', i), Number(t)), true, `${t}: ${String(field(m, 'v', i))} vs ${Number(t)}`);
  });
});

test('a line without a timestamp gets the server time, truncated to the request precision', () => {
  assert.deepEqual([...only(parse('m v=1\n', 'ns')).ts], [NOW_MS]);
  assert.deepEqual([...only(parse('m v=1', 'ms')).ts], [NOW_MS]);
  assert.deepEqual([...only(parse('m v=1  \r\n', 's')).ts], [Math.floor(NOW_MS / 1000) * 1000]);
  assert.deepEqual([...only(parse('m v=1', 'ns', { tsPrecision: 'us' })).ts], [NOW_MS * 1000]);
});

test('each request precision converts to the target precision exactly (coarser truncates)', () => {
  const cases: Array<[LinePrecision, string]> = [
    ['s', '1704067200'],
    ['ms', '1704067200123'],
    ['us', '1704067200123456'],
    ['ns', '1704067200123456789'],
  ];
  const expect: Record<string, number[]> = {
    ms: [1704067200000, 1704067200123, 1704067200123, 1704067200123],
    us: [1704067200000000, 1704067200123000, 1704067200123456, 1704067200123456],
  };
  for (const target of ['ms', 'us'] as const) {
    cases.forEach(([p, ts], i) => {
      assert.deepEqual(
        [...only(parse(`m v=1 ${ts}`, p, { tsPrecision: target })).ts],
        [expect[target]![i]],
        `${p} → ${target}`,
      );
    });
  }
  // ns targets hold what fits in 2^53 ticks; the rest is refused with the line, not rounded.
  assert.deepEqual([...only(parse('m v=1 1234567890123456', 'ns', { tsPrecision: 'ns' })).ts], [1234567890123456]);
  assert.deepEqual([...only(parse('m v=1 -1500', 'us', { tsPrecision: 'ms' })).ts], [-1]);
  assert.throws(
    () => parse('m v=1 5\nm v=2', 'ns', { tsPrecision: 'ns' }),
    /line 2: the line has no timestamp and the server time does not fit a database of precision ns/,
  );
  parseError(
    'm v=1 1\nm v=1 99999999999999\n',
    'SML_INVALID_DATA',
    2,
    'out of range for a database of precision ms',
    's',
  );
  try {
    parseLineProtocol(Buffer.from('m v=1 1704067200123456789'), 'ns', { tsPrecision: 'ns' });
    assert.fail('expected an error');
  } catch (e) {
    assert.ok(isBasaltError(e) && e.message.includes('line 1:') && e.message.includes('precision ns'), String(e));
  }
});

test('a repeated field in one line keeps the last value, as InfluxDB does', () => {
  const m = only(parse('m a=1,b=2,a=3 1\nm a=4 2\n'));
  assert.deepEqual(
    m.fields.map((f) => f.name),
    ['a', 'b'],
  );
  assert.equal(field(m, 'a', 0), 3);
  assert.equal(field(m, 'b', 0), 2);
  assert.equal(field(m, 'b', 1), null);
});

test('comments, blank lines, leading whitespace, CRLF and a missing final newline', () => {
  const b = parse('# header\r\n\r\n   \n  m,t=a v=1i 1\r\n\t# indented comment\nm,t=a v=2i 2\r\n\n m,t=b v=3i 3', 'ms');
  const m = only(b);
  assert.equal(b.points, 3);
  assert.deepEqual([...m.lineOfRow], [4, 6, 8]);
  assert.deepEqual([...m.ts], [1, 2, 3]);
  assert.equal(field(m, 'v', 2), 3n);
  assert.equal(parse('').points, 0);
  assert.equal(parse('# only a comment\n\n').points, 0);
});

test('grouped columnar output: series per tag set (any tag order), null maps for missing and late fields', () => {
  const b = parse(
    'm,b=2,a=1 x=1 1\n' +
      'm,a=1,b=2 x=2 2\n' + // same tags, other order: same series
      'm,a=9 y="late" 3\n' + // new series, field x missing, field y first seen here
      'n z=t 4\n' +
      'm,a=1,b=2 x=5,y="s" 5\n',
    'ms',
  );
  assert.deepEqual(
    b.measurements.map((m) => m.name),
    ['m', 'n'],
  );
  const m = b.measurements[0]!;
  assert.equal(m.rows, 4);
  assert.equal(m.series.length, 3, 'the raw keys differ, so the parser sees two series for a=1,b=2 ...');
  assert.deepEqual(
    m.series.map((s) => s.tagValues),
    [['1', '2'], ['1', '2'], ['9']],
  );
  assert.deepEqual([...m.seriesOfRow], [0, 1, 2, 1]);
  assert.deepEqual(
    [0, 1, 2, 3].map((r) => field(m, 'x', r)),
    [1, 2, null, 5],
  );
  assert.deepEqual(
    [0, 1, 2, 3].map((r) => field(m, 'y', r)),
    [null, null, 'late', 's'],
  );
  assert.equal(m.fields.find((f) => f.name === 'y')!.firstLine, 3);
  const g = groupRowsBySeries(m);
  assert.deepEqual([...g.start], [0, 1, 3, 4]);
  assert.deepEqual([...g.order], [0, 1, 3, 2]);
});

test('many rows and series grow the arrays without losing values', () => {
  const lines: string[] = [];
  for (let i = 0; i < 20_000; i++)
    lines.push(`m,dev=d${i % 701} v=${i}i,w=${i % 3 === 0 ? 't' : 'f'}${i % 5 === 0 ? `,late=${i}` : ''} ${i}`);
  const m = only(parse(lines.join('\n'), 'ms'));
  assert.equal(m.rows, 20_000);
  assert.equal(m.series.length, 701);
  for (const i of [0, 1, 255, 256, 257, 4095, 19_999]) {
    assert.equal(field(m, 'v', i), BigInt(i));
    assert.equal(field(m, 'w', i), i % 3 === 0 ? 1 : 0);
    assert.equal(field(m, 'late', i), i % 5 === 0 ? i : null);
    assert.equal(m.ts[i], i);
    assert.equal(m.series[m.seriesOfRow[i]!]!.tagValues[0], `d${i % 701}`);
  }
});

test('the cross-request series cache gives the same batches as decoding afresh, also when it overflows and starts over', () => {
  const body = (round: number): string => {
    const lines: string[] = [];
    for (let i = 0; i < 3000; i++)
      lines.push(`m${i % 3},dev=d${(i * 7 + round) % 701},z\\ k=v\\,${i % 5} v=${i}i ${i}`);
    return lines.join('\n');
  };
  const small = new SeriesCache(100, 4096);
  const big = new SeriesCache();
  for (let round = 0; round < 3; round++) {
    const plain = parse(body(round), 'ms');
    for (const cache of [small, big]) {
      const cached = parse(body(round), 'ms', { seriesCache: cache });
      assert.deepEqual(cached, plain, `round ${round}, cache of ${cache === small ? 100 : 'default'} entries`);
    }
  }
  assert.ok(big.size > 1000, `cache holds ${big.size} series`);
  assert.ok(small.size <= 100, `bounded cache holds ${small.size} series`);
  // A key that fails to decode is not cached: it fails again with its line.
  for (let k = 0; k < 2; k++)
    assert.throws(() => parse('m v=1 1\nm,t=a,t=b v=1 1', 'ns', { seriesCache: big }), /line 2: tag 't' appears twice/);
});

test('a field with two types in one request is refused, naming the field and both lines', () => {
  parseError('m a=1 1\nm a=2 2\nm a="x" 3\n', 'SML_NOT_SAME_TYPE', 3, "field 'a' of measurement 'm' is a string");
  parseError('m a=1 1\nm a=2i 2\n', 'SML_NOT_SAME_TYPE', 2, 'but a float (1.5) at line 1');
  parseError('m a=1i,a=1u 1\n', 'SML_NOT_SAME_TYPE', 1, "field 'a'");
});

test('malformed lines are refused with their line number and what is wrong', () => {
  const ok = 'm,t=a v=1 1\n';
  const cases: Array<[string, string]> = [
    ['m', 'has no fields'],
    ['m,t=a', 'has no fields'],
    ['m ', 'no fields after the measurement'],
    ['m v', "field 'v' has no value"],
    ['m v= 1', "field 'v': it is missing"],
    ['m v=1,', 'has an empty key'],
    ['m =1', 'empty key'],
    [',t=a v=1', 'measurement name is empty'],
    ['m,t v=1', "tag 't' has no '='"],
    ['m,t= v=1', "tag 't' has an empty value"],
    ['m,=a v=1', 'empty key'],
    ['m,t=a,t=b v=1', "tag 't' appears twice"],
    ['m,t=a=b v=1', "unescaped '='"],
    ['m v=abc', 'is not a number, boolean or quoted string'],
    ['m v=tru', 'is not a number, boolean or quoted string'],
    ['m v=1.5i', 'is not an integer'],
    ['m v=-1u', 'unsigned (u) values are 0 or more'],
    ['m v=1x', 'is not a number'],
    ['m v=1e', 'exponent without digits'],
    ['m v=1e999', 'beyond the range'],
    ['m v=9223372036854775808i', 'out of range for a signed 64-bit'],
    ['m v=18446744073709551616u', 'out of range for an unsigned 64-bit'],
    ['m v="open', 'no closing double quote'],
    ['m v="a"b', 'after the closing quote'],
    ['m v=1 12x', "timestamp '12x' is not an integer"],
    ['m v=1 1 2', "unexpected '2'"],
    ['m v=1 abc', "timestamp 'abc'"],
    ['m v=1 1.5', "timestamp '1.5'"],
  ];
  for (const [bad, fragment] of cases) {
    parseError(`${ok}# comment\n\n${bad}\n${ok}`, 'SML_INVALID_DATA', 4, fragment);
  }
  // CRLF files count lines the same way.
  parseError('m v=1 1\r\nm v=x 2\r\n', 'SML_INVALID_DATA', 2, "field 'v'");
});

test('an unknown precision is refused', () => {
  assert.throws(() => parseLineProtocol(Buffer.from('m v=1'), 'h' as LinePrecision), /precision 'h'/);
});

test('round trip: random names and values with every special character survive escaping (seeded)', () => {
  const r = rng(7);
  const alphabet = ['a', 'B', '9', ' ', ',', '=', '"', '\\', 'é', '✓', '_', '-', '.'];
  const word = (min: number): string => {
    let s = '';
    const n = min + Math.floor(r() * 6);
    for (let i = 0; i < n; i++) s += alphabet[Math.floor(r() * alphabet.length)]!;
    return s;
  };
  // Escaping as a client library does it.
  const escKey = (s: string): string => s.replace(/[ ,=]/g, (c) => '\\' + c);
  const escMeas = (s: string): string => s.replace(/[ ,]/g, (c) => '\\' + c);
  const escStr = (s: string): string => s.replace(/["\\]/g, (c) => '\\' + c);
  // A backslash right before an escapable character would itself read as an escape; the
  // clients' escaping does not handle that case either, so the generator avoids it.
  const clean = (s: string, specials: string): string => {
    for (;;) {
      let out = '';
      for (let i = 0; i < s.length; i++)
        if (!(s[i] === '\\' && (i + 1 === s.length || specials.includes(s[i + 1]!)))) out += s[i];
      if (out === s) return s;
      s = out;
    }
  };
  for (let round = 0; round < 200; round++) {
    const meas = clean(word(1), ' ,').replace(/^#/, 'x') || 'm';
    const tagKey = clean(word(1), ' ,=') || 'k';
    const tagVal = clean(word(1), ' ,=') || 'v';
    const fieldKey = clean(word(1), ' ,=') || 'f';
    const str = word(0);
    const int = BigInt(Math.floor((r() - 0.5) * 2 ** 53)) * (r() < 0.3 ? 1000n : 1n);
    const flt = (r() - 0.5) * 10 ** Math.floor(r() * 40 - 20);
    const ts = Math.floor(r() * 2e12);
    if (tagKey === 'tbname' || meas.startsWith(' ')) continue;
    const line = `${escMeas(meas)},${escKey(tagKey)}=${escKey(tagVal)} ${escKey(fieldKey)}=${escapeFloat(flt)},${escKey(fieldKey)}_i=${int}i,${escKey(fieldKey)}_s="${escStr(str)}" ${ts}`;
    const m = only(parse(line, 'ms'));
    const ctx = `round ${round}: ${line}`;
    assert.equal(m.name, meas, ctx);
    assert.deepEqual(m.series[0]!.tagKeys, [tagKey], ctx);
    assert.deepEqual(m.series[0]!.tagValues, [tagVal], ctx);
    assert.equal(field(m, fieldKey, 0), flt, ctx);
    assert.equal(field(m, `${fieldKey}_i`, 0), int, ctx);
    assert.equal(field(m, `${fieldKey}_s`, 0), str, ctx);
    assert.equal(m.ts[0], ts, ctx);
  }
});

function escapeFloat(x: number): string {
  const s = String(x);
  return s.includes('.') || s.includes('e') ? s : `${s}.0`;
}

test('mutated input either parses or is refused with a BasaltError naming a line, never a crash (seeded)', () => {
  const r = rng(11);
  const base = Buffer.from(
    'meters,groupid=3,location=California.SanJose,tbname=d7 current=10.123,voltage=219i,phase=0.1234 1704067200\n' +
      'm\\ x,t\\,k=v\\=1 s="a \\"q\\" \\\\ b",b=t,u=5u -12\r\n# c\n\nm\\ x,t\\,k=v\\=1 f=1e3,i=-4i\n',
  );
  const specials = [32, 44, 61, 34, 92, 10, 13, 35, 45, 46, 105, 117, 116, 102, 48, 57, 0xc3, 0xff, 9];
  let parsed = 0;
  let refused = 0;
  for (let round = 0; round < 3000; round++) {
    const b = Buffer.from(base);
    const edits = 1 + Math.floor(r() * 4);
    for (let e = 0; e < edits; e++) {
      const at = Math.floor(r() * b.length);
      b[at] = r() < 0.7 ? specials[Math.floor(r() * specials.length)]! : Math.floor(r() * 256);
    }
    const cut = r() < 0.2 ? Math.floor(r() * b.length) : b.length;
    const input = b.subarray(0, cut);
    try {
      const batch = parseLineProtocol(input, 's', { nowMs: NOW_MS });
      parsed++;
      for (const m of batch.measurements) {
        assert.equal(m.ts.length, m.rows);
        for (const f of m.fields) assert.equal(f.data.length, m.rows);
      }
    } catch (e) {
      assert.ok(isBasaltError(e), `round ${round}: ${String(e)} for ${JSON.stringify(input.toString('latin1'))}`);
      assert.match(e.message, /line \d+:/, `round ${round}: ${e.message}`);
      refused++;
    }
  }
  assert.ok(parsed > 100 && refused > 100, `parsed ${parsed}, refused ${refused}`);
});
