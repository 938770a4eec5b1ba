// Test-only RPC message types served by test/vnode/vnode-proc.ts (see that file).
export const PROC_SCHEMA = 60101;
export const PROC_WRITE = 60102;
export const PROC_STATUS = 60103;
export const PROC_CHECK = 60104;
