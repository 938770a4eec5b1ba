// Public surface of the Raft library.
export * from './types.js';
export * from './config.js';
export * from './conf-change.js';
export * from './log-store.js';
export * from './prng.js';
export * from './raw-node.js';
export { Raft } from './raft.js';
