#!/usr/bin/env bash
# Throughput of real services under the agent (issue 10): redis-server and nginx in containers
# of a private dockerd (the real-software lab image, host network, loopback ports), loaded from
# the host with `redis-benchmark -t get` and `wrk`, side by side in one run: untraced, then under
# `docker-anomalies run` per backend in its default configuration. Medians of RUNS rounds; the
# modes alternate inside each round so that drift of the machine hits them alike. For the agent
# modes it also reports the agent's CPU (every thread's on-CPU time, from schedstat) per captured event
# and the share of captured calls judged in the kernel.
# Usage: bench/services-overhead.sh [BUILD_DIR] [RUNS] [MODES...]
#   modes: untraced ebpf ptrace ptrace_floor (default: untraced ebpf); REDIS_REQUESTS,
#   WRK_SECONDS override. ptrace_floor: bench/ptrace_floor on every thread of both containers,
#   resuming each syscall stop and doing nothing else — the kernel's own cost of ptrace.
#   baseline: the ebpf agent at BASELINE_AGENT (an older build), side by side with this one;
#   baseline_stable: that agent from the stable profile (learned by this one: same format);
#   baseline_ptrace: that agent with the ptrace backend.
#   ebpf and ptrace start from no profile: the agent learns during the loads. ebpf_stable is the
#   agent's steady state: a profile of the lab image learned beforehand (under the same loads,
#   time-limited to LEARN_SECONDS, default 60) and now stable, so known sequences are judged in
#   the kernel; ebpf_stable_nojudge is the same with --judge-in-kernel false, and ebpf_nojudge
#   is ebpf (learning) with it: every call sent, none held back in the kernel for learning.
#   BPF_STATS=1: also the run time of the agent's BPF programs per request (kernel.bpf_stats_enabled
#   for the run; its two clock reads per program run cost the services a little more).
#   PERF_DIR=DIR: `perf record` of the agent during each nginx load, one file per mode and
#   round (a profiling aid: perf's own cost lowers that round's numbers); PERF_ARGS (default
#   -g; e.g. "--call-graph dwarf,16384 -F 2000") and PERF_SCOPE (default -p AGENT_PID; -a for
#   the whole machine) are passed to it.
set -euo pipefail
build_dir=$(cd "${1:-build}" && pwd)
runs=${2:-3}
shift 2 2>/dev/null || shift $# || true
modes=${*:-untraced ebpf}
requests=${REDIS_REQUESTS:-200000}
wrk_seconds=${WRK_SECONDS:-5}
here=$(cd "$(dirname "$0")" && pwd)
for tool in redis-benchmark wrk; do
  command -v $tool >/dev/null || { echo "bench: $tool missing (scripts/install-deps.sh installs it)" >&2; exit 1; }
done
source "$here/private-docker.sh" da-svc
image=da-lab/real:1
echo "bench: building the lab image (cached under $build_dir/lab-rootfs)" >&2
bash "$here/../tests/realsw/build-lab-image.sh" "$build_dir" "$image" >/dev/null

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
redis_port=$(free_port)
nginx_port=$(free_port)
docker run -d --name svc-redis --network host "$image" redis "$redis_port" >/dev/null
docker run -d --name svc-nginx --network host "$image" nginx "$nginx_port" >/dev/null
for port in $redis_port $nginx_port; do
  for _ in $(seq 1 300); do (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.1; done
done

redis_rps() {
  redis-benchmark -h 127.0.0.1 -p "$redis_port" -t get -c 8 -n "${REDIS_REQUESTS:-$requests}" --csv |
    awk -F'"' '/"GET"/ {print $4}'
}
nginx_rps() {  # prints requests/s and, with a second argument, the requests made too
  wrk -t1 -c8 -d"${WRK_SECONDS:-$wrk_seconds}s" "http://127.0.0.1:$nginx_port/page10.html" |
    awk -v all="${1:-}" '/ requests in / {n = $1} /Requests\/sec/ {print all ? $2 " " n : $2}'
}
# CPU time (ns) used so far by a container's processes, from its cgroup (v2 or v1 cpuacct): the
# service's own cost per request, the tracepoint's and the in-kernel judging's included. It
# does not count time spent waiting for a CPU, but still moves with the machine (a busy VM
# slows every instruction): compare modes side by side, as for throughput.
cgroup_of() {
  local pid mnt
  pid=$(docker inspect -f '{{.State.Pid}}' "$1")
  if [ -f /sys/fs/cgroup/cgroup.controllers ]; then
    echo "/sys/fs/cgroup$(awk -F: '$1 == "0" {print $3}' "/proc/$pid/cgroup")/cpu.stat"
  else
    mnt=$(awk '$3 == "cgroup" && $4 ~ /(^|,)cpuacct(,|$)/ {print $2; exit}' /proc/mounts)
    echo "$mnt$(awk -F: '$2 ~ /(^|,)cpuacct(,|$)/ {print $3}' "/proc/$pid/cgroup")/cpuacct.usage"
  fi
}
cpu_ns() {
  case $1 in
    */cpu.stat) awk '$1 == "usage_usec" {printf "%d\n", $2 * 1000}' "$1" ;;
    *) cat "$1" ;;
  esac
}
redis_cgroup=$(cgroup_of svc-redis)
nginx_cgroup=$(cgroup_of svc-nginx)
for f in "$redis_cgroup" "$nginx_cgroup"; do
  [ -r "$f" ] || { echo "bench: no CPU accounting for the containers at $f" >&2; exit 1; }
