// InfluxDB line protocol → columnar batch, byte by byte, one pass, no regular expressions.
//
//   measurement[,tag=value...] field=value[,field=value...] [timestamp]\n
//
// Speed comes from not re-deriving what the previous line already told us: a line whose
// series key (measurement + tags, up to the first unescaped space) is byte-identical to the
// previous one's reuses its series without hashing; other keys are hashed while scanned and
// found in a map; field keys are compared byte-wise against the previous line's field layout
// of the same measurement before any map lookup. Names are decoded only when first seen.
//
// Any malformed line aborts the whole request with an error naming its line number, what is
// wrong and how to write it; nothing is returned half-parsed.
import { BasaltError } from '../../common/errors.js';
import { Limits } from '../../common/limits.js';
import { TICKS_PER_MS, type Precision } from '../../common/types.js';
import type { ParsedBatch } from './batch.js';
import { BSL, COMMA, DQ, EQ, EscapeSet, SP, unescapeSpan } from './escape.js';
import { SeriesTable } from './series-table.js';
import type { DecodedSeries, SeriesCache } from './series-cache.js';
import {
  K_BOOL,
  K_FLOAT,
  K_INT,
  K_STRING,
  K_UINT,
  KIND_OF,
  MeasurementBuilder,
  type ColumnBuilder,
} from './measurement-builder.js';
import { FIELD_KIND_TEXT } from './batch.js';

/** Timestamp precision of a write request (`precision=` query parameter). */
export type LinePrecision = 'ns' | 'us' | 'ms' | 's';

export interface ParseOptions {
  /** Precision of the timestamps in the result (the database's); default 'ms'. */
  readonly tsPrecision?: Precision;
  /** Server time for lines without a timestamp, in ms since the epoch; default Date.now(). */
  readonly nowMs?: number;
  /** Series keys decoded by earlier requests (the writer keeps one per database). */
  readonly seriesCache?: SeriesCache;
}

const TAB = 9;
const LF = 10;
const CR = 13;
const HASH = 35;
const MINUS = 45;
const DOT = 46;
const D0 = 48;
const D9 = 57;
const LOWER_E = 101;
const UPPER_E = 69;
const PLUS = 43;
const LOWER_I = 105;
const LOWER_U = 117;

/** Decimal digits of 10^k per precision: s 0, ms 3, us 6, ns 9. */
const PRECISION_DIGITS: Record<LinePrecision, number> = { s: 0, ms: 3, us: 6, ns: 9 };

/** Exact powers of ten (10^22 is the largest a double holds exactly). */
const POW10 = Array.from({ length: 23 }, (_, k) => Number(`1e${k}`));

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;

/** Bytes that end a series key scan (space; a newline is an error; backslash escapes the next byte). */
const SERIES_KEY_STOP = stopTable([SP, LF, CR, BSL]);
/** Bytes that end a field key scan ('=' ends it well, the rest are errors). */
const FIELD_KEY_STOP = stopTable([EQ, SP, COMMA, LF, CR, TAB, BSL]);

function stopTable(bytes: number[]): Uint8Array {
  const t = new Uint8Array(256);
  for (const b of bytes) t[b] = 1;
  return t;
}

/** Parses a line-protocol request body. Throws SML_INVALID_DATA naming the first bad line. */
export function parseLineProtocol(body: Uint8Array, precision: LinePrecision, options: ParseOptions = {}): ParsedBatch {
  if (!(precision in PRECISION_DIGITS)) {
    throw new BasaltError('SML_INVALID_PRECISION', `precision '${String(precision)}' is not one of ns, us, ms, s`);
  }
  return new LineParser(
    body,
    precision,
    options.tsPrecision ?? 'ms',
    options.nowMs ?? Date.now(),
    options.seriesCache ?? null,
  ).run();
}

class LineParser {
  private readonly buf: Buffer;
  /** For comparing four bytes at a time (unaligned reads, inlined by the JIT). */
  private readonly view: DataView;
  private readonly n: number;
  private i = 0;
  private line = 0;
  /** Line where the current point starts (a quoted string may span lines). */
  private pointLine = 0;
  private points = 0;

