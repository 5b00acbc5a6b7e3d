# shellcheck shell=bash disable=SC2034  # (variables are used by the sourcing scripts)
# The high-availability test environment (localstack/ha-up.sh, ha-ctl.sh, ha-down.sh): a
# one-node ZooKeeper (the one bundled in flink-dist, nothing else to install) and a third
# Flink session cluster (lib/flink.sh, state in $FJC_HA_DIR/flink) with ZooKeeper HA, so
# that a killed JobManager recovers its jobs under the same job ids by itself.
# Source it first: it sources common.sh with the HA cluster's settings (FJC_LOCAL_DIR is
# $FJC_HA_DIR). Then source install.sh, flink.sh and env-file.sh as needed.
#
# Settings (environment > default):
#   FJC_HA_DIR         state dir: flink/, zookeeper/, env.sh        (default <repo>/.local-ha)
#   FJC_HA_FLINK_PORT  REST port of the HA cluster; RPC = +1, blob = +2 (default 18581)
#   FJC_HA_ZK_PORT     ZooKeeper client port; quorum = +1, election = +2 (default 18591)

_ha_lib=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

FJC_HA_DIR=${FJC_HA_DIR:-$(cd "$_ha_lib/../.." && pwd)/.local-ha}
[[ $FJC_HA_DIR == /* ]] || FJC_HA_DIR=$PWD/$FJC_HA_DIR
FJC_HA_FLINK_PORT=${FJC_HA_FLINK_PORT:-18581}
FJC_HA_ZK_PORT=${FJC_HA_ZK_PORT:-18591}

FJC_LOCAL_DIR=$FJC_HA_DIR
FJC_FLINK_PORT=$FJC_HA_FLINK_PORT
FJC_FLINK_VERSION=2.3.0
FJC_FLINK_SLOTS=4
# shellcheck source=SCRIPTDIR/common.sh
source "$_ha_lib/common.sh"

[[ $FJC_HA_ZK_PORT =~ ^[1-9][0-9]*$ ]] || die "FJC_HA_ZK_PORT must be a positive integer, got '$FJC_HA_ZK_PORT'"

ZK_DIR=$FJC_HA_DIR/zookeeper
ZK_CFG=$ZK_DIR/zoo.cfg
ZK_PID_FILE=$ZK_DIR/zookeeper.pid
ZK_LOG=$ZK_DIR/zookeeper.out
ZK_CLASS=org.apache.flink.runtime.zookeeper.FlinkZooKeeperQuorumPeer
HA_STORAGE=$FJC_HA_DIR/ha-storage
# Appended to the HA cluster's config.yaml by lib/flink.sh.
FJC_FLINK_EXTRA_CONF=$FJC_HA_DIR/flink-ha.yaml

ha_write_config() {
  mkdir -p "$ZK_DIR/data" "$HA_STORAGE"
  local zk
  zk=$(printf '%s\n' "tickTime=2000" "initLimit=10" "syncLimit=5" "dataDir=$ZK_DIR/data" \
    "clientPort=$FJC_HA_ZK_PORT" "server.1=127.0.0.1:$((FJC_HA_ZK_PORT + 1)):$((FJC_HA_ZK_PORT + 2))")
  [[ -f $ZK_CFG && $(<"$ZK_CFG") == "$zk" ]] || printf '%s\n' "$zk" >"$ZK_CFG"
  printf '1\n' >"$ZK_DIR/data/myid"
  local ha
  ha=$(printf '%s\n' "high-availability.type: zookeeper" \
    "high-availability.storageDir: 'file://$HA_STORAGE'" \
    "high-availability.zookeeper.quorum: '127.0.0.1:$FJC_HA_ZK_PORT'" \
    "high-availability.cluster-id: fjc-ha")
  [[ -f $FJC_FLINK_EXTRA_CONF && $(<"$FJC_FLINK_EXTRA_CONF") == "$ha" ]] ||
    printf '%s\n' "$ha" >"$FJC_FLINK_EXTRA_CONF"
}

zk_alive() { pid_alive "$ZK_PID_FILE" "$ZK_CLASS"; }
zk_ok() { port_open "$FJC_HA_ZK_PORT"; }

zk_start() {
  if zk_alive; then
    log "ZooKeeper already running (pid $(pid_read "$ZK_PID_FILE"))"
    return 0
  fi
  port_open "$FJC_HA_ZK_PORT" && die "ZooKeeper port $FJC_HA_ZK_PORT is taken by a process not in $ZK_PID_FILE"
  (
    cd "$ZK_DIR" || exit 1
    exec setsid "$(java_bin)" -Xmx128m -classpath "$(flink_dist_jar)" \
      "-Dlog4j.configurationFile=file:$FLINK_CONF/log4j-console.properties" \
      "$ZK_CLASS" --zkConfigFile "$ZK_CFG" --peerId 1
  ) >>"$ZK_LOG" 2>&1 </dev/null 9>&- &
  local pid=$!
  printf '%s\n' "$pid" >"$ZK_PID_FILE"
  ZK_STARTED=1
  wait_until 60 "ZooKeeper on port $FJC_HA_ZK_PORT" zk_ok || {
    show_log_tail "$ZK_LOG" 20
    die "ZooKeeper (pid $pid) does not answer"
  }
  log "ZooKeeper started (pid $pid, port $FJC_HA_ZK_PORT)"
}

zk_stop() {
  local pid
  if pid=$(pid_read "$ZK_PID_FILE") && pid_matches "$pid" "$ZK_CLASS"; then
    log "stopping ZooKeeper (pid $pid)"
    stop_pids 10 "$pid"
  fi
  rm -f "$ZK_PID_FILE"
}

ha_write_env() {
  local tmp=$FJC_HA_DIR/env.sh.tmp
  {
    printf '# Written by localstack/ha-up.sh: the ZooKeeper HA Flink cluster.\n'
    printf 'export FJC_HA_FLINK_URL=%q\n' "$FLINK_URL"
    printf 'export FJC_HA_DIR=%q\n' "$FJC_HA_DIR"
    printf 'export FJC_HA_CHECKPOINT_DIR=%q\n' "$FLINK_CHECKPOINTS"
  } >"$tmp"
  mv -f "$tmp" "$FJC_HA_DIR/env.sh"
}
