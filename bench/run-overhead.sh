#!/usr/bin/env bash
# Overhead of capture on a syscall-heavy loop (1-byte reads of /dev/zero) inside a container:
# untraced, under docker-anomalies' ebpf and ptrace backends, a do-nothing ptrace tracer and
# `strace -f`, side by side in one run, medians of several runs; then the ebpf backend at the
# loop's maximum rate: events delivered per second and drops. Starts its own private dockerd
# (never the host's). Usage: bench/run-overhead.sh [BUILD_DIR] [RUNS] [CALLS] [MODES...]
set -euo pipefail
build_dir=$(cd "${1:-build}" && pwd)
runs=${2:-5}
calls=${3:-100000}
here=$(cd "$(dirname "$0")" && pwd)
harness=$here/../tests/harness
source "$here/private-docker.sh" da-bench
image=da-bench/busybox:1
bash "$harness/build-test-image.sh" "$build_dir" "$image" >/dev/null

# The loop starts after a pause so that a tracer attached on the container's start event
# traces all of it; the loop times itself.
loop_cmd="sleep 1; /bin/syscall_loop $calls"

untraced() { docker run --rm --network none "$image" sh -c "$loop_cmd" | sed -n 's/ns_per_syscall=//p'; }

# The whole agent (capture, queue, detection) as users run it.
under_agent() {
  local backend=$1 loop=${2:-$loop_cmd}
  "$build_dir/docker-anomalies" run --backend "$backend" --state-dir "$work/state" >"$work/agent.log" 2>&1 &
  agent_pid=$!
  until grep -q "Listening for docker events" "$work/agent.log"; do sleep 0.1; done
  docker run --rm --network none "$image" sh -c "$loop" | sed -n 's/ns_per_syscall=//p'
  kill "$agent_pid"; wait "$agent_pid" || true; agent_pid=
  grep -E "^captured" "$work/agent.log" >"$work/last-summary-$backend"
}
under_ptrace() { under_agent ptrace; }
under_ebpf() { under_agent ebpf; }

# Attaches an external tracer command to the container's init, as `strace -f -p` does.
under_external() {
  local cid pid
  cid=$(docker run -d --network none "$image" sh -c "sleep 0.5; $loop_cmd")
  pid=$(docker inspect -f '{{.State.Pid}}' "$cid")
  "$@" "$pid" &
  local tracer_pid=$!
  docker wait "$cid" >/dev/null
  docker logs "$cid" | sed -n 's/ns_per_syscall=//p'
  wait "$tracer_pid" 2>/dev/null || true
  docker rm "$cid" >/dev/null
}
under_strace() { under_external strace -f -qq -o "$work/strace.out" -p; }
ptrace_floor() { under_external "$build_dir/bench/ptrace_floor"; }

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

shift 3 2>/dev/null || true
modes=${*:-untraced under_ebpf ptrace_floor under_ptrace under_strace}
declare -A results
for mode in $modes; do
  : >"$work/$mode"
  for i in $(seq 1 "$runs"); do
    v=$($mode)
    echo "$v" >>"$work/$mode"
    printf '\r%-14s run %d/%d: %s ns/syscall   ' "$mode" "$i" "$runs" "$v" >&2
  done
  results[$mode]=$(median <"$work/$mode")
done
echo >&2

base=${results[untraced]:-}  # without the untraced mode there is no ratio to give
echo "| mode | ns per syscall (median of $runs) | ratio to untraced |"
echo "|---|---:|---:|"
for mode in $modes; do
  awk -v m="$mode" -v v="${results[$mode]}" -v b="$base" \
    'BEGIN {if (b > 0) printf "| %s | %.0f | %.2f× |\n", m, v, v/b; else printf "| %s | %.0f | – |\n", m, v}'
done
if [ -n "${results[under_ptrace]:-}" ] && [ -n "${results[under_strace]:-}" ] && [ -n "${results[ptrace_floor]:-}" ]; then
  awk -v p="${results[under_ptrace]}" -v s="${results[under_strace]}" -v f="${results[ptrace_floor]}" \
    'BEGIN {printf "\nptrace slowdown / strace slowdown = %.2f; ptrace / do-nothing ptrace floor = %.2f\n", p/s, p/f}'
fi
for f in "$work"/last-summary-*; do [ -e "$f" ] && echo "last agent summary (${f##*-}): $(cat "$f")"; done

if [[ " $modes " == *" under_ebpf "* ]]; then
  # Maximum rate: 20x the calls, no pause in the loop; every event must reach user space.
  max_calls=$((calls * 20))
  ns=$(under_agent ebpf "sleep 1; /bin/syscall_loop $max_calls")
  summary=$(cat "$work/last-summary-ebpf")
  echo
  awk -v ns="$ns" -v n="$max_calls" -v s="$summary" 'BEGIN {
    printf "ebpf at the maximum rate: %d reads at %.0f ns each = %.2f M syscalls/s from the container; agent: %s\n", n, ns, 1000/ns, s }'
fi
