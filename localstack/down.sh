#!/usr/bin/env bash
# Stop moto and both Flink JVMs of this state dir (SIGTERM, SIGKILL after 10 s); idempotent.
# Usage: localstack/down.sh [--purge]   (--purge also deletes $FJC_LOCAL_DIR)
set -euo pipefail
# shellcheck source-path=SCRIPTDIR

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=SCRIPTDIR/lib/common.sh
source "$here/lib/common.sh"
# shellcheck source=SCRIPTDIR/lib/flink.sh
source "$here/lib/flink.sh"
# shellcheck source=SCRIPTDIR/lib/moto.sh
source "$here/lib/moto.sh"
# shellcheck source=SCRIPTDIR/lib/docker.sh
source "$here/lib/docker.sh"

purge=0
case ${1:-} in
  "") ;;
  --purge) purge=1 ;;
  *)
    echo "usage: $0 [--purge]" >&2
    exit 2
    ;;
esac

if [[ ! -d $FJC_LOCAL_DIR ]]; then
  log "nothing to stop: $FJC_LOCAL_DIR does not exist"
  exit 0
fi

# Started with Docker by the last up.sh (lib/docker.sh)?
if docker_mode_recorded; then
  docker_down "$purge"
  if [[ $purge == 1 ]]; then
    rm -rf "$FJC_LOCAL_DIR"
    log "purged $FJC_LOCAL_DIR"
  fi
  exit 0
fi

take_lock
flink_stop_all &
flink_job=$!
moto_stop &
moto_job=$!
wait "$flink_job"
wait "$moto_job"
log "stopped"

if [[ $purge == 1 ]]; then
  [[ -f $STATE_MARKER ]] || die "not purging $FJC_LOCAL_DIR: no $STATE_MARKER (not made by up.sh?)"
  rm -rf "$FJC_LOCAL_DIR"
  log "purged $FJC_LOCAL_DIR"
fi
