#!/usr/bin/env bash
# Builds the Lambda deployment zips with cargo-lambda (from PyPI, installed when missing):
#   infra/.build/<function>.zip   (bootstrap + config/, plus runners/ for the functions that
#                                  submit jobs; what template.yaml's CodeUri points at; runners/
#                                  holds the SQL and Python runner jars they submit for sql and
#                                  python jobs, built by infra/runners.sh: about 42 MB, so the
#                                  zips deploy through S3)
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

# The function packages: every crate under functions/ built on lambda_runtime (reconcile,
# artifact-event, session-key-rotation) or lambda_http (sign-in, behind a function URL). Each
# must be a zip template.yaml names as CodeUri, and every CodeUri must be built here, so the
# template and the build cannot drift apart.
packages=()
for manifest in "$FJC_REPO_ROOT"/functions/*/Cargo.toml; do
  if grep -qE '^(lambda_runtime|lambda_http)' "$manifest"; then
    packages+=(-p "$(basename "$(dirname "$manifest")")")
  fi
done
[[ ${#packages[@]} -gt 0 ]] || die "no Lambda function crates under functions/"
mapfile -t wanted < <(sed -n 's|^ *CodeUri: *\.build/\([A-Za-z0-9_-]*\)\.zip *$|\1|p' "$FJC_INFRA_DIR/template.yaml")
[[ ${#wanted[@]} -gt 0 ]] || die "no CodeUri: .build/<function>.zip in template.yaml"
for name in "${wanted[@]}"; do
  [[ " ${packages[*]} " == *" $name "* ]] ||
    die "template.yaml deploys .build/$name.zip, but functions/$name is not a lambda_runtime or lambda_http crate"
done
for ((i = 1; i < ${#packages[@]}; i += 2)); do
  [[ " ${wanted[*]} " == *" ${packages[i]} "* ]] ||
    die "functions/${packages[i]} is a Lambda function that template.yaml does not deploy"
done

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

# The runner jars, under runners/ in the zip of each function that submits jobs (a crate on
# fjc-core: reconcile, artifact-event; FJC_SQL_RUNNER, FJC_PYTHON_RUNNER in the template name
# /var/task/runners/...). The dashboard's sign-in functions go without their 42 MB.
runners=$out/runners
"$FJC_INFRA_DIR/runners.sh" "$runners"
for jar in fjc-sql-runner.jar fjc-python-runner.jar; do
  grep -q "/var/task/runners/$jar" "$FJC_INFRA_DIR/template.yaml" ||
    die "template.yaml does not point a function at /var/task/runners/$jar"
done

for ((i = 1; i < ${#packages[@]}; i += 2)); do
  name=${packages[i]}
  zip=$lambda_dir/$name/bootstrap.zip
  [[ -f $zip ]] || die "cargo lambda did not produce $zip"
  cp -f "$zip" "$out/$name.zip"
  if grep -q '^fjc-core' "$FJC_REPO_ROOT/functions/$name/Cargo.toml"; then
    "${FJC_PYTHON:-python3}" - "$out/$name.zip" "$runners" <<'PY'
import pathlib, sys, zipfile
zip_path, runners = sys.argv[1], pathlib.Path(sys.argv[2])
with zipfile.ZipFile(zip_path, "a", zipfile.ZIP_DEFLATED) as z:
    for jar in ("fjc-sql-runner.jar", "fjc-python-runner.jar"):
        # Jars are compressed already: stored as they are.
        z.write(runners / jar, f"runners/{jar}", compress_type=zipfile.ZIP_STORED)
PY
  fi
  log "$out/$name.zip  $(du -h "$out/$name.zip" | cut -f1)"
done

# Builds from before artifact-event existed left a placeholder zip and this marker.
rm -f "$out/artifact-event.placeholder"
log "built in $((SECONDS - t0)) s"
