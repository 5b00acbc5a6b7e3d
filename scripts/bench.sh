#!/usr/bin/env bash
# Scale benchmark (issues 9 and 15; see BENCHMARKS.md): N specs in moto's DynamoDB,
# reconcile cycles against a Flink REST stand-in, overview vs per-job observation.
#   scripts/bench.sh                 # 1,000 and 10,000 jobs, stateless fleet, 3 runs
#   scripts/bench.sh --jobs 2000     # other sizes (comma separated)
#   scripts/bench.sh --runs 1        # one run (figures are min / median / max over runs)
#   scripts/bench.sh --fleet realistic --jobs 1000
#                                    # checkpointing savepoint-mode jobs, 20-60 MB jars in S3
# Starts its own moto (port FJC_BENCH_MOTO_PORT, default 15400) and stops it after.
# Not part of the test suite: it prints figures, it asserts nothing.
set -euo pipefail
cd "$(dirname "$0")/.."

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/fjc/target}"
export FJC_LOCAL_DIR="${FJC_BENCH_DIR:-$PWD/.local-bench}"
export FJC_MOTO_PORT="${FJC_BENCH_MOTO_PORT:-15400}"
# shellcheck source=localstack/lib/common.sh
source localstack/lib/common.sh
# shellcheck source=localstack/lib/install.sh
source localstack/lib/install.sh
# shellcheck source=localstack/lib/moto.sh
source localstack/lib/moto.sh

cargo build --release --locked -p fjc-bench
mkdir -p "$FJC_LOCAL_DIR"
ensure_moto_venv
# moto with per-item transaction rollback (see bench/moto_server_patched.py);
# FJC_BENCH_PLAIN_MOTO=1 runs the unpatched moto_server instead.
if [[ "${FJC_BENCH_PLAIN_MOTO:-0}" != 1 ]]; then
  export MOTO_SERVER_SCRIPT="$PWD/bench/moto_server_patched.py"
fi
moto_start
trap moto_stop EXIT

export AWS_ENDPOINT_URL="$MOTO_URL" AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1
export AWS_ACCESS_KEY_ID=bench AWS_SECRET_ACCESS_KEY=bench
export FJC_LOG_LEVEL="${FJC_LOG_LEVEL:-warn}" RUST_LOG="${RUST_LOG:-warn}"

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr)"
echo "moto $("$MOTO_VENV/bin/pip" show moto 2>/dev/null | awk '/^Version/ {print $2}') at $MOTO_URL${MOTO_SERVER_SCRIPT:+ (patched: per-item transaction rollback)}"
"$CARGO_TARGET_DIR/release/fjc-bench" "$@"
