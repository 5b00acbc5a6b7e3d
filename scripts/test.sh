#!/usr/bin/env bash
# Runs every check and test: format, lint, unit tests, then integration tests
# against a real Flink cluster and moto started by localstack/up.sh (and stopped
# again at the end). Build outputs go to $CARGO_TARGET_DIR (default: a cache
# outside the clone) so repeated runs are fast.
set -euo pipefail
cd "$(dirname "$0")/.."

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/fjc/target}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
step() { printf '\n==> %s\n' "$*"; }

step "format"
cargo fmt --all -- --check

step "lint"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "infrastructure template (cfn-lint, checkov; offline)"
infra/check.sh

step "build"
cargo build --workspace --bins --locked
cargo test --workspace --no-run --locked

step "unit tests"
cargo test --workspace --locked --lib --bins

step "local services (real Flink + moto)"
started_here=0
if ! localstack/status.sh >/dev/null 2>&1; then
    localstack/up.sh
    started_here=1
fi
cleanup() { if [ "$started_here" = 1 ]; then localstack/down.sh || true; fi; }
trap cleanup EXIT
# shellcheck disable=SC1091
source "${FJC_LOCAL_DIR:-.local}/env.sh"
# cargo-lambda runs the functions through the real Lambda runtime (tests/lambda_runtime.rs).
FJC_CARGO_LAMBDA="$(infra/ensure-cargo-lambda.sh)/cargo-lambda"
export FJC_CARGO_LAMBDA

step "integration tests"
cargo test --workspace --locked --test '*' -- --test-threads "${FJC_TEST_THREADS:-4}" --skip disruptive_

step "disruptive integration tests (restart the JobManager; run alone)"
cargo test --workspace --locked --test disruptive -- --test-threads 1
