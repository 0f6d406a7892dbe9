# shellcheck shell=bash
# Helpers shared by the scripts in scripts/: messages, the repository root,
# installing the dependencies, and configuring + building a CMake tree.
# Source it; do not run it.

# The name the messages are prefixed with: the calling script's file name.
INFLOW_SCRIPT_NAME=${INFLOW_SCRIPT_NAME:-$(basename "${0:-inflow}")}

# step MESSAGE...: announce a step of the script.
step() {
  printf '\n==> [%s] %s\n' "$INFLOW_SCRIPT_NAME" "$*"
}

# info MESSAGE...: a detail of the current step.
info() {
  printf '    %s\n' "$*"
}

# warn MESSAGE...: something the user should know, on stderr.
warn() {
  printf 'warning: [%s] %s\n' "$INFLOW_SCRIPT_NAME" "$*" >&2
}

# die MESSAGE...: print an error on stderr and exit 1.
die() {
  printf 'error: [%s] %s\n' "$INFLOW_SCRIPT_NAME" "$*" >&2
  exit 1
}

# repo_root: the absolute path of the repository (the parent of scripts/).
repo_root() {
  local lib_dir
  lib_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
  (cd "$lib_dir/../.." && pwd)
}

# install_deps: install the Debian packages the project needs (fast when
# they are all there). INFLOW_SKIP_DEPS=1 skips it, for machines whose
# packages are managed otherwise.
install_deps() {
  if [[ ${INFLOW_SKIP_DEPS:-0} == 1 ]]; then
    step "Skipping the dependency check (INFLOW_SKIP_DEPS=1)"
    return 0
  fi
  "$(repo_root)/scripts/install-deps.sh"
}

# cmake_generator_of BUILD_DIR: the generator a configured tree was made
# with, or nothing.
cmake_generator_of() {
  local cache="$1/CMakeCache.txt"
  [[ -f $cache ]] || return 0
  sed -n 's/^CMAKE_GENERATOR:INTERNAL=//p' "$cache"
}

# configure_tree BUILD_DIR CMAKE_ARGS...: configure BUILD_DIR with Ninja,
# warnings as errors (INFLOW_WERROR: the project's own builds are held to
# that; a user's or packager's plain cmake build is not). A tree configured
# with another generator cannot be reused: it is wiped (it only holds build
# output).
configure_tree() {
  local build_dir=$1
  shift
  local generator
  generator=$(cmake_generator_of "$build_dir")
  if [[ -n $generator && $generator != Ninja ]]; then
    warn "$build_dir was configured with '$generator', not Ninja: removing it"
    rm -rf -- "$build_dir"
  fi
  cmake -S "$(repo_root)" -B "$build_dir" -G Ninja -DINFLOW_WERROR=ON "$@"
}

# build_tree BUILD_DIR [TARGET...]: build the given targets (all without
# any), on every core.
build_tree() {
  local build_dir=$1
  shift
  local target_args=()
  local target
  for target in "$@"; do
    target_args+=(--target "$target")
  done
  cmake --build "$build_dir" -j "$(nproc)" "${target_args[@]}"
}
