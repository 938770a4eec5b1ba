// The HTTP face of line protocol, `POST /influxdb/v1/write?db=…&precision=ns|us|ms|s`, as a
// plain function the router calls with the query parameters and the raw (already inflated)
// body. Authentication (Basic, or the `u`/`p` query parameters as InfluxDB 1.x clients send
// them) is the router's job and happens before this is called.
//
//   204                      written (an empty body or only comments writes nothing, also 204)
//   400 {"code","message"}   a line that does not parse (the message names the line number and
//                            what is wrong), a type conflict, a bad precision, no db parameter
//   404 {"code","message"}   the database does not exist (the message says `create database`)
//   5xx {"code","message"}   the cluster could not take the write; nothing was acknowledged
// `code` is the Basalt/TDengine error code & 0xffff, as REST reports it.
import { BasaltError, toBasaltError } from '../../common/errors.js';
import type { LineProtocolTarget } from './schema-cache.js';
import { parsePrecision, writeLineProtocol } from './write.js';

export interface InfluxWriteRequest {
  /** `db` query parameter. */
  readonly db: string | null | undefined;
  /** `precision` query parameter; missing means ns, as InfluxDB. */
  readonly precision?: string | null;
  readonly body: Uint8Array;
  /** Server time for lines without a timestamp (tests pin it); default Date.now(). */
  readonly nowMs?: number;
}

export interface InfluxWriteResponse {
  readonly status: number;
  /** JSON error document, absent on 204. */
  readonly body?: string;
}

export async function handleInfluxWrite(
  target: LineProtocolTarget,
  req: InfluxWriteRequest,
): Promise<InfluxWriteResponse> {
  try {
    if (!req.db)
      throw new BasaltError(
        'DB_NOT_SPECIFIED',
        'the db query parameter is missing; write to /influxdb/v1/write?db=NAME&precision=ns',
      );
    await writeLineProtocol(target, req.db, req.body, parsePrecision(req.precision), req.nowMs ?? Date.now());
    return { status: 204 };
  } catch (e) {
    const err = toBasaltError(e);
    const status = err.errorName === 'DB_NOT_EXIST' ? 404 : err.httpStatus;
    return { status, body: JSON.stringify({ code: (err.code >>> 0) & 0xffff, message: err.message }) };
  }
}
