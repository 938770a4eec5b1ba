// Bench-only RPC message types of the raft-net benchmark (not part of src/rpc/messages.ts:
// only bench/raft-net-node.ts serves them).
/** payload = entry bytes (key, 0, value); reply {index} once applied on the leader. */
export const BENCH_PUT = 60001;
/** reply: the group's GroupStatus. */
export const BENCH_STATUS = 60002;
/** reply: {applied, order: keys in apply order} (order kept only with RAFT_NET_TRACK=1). */
export const BENCH_DUMP = 60003;
