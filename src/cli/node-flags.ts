// Node/V8 flags a dnode process runs with. V8 sizes its garbage collection limits from the
// initial heap: with the default (a few MB for a fresh process) a dnode that allocates a
// steady stream of large short-lived buffers (request frames, replicated entries, memtable
// growth) runs a full mark-compact every ~50 ms, each also marking on a background thread.
// A 256 MB initial heap cut those from 20-27 to 4-5 per dnode in bench:cluster's replica-3
// ingest (5 M rows) and raised its rows/s by about 30 %; memory is committed as used, not
// up front. NODE_OPTIONS refuses this flag, so it is passed on the command line: by
// bin/basalt's shebang, and by every place that spawns a dnode with process.execPath.
export const SERVER_NODE_FLAGS: readonly string[] = ['--initial-heap-size=256'];

/** True when this process was started with SERVER_NODE_FLAGS. */
export function hasServerNodeFlags(): boolean {
  return SERVER_NODE_FLAGS.every((f) => process.execArgv.includes(f));
}
