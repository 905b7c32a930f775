#!/usr/bin/env bash
# Builds the local test image (no registry): a rootfs with Debian's busybox-static, our static
# syscall loop and a marker file, imported with `docker import`. Usage: build-test-image.sh BUILD_DIR TAG
set -euo pipefail
build_dir=${1:?build dir}
tag=${2:?image tag}
root=$(mktemp -d /tmp/da-rootfs.XXXXXX)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,etc,tmp,proc,sys,dev,root}
cp /bin/busybox "$root/bin/busybox"
for applet in $("$root/bin/busybox" --list); do
  [ "$applet" = busybox ] || ln -sf busybox "$root/bin/$applet"
done
cp "$build_dir/bench/syscall_loop" "$root/bin/syscall_loop"
echo "root:x:0:0:root:/root:/bin/sh" >"$root/etc/passwd"
echo "root:*:19000:0:99999:7:::" >"$root/etc/shadow"
echo "docker-anomalies e2e marker" >"$root/etc/da-marker"
tar -C "$root" -c . | docker import -c 'CMD ["/bin/sh"]' - "$tag" >/dev/null
echo "$tag"
