#!/usr/bin/env bash
# Stop the nginx and the mTLS Flink cluster of auth-up.sh (SIGTERM, SIGKILL after 10 s);
# idempotent. The main cluster and moto are not touched (localstack/down.sh stops those).
# Usage: localstack/auth-down.sh [--purge]   (--purge also deletes $FJC_AUTH_DIR: new
#        certificates and credentials at the next auth-up.sh)
set -euo pipefail
# shellcheck source-path=SCRIPTDIR

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=SCRIPTDIR/lib/auth.sh
source "$here/lib/auth.sh"
# shellcheck source=SCRIPTDIR/lib/flink.sh
source "$here/lib/flink.sh"

purge=0
case ${1:-} in
  "") ;;
  --purge) purge=1 ;;
  *)
    echo "usage: $0 [--purge]" >&2
    exit 2
    ;;
esac

if [[ ! -d $FJC_AUTH_DIR ]]; then
  log "nothing to stop: $FJC_AUTH_DIR does not exist"
  exit 0
fi

take_lock
flink_stop_all &
flink_job=$!
nginx_stop &
nginx_job=$!
wait "$flink_job"
wait "$nginx_job"
log "stopped (auth environment)"

if [[ $purge == 1 ]]; then
  [[ -f $STATE_MARKER ]] || die "not purging $FJC_AUTH_DIR: no $STATE_MARKER (not made by auth-up.sh?)"
  rm -rf "$FJC_AUTH_DIR"
  log "purged $FJC_AUTH_DIR"
fi
