#!/usr/bin/env bash
# Builds the real-software test image (no registry is reachable): a Debian bookworm rootfs made
# by debootstrap from the host's own Debian mirror with PostgreSQL, redis-server, nginx, Python
# and curl, plus our lab files (static pages, a small Python web app that shells out, one start
# script), then `docker import`. The rootfs is cached under BUILD_DIR/lab-rootfs, keyed by this
# script's and the lab files' checksum, so reruns take seconds.
# Usage: build-lab-image.sh BUILD_DIR TAG
set -euo pipefail
build_dir=$(cd "${1:?build dir}" && pwd)
tag=${2:?image tag}
here=$(cd "$(dirname "$0")" && pwd)
packages=redis-server,nginx-light,postgresql-15,python3,curl,ca-certificates

mirror=$(sed -n 's/^URIs: *\([^ ]*debian\)$/\1/p' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -1)
[ -n "$mirror" ] || mirror=$(awk '$1=="deb" && $2 !~ /security/ {print $2; exit}' /etc/apt/sources.list 2>/dev/null)
[ -n "$mirror" ] || { echo "build-lab-image: no Debian mirror found in /etc/apt" >&2; exit 1; }

base=$build_dir/lab-rootfs/base
stamp=$build_dir/lab-rootfs/base.stamp
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$packages $mirror" ]; then
  echo "build-lab-image: debootstrap bookworm ($packages) from $mirror — a few minutes, once" >&2
  command -v debootstrap >/dev/null || { apt-get update -qq && apt-get install -y -qq debootstrap >/dev/null; }
  rm -rf "$base" && mkdir -p "$base"
  debootstrap --variant=minbase --include="$packages" bookworm "$base" "$mirror" >"$build_dir/lab-rootfs/debootstrap.log" 2>&1 ||
    { tail -20 "$build_dir/lab-rootfs/debootstrap.log" >&2; exit 1; }
  echo "$packages $mirror" >"$stamp"
fi

# The image layer: base + lab files, rebuilt when the lab files change.
sum=$(cat "$0" "$here"/lab/* | sha256sum | cut -c1-16)
if [ "$(docker images -q "$tag" 2>/dev/null)" ] && [ -f "$build_dir/lab-rootfs/image.$sum" ]; then
  echo "$tag"; exit 0
fi
root=$build_dir/lab-rootfs/image
rm -rf "$root" && cp -a "$base" "$root"
# A symlink in the rootfs may point at a host path (resolv.conf, defaults of packages): replace,
# never write through.
put() { rm -f "$root/$2"; mkdir -p "$(dirname "$root/$2")"; cp "$1" "$root/$2"; }
put "$here/lab/lab-start" /usr/local/bin/lab-start && chmod 755 "$root/usr/local/bin/lab-start"
put "$here/lab/app.py" /srv/app/app.py
put "$here/lab/nginx.conf" /etc/nginx/lab.conf
mkdir -p "$root/srv/www" "$root/root/.ssh" && chmod 700 "$root/root/.ssh"
for i in $(seq 1 50); do
  printf '<html><body><h1>page %d</h1>%s</body></html>\n' "$i" "$(head -c $((i * 97)) /dev/zero | tr '\0' x)" >"$root/srv/www/page$i.html"
done
printf 'alice 1\nbob 2\ncarol 3\ndave 4\n' >"$root/srv/app/people.txt"
rm -f "$root/etc/resolv.conf" && : >"$root/etc/resolv.conf"
# Smaller image, faster container creation: no package cache, docs or translations.
rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/usr/share/doc "$root"/usr/share/man "$root"/usr/share/locale
rm -f "$build_dir"/lab-rootfs/image.*
tar -C "$root" -c . | docker import -c 'ENTRYPOINT ["/usr/local/bin/lab-start"]' - "$tag" >/dev/null
rm -rf "$root"
touch "$build_dir/lab-rootfs/image.$sum"
echo "$tag"
