#!/usr/bin/env bash
# Runs `inflow last` as a user would, against a redis-server (on a unix
# socket) and an influxd (on free loopback ports) of its own in a temporary
# folder, the cache written by the real inflowd from points sent to its HTTP
# listener, and checks output and exit status: 0 found, 3 nothing anywhere,
# 2 usage, 1 a server failed and nothing was found.
# Usage: last_test.sh PATH_TO_INFLOW PATH_TO_INFLOWD [PATH_TO_INFLUXD [PATH_TO_REDIS_SERVER]]
set -uo pipefail

usage="usage: last_test.sh PATH_TO_INFLOW PATH_TO_INFLOWD [PATH_TO_INFLUXD [PATH_TO_REDIS_SERVER]]"
inflow=${1:?$usage}
inflowd=${2:?$usage}
influxd=${3:-/usr/bin/influxd}
redis_server=${4:-/usr/bin/redis-server}
work=$(mktemp -d)
pids=()
cleanup() {
  local pid
  for pid in "${pids[@]}"; do
    kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  done
  rm -rf "$work"
}
trap cleanup EXIT
passed=0
failed=0

# free_port VAR [TAKEN...]: sets VAR to a TCP port on 127.0.0.1 that nothing
# listens on now and is none of TAKEN. Not run in a $(...) subshell, where
# bash may give each the same $RANDOM. Below the kernel's ephemeral range
# (32768-60999 by default), where the tests running beside this one get the
# ports they bind to port 0 or connect from: one of those, free when probed,
# could be taken before the server binds it.
free_port() {
  local -n port_out=$1
  shift
  local port
  for _ in $(seq 100); do
    port=$((10000 + RANDOM % 22000))
    [[ " $* " == *" $port "* ]] && continue
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      port_out=$port
      return 0
    fi
  done
  echo "no free port"
  exit 1
}

# up_within PID COMMAND...: whether COMMAND succeeds within 20 s, while
# process PID runs.
up_within() {
  local pid=$1
  shift
  for _ in $(seq 400); do
    "$@" >/dev/null 2>&1 && return 0
    kill -0 "$pid" 2>/dev/null || return 1
    sleep 0.05
  done
  return 1
}

# wait_for DESCRIPTION LOG PID COMMAND...: exits the test unless COMMAND
# succeeds within 20 s.
wait_for() {
  local what=$1 log=$2
  shift 2
  up_within "$@" && return 0
  echo "$what did not come up:"
  cat "$log"
  exit 1
}

socket=$work/redis.sock
"$redis_server" --port 0 --unixsocket "$socket" --save '' --appendonly no --dir "$work" \
  >"$work/redis.log" 2>&1 &
pids+=($!)
redis_up() { [[ $(redis-cli -s "$socket" ping 2>/dev/null) == PONG ]]; }
wait_for redis-server "$work/redis.log" "${pids[-1]}" redis_up

# influxd, on new ports if another process takes one first.
influx_up() { [[ $(curl -s -o /dev/null -w '%{http_code}' "$influx/ping") == 204 ]]; }
for attempt in 1 2 3; do
  free_port influx_port
  free_port influx_rpc_port "$influx_port"
  influx=http://127.0.0.1:$influx_port
  cat >"$work/influxd.conf" <<EOF
reporting-enabled = false
bind-address = "127.0.0.1:$influx_rpc_port"
[meta]
  dir = "$work/influxdb/meta"
[data]
  dir = "$work/influxdb/data"
  wal-dir = "$work/influxdb/wal"
[monitor]
  store-enabled = false
[http]
  enabled = true
  bind-address = "127.0.0.1:$influx_port"
  log-enabled = false
[logging]
  suppress-logo = true
[ifql]
  enabled = false