  // Timestamp conversion: keep all but `dropDigits` trailing digits, then multiply by `scale`.
  private readonly dropDigits: number;
  private readonly scale: number;
  private readonly defaultTs: number;
  private readonly precision: LinePrecision;
  private readonly tsPrecision: Precision;

  // Series: ids by the key's bytes in the body; per id its measurement and index there.
  private readonly seriesTable: SeriesTable;
  private readonly sMeas: MeasurementBuilder[] = [];
  private readonly sLocal: number[] = [];
  private readonly measurements = new Map<string, MeasurementBuilder>();
  private readonly measurementOrder: MeasurementBuilder[] = [];

  // The value just parsed (scratch registers of parseValue).
  private vKind = 0;
  private vNum = 0;
  private vBig = 0n;
  private vIsBig = false;
  private vStr = '';
  private vBytes = 0;

  constructor(
    private readonly body: Uint8Array,
    precision: LinePrecision,
    tsPrecision: Precision,
    nowMs: number,
    private readonly seriesCache: SeriesCache | null,
  ) {
    this.buf = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
    this.view = new DataView(body.buffer, body.byteOffset, body.byteLength);
    this.seriesTable = new SeriesTable(body, this.view);
    this.n = body.length;
    this.precision = precision;
    this.tsPrecision = tsPrecision;
    const shift = PRECISION_DIGITS[tsPrecision] - PRECISION_DIGITS[precision];
    this.dropDigits = shift < 0 ? -shift : 0;
    this.scale = shift > 0 ? POW10[shift]! : 1;
    // As InfluxDB: a point without a timestamp gets the request's server time, truncated to
    // the request precision (so precision=s stores whole seconds).
    const nowInPrecisionMs = precision === 's' ? Math.floor(nowMs / 1000) * 1000 : Math.floor(nowMs);
    this.defaultTs = nowInPrecisionMs * TICKS_PER_MS[tsPrecision];
  }

