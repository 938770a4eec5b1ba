// InfluxDB line protocol ingestion: the public surface (see README.md in this folder).
export { handleInfluxWrite, type InfluxWriteRequest, type InfluxWriteResponse } from './handler.js';
export { writeLineProtocol, parsePrecision, type WriteSummary } from './write.js';
export { parseLineProtocol, type LinePrecision, type ParseOptions } from './parse.js';
export {
  groupRowsBySeries,
  type FieldColumn,
  type FieldKind,
  type MeasurementData,
  type ParsedBatch,
  type Series,
} from './batch.js';
export type { LineProtocolTarget } from './schema-cache.js';
export { lineProtocolTarget } from './client-target.js';
