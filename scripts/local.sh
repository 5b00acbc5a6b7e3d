#!/usr/bin/env bash
# Runs the controller locally end to end: starts a real Flink cluster and moto,
# creates the table, serves the dashboard and runs one long-running `fjc watch` on
# examples/: it applies the examples, redeploys one within seconds of an edit of its
# spec or script (examples/ is an artifact root too, next to the test jobs' jars),
# and reconciles every interval. Ctrl-C stops it; `localstack/down.sh` stops the
# services.
# FJC_TABLE (default fjc-local), FJC_INTERVAL (default 10s), FJC_LOCAL_CYCLES (run
# N reconcile rounds with `fjc reconcile` instead of watching, then print status).
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
# The SQL and PyFlink examples' scripts live next to their specs: examples/ is a
# second artifact root (a copy in the first would make their paths ambiguous).
rm -f "$FJC_ARTIFACT_ROOT"/sql-counts.sql "$FJC_ARTIFACT_ROOT"/py-counts.py
export FJC_ARTIFACT_ROOT="$FJC_ARTIFACT_ROOT:$PWD/examples"
"$fjc" validate examples/
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
# One long-running controller (as in production: one process, warnings once).
# FJC_LOCAL_CYCLES=N applies examples/ and runs N rounds of `fjc reconcile`
# instead, then prints the status table.
cycles="${FJC_LOCAL_CYCLES:-0}"
if [ "$cycles" -gt 0 ]; then
    "$fjc" apply -f examples/
    "$fjc" reconcile --every "$interval" --cycles "$cycles" || true
    "$fjc" status
    exit 0
fi
echo "watching examples/ (edit a spec, a script or a jar below $FJC_ARTIFACT_ROOT and it is"
echo "redeployed within seconds); a full round every $interval. Ctrl-C to stop; then localstack/down.sh"
echo "in another terminal: $fjc status   (every job, Flink's state as the cluster reports it now)"
"$fjc" watch -f examples/ --every "$interval"