  // One loop per line, with the scan position, the current byte, the series and the previous
  // line's key in locals: split into methods, that state would go through fields (or returned
  // tuples) at every call. The loop parses 6.0 M lines/s, 660 MB/s: ~165 ns per ~110-byte line,
  // ~1.5 ns per byte (src/adapter/line-protocol/README.md "Speed", bench/line-protocol.bench.ts),
  // so a few ns of call and field traffic per key or field is a visible share. Not measured
  // split; measure with `npm run bench:line-protocol` before and after if it is ever split.
  // biome-ignore lint/complexity/noExcessiveLinesPerFunction: line-protocol hot loop at ~1.5 ns/byte (bench/line-protocol.bench.ts) keeps its scan state in locals of one loop; helpers would pass it through fields per call
  run(): ParsedBatch {
    const body = this.body;
    const view = this.view;
    const n = this.n;
    let prevKeyStart = -1;
    let prevKeyLen = -1;
    let prevSeries = -1;
    while (this.i < n) {
      this.line++;
      let i = this.i;
      let c = body[i]!;
      while ((c === SP || c === TAB) && ++i < n) c = body[i]!;
      if (i >= n) {
        this.i = i;
        break;
      }
      if (c === LF) {
        this.i = i + 1;
        continue;
      }
      if (c === CR && (i + 1 >= n || body[i + 1] === LF)) {
        this.i = i + 2;
        continue;
      }
      if (c === HASH) {
        while (i < n && body[i] !== LF) i++;
        this.i = i + 1;
        continue;
      }
      this.pointLine = this.line;
      const keyStart = i;

      // --- series key: fast path when it equals the previous line's ---
      let series = -1;
      if (prevKeyLen > 0 && keyStart + prevKeyLen < n && body[keyStart + prevKeyLen] === SP) {
        let k = 0;
        const k4 = prevKeyLen - 3;
        while (k < k4 && view.getInt32(keyStart + k, true) === view.getInt32(prevKeyStart + k, true)) k += 4;
        while (k < prevKeyLen && body[keyStart + k] === body[prevKeyStart + k]) k++;
        if (k === prevKeyLen) {
          series = prevSeries;
          i = keyStart + prevKeyLen;
        }
      }
      if (series < 0) {
        for (;;) {
          while (i < n && SERIES_KEY_STOP[body[i]!] === 0) i++;
          if (i < n && body[i] === BSL && i + 1 < n && body[i + 1] !== LF && body[i + 1] !== CR) {
            i += 2;
            continue;
          }
          break;
        }
        if (i >= n || body[i] !== SP) {
          this.i = i;
          this.fail(
            'the line has no fields; write measurement[,tag=value...] field=value[,field=value...] [timestamp]',
            keyStart,
          );
        }
        series = this.findSeries(keyStart, i);
        prevKeyStart = keyStart;
        prevKeyLen = i - keyStart;
        prevSeries = series;
      }
      const m = this.sMeas[series]!;
      if (m.rows === m.cap) {
        // Grow to what the rest of the body probably holds, judged by the bytes per line so far.
        const bytesPerLine = Math.max(16, keyStart / Math.max(1, this.points));
        m.grow(m.rows + Math.ceil((n - keyStart) / bytesPerLine) + 16);
      }
      const row = m.rows;

      // --- fields ---
      while (i < n && (body[i] === SP || body[i] === TAB)) i++;
      if (i >= n || body[i] === LF || body[i] === CR) {
        this.i = i;
        this.fail('the line has no fields after the measurement and tags; add at least one field=value', keyStart);
      }
      let pos = 0;
      let distinct = 0;
      for (;;) {
        const ks = i;
        // Column: the key at the same position of the previous line of this measurement,
        // when the bytes match and '=' follows them (then a scan would stop there too).
        let col: ColumnBuilder | undefined;
        if (pos < m.cols.length) {
          const guess = m.cols[m.layout[pos]!]!;
          const raw = guess.rawKey;
          const len = raw.length;
          if (ks + len < n && body[ks + len] === EQ) {
            let k = 0;
            while (k < len && body[ks + k] === raw[k]) k++;
            if (k === len) col = guess;
          }
        }
        if (col !== undefined) {
          this.i = ks + col.rawKey.length + 1;
          i = this.parseValue(keyStart, ks, ks + col.rawKey.length);
        } else {
          for (;;) {
            while (i < n && FIELD_KEY_STOP[body[i]!] === 0) i++;
            if (i + 1 < n && body[i] === BSL) {
              i += 2;
              continue;
            }
            break;
          }
          c = i < n ? body[i]! : 0;
          if (i === ks) {
            this.i = i;
            this.fail('a field has an empty key; write key=value', keyStart);
          }
          if (i >= n || c !== EQ) {
            this.i = i;
            this.fail(
              `field '${this.text(ks, i)}' has no value; write key=value (escape spaces, commas and '=' in keys with a backslash)`,
              keyStart,
            );
          }
          const ke = i;
          const rawText = this.buf.toString('latin1', ks, ke);
          const found = m.colByRaw.get(rawText);
          this.i = i + 1;
          i = this.parseValue(keyStart, ks, ke);
          const colIdx =
            found ??
            m.addColumn(
              this.name(ks, ke, EscapeSet.Key, keyStart, 'field key'),
              body.slice(ks, ke),
              rawText,
              this.vKind,
              this.pointLine,
            );
          col = m.cols[colIdx]!;
          m.setLayout(pos, colIdx);
        }
        if (col.kind !== this.vKind) this.conflict(m, col, keyStart);
        if (col.lastRow !== row) {
          col.lastRow = row;
          distinct++;
        }
        this.store(col, row);
        pos++;
        if (i < n && body[i] === COMMA) {
          i++;
          continue;
        }
        break;
      }
      if (distinct !== m.cols.length) m.fillMissing(row);

      // --- timestamp ---
      while (i < n && (body[i] === SP || body[i] === TAB)) i++;
      let ts: number;
      if (i >= n || body[i] === LF || body[i] === CR) {
        ts = this.defaultTs;
        if (!Number.isSafeInteger(ts)) {
          this.i = i;
          this.fail(
            `the line has no timestamp and the server time does not fit a database of precision ${this.tsPrecision} (at most 2^53 ticks)`,
            keyStart,
          );
        }
      } else {
        this.i = i;
        ts = this.parseTimestamp(keyStart);
        i = this.i;
        while (i < n && (body[i] === SP || body[i] === TAB)) i++;
      }
      if (i < n) {
        c = body[i]!;
        if (c === CR && (i + 1 >= n || body[i + 1] === LF)) i += 2;
        else if (c === LF) i++;
        else {
          this.i = i;
          this.fail(
            `unexpected '${this.valueText(i)}' after the fields; the timestamp is one integer (separate fields with commas, not spaces; escape spaces in keys)`,
            keyStart,
          );
        }
      }
      m.ts[row] = ts;
      m.lines[row] = this.pointLine;
      m.seriesOf[row] = this.sLocal[series]!;
      m.rows = row + 1;
      this.points++;
      this.i = i;
    }
    return { points: this.points, measurements: this.measurementOrder.map((m) => m.finish()) };
  }

