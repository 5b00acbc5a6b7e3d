# shellcheck shell=bash disable=SC2034  # (variables are used by the sourcing scripts)
# Settings, paths and helpers shared by localstack/*.sh. Source it, do not run it.
#
# Settings (environment > value recorded by the last up.sh in the state dir > default):
#   FJC_CACHE_DIR     venvs                       (default $HOME/.cache/fjc)
#   FJC_LOCAL_DIR     state dir                   (default <repo>/.local)
#   FJC_FLINK_VERSION Flink from PyPI             (default 2.3.0)
#   FJC_FLINK_PORT    Flink REST port             (default 18081; RPC = +1, blob = +2)
#   FJC_FLINK_SLOTS   TaskManager slots           (default 8)
#   FJC_MOTO_PORT     moto server port            (default 15000)
#   FJC_PYTHON        python for the venvs        (default python3)
#   FJC_FLINK_EXTRA_CONF  optional YAML file appended to the generated Flink config.yaml
#                     (only keys the generated part does not set; lib/auth.sh adds TLS with it)

FJC_LOCALSTACK_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
FJC_REPO_ROOT=$(cd "$FJC_LOCALSTACK_DIR/.." && pwd)

FJC_LOCAL_DIR=${FJC_LOCAL_DIR:-$FJC_REPO_ROOT/.local}
[[ $FJC_LOCAL_DIR == /* ]] || FJC_LOCAL_DIR=$PWD/$FJC_LOCAL_DIR
FJC_INSTANCE_FILE=$FJC_LOCAL_DIR/instance.env

# Settings recorded by up.sh fill in what the environment leaves unset.
if [[ -f $FJC_INSTANCE_FILE ]]; then
  while IFS='=' read -r _key _value; do
    case $_key in
      FJC_CACHE_DIR | FJC_FLINK_VERSION | FJC_FLINK_PORT | FJC_FLINK_SLOTS | FJC_MOTO_PORT)
        [[ -n ${!_key:-} ]] || printf -v "$_key" '%s' "$_value"
        ;;
    esac
  done <"$FJC_INSTANCE_FILE"
  unset _key _value
fi

FJC_CACHE_DIR=${FJC_CACHE_DIR:-$HOME/.cache/fjc}
FJC_FLINK_VERSION=${FJC_FLINK_VERSION:-2.3.0}
FJC_FLINK_PORT=${FJC_FLINK_PORT:-18081}
FJC_FLINK_SLOTS=${FJC_FLINK_SLOTS:-8}
FJC_MOTO_PORT=${FJC_MOTO_PORT:-15000}
FJC_PYTHON=${FJC_PYTHON:-python3}

FLINK_VENV=$FJC_CACHE_DIR/venv-flink-$FJC_FLINK_VERSION
MOTO_VENV=$FJC_CACHE_DIR/venv-moto
# PyFlink with its Python dependencies (apache-beam, py4j, pemja, ...): the cluster's
# python.executable and python.client.executable, for PyFlink jobs.
PYFLINK_VENV=$FJC_CACHE_DIR/venv-pyflink-$FJC_FLINK_VERSION

FLINK_STATE=$FJC_LOCAL_DIR/flink
FLINK_CONF=$FLINK_STATE/conf
FLINK_LOG_DIR=$FLINK_STATE/log
FLINK_PID_DIR=$FLINK_STATE/pid
FLINK_TMP=$FLINK_STATE/tmp
FLINK_UPLOAD=$FLINK_STATE/upload
FLINK_SAVEPOINTS=$FLINK_STATE/savepoints
FLINK_CHECKPOINTS=$FLINK_STATE/checkpoints
JM_PID_FILE=$FLINK_PID_DIR/jobmanager.pid
TM_PID_FILE=$FLINK_PID_DIR/taskmanager.pid
TM_ID_FILE=$FLINK_PID_DIR/taskmanager.id
# A second TaskManager, started only by `flink-ctl.sh start-second-taskmanager` (slot tests).
TM2_PID_FILE=$FLINK_PID_DIR/taskmanager2.pid
JM_CLASS=org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint
TM_CLASS=org.apache.flink.runtime.taskexecutor.TaskManagerRunner

MOTO_DIR=$FJC_LOCAL_DIR/moto
MOTO_PID_FILE=$MOTO_DIR/moto.pid
MOTO_LOG=$MOTO_DIR/moto.log

JOBS_DIR=$FJC_LOCAL_DIR/jobs
ARTIFACT_ROOT=$FJC_LOCAL_DIR/artifacts
OUT_DIR=$FJC_LOCAL_DIR/out
ENV_FILE=$FJC_LOCAL_DIR/env.sh
STATE_MARKER=$FJC_LOCAL_DIR/.fjc-local

FLINK_URL=http://127.0.0.1:$FJC_FLINK_PORT
FLINK_CURL_OPTS=() # extra curl options for FLINK_URL (lib/auth.sh: CA and client certificate)
MOTO_URL=http://127.0.0.1:$FJC_MOTO_PORT

log() { printf '[fjc-local] %s\n' "$*"; }
warn() { printf '[fjc-local] WARNING: %s\n' "$*" >&2; }
die() {
  printf '[fjc-local] ERROR: %s\n' "$*" >&2
  exit 1
}

java_bin() {
  if [[ -n ${JAVA_HOME:-} && -x $JAVA_HOME/bin/java ]]; then
    printf '%s\n' "$JAVA_HOME/bin/java"
  else
    command -v java || die "java not found (need Java 11+, 17 recommended)"
  fi
}

# One lock per state dir so concurrent up/down/ctl runs do not interleave.
# Children started afterwards must not inherit fd 9 (launch them with 9>&-).
take_lock() {
  mkdir -p "$FJC_LOCAL_DIR"
  exec 9>"$FJC_LOCAL_DIR/.lock"
  flock 9
}

# ---- processes ---------------------------------------------------------------------------

pid_read() { # pidfile -> pid on stdout, or status 1
  local pid
  [[ -f $1 ]] || return 1
  pid=$(<"$1")
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  printf '%s\n' "$pid"
}

# The process exists and is not a zombie waiting to be reaped.
proc_running() {
  local stat
  kill -0 "$1" 2>/dev/null || return 1
  { stat=$(<"/proc/$1/stat"); } 2>/dev/null || return 1
  stat=${stat##*) }
  [[ ${stat:0:1} != Z ]]
}

proc_gone() { ! proc_running "$1"; }

# pid_matches PID PATTERN...: the process runs and its command line holds every pattern
# (guards against a recycled pid).
pid_matches() {
  local pid=$1 cmdline pattern
  shift
  proc_running "$pid" || return 1
  { cmdline=$(tr "\\0" " " <"/proc/$pid/cmdline"); } 2>/dev/null || return 1
  for pattern in "$@"; do
    [[ $cmdline == *"$pattern"* ]] || return 1
  done
}

pid_alive() { # pidfile pattern...
  local pid
  pid=$(pid_read "$1") || return 1
  pid_matches "$pid" "${@:2}"
}

# wait_exec PID PATTERN: after "cmd &", wait until the child has exec'ed (its command line
# holds PATTERN) so pid checks right after a start do not see the forked shell. Fails if it died.
wait_exec() {
  local i
  for ((i = 0; i < 100; i++)); do
    pid_matches "$1" "$2" && return 0
    proc_running "$1" || return 1
    sleep 0.05
  done
  return 1
}

# Pids of processes whose command line holds every pattern (finds ours without a pid file).
pids_matching() {
  local dir pid
  for dir in /proc/[0-9]*; do
    pid=${dir#/proc/}
    [[ $pid != "$$" && $pid != "$BASHPID" ]] || continue
    if pid_matches "$pid" "$@"; then printf '%s\n' "$pid"; fi
  done
}

# stop_pids TIMEOUT PID...: SIGTERM, wait up to TIMEOUT s, then SIGKILL what is left.
stop_pids() {
  local timeout=$1 pid left i
  shift
  [[ $# -gt 0 ]] || return 0
  kill -TERM "$@" 2>/dev/null || true
  for ((i = 0; i < timeout * 5; i++)); do
    left=0
    for pid in "$@"; do proc_running "$pid" && left=1; done
    [[ $left -eq 1 ]] || return 0
    sleep 0.2
  done
  for pid in "$@"; do
    if proc_running "$pid"; then
      warn "pid $pid ignored SIGTERM for ${timeout}s: SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
    fi
  done
  for ((i = 0; i < 25; i++)); do
    left=0
    for pid in "$@"; do proc_running "$pid" && left=1; done
    [[ $left -eq 1 ]] || return 0
    sleep 0.2
  done
}

# ---- http --------------------------------------------------------------------------------

http_ok() { curl -fsS -o /dev/null --max-time 3 "$1" 2>/dev/null; }

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# wait_until TIMEOUT DESCRIPTION COMMAND...: poll COMMAND every 0.5 s.
wait_until() {
  local timeout=$1 what=$2 deadline
  shift 2
  deadline=$((SECONDS + timeout))
  until "$@"; do
    if ((SECONDS >= deadline)); then
      warn "timed out after ${timeout}s waiting for $what"
      return 1
    fi
    sleep 0.5
  done
}

wait_http() { # url timeout
  wait_until "$2" "$1" http_ok "$1"
}

# flink_get PATH: GET $FLINK_URL$PATH, body on stdout; fails unless 2xx.
flink_get() { curl -fsS --max-time 3 "${FLINK_CURL_OPTS[@]}" "$FLINK_URL$1" 2>/dev/null; }

json_int() { # key json -> first integer value of "key"
  local m
  m=$(grep -o "\"$1\":[0-9]*" <<<"$2" | head -n1) || return 1
  printf '%s\n' "${m#*:}"
}

# ---- component health --------------------------------------------------------------------

jm_alive() { pid_alive "$JM_PID_FILE" "$JM_CLASS" "--configDir $FLINK_CONF "; }
tm_alive() { pid_alive "$TM_PID_FILE" "$TM_CLASS" "--configDir $FLINK_CONF "; }
moto_alive() { pid_alive "$MOTO_PID_FILE" moto_server "-p $FJC_MOTO_PORT "; }

flink_rest_ok() { flink_get /overview >/dev/null; }
moto_http_ok() { http_ok "$MOTO_URL/moto-api/"; }

# The cluster can run a job: our current TaskManager is registered and a slot is free.
flink_ready() {
  local overview tms slots id
  overview=$(flink_get /overview) || return 1
  tms=$(json_int taskmanagers "$overview") || return 1
  slots=$(json_int slots-available "$overview") || return 1
  ((tms >= 1 && slots > 0)) || return 1
  [[ -f $TM_ID_FILE ]] || return 0
  id=$(<"$TM_ID_FILE")
  [[ $(flink_get /taskmanagers) == *"\"id\":\"$id\""* ]]
}

flink_taskmanagers() {
  local overview
  overview=$(flink_get /overview) || return 1
  json_int taskmanagers "$overview"
}

show_log_tail() { # file [lines]
  [[ -f $1 ]] || return 0
  printf -- '---- last lines of %s ----\n' "$1" >&2
  tail -n "${2:-40}" "$1" >&2
}

for _v in FJC_FLINK_PORT FJC_FLINK_SLOTS FJC_MOTO_PORT; do
  [[ ${!_v} =~ ^[1-9][0-9]*$ ]] || die "$_v must be a positive integer, got '${!_v}'"
done
unset _v
