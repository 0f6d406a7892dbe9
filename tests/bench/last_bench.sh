#!/usr/bin/env bash
# The last values of one series among many, from the last-value cache in
# Redis and from InfluxDB 1.x side by side (issue 10): starts a redis-server,
# an influxd and inflowd on loopback, then runs inflow_last_bench against
# them, which fills both with the same points and times the lookups.
#
#   tests/bench/last_bench.sh BUILD_DIR [SERIES]
#
# SERIES (default 100000) is the number of series of measurement m. The
# table inflow_last_bench prints (see tests/bench/last_bench.cc) goes to
# standard output; the servers' logs stay in the temporary folder.
#
# Environment, all optional:
#   INFLOW_BENCH_LOOKUPS        timed lookups per path; default 2000
#   INFLOW_BENCH_CLI_LOOKUPS    timed `inflow last` processes; default 200
#   INFLOW_BENCH_BLOCK          lookups of a path in a row before the next
#                               path's; default 100 (1: one of each in turn)
#   INFLOW_BENCH_INFLOWD_HTTP=0 leave out GET /last on inflowd's HTTP
#                               listener (timed by default)
#   INFLOW_INFLUXD              the influxd binary; default /usr/bin/influxd
#   INFLOW_BENCH_KEEP=1         keep the temporary folder (configs, logs) and print its path
#
# Exit status: inflow_last_bench's (0 when every answer was right, 1 when
# one was wrong or a server failed), 1 when a server did not start, 2 on a
# usage error. Every wait is bounded. Temporary files live in one mktemp -d
# folder, removed on exit.

set -euo pipefail