EOF
  env -u INFLUXDB_HTTP_BIND_ADDRESS "$influxd" -config "$work/influxd.conf" \
    >"$work/influxd.log" 2>&1 &
  pids+=($!)
  up_within "${pids[-1]}" influx_up && break
  if [[ $attempt == 3 ]] || ! grep -q "address already in use" "$work/influxd.log"; then
    echo "influxd did not come up:"
    cat "$work/influxd.log"
    exit 1
  fi
done
# influx_query Q: the body of InfluxDB's answer to Q in lastdb.
influx_query() {
  curl -s -XPOST "$influx/query?db=lastdb&epoch=ns" --data-urlencode "q=$1"
}

free_port http_port "$influx_port" "$influx_rpc_port"
mkdir -p "$work/spool"
config=$work/inflowd.yaml
cat >"$config" <<EOF
influxdb:
  url: $influx
  database: lastdb
sessions:
  - retention_policy: autogen
    commit_interval: 50ms
listeners:
  - type: http
    address: 127.0.0.1:$http_port
redis:
  url: unix://$socket
  key_prefix: "lt:"
  keep_last: 3
  flush_interval: 20ms
spool:
  directory: $work/spool
log:
  level: warn
EOF
"$inflowd" --config "$config" >"$work/inflowd.log" 2>&1 &
pids+=($!)
inflowd_up() { [[ $(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$http_port/ping") == 204 ]]; }
wait_for inflowd "$work/inflowd.log" "${pids[-1]}" inflowd_up

# The points, through inflowd (into the cache and InfluxDB); one measurement
# only in InfluxDB.
status=$(curl -s -o "$work/write.out" -w '%{http_code}' -XPOST \
  "http://127.0.0.1:$http_port/write?db=lastdb" --data-binary $'cpu,host=h1,dc=eu usage=1.5,cores=4i 1000000000
cpu,host=h1,dc=eu usage=2.5 2000000000
cpu,host=h2 usage=7 1500000000')
if [[ $status != 204 ]]; then echo "inflowd answered $status: $(cat "$work/write.out")"; exit 1; fi
cached() { [[ $(redis-cli -s "$socket" scard lt:index:6:lastdb:7:autogen:cpu) == 2 ]]; }
wait_for "the cache's two series" "$work/inflowd.log" "${pids[-1]}" cached
written() { influx_query 'SELECT count(usage) FROM cpu' | grep -q '"values":\[\[0,3\]\]'; }
wait_for "the three points in InfluxDB" "$work/inflowd.log" "${pids[-1]}" written
status=$(curl -s -o "$work/write.out" -w '%{http_code}' -XPOST "$influx/write?db=lastdb" \
  --data-binary 'disk,host=h9 free=5i 100')
if [[ $status != 204 ]]; then echo "influxd answered $status: $(cat "$work/write.out")"; exit 1; fi

url=unix://$socket
# The records, as FormatLastValueRecord writes them.
record() {  # TAGS TIME FIELDS FIELD_TIMES [MEASUREMENT [RECENT]]
  local recent=
  [[ -n ${6:-} ]] && recent=",\"recent\":$6"
  printf '{"measurement":"%s","tags":%s,"time":%s,"fields":%s,"field_times":%s%s,' \
    "${5:-cpu}" "$1" "$2" "$3" "$4" "$recent"
  printf '"database":"lastdb","retention_policy":"autogen"}'
}
h1=$(record '{"dc":"eu","host":"h1"}' 2000000000 '{"cores":4,"usage":2.5}' \
  '{"cores":1000000000,"usage":2000000000}')
h2=$(record '{"host":"h2"}' 1500000000 '{"usage":7}' '{"usage":1500000000}')
both=$h1$'\n'$h2
disk=$(record '{"host":"h9"}' 100 '{"free":5}' '{"free":100}' disk)

# expect NAME WANT_STATUS WANT_STDOUT WANT_STDERR -- COMMAND...
# Runs COMMAND and compares status, standard output and standard error
# exactly.
expect() {
  local name=$1 want_status=$2 want_out=$3 want_err=$4
  shift 5
  local out err status
  "$@" </dev/null >"$work/out" 2>"$work/err"
  status=$?
  out=$(cat "$work/out")
  err=$(cat "$work/err")
  if [[ $status == "$want_status" && $out == "$want_out" && $err == "$want_err" ]]; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    echo "FAIL: $name"
    echo "  status: $status (want $want_status)"
    echo "  stdout: $(printf %q "$out")"
    echo "  want:   $(printf %q "$want_out")"
    echo "  stderr: $(printf %q "$err")"
    echo "  want:   $(printf %q "$want_err")"
  fi
}

# check NAME CONDITION_STATUS: counts a condition already evaluated.
check() {
  if [[ $2 == 0 ]]; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL: $1"; fi
}

# From the cache.
expect "all series" 0 "$both" "" -- "$inflow" last cpu --url "$url" --prefix lt:
expect "by tag" 0 "$h1" "" -- "$inflow" last cpu --url "$url" --prefix lt: --tag host=h1
expect "by two tags and a field" 0 \
  "$(record '{"dc":"eu","host":"h1"}' 1000000000 '{"cores":4}' '{"cores":1000000000}')" "" \
  -- "$inflow" last cpu --url "$url" --prefix lt: --tag host=h1 --tag dc=eu --field cores
expect "recent points" 0 \
  "$(record '{"dc":"eu","host":"h1"}' 2000000000 '{"usage":2.5}' '{"usage":2000000000}' cpu \
    '[{"time":2000000000,"fields":{"usage":2.5}},{"time":1000000000,"fields":{"usage":1.5}}]')" \
  "" -- "$inflow" last cpu --url "$url" --prefix lt: --tag host=h1 --field usage --last 3
expect "database and policy" 0 "$both" "" \
  -- "$inflow" last cpu --url "$url" --prefix lt: --db lastdb --rp autogen
# The config names Redis, the prefix and InfluxDB.
expect "--config" 0 "$both" "" -- "$inflow" last cpu --config "$config"
expect "--config and --url" 0 "$h2" "" -- "$inflow" last cpu --config "$config" --url "$url" \
  --tag host=h2
# A tag before the measurement, as a user may write it.
expect "a tag before the measurement" 0 "$h2" "" -- "$inflow" last --tag host=h2 cpu --url "$url" --prefix lt:
expect "from the environment" 0 "$h2" "" \
  -- env INFLOW_REDIS_URL="$url" "$inflow" last cpu --prefix lt: --tag host=h2

# Not in the cache: from InfluxDB, and standard error says so.
asking="inflow last: the cache (Redis $socket) has no matching series; \
asking InfluxDB 127.0.0.1:$influx_port (database lastdb)"
expect "fallback" 0 "$disk" "$asking" -- "$inflow" last disk --config "$config"
expect "fallback with --influxdb" 0 "$disk" "$asking" \
  -- "$inflow" last disk --url "$url" --prefix lt: --influxdb "$influx/lastdb"
expect "another prefix: none in the cache, all from InfluxDB" 0 "$both" "$asking" \
  -- "$inflow" last cpu --config "$config" --prefix other:
expect "fallback by tag and field" 0 \
  "$(record '{"dc":"eu","host":"h1"}' 1000000000 '{"cores":4}' '{"cores":1000000000}')" "$asking" \
  -- "$inflow" last cpu --config "$config" --prefix other: --tag host=h1 --field cores
expect "nothing anywhere" 3 "" "$asking
inflow last: no matching series in InfluxDB 127.0.0.1:$influx_port either" \
  -- "$inflow" last nothing --config "$config"
expect "a database InfluxDB lacks" 3 "" \
  "inflow last: the cache (Redis $socket) has no matching series; \
asking InfluxDB 127.0.0.1:$influx_port (database nodb)
inflow last: no matching series in InfluxDB 127.0.0.1:$influx_port either (database not found: nodb)" \
  -- "$inflow" last disk --config "$config" --db nodb
expect "a policy InfluxDB lacks" 3 "" "$asking
inflow last: no matching series in InfluxDB 127.0.0.1:$influx_port either \
(retention policy not found: nope)" \
  -- "$inflow" last disk --config "$config" --rp nope
expect "no InfluxDB to ask" 3 "" "inflow last: the cache (Redis $socket) has no matching series; \
no InfluxDB to ask (--influxdb or --config)" -- "$inflow" last disk --url "$url" --prefix lt:
expect "InfluxDB without a database" 3 "" \
  "inflow last: the cache (Redis $socket) has no matching series; \
InfluxDB needs a database (--db, or one in --influxdb or --config)" \
  -- "$inflow" last disk --url "$url" --influxdb "$influx"

# Redis unreachable.
none=$work/none.sock
cannot="inflow last: the cache cannot be read: Redis $none: connect: No such file or directory"
expect "Redis unreachable, InfluxDB has it" 0 "$both" \
  "$cannot; asking InfluxDB 127.0.0.1:$influx_port (database lastdb)" \
  -- "$inflow" last cpu --url "unix://$none" --influxdb "$influx/lastdb"
expect "Redis unreachable, InfluxDB has nothing" 1 "" \
  "$cannot; asking InfluxDB 127.0.0.1:$influx_port (database lastdb)
inflow last: no matching series in InfluxDB 127.0.0.1:$influx_port either" \
  -- "$inflow" last nothing --url "unix://$none" --influxdb "$influx/lastdb"
expect "Redis unreachable, no InfluxDB" 1 "" "$cannot; no InfluxDB to ask (--influxdb or --config)" \
  -- "$inflow" last cpu --url "unix://$none"
free_port dead_port "$influx_port" "$influx_rpc_port" "$http_port"
"$inflow" last cpu --url "unix://$none" --influxdb "http://127.0.0.1:$dead_port/lastdb" \
  </dev/null >"$work/out" 2>"$work/err"
status=$?
check "Redis and InfluxDB unreachable: exit 1 ($status)" "$([[ $status == 1 ]]; echo $?)"
check "Redis and InfluxDB unreachable: nothing printed" "$([[ ! -s $work/out ]]; echo $?)"
check "Redis and InfluxDB unreachable: both named ($(cat "$work/err"))" "$(
  [[ $(head -n 1 "$work/err") == "$cannot; asking InfluxDB 127.0.0.1:$dead_port (database lastdb)" &&
     $(sed -n 2p "$work/err") == "inflow last: InfluxDB 127.0.0.1:$dead_port: "* &&
     $(wc -l <"$work/err") == 2 ]]
  echo $?)"

# Usage errors exit 2.
expect "a tag without =" 2 "" "inflow last: --tag host: KEY=VALUE expected" \
  -- "$inflow" last cpu --url "$url" --tag host
expect "a tag without a key" 2 "" "inflow last: a tag needs a key (tag '=h1')" \
  -- "$inflow" last cpu --url "$url" --tag =h1
expect "a bad URL" 2 "" "inflow last: --url: Redis URL must start with redis:// or unix://" \
  -- "$inflow" last cpu --url "$socket"
expect "a config file that is not there" 2 "" \
  "inflow last: $work/absent.yaml: cannot open the configuration file" \
  -- "$inflow" last cpu --config "$work/absent.yaml"
# A --field without its name, followed by another option, is a usage error
# too (the option is not a field's name).
for args in "last" "last cpu --last 101" "last cpu --last 0" "last cpu --bogus" \
  "last cpu --field" "last cpu --tag"; do
  # shellcheck disable=SC2086
  "$inflow" $args --url "$url" </dev/null >"$work/out" 2>&1
  status=$?
  check "usage error exit for '$args' ($status)" "$([[ $status == 2 ]]; echo $?)"
done

echo "$passed passed, $failed failed"
[[ $failed == 0 ]]
