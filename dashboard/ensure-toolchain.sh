#!/usr/bin/env bash
# Installs what the wasm build needs, only when missing (idempotent, quiet when done):
# - Debian's Rust for web builds (rustc-web, cargo-web, rust-web-src, rust-web-llvm):
#   /usr/bin/rustc + cargo with the std source for -Zbuild-std, and lld-22 (rust-lld
#   links to it; it is only a Recommends, so it is named here);
# - wasm-bindgen-cli at exactly the version of `wasm-bindgen` in dashboard/Cargo.lock,
#   into $FJC_CACHE_DIR/wasm-bindgen-<version>;
# - wasm-opt from npm's binaryen (Debian's binaryen is too old), into $FJC_CACHE_DIR/binaryen.
# Prints nothing but progress; exits non-zero when an install fails.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cache="${FJC_CACHE_DIR:-$HOME/.cache/fjc}"
mkdir -p "$cache"

debian_rust() {
    local pkgs=(rustc-web cargo-web rust-web-src rust-web-llvm lld-22) missing=()
    for p in "${pkgs[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    if [ ${#missing[@]} -gt 0 ]; then
        echo "ensure-toolchain: installing ${missing[*]} (apt)"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    fi
    if [ ! -x /usr/bin/rustc ] || [ ! -x /usr/bin/cargo ]; then
        echo "ensure-toolchain: /usr/bin/rustc missing after install" >&2
        exit 1
    fi
}

# The wasm-bindgen version pinned by the lockfile.
lock_version() {
    awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' "$here/Cargo.lock"
}

wasm_bindgen() {
    local v root
    v=$(lock_version)
    [ -n "$v" ] || { echo "ensure-toolchain: no wasm-bindgen in dashboard/Cargo.lock" >&2; exit 1; }
    root="$cache/wasm-bindgen-$v"
    if [ -x "$root/bin/wasm-bindgen" ] && "$root/bin/wasm-bindgen" --version | grep -q " $v\b"; then
        return
    fi
    echo "ensure-toolchain: installing wasm-bindgen-cli $v into $root (takes several minutes once)"
    # Host toolchain (rustup), its own target dir so it never fights another build's
    # lock. Only the wasm-bindgen binary, without the TLS stack (no default features):
    # that halves the build. --locked first; its lockfile may pin a crate the
    # registry lacks, then without it.
    local args=(wasm-bindgen-cli --version "=$v" --no-default-features --bin wasm-bindgen --root "$root")
    export CARGO_TARGET_DIR="$cache/target-tools"
    cargo install --quiet "${args[@]}" --locked 2>/dev/null || cargo install --quiet "${args[@]}"
}

binaryen() {
    local dir="$cache/binaryen"
    if [ -x "$dir/node_modules/.bin/wasm-opt" ]; then return; fi
    if ! command -v npm >/dev/null; then
        echo "ensure-toolchain: npm not found; wasm-opt skipped (the build still works)" >&2
        return
    fi
    echo "ensure-toolchain: installing binaryen (wasm-opt) from npm into $dir"
    mkdir -p "$dir"
    (cd "$dir" && npm install --silent --no-audit --no-fund --prefix "$dir" binaryen@132.0.0 >/dev/null) \
        || echo "ensure-toolchain: binaryen install failed; wasm-opt skipped" >&2
}

case "${1:-all}" in
    debian) debian_rust ;;
    wasm-bindgen) wasm_bindgen ;;
    binaryen) binaryen ;;
    all) debian_rust; wasm_bindgen; binaryen ;;
    *) echo "usage: $0 [all|debian|wasm-bindgen|binaryen]" >&2; exit 2 ;;
esac