usage() {
  echo "usage: $0 BUILD_DIR [SERIES]" >&2
  exit 2
}
[[ $# -ge 1 && $# -le 2 ]] || usage
build_dir=$1
series=${2:-100000}
[[ $series =~ ^[1-9][0-9]*$ ]] || usage

bench=$build_dir/tests/inflow_last_bench
inflow=$build_dir/inflow
inflowd=$build_dir/inflowd
influxd=${INFLOW_INFLUXD:-/usr/bin/influxd}
for binary in "$bench" "$inflow" "$inflowd"; do
  [[ -x $binary ]] || { echo "last_bench: $binary is missing; build it first" >&2; exit 2; }
done
for tool in redis-server redis-cli curl python3 "$influxd"; do
  command -v "$tool" >/dev/null || { echo "last_bench: $tool is missing" >&2; exit 2; }
done

lookups=${INFLOW_BENCH_LOOKUPS:-2000}
cli_lookups=${INFLOW_BENCH_CLI_LOOKUPS:-200}
ask_inflowd=${INFLOW_BENCH_INFLOWD_HTTP:-1}
block=${INFLOW_BENCH_BLOCK:-100}
keep=${INFLOW_BENCH_KEEP:-0}

# Bounds on every wait, in seconds.
readonly kStartTimeout=30   # each server answering
readonly kFillTimeout=1800  # writing the points into both
readonly kSettleTimeout=120 # after the fill, for influxd and Redis to be idle
readonly kIdleSeconds=5     # idle that long in a row
readonly kBenchTimeout=1800 # every lookup

tmp=$(mktemp -d "${TMPDIR:-/tmp}/inflow-last-bench.XXXXXX")
pids=()
cleanup() {
  local pid
  for pid in "${pids[@]}"; do
    kill -KILL "$pid" 2>/dev/null || true
  done
  for pid in "${pids[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
  if [[ $keep == 1 ]]; then
    echo "last_bench: kept $tmp" >&2
  else
    rm -rf "$tmp"
  fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

fail() {
  echo "last_bench: FAILED: $*" >&2
  local log
  for log in "$tmp"/*.log; do
    [[ -f $log ]] || continue
    echo "--- tail of $(basename "$log")" >&2
    tail -n 25 "$log" >&2
  done
  exit 1
}

# Runs until `condition` (a command) succeeds, for at most `seconds`.
wait_until() {
  local seconds=$1
  shift
  local deadline=$(( SECONDS + seconds ))
  until "$@"; do
    (( SECONDS < deadline )) || return 1
    sleep 0.1
  done
}

is_stopped() { ! kill -0 "$1" 2>/dev/null; }
redis_up() { timeout 2 redis-cli -p "$1" ping >/dev/null 2>&1; }
influxd_up() {
  [[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$1/ping") == 204 ]]
}
cpu_ticks() {  # utime + stime of process $1, all threads
  local stat
  stat=$(<"/proc/$1/stat")
  awk '{ print $12 + $13 }' <<<"${stat##*) }"
}
# Whether processes $@ each used under 3 clock ticks (30 ms) of CPU in each
# of kIdleSeconds seconds in a row.
are_idle() {
  local second pid before=()
  for (( second = 0; second < kIdleSeconds; ++second )); do
    for pid in "$@"; do before+=("$(cpu_ticks "$pid")"); done
    sleep 1
    for pid in "$@"; do
      (( $(cpu_ticks "$pid") - before[0] < 3 )) || return 1
      before=("${before[@]:1}")
    done
  done
}
ready_or_dead() { grep -qs "inflowd ready" "$1" || is_stopped "$2"; }  # $1: log, $2: pid

free_port() {
  python3 -c "import socket
s = socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])"
}

redis_port=$(free_port)
mkdir -p "$tmp/redis"
redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no \
  --dir "$tmp/redis" >"$tmp/redis.log" 2>&1 &
redis_pid=$!
pids+=("$redis_pid")

# As tests/support/influxdb_server.cc configures it: everything in $tmp, on
# loopback, nothing reported or listened to but HTTP. max-values-per-tag is
# 100,000 by default, and every series here has a host of its own.
influx_port=$(free_port)
influx_rpc_port=$(free_port)
cat >"$tmp/influxd.conf" <<EOF
reporting-enabled = false
bind-address = "127.0.0.1:$influx_rpc_port"

[meta]
  dir = "$tmp/influxdb/meta"

[data]
  dir = "$tmp/influxdb/data"
  wal-dir = "$tmp/influxdb/wal"
  query-log-enabled = false
  max-series-per-database = 0
  max-values-per-tag = 0

[monitor]
  store-enabled = false

[http]
  enabled = true
  bind-address = "127.0.0.1:$influx_port"
  log-enabled = false
  pprof-enabled = false
  unix-socket-enabled = false

[logging]
  suppress-logo = true

[continuous_queries]
  enabled = false

[ifql]
  enabled = false

[[graphite]]
  enabled = false

[[collectd]]
  enabled = false

[[opentsdb]]
  enabled = false

[[udp]]
  enabled = false
EOF
env -u INFLUXDB_HTTP_BIND_ADDRESS "$influxd" run -config "$tmp/influxd.conf" >"$tmp/influxd.log" 2>&1 &
influxd_pid=$!
pids+=("$influxd_pid")

wait_until "$kStartTimeout" redis_up "$redis_port" || fail "redis-server did not answer"
wait_until "$kStartTimeout" influxd_up "$influx_port" || fail "influxd did not answer"
curl -s --fail --max-time 10 -XPOST "http://127.0.0.1:$influx_port/query" \
  --data-urlencode "q=CREATE DATABASE bench" >/dev/null || fail "CREATE DATABASE bench failed"

# inflowd on the same Redis (and InfluxDB), with an HTTP listener: its
# GET /last reads the cache the bench fills.
inflowd_port=$(free_port)
mkdir -p "$tmp/spool"
cat >"$tmp/inflowd.yaml" <<EOF
influxdb:
  url: http://127.0.0.1:$influx_port
  database: bench
sessions:
  - retention_policy: autogen
listeners:
  - type: http
    address: 127.0.0.1:$inflowd_port
spool:
  directory: $tmp/spool
log:
  level: info
shutdown_timeout: 10s
redis:
  url: redis://127.0.0.1:$redis_port/0
EOF
"$inflowd" --config "$tmp/inflowd.yaml" >"$tmp/inflowd.log" 2>&1 &
inflowd_pid=$!
pids+=("$inflowd_pid")
wait_until "$kStartTimeout" ready_or_dead "$tmp/inflowd.log" "$inflowd_pid" ||
  fail "inflowd not ready after ${kStartTimeout}s"
is_stopped "$inflowd_pid" && fail "inflowd exited before it was ready"

common_args=(--redis "redis://127.0.0.1:$redis_port/0" --influxdb "http://127.0.0.1:$influx_port"
  --db bench --series "$series")
bench_args=("${common_args[@]}" --skip-fill --lookups "$lookups" --cli-lookups "$cli_lookups"
  --cli "$inflow" --block "$block")
[[ $ask_inflowd == 1 ]] && bench_args+=(--inflowd-http "127.0.0.1:$inflowd_port")

echo "last-value lookups: $series series; Redis $(redis-server --version | awk '{ print $3 }')," \
  "$("$influxd" version | awk '{ print $1, $2 }'), $(nproc) CPUs shared by all"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
# The points first, then the lookups once influxd is done with them (its
# WAL, compactions, garbage collection): timed right after the fill, every
# path measured slower, the cache's p99 up to 30x.
timeout "$kFillTimeout" "$bench" "${common_args[@]}" --fill-only ||
  fail "inflow_last_bench could not fill the servers (status $?)"
settle_start=$SECONDS
wait_until "$kSettleTimeout" are_idle "$influxd_pid" "$redis_pid" ||
  echo "last_bench: influxd or Redis still busy ${kSettleTimeout}s after the fill; timing anyway" >&2
echo "influxd and Redis idle for ${kIdleSeconds}s, $(( SECONDS - settle_start ))s after the fill"
status=0
timeout "$kBenchTimeout" "$bench" "${bench_args[@]}" || status=$?
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
is_stopped "$inflowd_pid" && fail "inflowd died during the bench"
is_stopped "$influxd_pid" && fail "influxd died during the bench"
# 1: the bench ran to its end and printed what was wrong; the servers' logs
# matter only when it could not.
if (( status == 1 )); then
  echo "last_bench: FAILED: wrong answers or errors (above)" >&2
  exit 1
fi
(( status == 0 )) || fail "inflow_last_bench exited with status $status"
