#!/usr/bin/env bash
# Runs `inflow redis get|set` as a user would, against a redis-server of its
# own listening only on a unix socket in a temporary folder (no TCP port, so
# no port to collide on), and checks output and exit status.
# Usage: redis_test.sh PATH_TO_INFLOW [PATH_TO_REDIS_SERVER]
set -uo pipefail

inflow=${1:?usage: redis_test.sh PATH_TO_INFLOW [PATH_TO_REDIS_SERVER]}
redis_server=${2:-/usr/bin/redis-server}
work=$(mktemp -d)
server_pid=
cleanup() {
  [[ -n $server_pid ]] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
passed=0
failed=0

socket=$work/redis.sock
"$redis_server" --port 0 --unixsocket "$socket" --save '' --appendonly no --dir "$work" \
  >"$work/redis.log" 2>&1 &
server_pid=$!
# Bounded wait for the socket to answer: up to 10 s.
for _ in $(seq 200); do
  [[ $(redis-cli -s "$socket" ping 2>/dev/null) == PONG ]] && break
  sleep 0.05
done
if [[ $(redis-cli -s "$socket" ping 2>/dev/null) != PONG ]]; then
  echo "redis-server did not start:"; cat "$work/redis.log"; exit 1
fi
url=unix://$socket

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

expect "absent key" 3 "" "inflow redis get: no key 'nothing' on $socket" \
  -- "$inflow" redis get nothing --url "$url"

expect "set" 0 "" "" -- "$inflow" redis set sensor '{"t": 21.5, "tags": ["a"]}' --url "$url"
expect "get what was set" 0 '{"t": 21.5, "tags": ["a"]}' "" \
  -- "$inflow" redis get sensor --url "$url"
# The environment names the server when --url is not given.
expect "get from the environment" 0 '{"t": 21.5, "tags": ["a"]}' "" \
  -- env INFLOW_REDIS_URL="$url" "$inflow" redis get sensor
check "the value is stored as given" \
  "$([[ $(redis-cli -s "$socket" get sensor) == '{"t": 21.5, "tags": ["a"]}' ]]; echo $?)"

expect "set with expiry" 0 "" "" -- "$inflow" redis set brief '[1]' --expire 100 --url "$url"
ttl=$(redis-cli -s "$socket" ttl brief)
check "expiry set (ttl $ttl)" "$([[ $ttl -gt 0 && $ttl -le 100 ]]; echo $?)"

# simdjson's words for a value that is not JSON.
improper="The JSON document has an improper structure: "
improper+="missing or superfluous commas, braces, missing keys, etc."
expect "invalid JSON" 2 "" \
  "inflow redis set: the value for 'bad' is not a JSON value (3 bytes): \
A string is opened, but never closed." \
  -- "$inflow" redis set bad '{"a' --url "$url"
check "invalid JSON stored nothing" "$([[ $(redis-cli -s "$socket" exists bad) == 0 ]]; echo $?)"

redis-cli -s "$socket" rpush a-list x >/dev/null
expect "a key of another type" 1 "" "inflow redis get: Redis $socket: GET 'a-list': \
WRONGTYPE Operation against a key holding the wrong kind of value" \
  -- "$inflow" redis get a-list --url "$url"
redis-cli -s "$socket" set plain hello >/dev/null
expect "a string that is not JSON" 1 "" "inflow redis get: Redis $socket: GET 'plain': \
the key holds a string that is not a JSON value (5 bytes): $improper" \
  -- "$inflow" redis get plain --url "$url"

expect "no server" 1 "" \
  "inflow redis get: Redis $work/none.sock: connect: No such file or directory" \
  -- "$inflow" redis get k --url "unix://$work/none.sock"
expect "bad URL" 2 "" "inflow redis get: --url: Redis URL must start with redis:// or unix://" \
  -- "$inflow" redis get k --url "$socket"
expect "bad environment" 2 "" \
  "inflow redis get: REDIS_PORT must be a port from 1 to 65535, not 'x'" \
  -- env -u INFLOW_REDIS_URL REDIS_PORT=x "$inflow" redis get k

# Usage errors exit 2.
for args in "redis" "redis get" "redis set k" "redis set k 1 --expire 0" "redis get k --bogus"; do
  # shellcheck disable=SC2086
  "$inflow" $args </dev/null >/dev/null 2>&1
  status=$?
  check "usage error exit for '$args' ($status)" "$([[ $status == 2 ]]
    echo $?)"
done

echo "$passed passed, $failed failed"
[[ $failed == 0 ]]
