#!/usr/bin/env bash
# Stop the adaptive-scheduler cluster of adaptive-up.sh; idempotent. The main cluster is not touched.
# Usage: localstack/adaptive-down.sh [--purge]   (--purge also deletes $FJC_ADAPTIVE_DIR)
set -euo pipefail
# shellcheck source-path=SCRIPTDIR

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=SCRIPTDIR/lib/adaptive.sh
source "$here/lib/adaptive.sh"
# shellcheck source=SCRIPTDIR/lib/install.sh
source "$here/lib/install.sh"
# shellcheck source=SCRIPTDIR/lib/flink.sh
source "$here/lib/flink.sh"

case ${1:-} in
  "" | --purge) ;;
  *)
    echo "usage: $0 [--purge]" >&2
    exit 2
    ;;
esac
if [[ ! -d $FJC_ADAPTIVE_DIR ]]; then
  log "nothing to stop: $FJC_ADAPTIVE_DIR does not exist"
  exit 0
fi
take_lock
flink_init
flink_stop_all
if [[ ${1:-} == --purge ]]; then
  rm -rf "$FJC_ADAPTIVE_DIR"
  log "deleted $FJC_ADAPTIVE_DIR"
fi
