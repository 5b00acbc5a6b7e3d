#!/usr/bin/env bash
# `fjc watch` benchmark (issue 20; see BENCHMARKS.md): how long one edit of one spec
# file takes to be applied while N spec files are watched, N = 10 and 1,000 by default.
#   scripts/bench-watch.sh                  # 10 and 1,000 files, 5 edits each
#   scripts/bench-watch.sh --files 10,5000 --runs 3
# The specs are suspended (no Flink job each; the cluster URL is unreachable on
# purpose, a full round then only reports it). The time of an edit is from the
# atomic save (rename) to the watcher's "updated" line, which it prints right after
# the store write; --settle 300ms, so two looks make at least 600 ms of it. Starts
# the benchmark's patched moto (see scripts/bench.sh) and stops it after. Prints
# figures, asserts nothing.
set -euo pipefail
cd "$(dirname "$0")/.."

files="10,1000"
runs=5
while [[ $# -gt 0 ]]; do
  case $1 in
    --files) files=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    *) echo "usage: scripts/bench-watch.sh [--files 10,1000] [--runs 5]" >&2; exit 2 ;;
  esac
done

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/fjc/target}"
export FJC_LOCAL_DIR="${FJC_BENCH_DIR:-$PWD/.local-bench}"
export FJC_MOTO_PORT="${FJC_BENCH_MOTO_PORT:-15400}"
# shellcheck source=localstack/lib/common.sh
source localstack/lib/common.sh
# shellcheck source=localstack/lib/install.sh
source localstack/lib/install.sh
# shellcheck source=localstack/lib/moto.sh
source localstack/lib/moto.sh

cargo build --locked --bin fjc
fjc="$CARGO_TARGET_DIR/debug/fjc"
mkdir -p "$FJC_LOCAL_DIR"
ensure_moto_venv
export MOTO_SERVER_SCRIPT="$PWD/bench/moto_server_patched.py"
moto_start
work=$(mktemp -d)
watcher=""
cleanup() {
  [[ -z $watcher ]] || kill "$watcher" 2>/dev/null || true
  moto_stop
  rm -rf "$work"
}
trap cleanup EXIT

export AWS_ENDPOINT_URL="$MOTO_URL" AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1
export AWS_ACCESS_KEY_ID=bench AWS_SECRET_ACCESS_KEY=bench
export FJC_CONFIG_DIR=/nonexistent FJC_FLINK_URL=http://127.0.0.1:9 FJC_LOG_LEVEL=warn
export FJC_ARTIFACT_ROOT="$work/artifacts"
mkdir -p "$FJC_ARTIFACT_ROOT"
"$MOTO_VENV/bin/python" - "$FJC_ARTIFACT_ROOT/job.jar" <<'EOF'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1], "w") as z:
    z.writestr("META-INF/MANIFEST.MF", "Manifest-Version: 1.0\n")
EOF

spec() { # job id, rate
  printf 'job_id: %s\njob_type: stream\nartifact_path: job.jar\nentry_class: bench.Job\n' "$1"
  printf 'desired_state: suspended\nargs: ["--rate", "%s"]\n' "$2"
}
now_ms() { date +%s%3N; }

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr)"
echo "moto $("$MOTO_VENV/bin/pip" show moto 2>/dev/null | awk '/^Version/ {print $2}') (patched: per-item transaction rollback)"
results=()
IFS=, read -r -a sizes <<<"$files"
for n in "${sizes[@]}"; do
  export FJC_TABLE="fjc-bench-watch-$n-$RANDOM"
  "$fjc" bootstrap >/dev/null
  dir="$work/specs-$n"
  mkdir -p "$dir"
  for ((i = 0; i < n; i++)); do spec "w$n-$i" 1 >"$dir/w$n-$i.yaml"; done
  log="$work/watch-$n.log"
  start=$(now_ms)
  "$fjc" watch -f "$dir" --settle 300ms --every 10m >"$log" 2>&1 &
  watcher=$!
  until grep -q "a full round every" "$log"; do
    kill -0 "$watcher" 2>/dev/null || { cat "$log"; exit 1; }
    sleep 0.05
  done
  first=$(($(now_ms) - start))
  edits=()
  target=$((n / 2))
  for ((r = 1; r <= runs; r++)); do
    seen=$(grep -c "w$n-$target: updated" "$log" || true)
    spec "w$n-$target" $((r + 1)) >"$dir/.edit.tmp"
    t0=$(now_ms)
    mv "$dir/.edit.tmp" "$dir/w$n-$target.yaml"
    until [[ $(grep -c "w$n-$target: updated" "$log" || true) -gt $seen ]]; do sleep 0.01; done
    edits+=($(($(now_ms) - t0)))
    sleep 1
  done
  kill -TERM "$watcher"
  wait "$watcher" || true
  watcher=""
  sorted=$(printf '%s\n' "${edits[@]}" | sort -n)
  min=$(head -1 <<<"$sorted")
  max=$(tail -1 <<<"$sorted")
  median=$(sed -n "$(((runs + 1) / 2))p" <<<"$sorted")
  results+=("$(printf '| %6d | %8.1f s | %5d / %5d / %5d ms |' "$n" "$(awk "BEGIN {print $first / 1000}")" "$min" "$median" "$max")")
done
echo
echo "| files  | start      | one edit applied: min / median / max ($runs edits) |"
echo "|--------|------------|------------------------------------------|"
printf '%s\n' "${results[@]}"