  /** Finds or registers the series whose key is body[start, end). */
  private findSeries(start: number, end: number): number {
    const t = this.seriesTable;
    const len = end - start;
    const h = t.hash(start, len);
    const id = t.findOrAdd(start, len, h);
    if (t.isNew) this.newSeries(start, end, id, h);
    return id;
  }

  /** Registers series `g` of this request: from the cross-request cache, or decoded now. */
  private newSeries(start: number, end: number, g: number, h: number): void {
    const cache = this.seriesCache;
    let d = cache?.get(this.body, start, end - start, h);
    if (d === undefined) {
      d = this.decodeSeriesKey(start, end);
      cache?.add(this.body, start, end - start, h, d);
    }
    let m = this.measurements.get(d.measurementRaw);
    if (m === undefined) {
      m = new MeasurementBuilder(d.measurement, this.pointLine);
      this.measurements.set(d.measurementRaw, m);
      this.measurementOrder.push(m);
    }
    this.sMeas[g] = m;
    this.sLocal[g] = m.series.length;
    m.series.push({ tagKeys: d.tagKeys, tagValues: d.tagValues, tbname: d.tbname, firstLine: this.pointLine });
  }

  /** Decodes a series key: measurement, tags (sorted, unique), tbname. */
  private decodeSeriesKey(start: number, end: number): DecodedSeries {
    const body = this.body;
    let i = start;
    while (i < end && body[i] !== COMMA) {
      if (body[i] === BSL) i++;
      i++;
    }
    if (i > end) i = end;
    if (i === start)
      this.fail('the measurement name is empty; a line starts with the measurement, e.g. cpu,host=a usage=1', start);
    const measurementRaw = this.buf.toString('latin1', start, i);
    const measurement =
      this.measurements.get(measurementRaw)?.name ?? this.name(start, i, EscapeSet.Measurement, start, 'measurement');
    const tags: Array<[string, string]> = [];
    let tbname: string | null = null;
    while (i < end) {
      i++; // the comma
      const ks = i;
      while (i < end && body[i] !== EQ && body[i] !== COMMA) {
        if (body[i] === BSL) i++;
        i++;
      }
      if (i >= end || body[i] !== EQ)
        this.fail(
          `tag '${this.text(ks, Math.min(i, end))}' has no '='; write tag=value (escape spaces, commas and '=' with a backslash)`,
          start,
        );
      const ke = i;
      if (ke === ks) this.fail('a tag has an empty key; write tag=value', start);
      i++;
      const vs = i;
      while (i < end && body[i] !== COMMA) {
        if (body[i] === BSL) {
          i += 2;
          continue;
        }
        if (body[i] === EQ)
          this.fail(
            `tag value '${this.text(vs, Math.min(i + 1, end))}' contains an unescaped '='; escape it as \\=`,
            start,
          );
        i++;
      }
      if (i > end) i = end;
      if (i === vs) this.fail(`tag '${this.text(ks, ke)}' has an empty value; omit the tag or give it a value`, start);
      const key = this.name(ks, ke, EscapeSet.Key, start, 'tag key');
      const value = this.name(vs, i, EscapeSet.Key, start, 'tag value');
      if (key === 'tbname') {
        if (tbname !== null) this.fail("tag 'tbname' appears twice", start);
        tbname = value;
        continue;
      }
      tags.push([key, value]);
    }
    tags.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    for (let t = 1; t < tags.length; t++) {
      if (tags[t]![0] === tags[t - 1]![0]) this.fail(`tag '${tags[t]![0]}' appears twice in the series key`, start);
    }
    return { measurementRaw, measurement, tagKeys: tags.map((t) => t[0]), tagValues: tags.map((t) => t[1]), tbname };
  }

