#!/usr/bin/env bash
# Failure injection for the local Flink cluster started by up.sh.
# Usage: localstack/flink-ctl.sh COMMAND
#   kill-jobmanager     SIGKILL the JobManager (non-HA: it forgets all jobs)
#   start-jobmanager    start the JobManager again with the same config; wait for /overview
#                       (and, if a TaskManager runs, until it has registered again)
#   restart-jobmanager  stop (SIGTERM) and start the JobManager
#   kill-taskmanager    SIGKILL the TaskManager
#   start-taskmanager   start the TaskManager; wait until it has registered (if the JM runs)
#   start-second-taskmanager  start a second TaskManager (the slots double); wait until the
#                       JobManager counts its slots
#   stop-second-taskmanager   stop it (SIGTERM)
set -euo pipefail
# shellcheck source-path=SCRIPTDIR

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=SCRIPTDIR/lib/common.sh
source "$here/lib/common.sh"
# shellcheck source=SCRIPTDIR/lib/install.sh
source "$here/lib/install.sh"
# shellcheck source=SCRIPTDIR/lib/flink.sh
source "$here/lib/flink.sh"

usage() {
  sed -n '3,12s/^# \{0,1\}//p' "${BASH_SOURCE[0]}" >&2
  exit 2
}

start_jobmanager() {
  local t0=$SECONDS
  flink_start_jobmanager
  flink_wait_rest 120
  if tm_alive; then
    flink_wait_ready 120
    log "JobManager answers, TaskManager registered ($((SECONDS - t0)) s)"
  else
    log "JobManager answers ($((SECONDS - t0)) s); no TaskManager runs"
  fi
}

start_taskmanager() {
  local t0=$SECONDS
  flink_start_taskmanager
  if jm_alive; then
    flink_wait_ready 120
    log "TaskManager registered ($((SECONDS - t0)) s)"
  fi
}

# Waits until the JobManager counts two TaskManagers.
start_second_taskmanager() {
  local t0=$SECONDS
  flink_start_second_taskmanager
  two_registered() {
    [[ $(json_int taskmanagers "$(curl -fsS --max-time 3 "$FLINK_URL/overview" 2>/dev/null)") == 2 ]]
  }
  flink_wait 120 "a second TaskManager registered at $FLINK_URL" two_registered
  log "second TaskManager registered ($((SECONDS - t0)) s)"
}

[[ $# -eq 1 ]] || usage
[[ -f $FLINK_CONF/config.yaml && -f $FLINK_CONF/jobmanager.params ]] ||
  die "no Flink config in $FLINK_CONF: run localstack/up.sh first"
take_lock
flink_init

case $1 in
  kill-jobmanager) flink_stop_role JobManager "$JM_PID_FILE" "$JM_CLASS" KILL ;;
  start-jobmanager) start_jobmanager ;;
  restart-jobmanager)
    flink_stop_role JobManager "$JM_PID_FILE" "$JM_CLASS"
    start_jobmanager
    ;;
  kill-taskmanager) flink_stop_role TaskManager "$TM_PID_FILE" "$TM_CLASS" KILL ;;
  start-taskmanager) start_taskmanager ;;
  start-second-taskmanager) start_second_taskmanager ;;
  stop-second-taskmanager) flink_stop_role "second TaskManager" "$TM2_PID_FILE" "$TM_CLASS" ;;
  *) usage ;;
esac
