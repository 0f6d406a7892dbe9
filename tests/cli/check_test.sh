#!/usr/bin/env bash
# Runs `inflow check` as a user would and checks its output and exit status.
# Usage: check_test.sh PATH_TO_INFLOW
set -uo pipefail

inflow=${1:?usage: check_test.sh PATH_TO_INFLOW}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
passed=0
failed=0

# expect NAME WANT_STATUS WANT_STDOUT WANT_STDERR -- COMMAND...
# Runs COMMAND (stdin from $work/stdin if present) and compares status,
# standard output and standard error exactly.
expect() {
  local name=$1 want_status=$2 want_out=$3 want_err=$4
  shift 5
  local out err status
  if [[ -f $work/stdin ]]; then
    "$@" <"$work/stdin" >"$work/out" 2>"$work/err"
  else
    "$@" </dev/null >"$work/out" 2>"$work/err"
  fi
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
  rm -f "$work/stdin"
}

# A valid file: comments and blank lines are valid; canonical form sorts tags
# and normalizes values and escapes.
printf '%s\n' '# sensors' '' 'cpu,b=2,a=1 x=1.50,y=007i,z=T 10' 'disk\ io,path=/var free=3u' \
  >"$work/valid.lp"
expect "valid file" 0 "" "" -- "$inflow" check "$work/valid.lp"
expect "canonical form" 0 $'cpu,a=1,b=2 x=1.5,y=7i,z=true 10\ndisk\\ io,path=/var free=3u' "" \
  -- "$inflow" check --canonical "$work/valid.lp"

# Invalid lines: one report each, FILE:LINE:COLUMN, and only valid lines
# reach standard output.
printf '%s\n' 'cpu value=1 1' 'cpu value=tru' 'mem,host=a used=2i' 'cpu,a=1,a=2 v=1' \
  >"$work/invalid.lp"
expect "invalid lines" 1 $'cpu value=1 1\nmem,host=a used=2i' \
  "$work/invalid.lp:2:11: error: invalid boolean
$work/invalid.lp:4:9: error: duplicate tag key" \
  -- "$inflow" check --canonical "$work/invalid.lp"

# Line numbers count the lines inside a multi-line string, and CRLF endings.
printf 'cpu s="two\r\nlines" 1\r\ncpu v=1e400\r\n' >"$work/crlf.lp"
expect "crlf and multi-line string" 1 $'cpu s="two\r\nlines" 1' \
  "$work/crlf.lp:3:7: error: float out of range" \
  -- "$inflow" check --canonical "$work/crlf.lp"

# Standard input is named "-", with or without the argument.
printf 'cpu v=1\ncpu v\n' >"$work/stdin"
expect "stdin" 1 "" "-:2:6: error: missing field value" -- "$inflow" check
printf 'cpu v=1\n' >"$work/stdin"
expect "stdin dash" 0 "" "" -- "$inflow" check -

# Several files: line numbers restart per file; one bad file makes status 1.
expect "several files" 1 "" "$work/invalid.lp:2:11: error: invalid boolean
$work/invalid.lp:4:9: error: duplicate tag key" \
  -- "$inflow" check "$work/valid.lp" "$work/invalid.lp"

# Precision: seconds are checked against InfluxDB's range once converted.
printf 'cpu v=1 9223372036\ncpu v=1 9223372037\n' >"$work/stdin"
expect "precision s" 1 "cpu v=1 9223372036" "-:2:9: error: timestamp out of range" \
  -- "$inflow" check --precision s --canonical

# An unterminated string costs only its own line.
printf 'cpu s="open\ncpu v=2\n' >"$work/stdin"
expect "unterminated string" 1 "cpu v=2" "-:1:7: error: unterminated string" \
  -- "$inflow" check --canonical

# Unsigned fields, unless the server cannot take them.
printf 'disk free=3u\n' >"$work/stdin"
expect "unsigned accepted" 0 "" "" -- "$inflow" check
printf 'disk free=3u\n' >"$work/stdin"
expect "unsigned rejected" 1 "" "-:1:11: error: invalid number" \
  -- "$inflow" check --no-unsigned

# Usage errors and unreadable files exit 2.
"$inflow" check --precision h </dev/null >/dev/null 2>&1
status=$?
if [[ $status == 2 ]]; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL: bad precision exit $status"; fi
"$inflow" check --no-such-flag </dev/null >/dev/null 2>&1
status=$?
if [[ $status == 2 ]]; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL: unknown flag exit $status"; fi
"$inflow" check "$work/missing.lp" >/dev/null 2>"$work/err"
status=$?
if [[ $status == 2 ]] && grep -q "cannot open $work/missing.lp" "$work/err"; then
  passed=$((passed + 1))
else
  failed=$((failed + 1)); echo "FAIL: missing file exit $status: $(cat "$work/err")"
fi

echo "$passed passed, $failed failed"
[[ $failed == 0 ]]
