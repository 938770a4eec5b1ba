# Basalt peer adapter for ../shared/bench-peers (sourced by its run.sh; functions get the
# peer's run dir in $D). One dnode from this checkout, ingesting the harness's line protocol
# through POST /influxdb/v1/write; queries are SQL over /rest/sql (basalt.js).
# BASALT_WAL_LEVEL=2 makes every write fsync before it is acknowledged (InfluxDB's mode);
# the default 1 matches VictoriaMetrics and ClickHouse (no fsync per write).
BASALT_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# Ports used by no other peer of the harness (8086/18088, 8428, 8123/19000, etcd 2379-32380).
basalt_port=16041
basalt_rpc_port=16030
basalt_format=meters.lp
basalt_auth="root:taosdata"
basalt_version() { node "$BASALT_REPO/bin/basalt" --version 2>/dev/null; }
basalt_ingest_url() { echo "http://127.0.0.1:$basalt_port/influxdb/v1/write?db=bench&precision=s&u=root&p=taosdata"; }
basalt_datadir() { echo "$D/db"; }
basalt_sql() { curl -sS --max-time 600 -u "$basalt_auth" -d "$1" "http://127.0.0.1:$basalt_port/rest/sql"; }
basalt_start() {
  mkdir -p "$D/db" "$D/log"
  # The log lives outside the data dir so bytes per row counts data only.
  node --initial-heap-size=256 "$BASALT_REPO/bin/basalt" start --data-dir "$D/db" --log-dir "$D/log" \
    --server-port "$basalt_rpc_port" --http-port "$basalt_port" --listen-host 127.0.0.1 --fqdn localhost \
    >"$D/server.log" 2>&1 &
  PEER_PID=$!
}
basalt_ready() { curl -sf -o /dev/null "http://127.0.0.1:$basalt_port/-/ping"; }
# taosBenchmark's meters schema: FLOAT current/phase, INT voltage, INT groupid tag; the line
# protocol's tbname tag names the child table, its integer fields and tag text are converted.
basalt_setup() {
  basalt_sql "create database bench precision 'ms' wal_level ${BASALT_WAL_LEVEL:-1}${BASALT_BUFFER_MB:+ buffer $BASALT_BUFFER_MB}" | grep -q '"code":0' &&
  basalt_sql "create stable bench.meters (ts timestamp, current float, voltage int, phase float) tags (groupid int, location varchar(24))" | grep -q '"code":0'
}
basalt_flush() { basalt_sql "flush database bench"; echo; }
