#!/usr/bin/env bash
# Builds the dashboard into dashboard/dist/ (index.html, style.css, the JS glue and
# the .wasm). Uses Debian's rustc-web with -Zbuild-std (see
# ../shared notes on the wasm toolchain), wasm-bindgen-cli at the lockfile's version,
# and wasm-opt from npm's binaryen when available (FJC_WASM_OPT=0 skips it).
# Everything missing is installed first by ensure-toolchain.sh into the cache.
#
#   dashboard/build.sh            # -> dashboard/dist/
#   FJC_DASHBOARD_DIST=DIR dashboard/build.sh
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cache="${FJC_CACHE_DIR:-$HOME/.cache/fjc}"
out="${FJC_DASHBOARD_DIST:-$here/dist}"

"$here/ensure-toolchain.sh" debian
"$here/ensure-toolchain.sh" wasm-bindgen
if [ "${FJC_WASM_OPT:-1}" = 1 ]; then "$here/ensure-toolchain.sh" binaryen; fi

version=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' "$here/Cargo.lock")
bindgen="$cache/wasm-bindgen-$version/bin/wasm-bindgen"
wasm_opt="$cache/binaryen/node_modules/.bin/wasm-opt"

# Debian's toolchain for this build only; the host build keeps rustup's.
export PATH="/usr/bin:$PATH" RUSTC=/usr/bin/rustc CARGO=/usr/bin/cargo RUSTC_BOOTSTRAP=1
unset RUSTUP_TOOLCHAIN RUSTFLAGS
export CARGO_TARGET_DIR="${FJC_WASM_TARGET_DIR:-$cache/target-wasm}"
(cd "$here" && /usr/bin/cargo build --release --locked)
wasm="$CARGO_TARGET_DIR/wasm32-unknown-unknown/release/fjc-dashboard.wasm"

stage="$out.tmp.$$"
rm -rf "$stage"
mkdir -p "$stage"
trap 'rm -rf "$stage"' EXIT
"$bindgen" --target web --no-typescript --out-dir "$stage" --out-name fjc_dashboard "$wasm"
size() { stat -c %s "$1"; }
cp "$stage/fjc_dashboard_bg.wasm" "$CARGO_TARGET_DIR/fjc_dashboard_bg.unopt.wasm"
before=$(size "$stage/fjc_dashboard_bg.wasm")
after=$before
if [ "${FJC_WASM_OPT:-1}" = 1 ] && [ -x "$wasm_opt" ]; then
    "$wasm_opt" -Oz --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
        --enable-reference-types --enable-multivalue --enable-mutable-globals \
        "$stage/fjc_dashboard_bg.wasm" -o "$stage/opt.wasm"
    mv "$stage/opt.wasm" "$stage/fjc_dashboard_bg.wasm"
    after=$(size "$stage/fjc_dashboard_bg.wasm")
fi
cp "$here/index.html" "$here/style.css" "$stage/"
rm -rf "$out"
mv "$stage" "$out"
trap - EXIT
printf 'dashboard: %s (cargo .wasm %s bytes, after wasm-bindgen %s, after wasm-opt %s)\n' \
    "$out" "$(size "$wasm")" "$before" "$after"
