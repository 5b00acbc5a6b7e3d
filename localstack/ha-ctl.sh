#!/usr/bin/env bash
# Failure injection for the HA cluster of ha-up.sh: flink-ctl.sh's commands, on that cluster.
# Usage: localstack/ha-ctl.sh COMMAND   (kill-jobmanager, start-jobmanager, ...; see flink-ctl.sh)
# Under HA, a killed JobManager's jobs come back when it starts again; start-jobmanager
# returns once its REST answers (~40 s: the leader election).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=SCRIPTDIR/lib/ha.sh
source "$here/lib/ha.sh"
export FJC_LOCAL_DIR FJC_FLINK_PORT
exec "$here/flink-ctl.sh" "$@"
