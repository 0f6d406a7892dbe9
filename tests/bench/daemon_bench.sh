#!/usr/bin/env bash
# The daemon alone: inflowd between a load generator (inflow_load) and an
# HTTP sink standing in for InfluxDB (inflow_sink), one run per transport.
#
#   tests/bench/daemon_bench.sh BUILD_DIR [POINTS]
#
# For each transport it starts the sink, writes an inflowd config into a
# temporary folder, starts BUILD_DIR/inflowd and waits for "inflowd ready",
# sends the points, waits for the sink to have them all, stops inflowd with
# SIGTERM and reports, per transport:
#   sent, received   points sent by the generator, points the sink got
#   wall_s           from the generator's first send (after it generated its
#                    payload) to the sink's last byte
#   points_per_s     received / wall_s: end to end, through inflowd
#   cpu_s            inflowd's CPU time (user + sys, all threads) from just
#                    before the first point is sent until the sink has every
#                    point (over udp: until the run settled), read from
#                    /proc/PID/stat in clock ticks (10 ms)
#   cpu_us_per_point cpu_s / received ("-" when cpu_s is under 10 clock ticks,
#                    too coarse to divide)
#   max_rss_mib      inflowd's peak resident memory (VmHWM)
#
# POINTS (default 2000000) is sent over the stream transports (unix_stream,
# http); the datagram transports (udp, unix_dgram) send half as many. Over
# UDP the kernel drops datagrams when inflowd falls behind; what arrived is
# reported, with the kernel's drop count for inflowd's socket, and a
# shortfall is not a failure. Over the other transports every point must
# arrive.
#
# Environment, all optional:
#   INFLOW_BENCH_TRANSPORTS   the runs, in order; default
#                             "unix_stream udp udp@100000 unix_dgram http",
#                             where udp@R is udp paced at R points/s; a run
#                             ending in +redis also keeps the last-value
#                             cache in a redis-server the script starts,
#                             +redis_down names a Redis that is not there
#                             (nothing listens on its port): e.g.
#                             "unix_stream unix_stream+redis unix_stream+redis_down"
#   INFLOW_BENCH_CONNECTIONS  connections for unix_stream and http; default 4
#   INFLOW_BENCH_DGRAM_POINTS points for udp and unix_dgram; default POINTS/2
#   INFLOW_BENCH_UDP_RATE     points/s for the plain udp run; default 0 (as
#                             fast as possible)
#   INFLOW_BENCH_DGRAM_BATCH_BYTES  bytes per datagram (whole lines); default 8192
#   INFLOW_BENCH_KEEP=1       keep the temporary folder (configs, logs) and print its path
#
# Exit status: 0 when every run completed, inflowd exited 0 on SIGTERM each
# time and no transport but udp lost a point; 1 otherwise, after printing the tails of the logs; 2 on a usage
# error. Every wait is bounded. Temporary files live in one mktemp -d folder,
# removed on exit.

set -euo pipefail

