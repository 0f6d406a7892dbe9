#!/usr/bin/env bash
# Installs the built library as a user would (cmake --install into a
# temporary prefix), builds the seed's examples (examples/) against the
# installed tree, with find_package and with pkg-config, shared and static,
# and runs each against an influxd of its own on free loopback ports,
# checking what InfluxDB stored.
# Usage: install_test.sh BUILD_DIR SOURCE_DIR [PATH_TO_INFLUXD]
set -uo pipefail
usage="usage: install_test.sh BUILD_DIR SOURCE_DIR [PATH_TO_INFLUXD]"
build=${1:?$usage}
source_dir=${2:?$usage}
influxd=${3:-/usr/bin/influxd}
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
failed=0
check() {  # check DESCRIPTION EXPECTED ACTUAL
  if [[ $2 == "$3" ]]; then
    echo "ok: $1"
  else
    echo "FAILED: $1: expected '$2', got '$3'"
    failed=1
  fi
}
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

prefix=$work/prefix
step() { printf '\n== %s\n' "$*"; }
step "cmake --install $build --prefix $prefix"
cmake --install "$build" --prefix "$prefix" >"$work/install.log" 2>&1 ||
  { cat "$work/install.log"; exit 1; }
libdir=$(dirname "$(find "$prefix" -name libinflow.so.0 | head -n 1)")
soname=$(objdump -p "$libdir/libinflow.so.0" | awk '/SONAME/ { print $2 }')
check "the shared library's SONAME" libinflow.so.0 "$soname"
[[ -f $libdir/libinflow.a ]] || { echo "FAILED: no libinflow.a"; failed=1; }

step "the examples with find_package(inflow)"
cmake -S "$source_dir/examples" -B "$work/examples" -G Ninja -DCMAKE_PREFIX_PATH="$prefix" \
  -DCMAKE_BUILD_RPATH="$libdir" >"$work/examples.log" 2>&1 &&
  cmake --build "$work/examples" >>"$work/examples.log" 2>&1 ||
  { cat "$work/examples.log"; exit 1; }

step "the examples with pkg-config"
export PKG_CONFIG_PATH=$libdir/pkgconfig
for example in commit context_manager autocommit retention_policy; do
  # shellcheck disable=SC2046 # pkg-config's words are the compiler's arguments
  g++ -std=c++20 -Wall -Wextra -Werror "$source_dir/examples/$example.cc" \
    $(pkg-config --cflags --libs inflow) -Wl,-rpath,"$libdir" -o "$work/pc_$example" ||
    { echo "FAILED: pkg-config build of $example"; exit 1; }
done
# shellcheck disable=SC2046
g++ -std=c++20 "$source_dir/examples/commit.cc" -I"$prefix/include" "$libdir/libinflow.a" \
  $(pkg-config --libs-only-l --static inflow | sed 's/-linflow//') -o "$work/pc_commit_static" ||
  { echo "FAILED: static pkg-config build"; exit 1; }

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
query() {  # query DB Q: InfluxDB's answer
  curl -s -XPOST "$influx/query?db=$1" --data-urlencode "q=$2"
}
# count DB FROM: the points of temperature stored there (0 when none).
count() {
  local answer
  answer=$(query "$1" "SELECT count(value) FROM $2")
  if [[ $answer =~ \"values\":\[\[[^,]*,([0-9]+)\] ]]; then
    echo "${BASH_REMATCH[1]}"
  else
    echo 0
  fi
}

# run_example BINARY DB: runs it against database DB, made new.
run_example() {
  query "" "CREATE DATABASE $2" >/dev/null
  query "" "CREATE RETENTION POLICY rp_four_weeks ON $2 DURATION 4w REPLICATION 1" >/dev/null
  if ! "$1" "$influx/$2" >"$work/run.log" 2>&1; then
    echo "FAILED: $1 exited non-zero:"
    cat "$work/run.log"
    failed=1
  fi
}

for kind in cmake pc; do
  step "running the examples built with $kind"
  dir=$work/examples
  [[ $kind == pc ]] && dir=$work
  name() { if [[ $kind == pc ]]; then echo "$dir/pc_$1"; else echo "$dir/$1"; fi; }
  run_example "$(name commit)" "${kind}_commit"
  check "$kind commit: both points" 2 "$(count "${kind}_commit" temperature)"
  run_example "$(name context_manager)" "${kind}_scope"
  check "$kind context manager: both points at scope exit" 2 "$(count "${kind}_scope" temperature)"
  run_example "$(name autocommit)" "${kind}_auto"
  check "$kind autocommit: five points" 5 "$(count "${kind}_auto" temperature)"
  run_example "$(name retention_policy)" "${kind}_rp"
  check "$kind retention policy: in rp_four_weeks" 1 "$(count "${kind}_rp" rp_four_weeks.temperature)"
  check "$kind retention policy: nowhere else" 0 "$(count "${kind}_rp" autogen.temperature)"
done
step "the statically linked examples"
run_example "$work/examples/commit_static" static_cmake
check "inflow::inflow_static commit" 2 "$(count static_cmake temperature)"
run_example "$work/pc_commit_static" static_pc
check "pkg-config --static commit" 2 "$(count static_pc temperature)"

if [[ $failed == 0 ]]; then echo "install test: every check passed"; fi
exit "$failed"
