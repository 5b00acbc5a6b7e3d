# shellcheck shell=bash disable=SC2034  # (flags read by the sourcing script)
# moto in server mode: the AWS endpoint for local tests. Source after common.sh and install.sh.

moto_start() {
  mkdir -p "$MOTO_DIR"
  if moto_alive; then
    log "moto already running (pid $(pid_read "$MOTO_PID_FILE"))"
  else
    port_open "$FJC_MOTO_PORT" && die "port $FJC_MOTO_PORT is taken by a process not in $MOTO_PID_FILE"
    printf '\n==== %s starting moto ====\n' "$(date '+%F %T')" >>"$MOTO_LOG"
    (
      cd "$MOTO_DIR" || exit 1
      # MOTO_SERVER_SCRIPT: a Python launcher in place of moto_server (the benchmark's patched one).
      if [[ -n "${MOTO_SERVER_SCRIPT:-}" ]]; then
        exec setsid "$MOTO_VENV/bin/python" "$MOTO_SERVER_SCRIPT" -H 127.0.0.1 -p "$FJC_MOTO_PORT"
      fi
      exec setsid "$MOTO_VENV/bin/moto_server" -H 127.0.0.1 -p "$FJC_MOTO_PORT"
    ) >>"$MOTO_LOG" 2>&1 </dev/null 9>&- &
    local pid=$!
    printf '%s\n' "$pid" >"$MOTO_PID_FILE"
    wait_exec "$pid" moto_server || {
      show_log_tail "$MOTO_LOG" 20
      die "moto (pid $pid) exited right after its start"
    }
    MOTO_STARTED=1
    log "moto started (pid $pid)"
  fi
  local deadline=$((SECONDS + 30))
  until moto_http_ok; do
    if ! moto_alive || ((SECONDS >= deadline)); then
      show_log_tail "$MOTO_LOG" 20
      die "moto did not answer at $MOTO_URL"
    fi
    sleep 0.3
  done
}

moto_stop() {
  local pids=() pid
  pid=$(pid_read "$MOTO_PID_FILE") && pid_matches "$pid" moto_server && pids+=("$pid")
  # Also a moto of this setup whose pid file is gone.
  while IFS= read -r pid; do
    [[ " ${pids[*]} " == *" $pid "* ]] || pids+=("$pid")
  done < <(pids_matching "$MOTO_VENV/bin/moto_server" "-p $FJC_MOTO_PORT ")
  if [[ ${#pids[@]} -gt 0 ]]; then
    log "stopping moto (pid ${pids[*]})"
    stop_pids 10 "${pids[@]}"
  fi
  rm -f "$MOTO_PID_FILE"
}
