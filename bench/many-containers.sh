#!/usr/bin/env bash
# The agent's memory with many busy containers (issue 10: ≤ 64 MB RSS with 50): N containers of
# a private dockerd, each a shell loop that starts a short program every 50 ms (about 40
# syscalls each: exec, file opens, reads, exit), watched by `docker-anomalies run` in its
# default configuration for SECONDS. Prints the agent's resident memory (now and peak, from
# /proc), its CPU, events and drops. IMAGES distinct images (profiles) among the containers.
# Usage: bench/many-containers.sh [BUILD_DIR] [N] [SECONDS] [IMAGES]
set -euo pipefail
build_dir=$(cd "${1:-build}" && pwd)
count=${2:-50}
seconds=${3:-120}
images=${4:-5}
here=$(cd "$(dirname "$0")" && pwd)
harness=$here/../tests/harness
source "$here/private-docker.sh" da-many
bash "$harness/build-test-image.sh" "$build_dir" da-bench/busybox:base >/dev/null
# Distinct images (one profile each): the base plus a layer that differs by one file.
for i in $(seq 1 "$images"); do
  cid=$(docker create da-bench/busybox:base sh)
  echo "image $i" | docker cp - "$cid:/etc/" 2>/dev/null || true
  docker commit "$cid" "da-bench/many:$i" >/dev/null
  docker rm "$cid" >/dev/null
done

"$build_dir/docker-anomalies" run --state-dir "$work/state" >"$work/agent.log" 2>&1 &
agent_pid=$!
until grep -q "Listening for docker events" "$work/agent.log"; do
  kill -0 "$agent_pid" 2>/dev/null || { cat "$work/agent.log" >&2; exit 1; }
  sleep 0.1
done
loop='while :; do cat /etc/da-marker >/dev/null; ls /bin >/dev/null; sleep 0.05; done'
for i in $(seq 1 "$count"); do
  docker run -d --network none --name "busy-$i" "da-bench/many:$(( (i - 1) % images + 1 ))" sh -c "$loop" >/dev/null
  printf '\rbench: %d/%d containers started' "$i" "$count" >&2
done
echo >&2
kb() { awk -v k="$2" '$1 == k":" {print $2}' "/proc/$1/status"; }
for ((t = 0; t < seconds; t += 10)); do
  sleep 10
  printf '\rbench: %3d s  agent RSS %6d kB (peak %6d kB)' "$((t + 10))" "$(kb "$agent_pid" VmRSS)" "$(kb "$agent_pid" VmHWM)" >&2
done
echo >&2
rss=$(kb "$agent_pid" VmRSS)
peak=$(kb "$agent_pid" VmHWM)
anon=$(kb "$agent_pid" RssAnon)
# The BPF ring buffer's pages are mapped twice back to back (so a record that wraps reads as one
# piece): RSS counts its kernel memory (8 MB) twice.
ring=$(awk '/^[0-9a-f]+-[0-9a-f]+ / {m = ($6 == "anon_inode:bpf-map")} m && /^Rss:/ {s += $2} END {print s + 0}' "/proc/$agent_pid/smaps")
ticks=$(awk '{print $14 + $15}' "/proc/$agent_pid/stat")
kill -TERM "$agent_pid"; wait "$agent_pid" || true; agent_pid=
summary=$(grep -E "^captured" "$work/agent.log" | tail -1)
events=$(sed -n 's/.*captured \([0-9]*\) syscalls.*/\1/p' <<<"$summary")
hz=$(getconf CLK_TCK)
echo "| containers | images | seconds | RSS at the end | peak RSS | of which BPF maps | heap (RssAnon) | agent CPU | events | CPU per event | summary |"
echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"
awk -v c="$count" -v i="$images" -v s="$seconds" -v r="$rss" -v p="$peak" -v g="$ring" -v a="$anon" -v t="$ticks" -v hz="$hz" -v e="$events" -v sum="$summary" \
  'BEGIN {printf "| %d | %d | %d | %.1f MB | %.1f MB | %.1f MB | %.1f MB | %.1f s | %d | %.2f µs | %s |\n", c, i, s, r/1024, p/1024, g/1024, a/1024, t/hz, e, (e > 0 ? t/hz*1e6/e : 0), sum}'
