#!/usr/bin/env bash
# CPU profiles of the dnode exactly as the peer bench runs it (one process: ingest, flush,
# settle, then the queries), one .cpuprofile per phase, server side. The dnode runs with
# prof-hook.mjs preloaded: SIGUSR2 starts the V8 profiler, the next one writes the phase's
# profile. Each profile is summarised by cpuprofile-summary.js.
# usage: bench/peers/profile.sh [--reps 50] [--data DIR] [--out DIR] [--settle 10] [--wal-level 1]
# Needs the harness's data set (run `npm run bench:peers` once; default 1000x10000-b5000-table).
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
HARNESS=${BENCH_PEERS_DIR:-$REPO/../shared/bench-peers}
WORK=${BENCH_WORK:-/tmp/basalt-bench-peers}
REPS=50; DATA=$WORK/data/1000x10000-b5000-table; OUT=$WORK/profiles/$(date -u +%Y%m%dT%H%M%SZ); SETTLE=10
while [ $# -gt 0 ]; do
  case "$1" in
    --reps) REPS=$2; shift 2;; --data) DATA=$2; shift 2;; --out) OUT=$2; shift 2;; --settle) SETTLE=$2; shift 2;;
    --wal-level) export BASALT_WAL_LEVEL=$2; shift 2;;
    *) echo "unknown flag $1" >&2; exit 2;;
  esac
done
[ -f "$DATA/meters.lp" ] || { echo "no $DATA/meters.lp; run npm run bench:peers once" >&2; exit 2; }
D=$OUT/run; PROF=$OUT; mkdir -p "$D/db" "$D/log"
export EXTRA_PEERS=$HERE
# shellcheck source=basalt.sh
source "$HERE/basalt.sh"
PID=""
stop() { if [ -n "$PID" ] && kill -0 "$PID" 2>/dev/null; then kill -TERM "$PID"; wait "$PID" 2>/dev/null || true; fi; PID=""; }
trap stop EXIT
BASALT_PROF_DIR=$PROF node --initial-heap-size=256 --import "$HERE/prof-hook.mjs" "$REPO/bin/basalt" start --data-dir "$D/db" --log-dir "$D/log" \
  --server-port "$basalt_rpc_port" --http-port "$basalt_port" --listen-host 127.0.0.1 --fqdn localhost >"$D/server.log" 2>&1 &
PID=$!
for _ in $(seq 1 120); do basalt_ready && break; sleep 0.5; done
basalt_ready || { echo "dnode not ready: $(tail -3 "$D/server.log")" >&2; exit 1; }
basalt_setup
n=0
begin() { echo "$1" > "$PROF/phase"; n=$((n+1)); kill -USR2 "$PID"; sleep 0.3; }
end() { kill -USR2 "$PID"; for _ in $(seq 1 100); do [ -f "$PROF/$n-$(cat "$PROF/phase").done" ] && break; sleep 0.2; done; }
hwm() { awk '/^VmHWM/{printf "%.0f MiB", $2/1024}' "/proc/$PID/status"; }
echo "ingest: $(uptime)"
begin ingest
node "$HARNESS/lib/load.js" --url "$(basalt_ingest_url)" --file "$DATA/meters.lp" --concurrency 4 --label basalt \
  | node -e 'const r=JSON.parse(require("fs").readFileSync(0,"utf8")); console.log(`ingest ${r.rowsAcked} rows in ${r.wallS} s = ${Math.round(r.rowsPerS)} rows/s`)'
end
echo "peak RSS after ingest: $(hwm); peak memoryUsage() MiB: $(cat "$PROF"/1-ingest.mem.json)"
begin flush; basalt_flush >/dev/null; sleep "$SETTLE"; end
echo "count, cold (the bench runs it first, 1 + 5 times): $(uptime)"
begin count-cold; node "$HERE/one-query.js" count 6 "http://127.0.0.1:$basalt_port" "$DATA/expected.json"; end
echo "queries ($REPS reps each): $(uptime)"
begin query
node "$HARNESS/lib/query.js" --peer basalt --base "http://127.0.0.1:$basalt_port" --expected "$DATA/expected.json" --reps "$REPS" 2>/dev/null \
  | node -e 'for (const q of JSON.parse(require("fs").readFileSync(0,"utf8"))) console.log(q.name.padEnd(16), "median", q.medianMs, "ms", q.correct ? "ok" : "WRONG " + q.detail, " first samples:", q.samplesMs.slice(0, 6).join(" "))'
end
echo "peak RSS at end: $(hwm)"
stop
for f in "$PROF"/*.cpuprofile; do node "$HERE/cpuprofile-summary.js" "$f" --top 25; done
echo "profiles: $PROF"
