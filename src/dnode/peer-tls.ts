// How this dnode's connections to its peers are encrypted: TLS verified against sslCa when
// peerTls is 1, plain otherwise. (Who a peer is, is proven separately on every connection by
// the cluster-secret handshake of src/rpc/peer-auth.ts, with or without TLS.)
import { readTlsFiles, type BasaltConfig } from '../common/config.js';
import type { RpcClientTls } from '../rpc/client.js';
import type { PeerPoolOptions } from './peer-pool.js';

export interface PeerTransportSecurity {
  readonly pool: PeerPoolOptions;
  readonly raft: { readonly tls?: { readonly ca?: string | Buffer } };
}

export function peerTransportSecurity(config: BasaltConfig): PeerTransportSecurity {
  const files = config.peerTls === 1 ? readTlsFiles(config) : null;
  const tls: RpcClientTls | undefined = files?.ca ? { ca: files.ca } : undefined;
  return { pool: tls ? { tls } : {}, raft: tls ? { tls } : {} };
}
