#!/usr/bin/env bash
# Benchmark (not a test): the .wasm size before and after wasm-opt, and the time to
# first render of a 10,000-job snapshot in headless Chromium (served by
# `fjc dashboard serve`). FJC_BENCH_NO_BUILD=1 uses the existing dist/ and fjc.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
cache="${FJC_CACHE_DIR:-$HOME/.cache/fjc}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$cache/target}"
wasm_target="${FJC_WASM_TARGET_DIR:-$cache/target-wasm}"

if [ "${FJC_BENCH_NO_BUILD:-0}" != 1 ]; then
    "$here/build.sh" >/dev/null
    (cd "$repo" && cargo build --quiet --bin fjc --locked)
fi
"$here/ensure-browser.sh"
export FJC_BIN="${FJC_BIN:-$CARGO_TARGET_DIR/debug/fjc}"

dist="${FJC_DASHBOARD_DIST:-$here/dist}"
gz() { gzip -9 -c "$1" | wc -c; }
raw="$wasm_target/wasm32-unknown-unknown/release/fjc-dashboard.wasm"
unopt="$wasm_target/fjc_dashboard_bg.unopt.wasm"
opt="$dist/fjc_dashboard_bg.wasm"
printf '%-34s %10s %10s\n' ".wasm" "bytes" "gzip -9"
printf '%-34s %10s %10s\n' "cargo (release, opt-level z, lto)" "$(stat -c %s "$raw")" "$(gz "$raw")"
printf '%-34s %10s %10s\n' "after wasm-bindgen (before opt)" "$(stat -c %s "$unopt")" "$(gz "$unopt")"
printf '%-34s %10s %10s\n' "after wasm-opt -Oz (dist/)" "$(stat -c %s "$opt")" "$(gz "$opt")"
(cd "$here/e2e" && node bench.mjs)
