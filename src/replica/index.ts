// Public surface of src/replica: Raft groups with I/O (log on the WAL, TCP transport, timers).
export { WalLogStore, type DurableLogStore, type WalLogStoreOptions } from './wal-log-store.js';
export { RaftTransport, type RaftTransportOptions, type TransportSink } from './transport.js';
export { ReplicaRuntime, type ReplicaRuntimeOptions, type RaftGroupOptions, type LogFn } from './runtime.js';
export { RaftGroupHost, type GroupStatus, type ProposeResult, type GroupHostLimits } from './group-host.js';
export type { StateMachine } from './state-machine.js';
export { encodeEnvelope, decodeEnvelope } from './wire.js';
export { startRaftNode, type RaftNode, type RaftNodeOptions } from './standalone.js';
