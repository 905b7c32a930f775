#!/usr/bin/env bash
# Installs the Debian package in a fresh Debian (a minbase debootstrap, cached under BUILD_DIR)
# the way a user would — apt resolving its dependencies from the mirror — then runs the
# packaged binary there: --version, the man page, and `config check` on the shipped config.
#   install-in-chroot.sh BUILD_DIR
set -euo pipefail
build=$(cd "${1:?usage: install-in-chroot.sh BUILD_DIR}" && pwd)
mirror=$(sed -n 's/^URIs: *\([^ ]*debian\)$/\1/p' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -1)
[ -n "$mirror" ] || mirror=$(awk '$1=="deb" && $2 !~ /security/ {print $2; exit}' /etc/apt/sources.list 2>/dev/null)
[ -n "$mirror" ] || { echo "install-in-chroot: no Debian mirror found in /etc/apt" >&2; exit 1; }

cache=$build/install-rootfs.tar
if [ ! -f "$cache" ]; then
  echo "install-in-chroot: debootstrap bookworm minbase from $mirror (once, cached in $cache)"
  base=$(mktemp -d /tmp/da-minbase.XXXXXX)
  debootstrap --variant=minbase bookworm "$base" "$mirror" >"$build/install-rootfs.log" 2>&1 ||
    { tail -20 "$build/install-rootfs.log" >&2; rm -rf "$base"; exit 1; }
  tar -C "$base" -cf "$cache" .
  rm -rf "$base"
fi

root=$(mktemp -d /tmp/da-chroot.XXXXXX)
out=$(mktemp -d /tmp/da-deb.XXXXXX)
cleanup() {
  umount -l "$root/proc" 2>/dev/null || true
  rm -rf "$root" "$out"
}
trap cleanup EXIT
(cd "$build" && cpack -G DEB -B "$out" >"$out/cpack.log" 2>&1) || { cat "$out/cpack.log"; exit 1; }
tar -C "$root" -xf "$cache"
# A symlink in the rootfs may point at a host path: the files apt needs are written fresh.
rm -f "$root/etc/resolv.conf"
cp /etc/resolv.conf "$root/etc/resolv.conf"
cp "$out"/docker-anomalies_*.deb "$root/tmp/"
mount -t proc proc "$root/proc"
chroot "$root" apt-get update -qq
chroot "$root" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
  /tmp/"$(basename "$out"/docker-anomalies_*.deb)" >"$out/apt.log" 2>&1 || { tail -30 "$out/apt.log"; exit 1; }
chroot "$root" docker-anomalies --version
test -s "$root/usr/share/man/man1/docker-anomalies.1" || { echo "install-in-chroot: no man page"; exit 1; }
test -f "$root/usr/lib/systemd/system/docker-anomalies.service" || { echo "install-in-chroot: no unit"; exit 1; }
# The shipped configuration must check as valid where it is installed.
chroot "$root" docker-anomalies config check --config /etc/docker-anomalies/config.yaml
echo "install-in-chroot: installed with apt, --version and config check ran from the package"
