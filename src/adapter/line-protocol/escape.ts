// Backslash escapes of line protocol, applied only where a name or value is first seen (new
// series, new field key, string values that contain a backslash), never per line otherwise.
//   measurement:                      \,  \␠          → the character itself
//   tag keys, tag values, field keys: \,  \=  \␠
//   string field values:              \"  \\
// A backslash before any other character is kept as written, as InfluxDB does.

export const BSL = 92;
export const SP = 32;
export const COMMA = 44;
export const EQ = 61;
export const DQ = 34;

const fatalUtf8 = new TextDecoder('utf-8', { fatal: true });
/** String field values: bytes that are not UTF-8 become U+FFFD, as for unescaped strings. */
const lenientUtf8 = new TextDecoder('utf-8');

/** Which element a span belongs to, deciding the escapable characters. */
export const enum EscapeSet {
  Measurement,
  Key,
  StringValue,
}

function escapable(set: EscapeSet, c: number): boolean {
  switch (set) {
    case EscapeSet.Measurement:
      return c === COMMA || c === SP;
    case EscapeSet.Key:
      return c === COMMA || c === SP || c === EQ;
    case EscapeSet.StringValue:
      return c === DQ || c === BSL;
  }
}

/**
 * Bytes [start, end) of `body` with escapes removed, decoded as UTF-8. For names and tags,
 * throws a TypeError on bytes that are not UTF-8 (the caller turns it into an error naming the
 * line); string values get U+FFFD instead.
 */
export function unescapeSpan(body: Buffer, start: number, end: number, set: EscapeSet): string {
  let plain = true;
  let ascii = true;
  for (let i = start; i < end; i++) {
    const c = body[i]!;
    if (c === BSL) {
      plain = false;
      break;
    }
    if (c >= 0x80) ascii = false;
  }
  const decoder = set === EscapeSet.StringValue ? lenientUtf8 : fatalUtf8;
  if (plain) return ascii ? body.toString('latin1', start, end) : decoder.decode(body.subarray(start, end));
  const out = new Uint8Array(end - start);
  let o = 0;
  for (let i = start; i < end; i++) {
    const c = body[i]!;
    if (c === BSL && i + 1 < end && escapable(set, body[i + 1]!)) {
      out[o++] = body[i + 1]!;
      i++;
    } else {
      out[o++] = c;
    }
  }
  return decoder.decode(out.subarray(0, o));
}
