// How this dnode's connections to its peers are secured: TLS verified against sslCa when
// peerTls is 1, and a HELLO opening every new connection, so the receiving dnode (which reads
// only small frames before a login) accepts the large frames that follow. The HELLO stands in
// for the peer authentication of issue #13, which replaces it with a proof of the cluster
// secret.
import { readTlsFiles, type BasaltConfig } from '../common/config.js';
import { ClusterMsg, type HelloRequest } from '../mnode/cluster-messages.js';
import type { RpcClientTls } from '../rpc/client.js';
import type { PeerPoolOptions } from './peer-pool.js';
import type { DnodeIdentity } from './data-dir.js';

export interface PeerTransportSecurity {
  readonly pool: PeerPoolOptions;
  readonly raft: {
    readonly tls?: { readonly ca?: string | Buffer };
    readonly greeting: () => { msgType: number; control: unknown } | null;
  };
}

export function peerTransportSecurity(
  config: BasaltConfig,
  identity: () => DnodeIdentity,
  endpoint: string,
): PeerTransportSecurity {
  const files = config.peerTls === 1 ? readTlsFiles(config) : null;
  const tls: RpcClientTls | undefined = files?.ca ? { ca: files.ca } : undefined;
  // A dnode still joining has no cluster id: its first message (STATUS_REPORT) is small anyway,
  // and a HELLO without one would read as another cluster's.
  const hello = (): HelloRequest | null => {
    const id = identity();
    return id.clusterId === '' ? null : { askerClusterId: id.clusterId, askerEp: endpoint };
  };
  return {
    pool: {
      ...(tls ? { tls } : {}),
      greet: async (raw) => {
        const h = hello();
        if (h === null) return;
        // Its answer does not matter: sending it is what opens the connection for large frames.
        await raw(ClusterMsg.HELLO, h).catch(() => undefined);
      },
    },
    raft: {
      ...(tls ? { tls } : {}),
      greeting: () => {
        const h = hello();
        return h === null ? null : { msgType: ClusterMsg.HELLO, control: h };
      },
    },
  };
}
