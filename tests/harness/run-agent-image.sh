#!/usr/bin/env bash
# Builds the agent's image from the package (packaging/build-image.sh) with the harness's
# private dockerd, then runs it as docs/operations.md says — with the capabilities capture needs,
# in the host's pid namespace, with the Docker socket — and has it check the host: eBPF loads
# and Docker answers.
#   run-agent-image.sh BUILD_DIR      (needs DOCKER_HOST of a daemon this harness started)
set -euo pipefail
build=$(cd "${1:?usage: run-agent-image.sh BUILD_DIR}" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
: "${DOCKER_HOST:?run-agent-image: needs DOCKER_HOST from the harness}"
[ -f "$build/install-rootfs.tar" ] || bash "$here/install-in-chroot.sh" "$build" >/dev/null
(cd "$build" && cpack -G DEB >/dev/null 2>&1)
tag=da-test/agent-image:e2e
bash "$here/../../packaging/build-image.sh" "$build" "$tag" >"$build/agent-image.log" 2>&1 ||
  { tail -30 "$build/agent-image.log"; exit 1; }
docker run --rm "$tag" --version
socket=${DOCKER_HOST#unix://}
out=$(docker run --rm --cap-add SYS_ADMIN --cap-add SYS_PTRACE --cap-add DAC_READ_SEARCH \
        --security-opt seccomp=unconfined --security-opt apparmor=unconfined --pid=host --network=host \
        -v /sys/kernel:/sys/kernel -v "$socket:/var/run/docker.sock" "$tag" config check 2>/dev/null) ||
  { echo "run-agent-image: config check in the container failed:"; echo "$out"; exit 1; }
echo "$out"
grep -q "^ok          ebpf: the capture program loads and attaches" <<<"$out" || { echo "run-agent-image: eBPF did not load in the container"; exit 1; }
grep -q "^ok          docker: reachable" <<<"$out" || { echo "run-agent-image: Docker not reachable from the container"; exit 1; }
docker rmi -f "$tag" >/dev/null
echo "run-agent-image: the image runs the agent, which loads eBPF and reaches Docker"
