#!/usr/bin/env bash
# Builds the Debian package from BUILD_DIR into a scratch directory and checks what users get:
# the files, the runtime dependencies dpkg-shlibdeps found, the conffiles, a unit systemd
# accepts (when systemd-analyze is there), and a binary that runs from the package.
#   check-package.sh BUILD_DIR
set -euo pipefail
build=$(cd "${1:?usage: check-package.sh BUILD_DIR}" && pwd)
out=$(mktemp -d /tmp/da-package.XXXXXX)
trap 'rm -rf "$out"' EXIT
(cd "$build" && cpack -G DEB -B "$out" >"$out/cpack.log" 2>&1) || { cat "$out/cpack.log"; exit 1; }
deb=$(ls "$out"/docker-anomalies_*.deb)
files=$(dpkg-deb -c "$deb")
for f in ./usr/bin/docker-anomalies ./usr/lib/systemd/system/docker-anomalies.service \
         ./etc/docker-anomalies/config.yaml ./etc/logrotate.d/docker-anomalies \
         ./usr/share/doc/docker-anomalies/README.md ./usr/share/doc/docker-anomalies/configuration.md \
         ./usr/share/man/man1/docker-anomalies.1; do
  grep -q " $f\$" <<<"$files" || { echo "check-package: $f is not in the package"; echo "$files"; exit 1; }
done
info=$(dpkg-deb -I "$deb")
for dep in libcurl libhiredis libbpf libyaml-cpp; do
  grep -q "Depends:.*$dep" <<<"$info" || { echo "check-package: no dependency on $dep"; echo "$info"; exit 1; }
done
dpkg-deb --ctrl-tarfile "$deb" | tar -t | grep -q conffiles || { echo "check-package: no conffiles"; exit 1; }
mkdir "$out/root" && dpkg-deb -x "$deb" "$out/root"
"$out/root/usr/bin/docker-anomalies" --version
if command -v systemd-analyze >/dev/null 2>&1; then
  # Checks the unit's syntax; the binary path is the installed one, so point it at the extracted copy.
  sed "s|/usr/bin/docker-anomalies|$out/root/usr/bin/docker-anomalies|" \
    "$out/root/usr/lib/systemd/system/docker-anomalies.service" >"$out/docker-anomalies.service"
  systemd-analyze verify "$out/docker-anomalies.service" 2>&1 | grep -v "^$" | grep -iv "docker.service\|network-online" \
    && { echo "check-package: systemd-analyze found problems in the unit"; exit 1; } || true
fi
echo "check-package: $(basename "$deb") holds the binary, the unit, the config and the docs"