done
# The agent's CPU time in µs, every thread's, user and system: schedstat counts nanoseconds
# (/proc/PID/stat counts 10 ms ticks, a few percent of one round's agent CPU each).
agent_cpu_us() { cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{ns += $1} END {printf "%d\n", ns / 1000}'; }
captured() { sed -n 's/.*captured \([0-9]*\) syscalls.*/\1/p' "$1" | tail -1; }
judged() { local n; n=$(sed -n 's/.*(\([0-9]*\) judged in the kernel).*/\1/p' "$1" | tail -1); echo "${n:-0}"; }

start_agent() {  # start_agent LOG ARGS...: returns once the agent follows the containers
  local log=$1
  shift
  "$@" >"$log" 2>&1 &
  agent_pid=$!
  until grep -q "Listening for docker events" "$log"; do
    kill -0 "$agent_pid" 2>/dev/null || { cat "$log" >&2; exit 1; }
    sleep 0.1
  done
  sleep 1  # the running containers are attached
}

# The stable modes' profile: learned once, under the benchmark's own loads, time-limited.
learn_stable_profile() {
  local learn=${LEARN_SECONDS:-60} deadline
  echo "bench: learning a profile of $image for the stable modes (up to $((learn + 30)) s)" >&2
  start_agent "$work/learn.log" "$build_dir/docker-anomalies" run --state-dir "$work/state-stable" \
    --learn-min-seconds $((learn / 2)) --learn-max-seconds "$learn"
  deadline=$((SECONDS + learn + 30))
  until grep -q "profile of $image is stable" "$work/learn.log"; do
    [ $SECONDS -lt $deadline ] || { echo "bench: the profile did not become stable" >&2; tail "$work/learn.log" >&2; exit 1; }
    REDIS_REQUESTS=20000 redis_rps >/dev/null
    WRK_SECONDS=1 nginx_rps >/dev/null
  done
  kill -TERM "$agent_pid"; wait "$agent_pid" || true; agent_pid=
  grep -E "is stable|sequence threshold" "$work/learn.log" >&2 || true
}

# Every thread of every process in the pid namespace of a container's init.
container_threads() {
  local init ns p
  init=$(docker inspect -f '{{.State.Pid}}' "$1")
  ns=$(readlink "/proc/$init/ns/pid")
  for p in /proc/[0-9]*; do
    [ "$(readlink "$p/ns/pid" 2>/dev/null)" = "$ns" ] && ls "$p/task"
  done
}

# "NS RUNS": nanoseconds the agent's BPF programs (on_sys_enter, on_sys_exit, on_fork) have run
# so far, and how many times they ran (every syscall of the host runs two).
bpf_ns() {
  bpftool prog show -j | /usr/bin/python3 -c 'import json, sys
ours = [p for p in json.load(sys.stdin) if p.get("name") in ("on_sys_enter", "on_sys_exit", "on_fork")]
print(sum(p.get("run_time_ns", 0) for p in ours), sum(p.get("run_cnt", 0) for p in ours))'
}

# Both loads, one after the other: "redis-GET/s nginx-req/s redis-CPU/GET nginx-CPU/request"
# (the containers' CPU in µs per request). With PERF_DIR and an agent running, `perf record` of
# the agent during the nginx load.
loads() {
  local c0 c1 c2 c3 b0 b1 b2 b3 r n perf_pid= stats=${BPF_STATS:+$agent_pid}
  [ -n "$stats" ] && b0=$(bpf_ns)
  c0=$(cpu_ns "$redis_cgroup")
  r=$(redis_rps)
  c1=$(cpu_ns "$redis_cgroup")
  [ -n "$stats" ] && b1=$(bpf_ns)
  if [ -n "${PERF_DIR:-}" ] && [ -n "$agent_pid" ]; then
    mkdir -p "$PERF_DIR"
    perf record -q ${PERF_ARGS:--g} ${PERF_SCOPE:--p $agent_pid} -o "$PERF_DIR/$mode.round$round_no.data" 2>/dev/null &
    perf_pid=$!
  fi
  [ -n "$stats" ] && b2=$(bpf_ns)
  c2=$(cpu_ns "$nginx_cgroup")
  n=$(nginx_rps all)
  c3=$(cpu_ns "$nginx_cgroup")
  [ -n "$stats" ] && b3=$(bpf_ns)
  [ -n "$perf_pid" ] && { kill -INT "$perf_pid"; wait "$perf_pid" || true; }
  set -- $n
  awk -v r="$r" -v n="$1" -v reqs="$requests" -v nreqs="$2" -v rc=$((c1 - c0)) -v nc=$((c3 - c2)) \
    'BEGIN {printf "%s %s %.2f %.2f\n", r, n, rc / 1000 / reqs, nc / 1000 / nreqs}'
  [ -n "$stats" ] && echo "$b0 $b1 $b2 $b3" | awk -v m="$mode" -v reqs="$requests" -v nreqs="$2" \
    '$4 > $2 && $8 > $6 {printf "bpf programs %s: %.3f µs per GET (%.0f ns per run), %.3f µs per request (%.0f ns per run)\n",
      m, ($3 - $1) / 1000 / reqs, ($3 - $1) / ($4 - $2), ($7 - $5) / 1000 / nreqs, ($7 - $5) / ($8 - $6)}' >&2
  return 0
}

