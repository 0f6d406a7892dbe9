#!/usr/bin/env bash
# Builds inflow and runs every test, unit and integration: exits non-zero on
# any failure.
#
#   scripts/test.sh
#
# Stages:
#   1. build/       Release (-O3, what a packager builds first), then ctest
#                   (all labels)
#   2. build-asan/  RelWithDebInfo at -O1 with -DINFLOW_SANITIZE=ON
#                   (AddressSanitizer and UndefinedBehaviorSanitizer), then
#                   ctest
#   3. build-tsan/  the library's tests alone (integration.library: the
#                   client shared by threads among them) with
#                   -DINFLOW_SANITIZE_THREAD=ON (ThreadSanitizer)
# Each builds with warnings as errors (scripts/lib/common.sh).
#
# Environment:
#   INFLOW_SKIP_ASAN=1   skip stages 2 and 3 (quick local runs; CI runs them)
#   INFLOW_SKIP_DEPS=1   do not check/install the Debian packages
#   INFLOW_CTEST_JOBS=N  run N tests at once (default: the number of cores;
#                        the integration tests start their servers on free
#                        ports in temporary folders, so they may overlap)
#   INFLOW_TEST_TIMEOUT  seconds a test may take when it sets no TIMEOUT
#                        itself (default 300)
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

ROOT=$(repo_root)
readonly ROOT

# Totals over the stages, for the summary.
PASSED=0
FAILED=0
SKIPPED=0
# One line per stage, for the summary.
STAGE_RESULTS=()
# Set when a stage failed.
ANY_FAILURE=0
# The counts of the last ctest run, as text.
STAGE_COUNTS=""

# record_stage NAME RESULT: remember how a stage ended (a RESULT with
# FAILED in it fails the run).
record_stage() {
  STAGE_RESULTS+=("$(printf '%-12s %s' "$1" "$2")")
  if [[ $2 == *FAILED* ]]; then
    ANY_FAILURE=1
  fi
}

# junit_count FILE ATTRIBUTE: an attribute of the <testsuite> element of a
# ctest JUnit report (0 when absent).
junit_count() {
  local value
  value=$(sed -n "s/^[[:space:]]*$2=\"\([0-9]*\)\".*/\1/p" "$1" | head -n 1)
  printf '%s\n' "${value:-0}"
}

# add_counts JUNIT_FILE: add a ctest run's counts to the totals, and put
# them in STAGE_COUNTS as "P passed, F failed, S skipped".
add_counts() {
  local junit=$1 tests failures skipped disabled passed
  tests=$(junit_count "$junit" tests)
  failures=$(junit_count "$junit" failures)
  skipped=$(junit_count "$junit" skipped)
  disabled=$(junit_count "$junit" disabled)
  skipped=$((skipped + disabled))
  passed=$((tests - failures - skipped))
  PASSED=$((PASSED + passed))
  FAILED=$((FAILED + failures))
  SKIPPED=$((SKIPPED + skipped))
  STAGE_COUNTS="$passed passed, $failures failed, $skipped skipped"
}

# run_ctest BUILD_DIR: run every test of a tree; the exit code is ctest's.
# A tree with no test at all is an error (--no-tests=error).
run_ctest() {
  local build_dir=$1
  local only=()
  if [[ -n ${STAGE_TESTS:-} ]]; then
    only=(--tests-regex "$STAGE_TESTS")
  fi
  ctest --test-dir "$build_dir" "${only[@]}" \
    --output-on-failure \
    --no-tests=error \
    --timeout "${INFLOW_TEST_TIMEOUT:-300}" \
    --parallel "${INFLOW_CTEST_JOBS:-$(nproc)}" \
    --output-junit "$build_dir/ctest-junit.xml"
}

# run_stage NAME BUILD_DIR CMAKE_ARGS...: configure, build and test a tree
# (only the targets in STAGE_TARGETS and the tests matching STAGE_TESTS,
# when set),
# recording the outcome. A failed configure or build ends the script (the
# next stage would fail the same way); failed tests do not.
run_stage() {
  local name=$1 build_dir=$2
  shift 2
  local started=$SECONDS
  step "[$name] Configuring $build_dir"
  if ! configure_tree "$build_dir" "$@"; then
    record_stage "$name" "CONFIGURE FAILED"
    finish
  fi
  step "[$name] Building $build_dir with $(nproc) jobs"
  # shellcheck disable=SC2086 # STAGE_TARGETS is a list of target names
  if ! build_tree "$build_dir" ${STAGE_TARGETS:-}; then
    record_stage "$name" "BUILD FAILED"
    finish
  fi
  step "[$name] Running the tests of $build_dir"
  rm -f -- "$build_dir/ctest-junit.xml"
  local status=0
  run_ctest "$build_dir" || status=$?
  STAGE_COUNTS="no test report"
  if [[ -f $build_dir/ctest-junit.xml ]]; then
    add_counts "$build_dir/ctest-junit.xml"
  fi
  local took="$((SECONDS - started))s"
  if [[ $status -eq 0 ]]; then
    record_stage "$name" "ok       ($STAGE_COUNTS; $took)"
  else
    record_stage "$name" "FAILED   ($STAGE_COUNTS; ctest exit code $status; $took)"
  fi
}

