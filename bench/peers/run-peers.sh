#!/usr/bin/env bash
# `npm run bench:peers [-- harness flags]`: the shared peer harness (../shared/bench-peers,
# or $BENCH_PEERS_DIR) with Basalt's adapter from this folder, then Basalt's ratio to each peer
# (ratios.js). Builds first, so the dnode the
# harness starts runs the current code. Default peers: influxdb,victoriametrics,clickhouse,basalt.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
HARNESS=${BENCH_PEERS_DIR:-$REPO/../shared/bench-peers}
[ -x "$HARNESS/run.sh" ] || [ -f "$HARNESS/run.sh" ] || { echo "bench:peers: no harness at $HARNESS/run.sh; set BENCH_PEERS_DIR" >&2; exit 2; }
(cd "$REPO" && npx tsc -p tsconfig.json >/dev/null) || echo "bench:peers: tsc reported errors (continuing with what was emitted)" >&2
case " $* " in *" --peers "*) ;; *) set -- --peers influxdb,victoriametrics,clickhouse,basalt "$@";; esac
rc=0
EXTRA_PEERS=$HERE bash "$HARNESS/run.sh" "$@" || rc=$?
# The harness's report has one row per peer; add Basalt's ratio to each (newest results dir).
node "$HERE/ratios.js" || true
exit $rc
