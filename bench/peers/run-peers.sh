#!/usr/bin/env bash
# `npm run bench:peers [-- harness flags]`: the shared peer harness (../shared/bench-peers,
# or $BENCH_PEERS_DIR) with Basalt's adapter from this folder. Builds first, so the dnode the
# harness starts runs the current code. Default peers: influxdb,victoriametrics,clickhouse,basalt.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
HARNESS=${BENCH_PEERS_DIR:-$REPO/../shared/bench-peers}
[ -x "$HARNESS/run.sh" ] || [ -f "$HARNESS/run.sh" ] || { echo "bench:peers: no harness at $HARNESS/run.sh; set BENCH_PEERS_DIR" >&2; exit 2; }
(cd "$REPO" && npx tsc -p tsconfig.json >/dev/null) || echo "bench:peers: tsc reported errors (continuing with what was emitted)" >&2
case " $* " in *" --peers "*) ;; *) set -- --peers influxdb,victoriametrics,clickhouse,basalt "$@";; esac
EXTRA_PEERS=$HERE exec bash "$HARNESS/run.sh" "$@"