  /** Parses the value at this.i into the v* registers; returns the index after it. */
  private parseValue(lineStart: number, ks: number, ke: number): number {
    const body = this.body;
    const n = this.n;
    let i = this.i;
    if (i >= n) this.badValue(lineStart, ks, ke, i, 'it is missing');
    const c = body[i]!;
    if (c === DQ) return this.parseString(lineStart, ks, ke, i);
    if ((c >= D0 && c <= D9) || c === MINUS || c === DOT) return this.parseNumber(lineStart, ks, ke, i);
    // Booleans: t T true True TRUE f F false False FALSE.
    const vs = i;
    while (i < n) {
      const d = body[i];
      if (d === COMMA || d === SP || d === LF || d === CR || d === TAB) break;
      i++;
    }
    const len = i - vs;
    const b0 = c;
    let v = -1;
    if (len === 1) v = b0 === 116 || b0 === 84 ? 1 : b0 === 102 || b0 === 70 ? 0 : -1;
    else if (len === 4 || len === 5) {
      const w = this.buf.toString('latin1', vs, i);
      if (w === 'true' || w === 'True' || w === 'TRUE') v = 1;
      else if (w === 'false' || w === 'False' || w === 'FALSE') v = 0;
    }
    if (v < 0) {
      this.badValue(
        lineStart,
        ks,
        ke,
        vs,
        len === 0
          ? 'it is missing'
          : `'${this.text(vs, Math.min(i, vs + 32))}' is not a number, boolean or quoted string (quote strings with double quotes)`,
      );
    }
    this.vKind = K_BOOL;
    this.vNum = v;
    return i;
  }

