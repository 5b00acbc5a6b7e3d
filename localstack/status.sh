#!/usr/bin/env bash
# Show whether each local component runs (pid alive) and answers (endpoint).
# Exit 0 only if all are up.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=SCRIPTDIR/lib/common.sh
source "$here/lib/common.sh"
# shellcheck source=SCRIPTDIR/lib/docker.sh
source "$here/lib/docker.sh"

# Started with Docker by the last up.sh (lib/docker.sh)?
if docker_mode_recorded; then
  docker_status
  exit
fi

all_up=0

report() { # name up(0/1) details
  if [[ $2 == 0 ]]; then
    printf '%-18s up    %s\n' "$1" "$3"
  else
    printf '%-18s DOWN  %s\n' "$1" "$3"
    all_up=1
  fi
}

pid_text() { # pidfile pattern...
  local pid
  if pid=$(pid_read "$1"); then
    if pid_matches "$pid" "${@:2}"; then echo "pid $pid"; else echo "pid $pid not running"; fi
  else
    echo "no pid file"
  fi
}

overview=$(curl -fsS --max-time 3 "$FLINK_URL/overview" 2>/dev/null || true)

state=1
jm_alive && [[ -n $overview ]] && state=0
report flink-jobmanager "$state" \
  "$(pid_text "$JM_PID_FILE" "$JM_CLASS"), REST $FLINK_URL $([[ -n $overview ]] && echo answers || echo 'does not answer')"

state=1
tms=$(json_int taskmanagers "$overview" || echo 0)
jobs=$(json_int jobs-running "$overview" || echo 0)
slots="$(json_int slots-available "$overview" || echo '?')/$(json_int slots-total "$overview" || echo '?')"
tm_alive && ((tms >= 1)) && state=0
report flink-taskmanager "$state" \
  "$(pid_text "$TM_PID_FILE" "$TM_CLASS"), registered $tms, slots free $slots, jobs running $jobs"

state=1
moto_alive && moto_http_ok && state=0
report moto "$state" \
  "$(pid_text "$MOTO_PID_FILE" moto_server), $MOTO_URL $(moto_http_ok && echo answers || echo 'does not answer')"

exit "$all_up"
