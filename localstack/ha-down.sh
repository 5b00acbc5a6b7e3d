#!/usr/bin/env bash
# Stop the HA cluster and ZooKeeper of ha-up.sh; idempotent. The main cluster is not touched.
# Usage: localstack/ha-down.sh [--purge]   (--purge also deletes $FJC_HA_DIR, HA state included)
set -euo pipefail
# shellcheck source-path=SCRIPTDIR

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=SCRIPTDIR/lib/ha.sh
source "$here/lib/ha.sh"
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
if [[ ! -d $FJC_HA_DIR ]]; then
  log "nothing to stop: $FJC_HA_DIR does not exist"
  exit 0
fi
take_lock
flink_init
flink_stop_all
zk_stop
if [[ ${1:-} == --purge ]]; then
  rm -rf "$FJC_HA_DIR"
  log "deleted $FJC_HA_DIR"
fi