  // Runs for every numeric field value: the digit scan keeps sign, mantissa, digit and fraction
  // counts, exponent and position in locals, and the integer (i/u) and float endings read them
  // all, so helpers would take them as 6-8 arguments per value (or go through fields). Same
  // budget as run() above (~1.5 ns per byte); measure with `npm run bench:line-protocol`
  // (bench/line-protocol.bench.ts) before and after if it is ever split.
  // biome-ignore lint/complexity/noExcessiveLinesPerFunction: per-field-value hot path of the line-protocol parser (bench/line-protocol.bench.ts); the digit scan's state lives in locals that the integer and float endings both read
  private parseNumber(lineStart: number, ks: number, ke: number, start: number): number {
    const body = this.body;
    const n = this.n;
    let i = start;
    let neg = false;
    if (body[i] === MINUS) {
      neg = true;
      i++;
    }
    let mant = 0;
    let digits = 0;
    let frac = 0;
    let isInt = true;
    let c = i < n ? body[i]! : 0;
    while (c >= D0 && c <= D9) {
      mant = mant * 10 + (c - D0);
      digits++;
      c = ++i < n ? body[i]! : 0;
    }
    if (c === DOT) {
      isInt = false;
      c = ++i < n ? body[i]! : 0;
      while (c >= D0 && c <= D9) {
        mant = mant * 10 + (c - D0);
        digits++;
        frac++;
        c = ++i < n ? body[i]! : 0;
      }
    }
    if (digits === 0) this.badValue(lineStart, ks, ke, start, `'${this.valueText(start)}' is not a number`);
    let exp = 0;
    if (c === LOWER_E || c === UPPER_E) {
      isInt = false;
      c = ++i < n ? body[i]! : 0;
      let expNeg = false;
      if (c === MINUS || c === PLUS) {
        expNeg = c === MINUS;
        c = ++i < n ? body[i]! : 0;
      }
      let ed = 0;
      while (c >= D0 && c <= D9) {
        if (exp < 100000) exp = exp * 10 + (c - D0);
        ed++;
        c = ++i < n ? body[i]! : 0;
      }
      if (ed === 0)
        this.badValue(lineStart, ks, ke, start, `'${this.valueText(start)}' has an exponent without digits`);
      if (expNeg) exp = -exp;
    }
    if (c === LOWER_I || c === LOWER_U) {
      const unsigned = c === LOWER_U;
      if (!isInt) {
        this.badValue(
          lineStart,
          ks,
          ke,
          start,
          `'${this.valueText(start)}' is not an integer; ${unsigned ? 'u' : 'i'} values have no decimal point or exponent`,
        );
      }
      if (unsigned && neg)
        this.badValue(
          lineStart,
          ks,
          ke,
          start,
          `'${this.valueText(start)}' is negative; unsigned (u) values are 0 or more, use i for signed integers`,
        );
      this.vKind = unsigned ? K_UINT : K_INT;
      if (digits <= 15) {
        this.vIsBig = false;
        this.vNum = neg ? -mant : mant;
      } else {
        const v = BigInt(this.buf.toString('latin1', start, i));
        if (unsigned ? v > UINT64_MAX : v < INT64_MIN || v > INT64_MAX) {
          this.badValue(
            lineStart,
            ks,
            ke,
            start,
            `${v} is out of range for ${unsigned ? 'an unsigned 64-bit' : 'a signed 64-bit'} integer`,
          );
        }
        this.vIsBig = true;
        this.vBig = v;
      }
      i++;
    } else {
      this.vKind = K_FLOAT;
      // Exact fast path: a mantissa below 2^53 and a power of ten up to 10^22 are both exact,
      // so one IEEE multiply/divide gives the correctly rounded value (Clinger).
      const e = exp - frac;
      let v: number;
      if (digits <= 15 && e >= -22 && e <= 22) v = e < 0 ? mant / POW10[-e]! : mant * POW10[e]!;
      else v = Number(this.buf.toString('latin1', neg ? start + 1 : start, i));
      if (!Number.isFinite(v))
        this.badValue(lineStart, ks, ke, start, `'${this.valueText(start)}' is beyond the range of a 64-bit float`);
      this.vNum = neg ? -v : v;
    }
    c = i < n ? body[i]! : LF;
    if (c !== COMMA && c !== SP && c !== LF && c !== CR && c !== TAB) {
      this.badValue(
        lineStart,
        ks,
        ke,
        start,
        `'${this.valueText(start)}' is not a number (integers end in i or u, floats are like 1.5 or 2e-3)`,
      );
    }
    return i;
  }

  private parseString(lineStart: number, ks: number, ke: number, start: number): number {
    const body = this.body;
    const n = this.n;
    let i = start + 1;
    let esc = false;
    let newlines = 0;
    for (;;) {
      if (i >= n) this.badValue(lineStart, ks, ke, start, 'the string has no closing double quote');
      const c = body[i]!;
      if (c === DQ) break;
      if (c === BSL) {
        esc = true;
        i += 2;
        continue;
      }
      if (c === LF) newlines++;
      i++;
    }
    if (esc) {
      this.vStr = unescapeSpan(this.buf, start + 1, i, EscapeSet.StringValue);
      this.vBytes = Buffer.byteLength(this.vStr, 'utf8');
    } else {
      this.vStr = this.buf.toString('utf8', start + 1, i);
      this.vBytes = i - start - 1;
    }
    if (this.vBytes > Limits.maxVarcharBytes) {
      this.badValue(lineStart, ks, ke, start, `the string is ${this.vBytes} bytes; at most ${Limits.maxVarcharBytes}`);
    }
    this.line += newlines;
    this.vKind = K_STRING;
    i++;
    const c = i < n ? body[i]! : LF;
    if (c !== COMMA && c !== SP && c !== LF && c !== CR && c !== TAB) {
      this.badValue(
        lineStart,
        ks,
        ke,
        start,
        'unexpected text after the closing quote; escape double quotes inside strings as \\"',
      );
    }
    return i;
  }

  private store(col: ColumnBuilder, row: number): void {
    switch (col.kind) {
      case K_FLOAT:
        col.f64[row] = this.vNum;
        break;
      case K_INT:
      case K_UINT:
        if (this.vIsBig) col.big![row] = this.vBig;
        else col.setSafeInt(row, this.vNum);
        break;
      case K_BOOL:
        col.u8[row] = this.vNum;
        break;
      default:
        col.strs[row] = this.vStr;
        if (this.vBytes > col.maxBytes) col.maxBytes = this.vBytes;
        break;
    }
  }