usage() {
  echo "usage: $0 BUILD_DIR [POINTS]" >&2
  exit 2
}
[[ $# -ge 1 && $# -le 2 ]] || usage
build_dir=$1
points=${2:-2000000}
[[ $points =~ ^[1-9][0-9]*$ ]] || usage

inflowd=$build_dir/inflowd
load=$build_dir/tests/inflow_load
sink=$build_dir/tests/inflow_sink
for binary in "$inflowd" "$load" "$sink"; do
  [[ -x $binary ]] || { echo "daemon_bench: $binary is missing; build it first" >&2; exit 2; }
done

transports=${INFLOW_BENCH_TRANSPORTS:-unix_stream udp udp@100000 unix_dgram http}
connections=${INFLOW_BENCH_CONNECTIONS:-4}
dgram_points=${INFLOW_BENCH_DGRAM_POINTS:-$(( points / 2 > 0 ? points / 2 : 1 ))}
udp_rate=${INFLOW_BENCH_UDP_RATE:-0}
dgram_batch_bytes=${INFLOW_BENCH_DGRAM_BATCH_BYTES:-8192}
keep=${INFLOW_BENCH_KEEP:-0}

# Bounds on every wait, in seconds.
readonly kStartTimeout=15      # port file, "inflowd ready"
readonly kDrainTimeout=120     # after the generator is done, for the sink to have every point
readonly kDgramSettle=3        # after a datagram run, for stragglers before SIGTERM
readonly kStopTimeout=20       # inflowd's shutdown_timeout is 10s
clk_tck=$(getconf CLK_TCK)

tmp=$(mktemp -d "${TMPDIR:-/tmp}/inflow-daemon-bench.XXXXXX")
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
    echo "daemon_bench: kept $tmp" >&2
  else
    rm -rf "$tmp"
  fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

run_dir=
fail() {
  echo "daemon_bench: FAILED: $*" >&2
  local log
  for log in "$run_dir"/*.log; do
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
    sleep 0.05
  done
}

is_running() { kill -0 "$1" 2>/dev/null; }
redis_up() { redis-cli -p "$1" ping >/dev/null 2>&1; }
is_stopped() { ! kill -0 "$1" 2>/dev/null; }
ready_or_dead() { grep -qs "inflowd ready" "$1" || is_stopped "$2"; }  # $1: log, $2: pid

# Waits for process $1 (a child) to exit within $2 seconds; its status goes
# to the variable named $3. Returns 1 when it is still running.
wait_exit() {
  local pid=$1 seconds=$2 __status
  wait_until "$seconds" is_stopped "$pid" || return 1
  wait "$pid" && __status=0 || __status=$?
  local kept=() p
  for p in "${pids[@]}"; do [[ $p == "$pid" ]] || kept+=("$p"); done
  pids=("${kept[@]}")
  printf -v "$3" '%s' "$__status"
}

free_port() {  # $1: tcp or udp
  python3 -c "import socket,sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM if sys.argv[1] == 'udp' else socket.SOCK_STREAM)
s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])" "$1"
}

cpu_ticks() {  # utime + stime of process $1, all threads
  # Field 2 (comm) is in parentheses and may hold spaces: cut after it.
  local stat rest
  stat=$(<"/proc/$1/stat")
  rest=${stat##*) }
  awk '{ print $12 + $13 }' <<<"$rest"
}

summary_field() {  # $1: key, $2: a summary line "name: k=v k=v ..."
  tr ' ' '\n' <<<"$2" | sed -n "s/^$1=//p"
}

# One run: $1 the label in the table, $2 the transport, $3 points, $4 the
# rate in points/s (0: unpaced), $5 the cache: "", redis or redis_down.
run_one() {
  local label=$1 transport=$2 n=$3 rate=$4 cache=$5
  run_count=$(( run_count + 1 ))
  run_dir=$tmp/$run_count-${label//[@\/+]/_}
  mkdir -p "$run_dir/spool"
  echo "== $label: $n points over $transport" >&2

  "$sink" --port 0 --port-file "$run_dir/sink.port" --expect "$n" \
    --timeout $(( kStartTimeout + kDrainTimeout + 600 )) >"$run_dir/sink.log" 2>&1 &
  local sink_pid=$!
  pids+=("$sink_pid")
  wait_until "$kStartTimeout" test -s "$run_dir/sink.port" || fail "inflow_sink wrote no port"
  local sink_port
  sink_port=$(<"$run_dir/sink.port")

  local listener load_target
  case $transport in
    unix_stream | unix_dgram)
      listener="path: $run_dir/inflowd.sock"
      load_target=(--path "$run_dir/inflowd.sock")
      ;;
    udp | http)
      local port
      port=$(free_port "$([[ $transport == udp ]] && echo udp || echo tcp)")
      listener="address: 127.0.0.1:$port"
      load_target=(--address "127.0.0.1:$port")
      ;;
  esac
  local redis_section=
  case $cache in
    redis) redis_section=$'redis:\n  url: redis://127.0.0.1:'$redis_port$'/0\n  key_prefix: "'${label//[@\/+]/_}$':"' ;;
    redis_down) redis_section=$'redis:\n  url: redis://127.0.0.1:'$(free_port tcp)$'/0' ;;
  esac
  cat >"$run_dir/inflowd.yaml" <<EOF
influxdb:
  url: http://127.0.0.1:$sink_port
  database: bench
sessions:
  - retention_policy: autogen
    autocommit_every: 5000
    commit_interval: 200ms
listeners:
  - type: $transport
    $listener
spool:
  directory: $run_dir/spool
log:
  level: info
shutdown_timeout: 10s
$redis_section
EOF

  "$inflowd" --config "$run_dir/inflowd.yaml" >"$run_dir/inflowd.log" 2>&1 &
  local inflowd_pid=$!
  pids+=("$inflowd_pid")
  wait_until "$kStartTimeout" ready_or_dead "$run_dir/inflowd.log" "$inflowd_pid" || fail "inflowd not ready after ${kStartTimeout}s"
  is_running "$inflowd_pid" || fail "inflowd exited before it was ready"

  local load_args=(--transport "$transport" "${load_target[@]}" --points "$n")
  case $transport in
    unix_stream | http) load_args+=(--connections "$connections") ;;
    udp | unix_dgram) load_args+=(--batch-bytes "$dgram_batch_bytes") ;;
  esac
  load_args+=(--rate "$rate")
  local load_timeout=$(( 300 + (rate > 0 ? n / rate : 0) ))

  local cpu_before
  cpu_before=$(cpu_ticks "$inflowd_pid")
  timeout "$load_timeout" "$load" "${load_args[@]}" >"$run_dir/load.log" 2>&1 ||
    fail "inflow_load failed (status $?)"
  local load_line
  load_line=$(grep '^inflow_load:' "$run_dir/load.log")
  local sent t0
  sent=$(summary_field points "$load_line")
  t0=$(summary_field started_at "$load_line")

  # Streams: the sink ends by itself once it has every point. Datagrams may
  # have been dropped: stragglers get a moment, then SIGTERM flushes inflowd.
  local drained=1 sink_status=
  case $transport in
    udp | unix_dgram) wait_until "$kDgramSettle" is_stopped "$sink_pid" || drained=0 ;;
    *) wait_until "$kDrainTimeout" is_stopped "$sink_pid" || drained=0 ;;
  esac
  is_running "$inflowd_pid" || fail "inflowd died during the run"
  local cpu_after max_rss_kb
  cpu_after=$(cpu_ticks "$inflowd_pid")
  max_rss_kb=$(awk '/^VmHWM:/ { print $2 }' "/proc/$inflowd_pid/status")
  local kernel_drops=
  if [[ $transport == udp ]]; then
    # The last column of /proc/net/udp counts datagrams the kernel dropped
    # on a socket, most often because its receive buffer was full.
    kernel_drops=$(awk -v a="$(printf '0100007F:%04X' "$port")" '$2 == a { print $NF }' /proc/net/udp)
  fi

  kill -TERM "$inflowd_pid"
  local inflowd_status
  wait_exit "$inflowd_pid" "$kStopTimeout" inflowd_status ||
    fail "inflowd still running ${kStopTimeout}s after SIGTERM"
  if (( drained == 0 )); then
    # What inflowd committed on SIGTERM has been answered by now.
    kill -TERM "$sink_pid" 2>/dev/null || true
  fi
  wait_exit "$sink_pid" "$kStopTimeout" sink_status || fail "inflow_sink did not stop"
  local sink_line
  sink_line=$(grep '^inflow_sink:' "$run_dir/sink.log") || fail "inflow_sink printed no summary"
  echo "   $load_line" >&2
  echo "   $sink_line" >&2
  if [[ -n $cache ]]; then
    echo "   $(grep -o 'last-value cache: [0-9]* points cached.*' "$run_dir/inflowd.log" | tail -n 1)" >&2
  fi
  if [[ -n $kernel_drops ]]; then
    echo "   kernel: $kernel_drops datagrams dropped on inflowd's UDP socket" \
      "(its receive buffer: see \"receive buffer\" in inflowd's log)" >&2
  fi

  local received last_byte_at
  received=$(summary_field points "$sink_line")
  last_byte_at=$(summary_field last_byte_at "$sink_line")
  awk -v t="$label" -v s="$sent" -v r="$received" -v t0="$t0" -v t1="$last_byte_at" \
    -v c0="$cpu_before" -v c1="$cpu_after" -v hz="$clk_tck" -v rss="$max_rss_kb" 'BEGIN {
      wall = (t1 > 0) ? t1 - t0 : 0; cpu = (c1 - c0) / hz
      # Below 10 ticks the clock-tick resolution makes a per-point figure noise.
      per_point = (r > 0 && c1 - c0 >= 10) ? sprintf("%.2f", cpu * 1e6 / r) : "-"
      printf "%-22s %10d %10d %8.3f %12.0f %7.2f %16s %11.1f\n", t, s, r, wall,
             (wall > 0 ? r / wall : 0), cpu, per_point, rss / 1024 }'

  local problems=()
  [[ $inflowd_status == 0 ]] || problems+=("inflowd exited with status $inflowd_status after SIGTERM")
  [[ $sink_status == 0 ]] || problems+=("inflow_sink exited with status $sink_status")
  if [[ $transport != udp && $received != "$sent" ]]; then
    problems+=("sent $sent points, the sink received $received")
  fi
  if (( ${#problems[@]} > 0 )); then
    fail "$label: $(IFS=';'; echo "${problems[*]}")"
  fi
}

redis_port=
run_count=0
for token in $transports; do
  [[ $token =~ ^(unix_stream|http|unix_dgram|udp(@[1-9][0-9]*)?)(\+redis|\+redis_down)?$ ]] ||
    { echo "daemon_bench: unknown transport '$token'" >&2; exit 2; }
  if [[ $token == *+redis && -z $redis_port ]]; then
    command -v redis-server >/dev/null || { echo "daemon_bench: redis-server is missing" >&2; exit 2; }
    redis_port=$(free_port tcp)
    mkdir -p "$tmp/redis"
    redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no \
      --dir "$tmp/redis" >"$tmp/redis/redis.log" 2>&1 &
    pids+=("$!")
    wait_until "$kStartTimeout" redis_up "$redis_port" ||
      { echo "daemon_bench: redis-server did not start" >&2; exit 1; }
  fi
done

echo "inflowd alone, $(nproc) CPUs shared with the generator and the sink;" \
  "$connections connections for unix_stream and http"
printf '%-22s %10s %10s %8s %12s %7s %16s %11s\n' transport sent received wall_s points_per_s cpu_s \
  cpu_us_per_point max_rss_mib
for token in $transports; do
  cache=
  [[ $token == *+* ]] && cache=${token#*+}
  base=${token%%+*}
  suffix=${cache:++$cache}
  case $base in
    unix_stream | http) run_one "$token" "$base" "$points" 0 "$cache" ;;
    unix_dgram) run_one "$token" "$base" "$dgram_points" 0 "$cache" ;;
    udp) run_one "udp$suffix" udp "$dgram_points" "$udp_rate" "$cache" ;;
    udp@*) run_one "${base}/s$suffix" udp "$dgram_points" "${base#udp@}" "$cache" ;;
  esac
done