# One round of a mode: "GET/s req/s agent-CPU-µs events judged redis-CPU/GET nginx-CPU/request".
round() {
  local mode=$1 l
  if [ "$mode" = untraced ]; then
    set -- $(loads)
    echo "$1 $2 - - - $3 $4"
    return
  fi
  if [ "$mode" = ptrace_floor ]; then
    "$build_dir/bench/ptrace_floor" $(container_threads svc-redis) $(container_threads svc-nginx) &
    local floor_pid=$!
    sleep 1
    l=$(loads)
    kill -9 "$floor_pid"; wait "$floor_pid" 2>/dev/null || true
    set -- $l
    echo "$1 $2 - - - $3 $4"
    return
  fi
  local agent=$build_dir/docker-anomalies backend=$mode extra=() state=$work/state-$mode
  case $mode in
    baseline|baseline_ptrace)
      agent=${BASELINE_AGENT:?$mode mode needs BASELINE_AGENT=path of an older docker-anomalies}
      backend=ebpf
      [ "$mode" = baseline_ptrace ] && backend=ptrace ;;
    ebpf_nojudge)  # learning with every call sent, as before the kernel held calls for it
      backend=ebpf
      extra=(--judge-in-kernel false) ;;
    ebpf_stable|ebpf_stable_nojudge|baseline_stable)
      backend=ebpf
      [ "$mode" = baseline_stable ] && agent=${BASELINE_AGENT:?baseline_stable mode needs BASELINE_AGENT}
      rm -rf "$state"; cp -a "$work/state-stable" "$state"  # every round from the same profile
      [ "$mode" = ebpf_stable_nojudge ] && extra=(--judge-in-kernel false) ;;
  esac
  start_agent "$work/agent.log" "$agent" run --backend "$backend" --state-dir "$state" "${extra[@]}"
  if [[ $mode == *_stable* ]] && ! grep -q "loaded: stable" "$work/agent.log"; then
    echo "bench: $mode did not start from the stable profile" >&2; cat "$work/agent.log" >&2; exit 1
  fi
  local t0 t1
  t0=$(agent_cpu_us "$agent_pid")
  l=$(loads)
  t1=$(agent_cpu_us "$agent_pid")
  kill -TERM "$agent_pid"; wait "$agent_pid" || true; agent_pid=
  set -- $l
  echo "$1 $2 $(( t1 - t0 )) $(captured "$work/agent.log") $(judged "$work/agent.log") $3 $4"
}

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
if [ -n "${BPF_STATS:-}" ]; then
  stats_was=$(sysctl -n kernel.bpf_stats_enabled)
  sysctl -qw kernel.bpf_stats_enabled=1
  trap 'sysctl -qw kernel.bpf_stats_enabled=$stats_was; cleanup' EXIT
