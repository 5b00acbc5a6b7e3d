#!/usr/bin/env bash
# Builds the programs the controller submits for jobs that are not jars, for the Lambda zips:
#   OUT_DIR/fjc-sql-runner.jar     (sql-runner/build.sh)
#   OUT_DIR/fjc-python-runner.jar  (python-runner/build.sh: Flink's flink-python jar + the runner)
# compiled against the Flink release the clusters run (FJC_FLINK_VERSION, default 2.3.0, from
# PyPI like the local cluster). Usage: infra/runners.sh OUT_DIR
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
[[ $# -eq 1 ]] || {
  echo "usage: $0 OUT_DIR" >&2
  exit 2
}
out=$1
# The Flink distribution comes from the same venv as the local cluster's.
# shellcheck source=localstack/lib/common.sh
source "$here/../localstack/lib/common.sh"
# shellcheck source=localstack/lib/install.sh
source "$here/../localstack/lib/install.sh"
log() { printf '[fjc-infra] %s\n' "$*"; }
die() {
  printf '[fjc-infra] ERROR: %s\n' "$*" >&2
  exit 1
}
ensure_flink_venv
home=$(flink_home)
"$FJC_REPO_ROOT/sql-runner/build.sh" "$home" "$out"
"$FJC_REPO_ROOT/python-runner/build.sh" "$home" "$out"
