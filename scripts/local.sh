#!/usr/bin/env bash
# Runs the controller locally end to end: starts a real Flink cluster and moto,
# creates the table, applies examples/, serves the dashboard and reconciles in one
# long-running `fjc reconcile --every`. Ctrl-C stops it; `localstack/down.sh` stops
# the services.
# FJC_TABLE (default fjc-local), FJC_INTERVAL (default 10s), FJC_LOCAL_CYCLES.
set -euo pipefail
cd "$(dirname "$0")/.."

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/fjc/target}"
localstack/up.sh
# shellcheck disable=SC1091
source "${FJC_LOCAL_DIR:-.local}/env.sh"
cargo build --bin fjc --locked
fjc="$CARGO_TARGET_DIR/debug/fjc"

export FJC_TABLE="${FJC_TABLE:-fjc-local}"
"$fjc" bootstrap
# The SQL and PyFlink examples' scripts live next to their specs; artifacts are
# read below the artifact root.
cp -f examples/*.sql examples/*.py "$FJC_ARTIFACT_ROOT/"
"$fjc" validate examples/
"$fjc" apply -f examples/
# The dashboard: each cycle publishes .local/dashboard/snapshot.json; served in the
# background (not fatal when it cannot be built).
export FJC_DASHBOARD_DIR="${FJC_DASHBOARD_DIR:-${FJC_LOCAL_DIR:-.local}/dashboard}"
dash_addr="${FJC_DASHBOARD_ADDR:-127.0.0.1:8088}"
if dashboard/build.sh; then
    "$fjc" dashboard serve --dir dashboard/dist --addr "$dash_addr" &
    dash_pid=$!
    trap 'kill "$dash_pid" 2>/dev/null || true' EXIT
    echo "dashboard: http://$dash_addr/"
else
    echo "dashboard not built (see above); continuing without it"
fi
interval="${FJC_INTERVAL:-10s}"
# One long-running reconciler (as in production: one process, warnings once),
# then the status table. FJC_LOCAL_CYCLES=N stops after N cycles (default: until
# Ctrl-C).
cycles="${FJC_LOCAL_CYCLES:-0}"
echo "reconciling every $interval (Ctrl-C to stop; then localstack/down.sh)"
echo "in another terminal: $fjc status   (every job, Flink's state as the cluster reports it now)"
trap 'echo; echo stopped; exit 0' INT
args=(reconcile --every "$interval")
if [ "$cycles" -gt 0 ]; then args+=(--cycles "$cycles"); fi
"$fjc" "${args[@]}" || true
"$fjc" status
