#!/usr/bin/env bash
# Installs the Debian 12 packages inflow needs to build, test and run its
# development servers. Fast (no apt at all) when they are all installed.
#
#   scripts/install-deps.sh
#
# Runs as root, or through sudo when it is there. Package starts by the
# maintainer scripts (invoke-rc.d) are denied for the duration of the
# install: the scripts run their own InfluxDB and Redis (see scripts/dev.sh),
# and on a machine without systemd the packages' init scripts would start
# servers on the default ports, or hang.
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

readonly PACKAGES=(
  # Toolchain.
  build-essential cmake ninja-build pkg-config git ca-certificates
  # Libraries.
  libuv1-dev node-llhttp libsimdjson-dev libhiredis-dev libspdlog-dev
  libyaml-cpp-dev libcli11-dev
  # Tests and benchmarks.
  libgtest-dev libgmock-dev libbenchmark-dev
  # Servers and their clients, for the integration tests and scripts/dev.sh.
  influxdb influxdb-client redis-server redis-tools
  # InfluxDB's own line protocol parser, the tests' reference.
  golang-go golang-github-influxdata-influxdb1-client-dev
  # Tools the scripts and tests use.
  curl socat procps
)

readonly POLICY_RC=/usr/sbin/policy-rc.d
readonly POLICY_RC_BACKUP=/usr/sbin/policy-rc.d.inflow-backup

# missing_packages: print the packages of PACKAGES that are not installed.
missing_packages() {
  local package status
  for package in "${PACKAGES[@]}"; do
    status=$(dpkg-query -W -f='${db:Status-Abbrev}' "$package" 2>/dev/null || true)
    [[ $status == ii* ]] || printf '%s\n' "$package"
  done
}

# as_root COMMAND...: run a command as root (directly, or through sudo).
as_root() {
  if [[ $EUID -eq 0 ]]; then
    "$@"
  elif command -v sudo >/dev/null; then
    sudo "$@"
  else
    die "need root to run: $* (run this script as root, or install sudo)"
  fi
}

# deny_service_starts: install a policy-rc.d that forbids invoke-rc.d to
# start anything (exit 101), keeping any existing one aside. A backup left
# by an interrupted run is the original: the current file is then ours.
deny_service_starts() {
  if [[ -e $POLICY_RC && ! -e $POLICY_RC_BACKUP ]]; then
    as_root mv -f -- "$POLICY_RC" "$POLICY_RC_BACKUP"
  fi
  printf '#!/bin/sh\n# Written by inflow scripts/install-deps.sh for the duration of an install.\nexit 101\n' |
    as_root tee "$POLICY_RC" >/dev/null
  as_root chmod 0755 "$POLICY_RC"
}

# restore_service_policy: undo deny_service_starts.
restore_service_policy() {
  as_root rm -f -- "$POLICY_RC"
  if [[ -e $POLICY_RC_BACKUP ]]; then
    as_root mv -f -- "$POLICY_RC_BACKUP" "$POLICY_RC"
  fi
}

# apt_install PACKAGE...: refresh the package lists (a fresh machine has
# none) and install the packages without recommends and without questions.
apt_install() {
  info "apt-get update"
  as_root apt-get update -q
  info "apt-get install ${*}"
  as_root env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -q --no-install-recommends "$@" </dev/null
}

# install_missing PACKAGE...: install the packages with service starts denied.
install_missing() {
  deny_service_starts
  trap restore_service_policy EXIT
  apt_install "$@"
  restore_service_policy
  trap - EXIT
}

# check_installed: fail unless every package is installed now.
check_installed() {
  local still_missing
  still_missing=$(missing_packages)
  [[ -z $still_missing ]] || die "still not installed: $(echo "$still_missing" | tr '\n' ' ')"
}

main() {
  step "Checking the ${#PACKAGES[@]} Debian packages inflow needs"
  local missing
  missing=$(missing_packages)
  if [[ -z $missing ]]; then
    info "all installed"
    return 0
  fi
  local -a missing_list
  mapfile -t missing_list <<<"$missing"
  info "missing: ${missing_list[*]}"
  install_missing "${missing_list[@]}"
  check_installed
  info "installed ${#missing_list[@]} package(s)"
}

main "$@"
