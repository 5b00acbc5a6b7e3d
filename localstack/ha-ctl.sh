#!/usr/bin/env bash
# Failure injection for the HA cluster of ha-up.sh.
# Usage: localstack/ha-ctl.sh COMMAND
#   kill-jobmanager     SIGKILL the JobManager (HA: its jobs come back when it starts again)
#   start-jobmanager    start the JobManager again; wait for its REST
set -euo pipefail
# shellcheck source-path=SCRIPTDIR

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=SCRIPTDIR/lib/ha.sh
source "$here/lib/ha.sh"
# shellcheck source=SCRIPTDIR/lib/install.sh
source "$here/lib/install.sh"
# shellcheck source=SCRIPTDIR/lib/flink.sh
source "$here/lib/flink.sh"

usage() {
  sed -n '3,5s/^# \{0,1\}//p' "${BASH_SOURCE[0]}" >&2
  exit 2
}

[[ $# -eq 1 ]] || usage
[[ -f $FLINK_CONF/config.yaml ]] || die "no Flink config in $FLINK_CONF: run localstack/ha-up.sh first"
take_lock
flink_init
case $1 in
  kill-jobmanager) flink_stop_role JobManager "$JM_PID_FILE" "$JM_CLASS" KILL ;;
  start-jobmanager)
    t0=$SECONDS
    flink_start_jobmanager
    flink_wait_rest 120
    log "JobManager answers ($((SECONDS - t0)) s)"
    ;;
  *) usage ;;
esac
