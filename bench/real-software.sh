#!/usr/bin/env bash
# Detection on real software (issue 9), for each capture backend: time until the lab's profile
# is stable under steady load (--learn-min-seconds 180), alerts raised by a soak of the same load
# once stable (target 0), and whether and how fast each attack is reported (target: every one,
# within 10 s). A private dockerd; results as JSON in BUILD_DIR/bench/ and a table on stdout.
# Usage: real-software.sh BUILD_DIR [BACKEND...]   (default: ebpf ptrace; about 50 min each)
# Durations: SOAK_SECONDS (1800), MAX_SECONDS (900). BASELINE_AGENT=PATH also runs an agent built
# from before convergence (e.g. commit 6535d42) with --learn-quiet-seconds 60, side by side.
set -euo pipefail
build_dir=$(cd "${1:-build}" && pwd)
shift || true
if [ $# -gt 0 ]; then backends=("$@"); else backends=(ebpf ptrace); fi
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
# A private dockerd in a scratch dir, cleaned up on exit (the same set-up as the other benches).
source "$here/private-docker.sh" da-bench-realsw
mkdir -p "$build_dir/bench"
for backend in "${backends[@]}"; do
  echo "== real software, backend $backend"
  /usr/bin/python3 "$root/tests/realsw/scenario.py" --agent "$build_dir/docker-anomalies" --build-dir "$build_dir" \
    --backend "$backend" --min-seconds 180 --max-seconds "${MAX_SECONDS:-900}" \
    --soak-seconds "${SOAK_SECONDS:-1800}" --json "$build_dir/bench/realsw-$backend.json" || true
done
if [ -n "${BASELINE_AGENT:-}" ]; then
  echo "== real software, baseline agent $BASELINE_AGENT (quiet-time rule), backend ebpf"
  /usr/bin/python3 "$root/tests/realsw/scenario.py" --agent "$BASELINE_AGENT" --build-dir "$build_dir" \
    --backend ebpf --min-seconds 180 --max-seconds "${MAX_SECONDS:-900}" --legacy-quiet-seconds 60 \
    --soak-seconds "${SOAK_SECONDS:-1800}" --json "$build_dir/bench/realsw-baseline.json" || true
  backends+=(baseline)
fi
/usr/bin/python3 - "$build_dir/bench" "${backends[@]}" <<'PY'
import json, sys
d = sys.argv[1]
print("\n| backend | stable after | how | soak alerts | attacks detected | worst latency |")
print("|---|---:|---|---:|---:|---:|")
for b in sys.argv[2:]:
    try:
        r = json.load(open(f"{d}/realsw-{b}.json"))
    except FileNotFoundError:
        print(f"| {b} | no result | | | | |"); continue
    att = r["attacks"]
    lat = [a["latency_s"] for a in att if a.get("detected")]
    how = "never stable" if "converged" not in r else "converged" if r["converged"] else "stable without converging"
    print(f"| {b} | {r.get('seconds_to_stable','-')} s | {how} | "
          f"{r.get('soak_alerts','-')} in {r['soak_seconds']} s | {sum(a['detected'] for a in att)}/{len(att)} | "
          f"{max(lat) if lat else '-'} s |")
PY