# leak_sanitizer_works: whether LeakSanitizer can run here. It stops the
# process's threads with ptrace, which some sandboxes forbid; it then dies
# with "LeakSanitizer has encountered a fatal error" instead of reporting.
# Probed with a program that leaks on purpose.
leak_sanitizer_works() {
  local probe_dir output
  probe_dir=$(mktemp -d)
  printf '#include <stdlib.h>\nint main(void) { void *volatile p = malloc(64); p = 0; return p != 0; }\n' \
    >"$probe_dir/leak.c"
  if ! cc -fsanitize=address -g -o "$probe_dir/leak" "$probe_dir/leak.c" 2>/dev/null; then
    rm -rf -- "$probe_dir"
    return 1
  fi
  output=$(ASAN_OPTIONS=detect_leaks=1 "$probe_dir/leak" 2>&1 || true)
  rm -rf -- "$probe_dir"
  [[ $output == *"detected memory leaks"* ]]
}

# sanitizer_environment: export the sanitizers' options for stage 2.
sanitizer_environment() {
  local detect_leaks=1
  if ! leak_sanitizer_works; then
    # LeakSanitizer needs ptrace, which this machine's sandbox does not
    # allow: leak checking is off here, the rest of ASan stays on.
    warn "LeakSanitizer does not work on this machine (no ptrace?): running with detect_leaks=0"
    detect_leaks=0
  fi
  export ASAN_OPTIONS="detect_leaks=${detect_leaks}:check_initialization_order=1:strict_string_checks=1"
  export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
  info "ASAN_OPTIONS=$ASAN_OPTIONS"
  info "UBSAN_OPTIONS=$UBSAN_OPTIONS"
}

# finish: print the summary and exit (non-zero on any failure). The last
# line counts the tests of all stages.
finish() {
  local line
  printf '\n==> [%s] Summary\n' "$INFLOW_SCRIPT_NAME"
  for line in "${STAGE_RESULTS[@]}"; do
    printf '    %s\n' "$line"
  done
  if [[ ${INFLOW_SKIP_ASAN:-0} == 1 ]]; then
    printf '    %-12s %s\n' asan "skipped (INFLOW_SKIP_ASAN=1)"
    printf '    %-12s %s\n' tsan "skipped (INFLOW_SKIP_ASAN=1)"
  fi
  if [[ $ANY_FAILURE -eq 0 ]]; then
    printf 'RESULT: every test passed\n'
  else
    printf 'RESULT: FAILED (see the stages above)\n'
  fi
  printf 'summary: %d passed, %d failed, %d skipped\n' "$PASSED" "$FAILED" "$SKIPPED"
  exit "$ANY_FAILURE"
}

main() {
  cd "$ROOT"
  install_deps
  run_stage release "$ROOT/build" -DCMAKE_BUILD_TYPE=Release
  if [[ ${INFLOW_SKIP_ASAN:-0} != 1 ]]; then
    step "[asan] Checking the sanitizers' runtime"
    sanitizer_environment
    # -O1 and line tables only: the sanitized build compiles 2.5 times
    # faster than at -O2 -g (101 s against 40 s for the parser's test
    # table), and its reports still name files and lines.
    run_stage asan "$ROOT/build-asan" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DINFLOW_SANITIZE=ON \
      -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1 -DNDEBUG" \
      -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O1 -g1 -DNDEBUG"
    # The library is what programs share between threads; the daemon runs
    # one loop on one thread.
    STAGE_TARGETS="inflow_library_tests" STAGE_TESTS='^integration\.library$' \
      run_stage tsan "$ROOT/build-tsan" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DINFLOW_SANITIZE_THREAD=ON \
      -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1 -DNDEBUG" \
      -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O1 -g1 -DNDEBUG"
  fi
  finish
}

main "$@"
