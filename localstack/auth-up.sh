#!/usr/bin/env bash
# Bring up the REST authentication test environment (see lib/auth.sh): test certificates, a
# Flink session cluster whose REST wants a client certificate (mutual TLS), and an nginx with
# HTTP basic auth and a bearer token in front of the main cluster (localstack/up.sh starts
# that one). Writes $FJC_AUTH_DIR/env.sh. Idempotent: what runs and answers is left alone.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=SCRIPTDIR/lib/auth.sh
source "$here/lib/auth.sh"
# shellcheck source=SCRIPTDIR/lib/install.sh
source "$here/lib/install.sh"
# shellcheck source=SCRIPTDIR/lib/flink.sh
source "$here/lib/flink.sh"
# shellcheck source=SCRIPTDIR/lib/env-file.sh
source "$here/lib/env-file.sh"

# The proxies pass requests on; say so when the main cluster behind them does not answer.
check_proxies() {
  wait_until 10 "nginx to accept the basic credentials" proxy_accepts basic "$BASIC_USER" "$BASIC_PASSWORD" ||
    die "nginx refuses the basic credentials of $AUTH_CREDENTIALS"
  wait_until 10 "nginx to accept the bearer token" proxy_accepts bearer "$BEARER_TOKEN" ||
    die "nginx refuses the bearer token of $AUTH_CREDENTIALS"
  local status
  status=$(proxy_status basic "$BASIC_USER" "$BASIC_PASSWORD")
  [[ $status == 200 ]] ||
    warn "the main Flink at $FJC_AUTH_UPSTREAM_URL does not answer (proxy status $status): run localstack/up.sh"
}

summary() {
  log "mTLS Flink   $FJC_MTLS_URL  (CA $AUTH_CA, client $AUTH_CLIENT_CERT)"
  log "basic auth   $FJC_BASIC_URL -> $FJC_AUTH_UPSTREAM_URL  (user $BASIC_USER)"
  log "bearer token $FJC_BEARER_URL -> $FJC_AUTH_UPSTREAM_URL"
  log "env          . $ENV_FILE"
}

# A failed run stops what it started (logs stay in the state dir).
on_exit() {
  local rc=$?
  [[ $rc -ne 0 ]] || return 0
  [[ ${FLINK_STARTED_TM:-0} == 0 ]] || flink_stop_role TaskManager "$TM_PID_FILE" "$TM_CLASS" || true
  [[ ${FLINK_STARTED_JM:-0} == 0 ]] || flink_stop_role JobManager "$JM_PID_FILE" "$JM_CLASS" || true
  [[ ${NGINX_STARTED:-0} == 0 ]] || nginx_stop || true
}

main() {
  local t0=$SECONDS was_up=0
  trap on_exit EXIT
  take_lock
  auth_record_settings
  ensure_nginx
  ensure_flink_venv
  auth_ensure_tls
  flink_init
  flink_write_config
  auth_load_credentials
  nginx_write_config
  if [[ $TLS_CHANGED$FLINK_CONFIG_CHANGED$NGINX_CONFIG_CHANGED == 000 ]] &&
    jm_alive && tm_alive && nginx_alive && flink_ready; then
    was_up=1
  fi
  # Flink reads its key and trust stores at start only.
  if [[ $TLS_CHANGED == 1 || $FLINK_CONFIG_CHANGED == 1 ]] && { jm_alive || tm_alive; }; then
    log "certificates or Flink settings changed: restarting the mTLS Flink cluster"
    flink_stop_all
  fi
  if ! jm_alive && ! tm_alive; then
    rm -rf "$FLINK_TMP"
    mkdir -p "$FLINK_TMP"
  fi

  flink_start_jobmanager
  flink_start_taskmanager
  nginx_start
  check_proxies
  flink_wait_ready 120
  auth_check_mtls
  auth_write_env

  if [[ $was_up == 1 ]]; then
    log "already up and healthy"
  else
    log "up in $((SECONDS - t0)) s"
  fi
  summary
}

main "$@"
