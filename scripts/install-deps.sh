#!/usr/bin/env bash
# Installs every Debian package docker-anomalies needs to build, test and run.
# Idempotent: packages already present are skipped quickly, so `make run` / `make test` may call
# it every time.
set -euo pipefail

build_packages=(
  build-essential cmake pkg-config git
  libcurl4-openssl-dev nlohmann-json3-dev libmsgpack-cxx-dev libhiredis-dev
  libcli11-dev libspdlog-dev libfmt-dev libyaml-cpp-dev prometheus-cpp-dev libcivetweb-dev libabsl-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev help2man
)
runtime_packages=(
  docker.io redis-server redis-tools busybox-static strace procps
  python3-aiosmtpd python3-msgpack python3-redis ca-certificates openssl
  debootstrap postgresql-client stunnel4 wrk iproute2
)

missing=()
for pkg in "${build_packages[@]}" "${runtime_packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$pkg")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all packages present"
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: missing packages: ${missing[*]}" >&2
  echo "install-deps: run as root (or: sudo $0) to install them" >&2
  exit 1
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# Docker's package would start a system dockerd through its postinst where an init system exists;
# policy-rc.d keeps package installs from starting services, the tests start private ones.
policy=/usr/sbin/policy-rc.d
created_policy=0
if [ ! -e "$policy" ] && [ "${DA_ALLOW_SERVICE_START:-0}" != 1 ]; then
  printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy" && created_policy=1
fi
trap '[ $created_policy = 1 ] && rm -f "$policy"' EXIT
apt-get install -y -qq --no-install-recommends "${missing[@]}"
