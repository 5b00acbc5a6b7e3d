#!/usr/bin/env bash
# Runs every check and test: format, lint, unit tests, then integration tests
# against a real Flink cluster and moto started by localstack/up.sh (and stopped
# again at the end). Build outputs go to $CARGO_TARGET_DIR (default: a cache
# outside the clone) so repeated runs are fast.
set -euo pipefail
cd "$(dirname "$0")/.."

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/fjc/target}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
# Debug builds keep every state of a reconcile cycle's (boxed) futures in large poll
# frames; 2 MiB test and worker threads overflow on the longest operation chains
# (a manual rollback's savepoint carry-over). Release builds do not need this.
export RUST_MIN_STACK="${RUST_MIN_STACK:-16777216}"
step() { printf '\n==> %s\n' "$*"; }

step "format"
cargo fmt --all -- --check

step "lint"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "dashboard: format, lint and unit tests (its own workspace, checked with the host toolchain)"
# The dashboard is a wasm32 app in its own workspace: clippy and its unit tests
# run for the host target (Leptos compiles there), in a target dir of their own.
cargo fmt --manifest-path dashboard/Cargo.toml -- --check
(
    export CARGO_TARGET_DIR="$CARGO_TARGET_DIR/dashboard-host"
    cargo clippy --manifest-path dashboard/Cargo.toml --all-targets --locked -- -D warnings
    cargo test --manifest-path dashboard/Cargo.toml --locked
)

step "infrastructure template (cfn-lint, checkov; offline) and the dashboard's edge function (Node)"
infra/check.sh
infra/edge/test.sh

step "build"
cargo build --workspace --bins --locked
cargo test --workspace --no-run --locked

step "unit tests"
cargo test --workspace --locked --lib --bins

step "local services (real Flink + moto; a mutual-TLS Flink and nginx basic/bearer proxies)"
# Test binaries run side by side (below): 12 slots hold the jobs of four tests at once, an
# upgrade's old and new job included.
export FJC_FLINK_SLOTS="${FJC_FLINK_SLOTS:-12}"
started_here=0
if ! localstack/status.sh >/dev/null 2>&1; then
    localstack/up.sh
    started_here=1
fi
compat_dir="$PWD/.local-flink120"
cleanup() {
    if [ "$started_here" = 1 ]; then
        localstack/auth-down.sh || true
        localstack/down.sh || true
    fi
    if [ -d "$compat_dir" ]; then FJC_LOCAL_DIR="$compat_dir" localstack/down.sh || true; fi
    localstack/ha-down.sh || true
    localstack/adaptive-down.sh || true
}
trap cleanup EXIT
# shellcheck disable=SC1091
source "${FJC_LOCAL_DIR:-.local}/env.sh"
# Real REST authentication for tests/auth.rs (certificates, credentials: .local-auth/).
localstack/auth-up.sh
# shellcheck disable=SC1091
source "${FJC_AUTH_DIR:-.local-auth}/env.sh"
# cargo-lambda runs the functions through the real Lambda runtime (tests/lambda_runtime.rs).
FJC_CARGO_LAMBDA="$(infra/ensure-cargo-lambda.sh)/cargo-lambda"
export FJC_CARGO_LAMBDA

# A ZooKeeper-HA Flink cluster of its own for tests/high_availability.rs (.local-ha/),
# stopped after the integration tests.
localstack/ha-up.sh
# shellcheck disable=SC1091
source "${FJC_HA_DIR:-.local-ha}/env.sh"
# An adaptive-scheduler Flink cluster of its own for tests/rescale.rs and the rescale
# contract (.local-adaptive/), stopped after the integration tests.
localstack/adaptive-up.sh
# shellcheck disable=SC1091
source "${FJC_ADAPTIVE_DIR:-.local-adaptive}/env.sh"

# The test binaries run side by side (scripts/lib/test_pool.py), two at a time with two tests
# each: one after the other they took 25 minutes, mostly one long test waiting on Flink while
# the others queued. (Three at a time overloaded the 2 cores: load 18, jobs not running within
# 2 minutes.) The serial tests (prefixes below) run alone afterwards.
serial_tests=(disruptive_ quiet_ four_reconcilers_ sharded_)
pool() { python3 scripts/lib/test_pool.py "$@"; }

step "integration tests and crash points (a reconciler dies after each side effect of each operation), two binaries at a time"
skips=()
for t in "${serial_tests[@]}"; do skips+=(--skip "$t"); done
pool --lanes "${FJC_TEST_LANES:-2}" -- --test-threads "${FJC_TEST_THREADS:-2}" "${skips[@]}"
localstack/ha-down.sh
localstack/adaptive-down.sh

step "dashboard (wasm build, browser tests in headless Chromium: sample snapshot, 10k jobs, real reconcile)"
FJC_BIN="$CARGO_TARGET_DIR/debug/fjc" dashboard/test.sh

step "serial integration tests (restart the JobManager, need a quiet cluster, or many slots; run alone)"
pool --lanes 1 --only disruptive,dashboard_snapshot,concurrency,sharding,idle_cost -- \
    --test-threads 1 "${serial_tests[@]}"

step "Flink 1.20 compatibility (a second cluster; REST, skeleton, batch and lifecycle suites)"
(
    export FJC_FLINK_VERSION=1.20.5 FJC_LOCAL_DIR="$compat_dir" FJC_FLINK_PORT=18181 FJC_MOTO_PORT=15100
    localstack/up.sh
    # shellcheck disable=SC1091
    source "$compat_dir/env.sh"
    # Serially: Flink 1.20's sort-shuffle needs 512 network buffers per batch job,
    # more than one 1280m TaskManager has for several at once.
    pool --lanes 1 --only flink_rest,skeleton,batch,lifecycle -- --test-threads 1
    localstack/down.sh
)
