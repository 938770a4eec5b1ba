// OpenTSDB's put formats, as taosAdapter accepts them at `/opentsdb/v1/put/json/<db>` and
// `/opentsdb/v1/put/telnet/<db>`, mapped as TDengine's schemaless does: the metric is the
// super table, the value the DOUBLE column `_value`, the timestamp `_ts`, every tag a tag.
// The points are rewritten as line protocol (one line per point, so "line N" in an error is
// point N) and go through the same schemaless bulk path (line-protocol/): no SQL per row.
//
//   JSON:   {"metric":"sys.cpu","timestamp":1346846400,"value":18,"tags":{"host":"web01"}}
//           or an array of them; timestamps in seconds (up to 10 digits) or milliseconds
//   telnet: [put ]<metric> <timestamp> <value> <tagk=tagv> ...   one point per line
import { BasaltError } from '../common/errors.js';
import { Limits } from '../common/limits.js';

/** Seconds below this, milliseconds from it (OpenTSDB: 10-digit seconds, 13-digit milliseconds). */
const MS_FROM = 10_000_000_000;

function bad(point: number, why: string): never {
  throw new BasaltError('SML_INVALID_DATA', `point ${point}: ${why}`);
}

/** `s` with line protocol's specials escaped for a measurement (comma, space) or a tag (also `=`). */
function escapeLp(s: string, tag: boolean): string {
  return s.replace(tag ? /[\\,= ]/g : /[\\, ]/g, (c) => `\\${c}`);
}

function timestampMs(point: number, v: unknown): number {
  const n = typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0)
    bad(point, `timestamp ${JSON.stringify(v)} must be a Unix time in seconds or milliseconds`);
  return n < MS_FROM ? n * 1000 : n;
}

function valueText(point: number, v: unknown): string {
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
  if (typeof n === 'boolean') return n ? '1' : '0';
  if (typeof n !== 'number' || !Number.isFinite(n)) bad(point, `value ${JSON.stringify(v)} must be a finite number`);
  return String(n);
}

function checkName(point: number, what: string, s: string): string {
  if (s === '') bad(point, `${what} is empty`);
  if (Buffer.byteLength(s) > Limits.maxVarcharBytes)
    bad(point, `${what} is longer than ${Limits.maxVarcharBytes} bytes`);
  if (/[\n\r]/.test(s)) bad(point, `${what} holds a line break`);
  return s;
}

function line(point: number, metric: string, ms: number, value: string, tags: readonly [string, string][]): string {
  let out = escapeLp(checkName(point, 'metric', metric), false);
  for (const [k, v] of tags)
    out += `,${escapeLp(checkName(point, 'tag key', k), true)}=${escapeLp(checkName(point, `tag '${k}'`, v), true)}`;
  return `${out} _value=${value} ${ms}`;
}

/** OpenTSDB JSON put body → line protocol at millisecond precision; throws naming the point. */
export function openTsdbJsonToLines(body: Uint8Array): { text: string; points: number } {
  let doc: unknown;
  try {
    doc = JSON.parse(Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8'));
  } catch (e) {
    throw new BasaltError(
      'SML_INVALID_DATA',
      `the body is not JSON (${(e as Error).message}); send a data point or an array of them`,
    );
  }
  const points = Array.isArray(doc) ? doc : [doc];
  const lines: string[] = [];
  for (let i = 0; i < points.length; i++) {
    const p = points[i] as { metric?: unknown; timestamp?: unknown; value?: unknown; tags?: unknown } | null;
    const n = i + 1;
    if (p === null || typeof p !== 'object' || Array.isArray(p))
      bad(n, 'must be an object with metric, timestamp, value and tags');
    if (typeof p.metric !== 'string') bad(n, 'metric must be a string');
    const tags: [string, string][] = [];
    if (p.tags !== undefined) {
      if (p.tags === null || typeof p.tags !== 'object' || Array.isArray(p.tags)) bad(n, 'tags must be an object');
      for (const [k, v] of Object.entries(p.tags as Record<string, unknown>)) {
        if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean')
          bad(n, `tag '${k}' must be a string or a number`);
        tags.push([k, String(v)]);
      }
    }
    lines.push(line(n, p.metric, timestampMs(n, p.timestamp), valueText(n, p.value), tags));
  }
  return { text: lines.join('\n'), points: lines.length };
}

/**
 * OpenTSDB telnet put lines → line protocol at millisecond precision. Without `onBad` the
 * first bad line throws, naming it (the HTTP route writes all or nothing); with it each bad
 * line is reported and skipped (the telnet listener, as OpenTSDB does).
 */
export function openTsdbTelnetToLines(
  body: Uint8Array | string,
  onBad?: (e: BasaltError, line: string) => void,
): { text: string; points: number } {
  const text =
    typeof body === 'string' ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
  const src = text.split(/\r?\n/);
  const lines: string[] = [];
  for (let i = 0; i < src.length; i++) {
    try {
      const l = telnetLine(i + 1, src[i]!);
      if (l !== null) lines.push(l);
    } catch (e) {
      if (!onBad || !(e instanceof BasaltError)) throw e;
      onBad(e, src[i]!);
    }
  }
  return { text: lines.join('\n'), points: lines.length };
}

/** One telnet line as a line-protocol line; null for a blank one. */
function telnetLine(n: number, raw: string): string | null {
  const words = raw
    .trim()
    .split(/\s+/)
    .filter((w) => w !== '');
  if (words.length === 0) return null;
  if (words[0] === 'put') words.shift();
  if (words.length < 3) bad(n, 'expected [put] <metric> <timestamp> <value> <tagk=tagv> ...');
  const tags: [string, string][] = [];
  for (const w of words.slice(3)) {
    const eq = w.indexOf('=');
    if (eq <= 0) bad(n, `tag '${w}' must be key=value`);
    tags.push([w.slice(0, eq), w.slice(eq + 1)]);
  }
  return line(n, words[0]!, timestampMs(n, words[1]), valueText(n, words[2]), tags);
}
