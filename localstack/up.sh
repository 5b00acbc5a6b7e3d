#!/usr/bin/env bash
# Bring up the Docker-free local environment: a real Flink session cluster (PyPI Flink, two
# JVMs started directly) and moto server; build the test jobs; write $FJC_LOCAL_DIR/env.sh.
# Idempotent: what already runs and answers is left alone. Settings: see lib/common.sh.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=SCRIPTDIR/lib/common.sh
source "$here/lib/common.sh"
# shellcheck source=SCRIPTDIR/lib/install.sh
source "$here/lib/install.sh"
# shellcheck source=SCRIPTDIR/lib/flink.sh
source "$here/lib/flink.sh"
# shellcheck source=SCRIPTDIR/lib/moto.sh
source "$here/lib/moto.sh"
# shellcheck source=SCRIPTDIR/lib/env-file.sh
source "$here/lib/env-file.sh"
# shellcheck source=SCRIPTDIR/lib/docker.sh
source "$here/lib/docker.sh"

prepare_state_dir() {
  mkdir -p "$FJC_LOCAL_DIR" "$MOTO_DIR" "$JOBS_DIR" "$ARTIFACT_ROOT" "$OUT_DIR"
  touch "$STATE_MARKER"
}

build_test_jobs() {
  local jar
  "$FJC_REPO_ROOT/tests/jobs/build.sh" "$FLINK_HOME" "$JOBS_DIR" >/dev/null
  # The SQL runner the controller submits for `sql` jobs (FJC_SQL_RUNNER).
  "$FJC_REPO_ROOT/sql-runner/build.sh" "$FLINK_HOME" "$JOBS_DIR" >/dev/null
  # The Python runner the controller submits for `python` jobs (FJC_PYTHON_RUNNER).
  "$FJC_REPO_ROOT/python-runner/build.sh" "$FLINK_HOME" "$JOBS_DIR" >/dev/null
  for jar in stream-counter.jar batch-sum.jar; do
    cmp -s "$JOBS_DIR/$jar" "$ARTIFACT_ROOT/$jar" || cp -f "$JOBS_DIR/$jar" "$ARTIFACT_ROOT/$jar"
  done
}

summary() {
  local overview
  overview=$(curl -fsS --max-time 3 "$FLINK_URL/overview" 2>/dev/null || true)
  log "Flink $FJC_FLINK_VERSION  $FLINK_URL  (taskmanagers $(json_int taskmanagers "$overview" || echo '?'), slots free $(json_int slots-available "$overview" || echo '?')/$(json_int slots-total "$overview" || echo '?'))"
  log "moto         $MOTO_URL"
  log "test jobs    $JOBS_DIR/{stream-counter,batch-sum}.jar"
  log "sql runner   $JOBS_DIR/fjc-sql-runner.jar"
  log "py runner    $JOBS_DIR/fjc-python-runner.jar  (PyFlink: $PYFLINK_VENV/bin/python)"
  log "state        $FJC_LOCAL_DIR"
  log "env          . $ENV_FILE"
}

# A failed run stops what it started (logs stay in the state dir).
on_exit() {
  local rc=$?
  [[ $rc -ne 0 ]] || return 0
  [[ ${FLINK_STARTED_TM:-0} == 0 ]] || flink_stop_role TaskManager "$TM_PID_FILE" "$TM_CLASS" || true
  [[ ${FLINK_STARTED_JM:-0} == 0 ]] || flink_stop_role JobManager "$JM_PID_FILE" "$JM_CLASS" || true
  [[ ${MOTO_STARTED:-0} == 0 ]] || moto_stop || true
}

main() {
  local t0=$SECONDS was_up=0
  trap on_exit EXIT
  take_lock
  prepare_state_dir
  record_settings
  ensure_venvs
  flink_init
  flink_write_config
  if jm_alive && tm_alive && moto_alive && flink_ready && moto_http_ok; then
    was_up=1
  fi
  if [[ $FLINK_CONFIG_CHANGED == 1 ]] && { jm_alive || tm_alive; }; then
    warn "Flink settings changed while the cluster runs: run down.sh, then up.sh, to apply them"
  fi
  if ! jm_alive && ! tm_alive; then
    rm -rf "$FLINK_TMP"
    mkdir -p "$FLINK_TMP"
  fi

  flink_start_jobmanager
  flink_start_taskmanager
  moto_start
  build_test_jobs
  flink_wait_ready 120
  write_env_file

  if [[ $was_up == 1 ]]; then
    log "already up and healthy"
  else
    log "up in $((SECONDS - t0)) s"
  fi
  summary
}

# With a Docker engine: LocalStack + official Flink images instead (lib/docker.sh).
if use_docker; then
  docker_up
  exit 0
fi
rm -f "$DOCKER_MARKER"

main "$@"
