# Sourced by the benchmark scripts: a scratch directory ($work), a private dockerd in it
# (DOCKER_HOST exported; never the host's daemon), and a cleanup on exit that stops the agent
# the script started ($agent_pid, if set), removes every container, stops the daemon and
# deletes $work. Usage: source bench/private-docker.sh NAME   (NAME: the scratch dir's prefix)
bench_harness=$(cd "$(dirname "${BASH_SOURCE[0]}")/../tests/harness" && pwd)
[ "$(id -u)" -eq 0 ] || { echo "bench: needs root (a private dockerd, eBPF, ptrace)" >&2; exit 1; }
work=$(mktemp -d "/tmp/${1:-da-bench}.XXXXXX")
agent_pid=
cleanup() {
  set +e
  [ -n "$agent_pid" ] && kill "$agent_pid" 2>/dev/null && wait "$agent_pid" 2>/dev/null
  ids=$(/usr/bin/docker ps -aq 2>/dev/null); [ -n "$ids" ] && /usr/bin/docker rm -f $ids >/dev/null 2>&1
  bash "$bench_harness/private-dockerd.sh" stop "$work/docker"
  grep -o " $work[^ ]*" /proc/mounts | sort -r | xargs -r -n1 umount -l 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
export PATH=/usr/bin:$PATH
DOCKER_HOST=$(bash "$bench_harness/private-dockerd.sh" start "$work/docker")
export DOCKER_HOST
