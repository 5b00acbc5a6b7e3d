#!/usr/bin/env bash
# Builds the Lambda deployment zips with cargo-lambda (from PyPI, installed when missing):
#   infra/.build/<function>.zip   (bootstrap + config/, what template.yaml's CodeUri points at)
# Usage: infra/build.sh [--arm64]
#   x86_64 by default (the template's default Architecture). --arm64 needs the
#   aarch64-unknown-linux-gnu Rust target installed (rustup target add); pass the same
#   Architecture to the stack. cargo-lambda cross-links with zig against an old glibc, so the
#   binary runs on provided.al2023; FJC_LAMBDA_COMPILER=cargo builds with the host toolchain
#   instead (only safe when the host glibc is not newer than Amazon Linux 2023's 2.34).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=infra/lib/common.sh
source "$here/lib/common.sh"

arch_flag=--x86-64
case ${1:-} in
  "") ;;
  --arm64) arch_flag=--arm64 ;;
  *) die "usage: $0 [--arm64]" ;;
esac

export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$FJC_CACHE_DIR/target}
PATH="$(ensure_cargo_lambda)/bin:$PATH"
export PATH

# The function packages: every crate under functions/ built on lambda_runtime. artifact-event
# (issue 5) is picked up here as soon as it exists.
packages=()
for manifest in "$FJC_REPO_ROOT"/functions/*/Cargo.toml; do
  if grep -q '^lambda_runtime' "$manifest"; then
    packages+=(-p "$(basename "$(dirname "$manifest")")")
  fi
done
[[ ${#packages[@]} -gt 0 ]] || die "no Lambda function crates under functions/"

lambda_dir=$CARGO_TARGET_DIR/lambda
out=$FJC_INFRA_DIR/.build
mkdir -p "$out"

cd "$FJC_REPO_ROOT"
t0=$SECONDS
log "cargo lambda build --release $arch_flag ${packages[*]}"
# config/ goes into each zip: FJC_ENV=prod reads config/config.prod.yaml (FJC_CONFIG_DIR=/var/task/config).
cargo lambda build --release --locked "$arch_flag" "${packages[@]}" \
  ${FJC_LAMBDA_COMPILER:+--compiler "$FJC_LAMBDA_COMPILER"} \
  --output-format zip --include config --lambda-dir "$lambda_dir"

for ((i = 1; i < ${#packages[@]}; i += 2)); do
  name=${packages[i]}
  zip=$lambda_dir/$name/bootstrap.zip
  [[ -f $zip ]] || die "cargo lambda did not produce $zip"
  cp -f "$zip" "$out/$name.zip"
  log "$out/$name.zip  $(du -h "$out/$name.zip" | cut -f1)"
done

# template.yaml names artifact-event.zip even while EnableArtifactEvent=false, and packaging
# uploads every CodeUri. Until issue 5 adds the function, a placeholder stands in: it is never
# deployed (deploy.sh refuses EnableArtifactEvent=true while the .placeholder marker exists).
if [[ " ${packages[*]} " != *" artifact-event "* ]]; then
  "$FJC_PYTHON" - "$out/artifact-event.zip" <<'PY'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1], "w") as z:
    info = zipfile.ZipInfo("bootstrap", date_time=(2020, 1, 1, 0, 0, 0))
    info.external_attr = 0o755 << 16
    z.writestr(info, "#!/bin/sh\necho 'artifact-event arrives with issue 5' >&2\nexit 1\n")
PY
  touch "$out/artifact-event.placeholder"
  log "$out/artifact-event.zip  placeholder (the function arrives with issue 5)"
else
  rm -f "$out/artifact-event.placeholder"
fi
log "built in $((SECONDS - t0)) s"
