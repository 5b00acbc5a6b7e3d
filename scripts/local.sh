#!/usr/bin/env bash
# Runs the controller locally end to end: starts a real Flink cluster and moto,
# creates the table, applies examples/, and reconciles in a loop, printing status
# after each cycle. Ctrl-C stops the loop; `localstack/down.sh` stops the services.
set -euo pipefail
cd "$(dirname "$0")/.."

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/fjc/target}"
localstack/up.sh
# shellcheck disable=SC1091
source "${FJC_LOCAL_DIR:-.local}/env.sh"
cargo build --release --bin fjc --locked
fjc="$CARGO_TARGET_DIR/release/fjc"

export FJC_TABLE="${FJC_TABLE:-fjc-local}"
"$fjc" bootstrap
"$fjc" validate examples/
"$fjc" apply -f examples/
interval="${FJC_INTERVAL:-10s}"
echo "reconciling every $interval (Ctrl-C to stop; then localstack/down.sh)"
trap 'echo; echo stopped; exit 0' INT
while true; do
    "$fjc" reconcile --once || true
    "$fjc" status
    sleep "${interval%s}"
done
