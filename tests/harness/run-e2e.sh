#!/usr/bin/env bash
# Runs the end-to-end tests against real services that this script starts privately and stops:
# a dockerd with its own socket, data root and exec root (never the host's daemon), and a
# redis-server on a free loopback port. Usage: run-e2e.sh BUILD_DIR
set -euo pipefail
build_dir=$(cd "${1:-build}" && pwd)
here=$(cd "$(dirname "$0")" && pwd)

if [ "$(id -u)" -ne 0 ]; then
  if [ "${CI:-}" = true ]; then
    echo "run-e2e: CI must run the end-to-end tests as root" >&2
    exit 1
  fi
  echo "run-e2e: SKIPPED end-to-end tests: they need root (ptrace of container processes, a private dockerd)"
  exit 0
fi

work=$(mktemp -d /tmp/da-e2e.XXXXXX)
redis_pid=
cleanup() {
  set +e
  if [ -n "${DOCKER_HOST:-}" ]; then
    ids=$(/usr/bin/docker ps -aq 2>/dev/null)
    [ -n "$ids" ] && /usr/bin/docker rm -f $ids >/dev/null 2>&1
  fi
  bash "$here/private-dockerd.sh" stop "$work/docker"
  [ -n "$redis_pid" ] && kill "$redis_pid" 2>/dev/null && wait "$redis_pid" 2>/dev/null
  # dockerd's data root holds read-only layers and mounts: unmount before removing.
  grep -o " $work[^ ]*" /proc/mounts | sort -r | xargs -r -n1 umount -l 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

free_port() {
  /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

echo "run-e2e: starting a private dockerd under $work/docker"
DOCKER_HOST=$(bash "$here/private-dockerd.sh" start "$work/docker")
export DOCKER_HOST
export PATH=/usr/bin:$PATH  # Debian's docker CLI, matching the daemon

redis_port=$(free_port)
echo "run-e2e: starting redis-server on 127.0.0.1:$redis_port"
redis-server --bind 127.0.0.1 --port "$redis_port" --save '' --appendonly no \
  --dir "$work" >"$work/redis.log" 2>&1 &
redis_pid=$!
for _ in $(seq 1 100); do
  redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break
  sleep 0.1
done

export DA_TEST_DOCKER_HOST=$DOCKER_HOST
export DA_TEST_REDIS_URL="redis://127.0.0.1:$redis_port"
export DA_TEST_IMAGE=da-test/busybox:e2e
bash "$here/build-test-image.sh" "$build_dir" "$DA_TEST_IMAGE" >/dev/null
echo "run-e2e: test image $DA_TEST_IMAGE ready"

ctest --test-dir "$build_dir" -L e2e --output-on-failure ${DA_E2E_FILTER:+-R "$DA_E2E_FILTER"}
