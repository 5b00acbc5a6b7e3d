# shellcheck shell=bash disable=SC2034  # (variables are used by the sourcing scripts)
# The adaptive-scheduler test environment (localstack/adaptive-up.sh, adaptive-down.sh): one
# more Flink 2.3 session cluster (lib/flink.sh, state in $FJC_ADAPTIVE_DIR/flink) that runs
# the adaptive scheduler (jobmanager.scheduler: adaptive), so a running job's parallelism can
# be changed in place through PUT /jobs/:id/resource-requirements.
# Source it first: it sources common.sh with this cluster's settings (FJC_LOCAL_DIR is
# $FJC_ADAPTIVE_DIR). Then source install.sh and flink.sh.
#
# Settings (environment > default):
#   FJC_ADAPTIVE_DIR         state dir: flink/, env.sh               (default <repo>/.local-adaptive)
#   FJC_ADAPTIVE_FLINK_PORT  REST port of the cluster; RPC = +1, blob = +2 (default 18681)

_adaptive_lib=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

FJC_ADAPTIVE_DIR=${FJC_ADAPTIVE_DIR:-$(cd "$_adaptive_lib/../.." && pwd)/.local-adaptive}
[[ $FJC_ADAPTIVE_DIR == /* ]] || FJC_ADAPTIVE_DIR=$PWD/$FJC_ADAPTIVE_DIR
FJC_ADAPTIVE_FLINK_PORT=${FJC_ADAPTIVE_FLINK_PORT:-18681}

FJC_LOCAL_DIR=$FJC_ADAPTIVE_DIR
FJC_FLINK_PORT=$FJC_ADAPTIVE_FLINK_PORT
FJC_FLINK_VERSION=2.3.0
FJC_FLINK_SLOTS=4
# shellcheck source=SCRIPTDIR/common.sh
source "$_adaptive_lib/common.sh"

# Appended to the cluster's config.yaml by lib/flink.sh.
FJC_FLINK_EXTRA_CONF=$FJC_ADAPTIVE_DIR/flink-adaptive.yaml

adaptive_write_config() {
  mkdir -p "$FJC_ADAPTIVE_DIR"
  local conf
  conf=$(printf '%s\n' "jobmanager.scheduler: adaptive")
  [[ -f $FJC_FLINK_EXTRA_CONF && $(<"$FJC_FLINK_EXTRA_CONF") == "$conf" ]] ||
    printf '%s\n' "$conf" >"$FJC_FLINK_EXTRA_CONF"
}

adaptive_write_env() {
  local tmp=$FJC_ADAPTIVE_DIR/env.sh.tmp
  {
    printf '# Written by localstack/adaptive-up.sh: the adaptive-scheduler Flink cluster.\n'
    printf 'export FJC_ADAPTIVE_FLINK_URL=%q\n' "$FLINK_URL"
    printf 'export FJC_ADAPTIVE_DIR=%q\n' "$FJC_ADAPTIVE_DIR"
    printf 'export FJC_ADAPTIVE_CHECKPOINT_DIR=%q\n' "file://$FLINK_CHECKPOINTS"
    printf 'export FJC_ADAPTIVE_SAVEPOINT_DIR=%q\n' "file://$FLINK_SAVEPOINTS"
  } >"$tmp"
  mv -f "$tmp" "$FJC_ADAPTIVE_DIR/env.sh"
}
