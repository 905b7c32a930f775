#!/usr/bin/env bash
# Builds the agent's image from the .deb in BUILD_DIR (make package first) with the docker CLI
# of DOCKER_HOST. The base is a minbase Debian imported from the cached debootstrap of
# tests/harness/install-in-chroot.sh, so no registry is needed.  build-image.sh BUILD_DIR [TAG]
set -euo pipefail
build=$(cd "${1:?usage: build-image.sh BUILD_DIR [TAG]}" && pwd)
tag=${2:-docker-anomalies:$(sed -n 's/^docker-anomalies \(.*\)/\1/p' <("$build/docker-anomalies" --version))}
here=$(cd "$(dirname "$0")" && pwd)
deb=$(ls -t "$build"/docker-anomalies_*.deb 2>/dev/null | head -1)
[ -n "$deb" ] || { echo "build-image: no .deb in $build (make package)" >&2; exit 1; }
[ -f "$build/install-rootfs.tar" ] || { echo "build-image: no base rootfs; run tests/harness/install-in-chroot.sh $build once" >&2; exit 1; }
docker import - docker-anomalies-base:bookworm <"$build/install-rootfs.tar" >/dev/null
context=$(mktemp -d /tmp/da-image.XXXXXX)
trap 'rm -rf "$context"' EXIT
cp "$deb" "$here/Dockerfile" "$context/"
# apt inside the build fetches the package's dependencies: host network (the daemon may have no bridge).
docker build --network host --build-arg BASE=docker-anomalies-base:bookworm -t "$tag" "$context"
echo "build-image: $tag"
