# shellcheck shell=bash disable=SC2034  # (variables are used by the sourcing scripts)
# Flink session cluster as two JVMs launched directly (no bin/start-cluster.sh).
# Source after common.sh and install.sh; call flink_init first (sets FLINK_HOME).

flink_init() {
  FLINK_HOME=$(flink_home)
  mkdir -p "$FLINK_CONF" "$FLINK_LOG_DIR" "$FLINK_PID_DIR" "$FLINK_TMP" "$FLINK_UPLOAD" \
    "$FLINK_SAVEPOINTS" "$FLINK_CHECKPOINTS"
}

flink_dist_jar() {
  local jars=("$FLINK_HOME"/lib/flink-dist*.jar)
  [[ ${#jars[@]} -eq 1 && -f ${jars[0]} ]] || die "expected one flink-dist jar in $FLINK_HOME/lib"
  printf '%s\n' "${jars[0]}"
}

# Same order as bin/config.sh: lib/*.jar sorted, flink-dist last.
flink_classpath() {
  local cp="" jar
  while IFS= read -r jar; do
    [[ $jar == */flink-dist* ]] && continue
    cp+=${cp:+:}$jar
  done < <(find "$FLINK_HOME/lib" -maxdepth 1 -name '*.jar' | sort)
  printf '%s\n' "$cp:$(flink_dist_jar)"
}

# bash_java_utils COMMAND CONF_DIR [ARGS...]: Flink's own config/memory calculator (what
# bin/jobmanager.sh and bin/taskmanager.sh run); prints its result lines.
bash_java_utils() {
  local out
  out=$("$(java_bin)" -classpath "$FLINK_HOME/bin/bash-java-utils.jar:$(flink_dist_jar)" \
    org.apache.flink.runtime.util.bash.BashJavaUtils "$1" --configDir "$2" "${@:3}" 2>&1) || {
    printf '%s\n' "$out" >&2
    die "BashJavaUtils $1 failed"
  }
  sed -n 's/^BASH_JAVA_UTILS_EXEC_RESULT://p' <<<"$out"
}

# env.java.opts.all of the shipped config (the JDK 17 --add-opens flags); cached per venv.
shipped_java_opts() {
  local cache=$FLINK_VENV/.java-opts-all
  if [[ ! -f $cache ]]; then
    bash_java_utils UPDATE_AND_GET_FLINK_CONFIGURATION "$FLINK_HOME/conf" -flatten |
      sed -n 's/^env\.java\.opts\.all: *//p' >"$cache.tmp"
    mv -f "$cache.tmp" "$cache"
  fi
  cat "$cache"
}

yaml_quote() { printf "'%s'" "${1//\'/\'\'}"; }

flink_config_yaml() {
  cat <<EOF
# Written by localstack/up.sh (Flink $FJC_FLINK_VERSION); rewritten when settings change.
env.java.opts.all: $(shipped_java_opts)
env.pid.dir: $(yaml_quote "$FLINK_PID_DIR")
env.log.dir: $(yaml_quote "$FLINK_LOG_DIR")
jobmanager.rpc.address: 127.0.0.1
jobmanager.rpc.port: $((FJC_FLINK_PORT + 1))
jobmanager.bind-host: 127.0.0.1
jobmanager.memory.process.size: 1024m
jobmanager.execution.failover-strategy: region
blob.server.port: '$((FJC_FLINK_PORT + 2))'
taskmanager.host: 127.0.0.1
taskmanager.bind-host: 127.0.0.1
taskmanager.rpc.port: '0'
taskmanager.data.port: 0
taskmanager.numberOfTaskSlots: $FJC_FLINK_SLOTS
taskmanager.memory.process.size: 1280m
parallelism.default: 1
rest.address: 127.0.0.1
rest.bind-address: 127.0.0.1
rest.port: $FJC_FLINK_PORT
io.tmp.dirs: $(yaml_quote "$FLINK_TMP")
web.tmpdir: $(yaml_quote "$FLINK_TMP")
web.upload.dir: $(yaml_quote "$FLINK_UPLOAD")
execution.checkpointing.dir: $(yaml_quote "file://$FLINK_CHECKPOINTS")
execution.checkpointing.savepoint-dir: $(yaml_quote "file://$FLINK_SAVEPOINTS")
execution.checkpointing.externalized-checkpoint-retention: RETAIN_ON_CANCELLATION
heartbeat.timeout: 15000
heartbeat.interval: 3000
cluster.registration.error-delay: 1000
cluster.registration.refused-registration-delay: 1000
jobstore.expiration-time: 3600
python.executable: $(yaml_quote "$PYFLINK_VENV/bin/python")
python.client.executable: $(yaml_quote "$PYFLINK_VENV/bin/python")
EOF
  if [[ -n ${FJC_FLINK_EXTRA_CONF:-} ]]; then
    printf '# From FJC_FLINK_EXTRA_CONF=%s\n' "$FJC_FLINK_EXTRA_CONF"
    cat "$FJC_FLINK_EXTRA_CONF"
  fi
}

# Write conf/ (config.yaml, log configs) and the JVM parameters Flink derives from it.
# Sets FLINK_CONFIG_CHANGED=1 when config.yaml was (re)written.
flink_write_config() {
  local file=$FLINK_CONF/config.yaml new f
  FLINK_CONFIG_CHANGED=0
  [[ -z ${FJC_FLINK_EXTRA_CONF:-} || -f $FJC_FLINK_EXTRA_CONF ]] ||
    die "FJC_FLINK_EXTRA_CONF: no file $FJC_FLINK_EXTRA_CONF"
  shipped_java_opts >/dev/null # fill the cache here, where a failure stops the script
  new=$(flink_config_yaml)
  if [[ ! -f $file || $(<"$file") != "$new" ]]; then
    printf '%s\n' "$new" >"$file.tmp"
    mv -f "$file.tmp" "$file"
    FLINK_CONFIG_CHANGED=1
  fi
  for f in "$FLINK_HOME"/conf/log4j*.properties "$FLINK_HOME"/conf/logback*.xml; do
    cmp -s "$f" "$FLINK_CONF/${f##*/}" || cp -f "$f" "$FLINK_CONF/"
  done
  flink_resource_params
}

# conf/jobmanager.params, conf/taskmanager.params: line 1 JVM memory flags, line 2 "-D k=v"
# dynamic properties (as bin/jobmanager.sh and bin/taskmanager.sh compute them).
flink_resource_params() {
  local role cmd pids=()
  for role in jobmanager taskmanager; do
    [[ $FLINK_CONF/$role.params -nt $FLINK_CONF/config.yaml ]] && continue
    if [[ $role == jobmanager ]]; then cmd=GET_JM_RESOURCE_PARAMS; else cmd=GET_TM_RESOURCE_PARAMS; fi
    (
      bash_java_utils "$cmd" "$FLINK_CONF" | tail -n 2 >"$FLINK_CONF/$role.params.tmp"
      mv -f "$FLINK_CONF/$role.params.tmp" "$FLINK_CONF/$role.params"
    ) &
    pids+=($!)
  done
  local pid
  for pid in "${pids[@]}"; do wait "$pid" || die "could not compute Flink JVM parameters"; done
}

# flink_launch ROLE CLASS PIDFILE [ARGS...]: start one JVM in its own session, record its pid.
flink_launch() {
  local role=$1 class=$2 pid_file=$3 jvm_line dyn_line jvm dyn opts extra=("${@:4}")
  {
    IFS= read -r jvm_line
    IFS= read -r dyn_line
  } <"$FLINK_CONF/$role.params"
  read -ra jvm <<<"$jvm_line"
  read -ra dyn <<<"$dyn_line"
  read -ra opts <<<"$(shipped_java_opts)"
  local log_file=$FLINK_LOG_DIR/$role.log
  printf '\n==== %s starting %s ====\n' "$(date '+%F %T')" "$role" >>"$FLINK_LOG_DIR/$role.out"
  # The environment bin/config.sh exports; run in the state dir, not the caller's cwd.
  (
    cd "$FLINK_STATE" || exit 1
    exec env FLINK_HOME="$FLINK_HOME" FLINK_CONF_DIR="$FLINK_CONF" FLINK_BIN_DIR="$FLINK_HOME/bin" \
      FLINK_LIB_DIR="$FLINK_HOME/lib" FLINK_OPT_DIR="$FLINK_HOME/opt" \
      FLINK_PLUGINS_DIR="$FLINK_HOME/plugins" FLINK_LOG_DIR="$FLINK_LOG_DIR" \
      setsid "$(java_bin)" "${jvm[@]}" -XX:+IgnoreUnrecognizedVMOptions "${opts[@]}" \
      "-Dlog.file=$log_file" \
      "-Dlog4j.configuration=file:$FLINK_CONF/log4j.properties" \
      "-Dlog4j.configurationFile=file:$FLINK_CONF/log4j.properties" \
      "-Dlogback.configurationFile=file:$FLINK_CONF/logback.xml" \
      -classpath "$(flink_classpath)" "$class" --configDir "$FLINK_CONF" "${dyn[@]}" "${extra[@]}"
  ) >>"$FLINK_LOG_DIR/$role.out" 2>&1 </dev/null 9>&- &
  local pid=$!
  printf '%s\n' "$pid" >"$pid_file"
  wait_exec "$pid" "$class" || {
    show_log_tail "$FLINK_LOG_DIR/$role.out" 20
    die "Flink $role (pid $pid) exited right after its start"
  }
}

# wait_ports_free SECONDS PORT...: returns once none of the ports answers, or when
# the time is up (the caller then reports the port that is still taken).
wait_ports_free() {
  local deadline=$((SECONDS + $1)) port busy
  shift
  while ((SECONDS < deadline)); do
    busy=0
    for port in "$@"; do
      port_open "$port" && busy=1
    done
    ((busy)) || return 0
    sleep 0.5
  done
  return 0
}

flink_start_jobmanager() {
  if jm_alive; then
    log "Flink JobManager already running (pid $(pid_read "$JM_PID_FILE"))"
    return 0
  fi
  # A JobManager killed a moment ago may still hold its ports while it dies.
  wait_ports_free 15 "$FJC_FLINK_PORT" "$((FJC_FLINK_PORT + 1))"
  port_open "$FJC_FLINK_PORT" && die "port $FJC_FLINK_PORT is taken by a process not in $JM_PID_FILE"
  port_open "$((FJC_FLINK_PORT + 1))" && die "RPC port $((FJC_FLINK_PORT + 1)) is taken"
  # A fixed web.upload.dir keeps uploaded jars across restarts: start clean.
  rm -rf "$FLINK_UPLOAD"
  mkdir -p "$FLINK_UPLOAD"
  flink_launch jobmanager "$JM_CLASS" "$JM_PID_FILE"
  FLINK_STARTED_JM=1
  log "Flink JobManager started (pid $(pid_read "$JM_PID_FILE"))"
}

flink_start_taskmanager() {
  if tm_alive; then
    log "Flink TaskManager already running (pid $(pid_read "$TM_PID_FILE"))"
    return 0
  fi
  # A fresh resource id tells this TaskManager apart from a killed one the JM still lists.
  local id
  id=fjc-tm-$(date +%s%N)
  printf '%s\n' "$id" >"$TM_ID_FILE"
  flink_launch taskmanager "$TM_CLASS" "$TM_PID_FILE" -D "taskmanager.resource-id=$id"
  FLINK_STARTED_TM=1
  log "Flink TaskManager started (pid $(pid_read "$TM_PID_FILE"), resource id $id)"
}

# A second TaskManager with the same configuration (its own resource id, logs and pid file):
# the cluster's slots double.
flink_start_second_taskmanager() {
  local pid
  if pid=$(pid_read "$TM2_PID_FILE") && pid_matches "$pid" "$TM_CLASS"; then
    log "second Flink TaskManager already running (pid $pid)"
    return 0
  fi
  cp -f "$FLINK_CONF/taskmanager.params" "$FLINK_CONF/taskmanager2.params"
  flink_launch taskmanager2 "$TM_CLASS" "$TM2_PID_FILE" -D "taskmanager.resource-id=fjc-tm2-$(date +%s%N)"
  log "second Flink TaskManager started (pid $(pid_read "$TM2_PID_FILE"))"
}

# Fail (with the log tails) if a JVM died or the condition does not hold in time.
flink_wait() { # timeout description condition-function
  local timeout=$1 what=$2 cond=$3 deadline
  deadline=$((SECONDS + timeout))
  until "$cond"; do
    if ! jm_alive; then
      show_log_tail "$FLINK_LOG_DIR/jobmanager.log"
      show_log_tail "$FLINK_LOG_DIR/jobmanager.out" 15
      die "Flink JobManager is not running (waiting for $what)"
    fi
    if [[ $cond == flink_ready ]] && ! tm_alive; then
      show_log_tail "$FLINK_LOG_DIR/taskmanager.log"
      show_log_tail "$FLINK_LOG_DIR/taskmanager.out" 15
      die "Flink TaskManager is not running (waiting for $what)"
    fi
    if ((SECONDS >= deadline)); then
      show_log_tail "$FLINK_LOG_DIR/jobmanager.log"
      show_log_tail "$FLINK_LOG_DIR/taskmanager.log"
      die "timed out after ${timeout}s waiting for $what"
    fi
    sleep 0.5
  done
}

flink_wait_rest() { flink_wait "${1:-120}" "Flink REST at $FLINK_URL" flink_rest_ok; }
flink_wait_ready() { flink_wait "${1:-120}" "a TaskManager with free slots at $FLINK_URL" flink_ready; }

# flink_stop_role NAME PIDFILE CLASS [KILL]: SIGTERM (SIGKILL after 10 s), or SIGKILL at once.
flink_stop_role() {
  local pid
  if ! pid=$(pid_read "$2") || ! pid_matches "$pid" "$3"; then
    log "$1 is not running"
  elif [[ ${4:-} == KILL ]]; then
    log "SIGKILL $1 (pid $pid)"
    kill -KILL "$pid"
    wait_until 10 "$1 to exit" proc_gone "$pid" || die "$1 (pid $pid) did not exit"
  else
    log "stopping $1 (pid $pid)"
    stop_pids 10 "$pid"
  fi
  rm -f "$2"
}

flink_stop_all() {
  local pids=() pid
  pid=$(pid_read "$TM_PID_FILE") && pid_matches "$pid" "$TM_CLASS" && pids+=("$pid")
  pid=$(pid_read "$TM2_PID_FILE") && pid_matches "$pid" "$TM_CLASS" && pids+=("$pid")
  pid=$(pid_read "$JM_PID_FILE") && pid_matches "$pid" "$JM_CLASS" && pids+=("$pid")
  # Also JVMs of this state dir whose pid file is gone.
  while IFS= read -r pid; do
    [[ " ${pids[*]} " == *" $pid "* ]] || pids+=("$pid")
  done < <(pids_matching "--configDir $FLINK_CONF ")
  if [[ ${#pids[@]} -gt 0 ]]; then
    log "stopping Flink (pids ${pids[*]})"
    stop_pids 10 "${pids[@]}"
  fi
  rm -f "$JM_PID_FILE" "$TM_PID_FILE" "$TM2_PID_FILE" "$TM_ID_FILE"
}