  /** Reads the integer timestamp at this.i, converted to ticks of the target precision. */
  private parseTimestamp(lineStart: number): number {
    const body = this.body;
    const n = this.n;
    const start = this.i;
    let i = start;
    const neg = body[i] === MINUS;
    if (neg) i++;
    const ds = i;
    let acc = 0;
    let c0 = i < n ? body[i]! : 0;
    while (c0 >= D0 && c0 <= D9) {
      acc = acc * 10 + (c0 - D0);
      c0 = ++i < n ? body[i]! : 0;
    }
    const digits = i - ds;
    const c = i < n ? body[i]! : LF;
    if (digits === 0 || (c !== SP && c !== TAB && c !== LF && c !== CR)) {
      let e = i;
      while (e < n && body[e] !== SP && body[e] !== LF && body[e] !== CR) e++;
      this.i = start;
      this.fail(
        `timestamp '${this.text(start, Math.min(e, start + 32))}' is not an integer; write it in ${this.precision === 's' ? 'seconds' : this.precision} since 1970 or leave it out for the server time`,
        lineStart,
      );
    }
    let v: number;
    if (this.dropDigits === 0 && digits <= 15) {
      v = acc * this.scale; // `acc` is exact below 10^15
    } else {
      // Truncating to a coarser precision drops trailing digits (exact, no 2^53 limit on input).
      const keep = digits - this.dropDigits;
      v = 0;
      for (let k = 0; k < keep; k++) v = v * 10 + (body[ds + k]! - D0);
      v *= this.scale;
    }
    if (neg) v = -v;
    if (!Number.isSafeInteger(v)) {
      this.i = start;
      this.fail(
        `timestamp ${this.text(start, i)} (precision ${this.precision}) is out of range for a database of precision ${this.tsPrecision}`,
        lineStart,
      );
    }
    this.i = i;
    return v === 0 ? 0 : v;
  }

  // --- names and errors ---

  private name(start: number, end: number, set: EscapeSet, lineStart: number, what: string): string {
    try {
      return unescapeSpan(this.buf, start, end, set);
    } catch {
      this.fail(`the ${what} is not valid UTF-8`, lineStart);
    }
  }

  private text(start: number, end: number): string {
    return this.buf.toString('utf8', start, Math.max(start, end));
  }

  private valueText(start: number): string {
    let e = start;
    while (e < this.n && e < start + 32) {
      const c = this.body[e];
      if (c === COMMA || c === SP || c === LF || c === CR || c === TAB) break;
      e++;
    }
    return this.text(start, e);
  }

  private badValue(lineStart: number, ks: number, ke: number, at: number, what: string): never {
    this.i = at;
    this.fail(`field '${this.text(ks, ke)}': ${what}`, lineStart);
  }

  private conflict(m: MeasurementBuilder, col: ColumnBuilder, lineStart: number): never {
    throw new BasaltError(
      'SML_NOT_SAME_TYPE',
      `line ${this.pointLine}: field '${col.name}' of measurement '${m.name}' is ${FIELD_KIND_TEXT[KIND_OF[this.vKind]!]} here ` +
        `but ${FIELD_KIND_TEXT[KIND_OF[col.kind]!]} at line ${col.firstLine}; one field keeps one type (\`${this.snippet(lineStart)}\`)`,
      { line: this.pointLine, field: col.name, measurement: m.name },
    );
  }

  /** The start of the line, for error messages (at most 80 bytes). */
  private snippet(lineStart: number): string {
    let e = lineStart;
    while (e < this.n && e < lineStart + 80 && this.body[e] !== LF && this.body[e] !== CR) e++;
    const s = this.text(lineStart, e);
    return e < this.n && this.body[e] !== LF && this.body[e] !== CR ? `${s}...` : s;
  }

  private fail(what: string, lineStart: number): never {
    throw new BasaltError('SML_INVALID_DATA', `line ${this.pointLine}: ${what} (\`${this.snippet(lineStart)}\`)`, {
      line: this.pointLine,
    });
  }
}
