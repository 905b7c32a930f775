#!/usr/bin/env bash
# Runs every libFuzzer target for SECONDS each on its corpus (kept in BUILD_DIR/fuzz-corpus, so
# later runs start where earlier ones ended), seeded from our own encoders and the test data.
# Prints one line per target (executions, coverage, corpus, findings); fails on any finding,
# whose input is kept in BUILD_DIR/fuzz-findings.
#   bash fuzz/run.sh BUILD_DIR SECONDS
set -euo pipefail
build_dir=$(realpath "${1:?usage: fuzz/run.sh BUILD_DIR SECONDS}")
seconds=${2:?usage: fuzz/run.sh BUILD_DIR SECONDS}
src=$(cd "$(dirname "$0")/.." && pwd)
corpus=$build_dir/fuzz-corpus
findings=$build_dir/fuzz-findings
logs=$build_dir/fuzz-logs
mkdir -p "$corpus" "$findings" "$logs"

# Seeds: binary formats from our encoders, text formats from the repository.
"$build_dir/fuzz/make_seeds" "$corpus" >/dev/null
mkdir -p "$corpus/fuzz_docker_json" "$corpus/fuzz_config" "$corpus/fuzz_dataset"
cp "$src/tests/data/container_inspect.json" "$src/tests/data/container_list.json" "$corpus/fuzz_docker_json/"
split -l 1 -d "$src/tests/data/docker_events.jsonl" "$corpus/fuzz_docker_json/event-"
cp "$src/docker-anomalies.example.yaml" "$corpus/fuzz_config/example.yaml"
printf '6 6 63 6 42 120 6 195 6 6 6 114 114 1 1 252\n' > "$corpus/fuzz_dataset/adfa"
printf '551 5\n551 3\n552 90\n551 6\n' > "$corpus/fuzz_dataset/unm"

status=0
for target in fuzz_batch_decoder fuzz_consumer fuzz_profile_decoder fuzz_docker_json \
              fuzz_config fuzz_outbox_json fuzz_dataset; do
  log=$logs/$target.log
  if "$build_dir/fuzz/$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
       -print_final_stats=1 -artifact_prefix="$findings/$target-" "$corpus/$target" >"$log" 2>&1; then
    result="0 findings"
  else
    result="FINDING (input in $findings, log $log)"
    status=1
  fi
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2 || true)
  ft=$(grep -o 'ft: [0-9]*' "$log" | tail -1 | cut -d' ' -f2 || true)
  files=$(find "$corpus/$target" -type f | wc -l)
  printf '%-22s %10s runs in %ss, coverage %s edges / %s features, corpus %s inputs, %s\n' \
    "$target" "${runs:-?}" "$seconds" "${cov:-?}" "${ft:-?}" "$files" "$result"
  if [ "$result" != "0 findings" ]; then
    grep -E 'ERROR|SUMMARY|property failed|#[0-9]+ 0x' "$log" | head -20 || true
  fi
done
exit $status
