#!/usr/bin/env bash
# Bring up the high-availability test environment (see lib/ha.sh): a one-node ZooKeeper and a
# Flink session cluster with ZooKeeper HA. Writes $FJC_HA_DIR/env.sh. Idempotent: what runs
# and answers is left alone. Needs localstack/up.sh's Flink install (run up.sh first).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=SCRIPTDIR/lib/ha.sh
source "$here/lib/ha.sh"
# shellcheck source=SCRIPTDIR/lib/install.sh
source "$here/lib/install.sh"
# shellcheck source=SCRIPTDIR/lib/flink.sh
source "$here/lib/flink.sh"

on_exit() {
  local rc=$?
  [[ $rc -ne 0 ]] || return 0
  [[ ${FLINK_STARTED_TM:-0} == 0 ]] || flink_stop_role TaskManager "$TM_PID_FILE" "$TM_CLASS" || true
  [[ ${FLINK_STARTED_JM:-0} == 0 ]] || flink_stop_role JobManager "$JM_PID_FILE" "$JM_CLASS" || true
  [[ ${ZK_STARTED:-0} == 0 ]] || zk_stop || true
}

main() {
  local t0=$SECONDS
  trap on_exit EXIT
  mkdir -p "$FJC_HA_DIR"
  take_lock
  ensure_flink_venv
  flink_init
  ha_write_config
  flink_write_config
  if [[ $FLINK_CONFIG_CHANGED == 1 ]] && { jm_alive || tm_alive; }; then
    log "Flink settings changed: restarting the HA cluster"
    flink_stop_all
  fi
  if ! jm_alive && ! tm_alive; then
    rm -rf "$FLINK_TMP"
    mkdir -p "$FLINK_TMP"
  fi
  zk_start
  flink_start_jobmanager
  flink_start_taskmanager
  flink_wait_ready 120
  ha_write_env
  log "HA Flink $FLINK_URL (ZooKeeper 127.0.0.1:$FJC_HA_ZK_PORT) up in $((SECONDS - t0)) s"
  log "env          . $FJC_HA_DIR/env.sh"
}

main "$@"
