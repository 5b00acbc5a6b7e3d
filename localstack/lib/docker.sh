# shellcheck shell=bash disable=SC2034  # (FLINK_HOME, MOTO_URL: read by env-file.sh and up.sh helpers)
# The Docker path of the local environment: LocalStack and a Flink session cluster from
# localstack/docker-compose.yml. up.sh, down.sh and status.sh switch to it by themselves:
#   FJC_LOCAL_MODE=auto (default)  Docker when a Docker engine answers (`docker info`), else
#                                  the Docker-free path (moto + Flink from PyPI);
#   FJC_LOCAL_MODE=docker|native   force one.
# down.sh and status.sh follow what the last up.sh chose (recorded in the state dir).
# Source after common.sh (and, for docker_up, install.sh, env-file.sh and up.sh's helpers).

DOCKER_MARKER=$FJC_LOCAL_DIR/docker-mode
COMPOSE_FILE=$FJC_LOCALSTACK_DIR/docker-compose.yml
FJC_AWS_PORT=${FJC_AWS_PORT:-4566}

docker_engine_answers() { timeout 15 docker info >/dev/null 2>&1; }

# For up.sh: should this run use Docker?
use_docker() {
  case ${FJC_LOCAL_MODE:-auto} in
    docker) return 0 ;;
    native) return 1 ;;
    auto) command -v docker >/dev/null 2>&1 && docker_engine_answers ;;
    *) die "FJC_LOCAL_MODE must be auto, docker or native, got '$FJC_LOCAL_MODE'" ;;
  esac
}

# For down.sh and status.sh: did the last up.sh use Docker?
docker_mode_recorded() { [[ -f $DOCKER_MARKER ]]; }

compose() {
  env FJC_LOCAL_DIR="$FJC_LOCAL_DIR" FJC_FLINK_PORT="$FJC_FLINK_PORT" FJC_AWS_PORT="$FJC_AWS_PORT" \
    FJC_INIT_BIN="$FJC_LOCAL_DIR/docker/fjc" \
    docker compose --project-name "fjc-$FJC_FLINK_PORT" --file "$COMPOSE_FILE" "$@"
}

# The fjc binary the init hook runs inside the LocalStack container: built by cargo-lambda
# (zig, old glibc) so it runs in any glibc image whatever the host's glibc is.
docker_build_fjc() {
  local bin_dir
  bin_dir=$("$FJC_REPO_ROOT/infra/ensure-cargo-lambda.sh")
  mkdir -p "$FJC_LOCAL_DIR/docker"
  (
    cd "$FJC_REPO_ROOT"
    export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$FJC_CACHE_DIR/target}
    PATH="$bin_dir:$PATH" cargo lambda build --release --locked -p fjc-cli --bin fjc \
      --output-format binary --lambda-dir "$FJC_LOCAL_DIR/docker/build"
  ) || die "could not build fjc for the LocalStack init hook"
  cp -f "$FJC_LOCAL_DIR/docker/build/fjc/bootstrap" "$FJC_LOCAL_DIR/docker/fjc"
}

docker_up() {
  local t0=$SECONDS
  take_lock
  mkdir -p "$FJC_LOCAL_DIR" "$JOBS_DIR" "$ARTIFACT_ROOT" "$OUT_DIR" "$FLINK_SAVEPOINTS" "$FLINK_CHECKPOINTS"
  touch "$STATE_MARKER" "$DOCKER_MARKER"
  # The Flink containers run as their own user and write job output and savepoints here.
  chmod a+rwx "$OUT_DIR" "$FLINK_SAVEPOINTS" "$FLINK_CHECKPOINTS"
  record_settings
  # Flink from PyPI is still needed on the host: its jars compile the test jobs.
  ensure_flink_venv
  FLINK_HOME=$(flink_home)
  docker_build_fjc
  log "docker compose up (LocalStack :$FJC_AWS_PORT, Flink :$FJC_FLINK_PORT)"
  [[ -n ${LOCALSTACK_AUTH_TOKEN:-} ]] ||
    warn "LOCALSTACK_AUTH_TOKEN is not set: current LocalStack images refuse to start without it"
  compose up --detach --wait --wait-timeout 240 || {
    compose logs --tail 40 >&2 || true
    die "docker compose up failed"
  }
  wait_until 120 "a TaskManager with free slots at $FLINK_URL" flink_ready ||
    die "Flink did not get ready"
  build_test_jobs
  MOTO_URL=http://127.0.0.1:$FJC_AWS_PORT
  write_env_file
  log "up (Docker) in $((SECONDS - t0)) s; env: . $ENV_FILE"
}

docker_down() {
  local purge=$1
  take_lock
  if [[ $purge == 1 ]]; then compose down --volumes; else compose down; fi
  rm -f "$DOCKER_MARKER"
  log "stopped (Docker)"
}

docker_status() {
  local rc=0
  compose ps
  if flink_ready; then
    printf '%-18s up    %s\n' flink "$FLINK_URL answers, a TaskManager has free slots"
  else
    printf '%-18s DOWN  %s\n' flink "$FLINK_URL"
    rc=1
  fi
  if http_ok "http://127.0.0.1:$FJC_AWS_PORT/_localstack/health"; then
    printf '%-18s up    %s\n' localstack "http://127.0.0.1:$FJC_AWS_PORT answers"
  else
    printf '%-18s DOWN  %s\n' localstack "http://127.0.0.1:$FJC_AWS_PORT"
    rc=1
  fi
  return "$rc"
}
