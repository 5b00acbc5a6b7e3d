#!/usr/bin/env bash
# Installs cargo-lambda (from PyPI, with the zig it cross-links with) into
# $FJC_CACHE_DIR/venv-cargo-lambda when missing, and prints that venv's bin directory.
# Put it on PATH to get `cargo lambda`:  PATH="$(infra/ensure-cargo-lambda.sh):$PATH"
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=infra/lib/common.sh
source "$here/lib/common.sh"

venv=$(ensure_cargo_lambda)
"$venv/bin/cargo-lambda" lambda --version >&2
printf '%s\n' "$venv/bin"
