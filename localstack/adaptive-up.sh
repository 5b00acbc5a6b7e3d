#!/usr/bin/env bash
# Bring up the adaptive-scheduler test environment (see lib/adaptive.sh): a Flink session
# cluster with jobmanager.scheduler: adaptive, whose jobs rescale in place through
# PUT /jobs/:id/resource-requirements. Writes $FJC_ADAPTIVE_DIR/env.sh. Idempotent: what runs
# and answers is left alone. Needs localstack/up.sh's Flink install (run up.sh first).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=SCRIPTDIR/lib/adaptive.sh
source "$here/lib/adaptive.sh"
# shellcheck source=SCRIPTDIR/lib/install.sh
source "$here/lib/install.sh"
# shellcheck source=SCRIPTDIR/lib/flink.sh
source "$here/lib/flink.sh"

# A failed run stops what it started (logs stay in the state dir).
on_exit() {
  local rc=$?
  [[ $rc -ne 0 ]] || return 0
  [[ ${FLINK_STARTED_TM:-0} == 0 ]] || flink_stop_role TaskManager "$TM_PID_FILE" "$TM_CLASS" || true
  [[ ${FLINK_STARTED_JM:-0} == 0 ]] || flink_stop_role JobManager "$JM_PID_FILE" "$JM_CLASS" || true
}

main() {
  local t0=$SECONDS
  trap on_exit EXIT
  take_lock
  ensure_flink_venv
  flink_init
  adaptive_write_config
  flink_write_config
  if [[ $FLINK_CONFIG_CHANGED == 1 ]] && { jm_alive || tm_alive; }; then
    log "Flink settings changed: restarting the adaptive-scheduler cluster"
    flink_stop_all
  fi
  if ! jm_alive && ! tm_alive; then
    rm -rf "$FLINK_TMP"
    mkdir -p "$FLINK_TMP"
  fi
  flink_start_jobmanager
  flink_start_taskmanager
  flink_wait_ready 120
  adaptive_write_env
  log "adaptive-scheduler Flink $FLINK_URL ($FJC_FLINK_SLOTS slots) up in $((SECONDS - t0)) s"
  log "env          . $FJC_ADAPTIVE_DIR/env.sh"
}

main "$@"
