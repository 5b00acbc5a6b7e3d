#!/usr/bin/env bash
# Builds the dashboard (build.sh) and runs its browser tests in headless Chromium:
# the sample snapshot printed by `$FJC_BIN dashboard sample` (the real snapshot
# builder's output, one job in every lifecycle value), 10,000 jobs, and snapshots
# published by real reconciles against the local Flink + moto (a job going STABLE,
# a savepoint, a rollback; needs localstack/up.sh and `source .local/env.sh`;
# scripts/test.sh does both). Screenshots go to $CARGO_TARGET_DIR/fjc-screenshots.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-${FJC_CACHE_DIR:-$HOME/.cache/fjc}/target}"

"$here/build.sh"
"$here/ensure-browser.sh"
if [ -z "${FJC_BIN:-}" ]; then
    (cd "$repo" && cargo build --quiet --bin fjc --locked)
    export FJC_BIN="$CARGO_TARGET_DIR/debug/fjc"
fi
export FJC_SCREENSHOT_DIR="${FJC_SCREENSHOT_DIR:-$CARGO_TARGET_DIR/fjc-screenshots}"
cd "$here/e2e"
node --test --test-concurrency=1 --test-reporter=spec tests/
echo "screenshots: $FJC_SCREENSHOT_DIR"
