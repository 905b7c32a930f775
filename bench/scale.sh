#!/usr/bin/env bash
# Scale of partitioned detection (issue 13, docs/scale.md): a private redis-server on loopback,
# da_loadgen replaying a real recording (redis-server under redis-benchmark, traced once and
# cached in BUILD_DIR/bench) as many agents, and 1, 2 and 4 detectors. Prints the table rows.
# Usage: bench/scale.sh [BUILD_DIR] [ROUNDS]
set -euo pipefail
build_dir=$(cd "${1:-build}" && pwd)
rounds=${2:-3}
here=$(cd "$(dirname "$0")" && pwd)
recording=$build_dir/bench/redis-recording.jsonl
if [[ ! -s $recording ]]; then
  # A real service's calls: redis-server traced (ptrace) while redis-benchmark drives it.
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  tmp=$(mktemp -d)
  "$build_dir/docker-anomalies" trace --print-syscalls -- /usr/bin/redis-server --port "$port" \
    --bind 127.0.0.1 --save '' --appendonly no --logfile "$tmp/redis.log" >"$tmp/raw.jsonl" 2>"$tmp/trace.log" &
  tracer=$!
  until redis-cli -p "$port" ping >/dev/null 2>&1; do sleep 0.2; done
  redis-benchmark -p "$port" -t get,set,incr,lpush -c 4 -n 20000 -q >/dev/null
  kill -TERM "$tracer"; wait "$tracer" || true
  grep '^{"time_ns' "$tmp/raw.jsonl" >"$recording"
  rm -rf "$tmp"
fi
exec /usr/bin/python3 "$here/scale.py" "$build_dir" "$recording" "$rounds"
