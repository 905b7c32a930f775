#!/usr/bin/env bash
# Starts (start DIR) or stops (stop DIR) a private Docker engine whose every path lives under DIR:
# its own socket, data root, exec root and pidfile, no bridge and no iptables. It never touches a
# daemon it did not start. Prints the DOCKER_HOST to use on start. DOCKERD_EXTRA_ARGS adds
# options (e.g. --live-restore); stop then start with the same DIR restarts the same engine.
set -euo pipefail
cmd=${1:?usage: private-dockerd.sh start|stop DIR}
dir=${2:?usage: private-dockerd.sh start|stop DIR}

case "$cmd" in
start)
  mkdir -p "$dir"/data "$dir"/exec
  sock="$dir/docker.sock"
  # containerd is started by dockerd itself (its own, under exec-root) when none is given.
  /usr/sbin/dockerd \
    --data-root "$dir/data" --exec-root "$dir/exec" --pidfile "$dir/dockerd.pid" \
    -H "unix://$sock" --bridge=none --iptables=false --ip-masq=false --ip6tables=false \
    --storage-driver vfs ${DOCKERD_EXTRA_ARGS:-} \
    >>"$dir/dockerd.log" 2>&1 &
  for _ in $(seq 1 300); do
    if [ -S "$sock" ] && DOCKER_HOST="unix://$sock" /usr/bin/docker version >/dev/null 2>&1; then
      echo "unix://$sock"
      exit 0
    fi
    sleep 0.1
  done
  echo "private-dockerd: dockerd did not come up in 30 s; its log:" >&2
  tail -n 30 "$dir/dockerd.log" >&2
  exit 1
  ;;
stop)
  if [ -f "$dir/dockerd.pid" ]; then
    pid=$(cat "$dir/dockerd.pid")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  ;;
*) echo "usage: private-dockerd.sh start|stop DIR" >&2; exit 2 ;;
esac
