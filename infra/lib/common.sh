# shellcheck shell=bash disable=SC2034  # (variables are used by the sourcing scripts)
# Helpers shared by infra/*.sh. Source it, do not run it.
#
# Tools come from PyPI into venvs under $FJC_CACHE_DIR (default ~/.cache/fjc), pinned so
# every machine and CI run the same versions; a venv is installed once and reused.

FJC_INFRA_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
FJC_REPO_ROOT=$(cd "$FJC_INFRA_DIR/.." && pwd)
FJC_CACHE_DIR=${FJC_CACHE_DIR:-$HOME/.cache/fjc}
FJC_PYTHON=${FJC_PYTHON:-python3}

# Pinned tool versions (bump deliberately; check.sh output can change with them).
CFN_LINT_VERSION=1.58.0
CHECKOV_VERSION=3.3.30
CARGO_LAMBDA_VERSION=1.9.2

log() { printf '[fjc-infra] %s\n' "$*"; }
die() {
  printf '[fjc-infra] ERROR: %s\n' "$*" >&2
  exit 1
}

# ensure_venv NAME PIP_ARGS...: $FJC_CACHE_DIR/NAME with PIP_ARGS installed, unless it already
# is (a marker file records the exact arguments, so a version bump reinstalls). Prints the venv.
ensure_venv() {
  local venv=$FJC_CACHE_DIR/$1 want
  shift
  want="$*"
  if [[ -f $venv/.fjc-ready && $(<"$venv/.fjc-ready") == "$want" ]]; then
    printf '%s\n' "$venv"
    return 0
  fi
  mkdir -p "$FJC_CACHE_DIR"
  (
    exec 8>"$venv.lock"
    flock 8
    [[ -f $venv/.fjc-ready && $(<"$venv/.fjc-ready") == "$want" ]] && exit 0
    log "installing into $venv: $want" >&2
    rm -rf "$venv"
    "$FJC_PYTHON" -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "$@" >&2
    printf '%s' "$want" >"$venv/.fjc-ready"
  ) || die "could not install $want into $venv"
  printf '%s\n' "$venv"
}

# The cargo-lambda venv; its bin/ holds cargo-lambda and the zig it builds with.
ensure_cargo_lambda() {
  ensure_venv venv-cargo-lambda "cargo-lambda==$CARGO_LAMBDA_VERSION"
}
