// Public entry of the Basalt client library.
export { connect, checkServer, Connection } from './connection.js';
export type { ConnectOptions, QueryOptions, StreamingResult, BulkTable } from './connection.js';
export { ResultSet } from './result-set.js';
export type { ResultColumn, ResultHead, Value } from './result-set.js';
export type { StatusResponse, WireTagValue as TagValue } from '../rpc/messages.js';
export type { RpcClientTls as TlsOptions } from '../rpc/client.js';
