#!/usr/bin/env bash
# Throughput of real services under the agent (issue 10): redis-server and nginx in containers
# of a private dockerd (the real-software lab image, host network, loopback ports), loaded from
# the host with `redis-benchmark -t get` and `wrk`, side by side in one run: untraced, then under
# `docker-anomalies run` per backend in its default configuration. Medians of RUNS rounds; the
# modes alternate inside each round so that drift of the machine hits them alike. For the agent
# modes it also reports the agent's CPU (user + system, from /proc/PID/stat) per captured event
# and the share of captured calls judged in the kernel.
# Usage: bench/services-overhead.sh [BUILD_DIR] [RUNS] [MODES...]
#   modes: untraced ebpf ptrace ptrace_floor (default: untraced ebpf); REDIS_REQUESTS,
#   WRK_SECONDS override. ptrace_floor: bench/ptrace_floor on every thread of both containers,
#   resuming each syscall stop and doing nothing else — the kernel's own cost of ptrace.
#   baseline: the ebpf agent at BASELINE_AGENT (an older build), side by side with this one;
#   baseline_stable: that agent from the stable profile (learned by this one: same format).
#   ebpf and ptrace start from no profile: the agent learns during the loads. ebpf_stable is the
#   agent's steady state: a profile of the lab image learned beforehand (under the same loads,
#   time-limited to LEARN_SECONDS, default 60) and now stable, so known sequences are judged in
#   the kernel; ebpf_stable_nojudge is the same with --judge-in-kernel false.
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
nginx_rps() {
  wrk -t1 -c8 -d"${WRK_SECONDS:-$wrk_seconds}s" "http://127.0.0.1:$nginx_port/page10.html" | awk '/Requests\/sec/ {print $2}'
}
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
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

# One round of a mode: both loads, then (agent modes) CPU seconds and events of the agent.
round() {
  local mode=$1
  if [ "$mode" = untraced ]; then
    echo "$(redis_rps) $(nginx_rps) - - -"
    return
  fi
  if [ "$mode" = ptrace_floor ]; then
    "$build_dir/bench/ptrace_floor" $(container_threads svc-redis) $(container_threads svc-nginx) &
    local floor_pid=$! r n
    sleep 1
    r=$(redis_rps)
    n=$(nginx_rps)
    kill -9 "$floor_pid"; wait "$floor_pid" 2>/dev/null || true
    echo "$r $n - - -"
    return
  fi
  local agent=$build_dir/docker-anomalies backend=$mode extra=() state=$work/state-$mode
  case $mode in
    baseline)
      agent=${BASELINE_AGENT:?baseline mode needs BASELINE_AGENT=path of an older docker-anomalies}
      backend=ebpf ;;
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
  local t0 r n t1 perf_pid=
  t0=$(cpu_ticks "$agent_pid")
  r=$(redis_rps)
  if [ -n "${PERF_DIR:-}" ]; then  # where the agent spends its CPU under the nginx load
    mkdir -p "$PERF_DIR"
    perf record -q ${PERF_ARGS:--g} ${PERF_SCOPE:--p $agent_pid} -o "$PERF_DIR/$mode.round$round_no.data" 2>/dev/null &
    perf_pid=$!
  fi
  n=$(nginx_rps)
  [ -n "$perf_pid" ] && { kill -INT "$perf_pid"; wait "$perf_pid" || true; }
  t1=$(cpu_ticks "$agent_pid")
  kill -TERM "$agent_pid"; wait "$agent_pid" || true; agent_pid=
  echo "$r $n $(( t1 - t0 )) $(captured "$work/agent.log") $(judged "$work/agent.log")"
}

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
hz=$(getconf CLK_TCK)
[[ " $modes " == *"_stable"* ]] && learn_stable_profile
for i in $(seq 1 "$runs"); do
  round_no=$i
  for mode in $modes; do
    line=$(round "$mode")
    echo "$line" >>"$work/$mode"
    printf 'round %d/%d %-9s redis %s GET/s, nginx %s req/s, agent ticks %s, events %s (judged in the kernel %s)\n' "$i" "$runs" "$mode" $line >&2
  done
done

col() { awk -v c="$2" '{print $c}' "$work/$1" | median; }
base_r=$(col untraced 1 2>/dev/null || true)
base_n=$(col untraced 2 2>/dev/null || true)
echo "| mode | redis GET/s | ratio | nginx req/s | ratio | agent CPU per event | judged in the kernel |"
echo "|---|---:|---:|---:|---:|---:|---:|"
for mode in $modes; do
  r=$(col "$mode" 1); n=$(col "$mode" 2)
  per=- share=-
  if [ "$mode" != untraced ] && [ "$mode" != ptrace_floor ]; then
    per=$(awk -v hz="$hz" '{ if ($4 > 0) printf "%.3f\n", $3 / hz * 1e6 / $4 }' "$work/$mode" | median)
    share=$(awk '{ if ($4 > 0) printf "%.3f\n", $5 / $4 }' "$work/$mode" | median)
  fi
  awk -v m="$mode" -v r="$r" -v n="$n" -v br="${base_r:-$r}" -v bn="${base_n:-$n}" -v p="$per" -v s="$share" \
    'BEGIN {printf "| %s | %.1f k | %.2f | %.1f k | %.2f | %s µs | %s |\n", m, r/1000, r/br, n/1000, n/bn, p, s}'
done
echo "(medians of $runs rounds; agent CPU = user + system seconds of the agent over both loads / events captured in them, judged in the kernel or not)"