fi
[[ " $modes " == *"_stable"* ]] && learn_stable_profile
for i in $(seq 1 "$runs"); do
  round_no=$i
  for mode in $modes; do
    line=$(round "$mode")
    echo "$line" >>"$work/$mode"
    printf 'round %d/%d %-9s redis %s GET/s, nginx %s req/s, agent CPU %s µs, events %s (judged in the kernel %s), container CPU %s µs/GET %s µs/request\n' "$i" "$runs" "$mode" $line >&2
  done
done

col() { awk -v c="$2" '{print $c}' "$work/$1" | median; }
base_r= base_n= base_rc= base_nc=  # ratios against untraced, when it was measured
if [ -f "$work/untraced" ]; then
  base_r=$(col untraced 1); base_n=$(col untraced 2); base_rc=$(col untraced 6); base_nc=$(col untraced 7)
fi
echo "| mode | redis GET/s | ratio | nginx req/s | ratio | agent CPU per event | judged in the kernel |"
echo "|---|---:|---:|---:|---:|---:|---:|"
for mode in $modes; do
  r=$(col "$mode" 1); n=$(col "$mode" 2)
  per=- share=-
  if [ "$mode" != untraced ] && [ "$mode" != ptrace_floor ]; then
    per=$(awk '{ if ($4 > 0) printf "%.3f\n", $3 / $4 }' "$work/$mode" | median)
    share=$(awk '{ if ($4 > 0) printf "%.3f\n", $5 / $4 }' "$work/$mode" | median)
  fi
  awk -v m="$mode" -v r="$r" -v n="$n" -v br="$base_r" -v bn="$base_n" -v p="$per" -v s="$share" \
    'function ratio(x, base) { return base == "" ? "-" : sprintf("%.2f", x / base) }
     BEGIN {printf "| %s | %.1f k | %s | %.1f k | %s | %s µs | %s |\n", m, r/1000, ratio(r, br), n/1000, ratio(n, bn), p, s}'
done
echo "(medians of $runs rounds; agent CPU = on-CPU time of all its threads over both loads / events captured in them, judged in the kernel or not)"
echo
# What each request cost the service itself: what a CPU-bound service's throughput follows
# (ratio = untraced cost / this mode's cost). On a busy VM it moves with the machine too.
echo "| mode | redis CPU per GET | ratio | nginx CPU per request | ratio |"
echo "|---|---:|---:|---:|---:|"
for mode in $modes; do
  rc=$(col "$mode" 6); nc=$(col "$mode" 7)
  awk -v m="$mode" -v r="$rc" -v n="$nc" -v br="$base_rc" -v bn="$base_nc" \
    'function ratio(base, x) { return base == "" ? "-" : sprintf("%.2f", base / x) }
     BEGIN {printf "| %s | %.2f µs | %s | %.2f µs | %s |\n", m, r, ratio(br, r), n, ratio(bn, n)}'
done
echo "(medians of $runs rounds; the containers' CPU time from their cgroups over each load / requests served)"
