# shellcheck shell=bash
# $FJC_LOCAL_DIR/instance.env (settings for later runs) and env.sh (exports for tests/scripts).
# Source after common.sh.

record_settings() {
  local tmp=$FJC_INSTANCE_FILE.tmp
  {
    echo "FJC_CACHE_DIR=$FJC_CACHE_DIR"
    echo "FJC_FLINK_VERSION=$FJC_FLINK_VERSION"
    echo "FJC_FLINK_PORT=$FJC_FLINK_PORT"
    echo "FJC_FLINK_SLOTS=$FJC_FLINK_SLOTS"
    echo "FJC_MOTO_PORT=$FJC_MOTO_PORT"
  } >"$tmp"
  mv -f "$tmp" "$FJC_INSTANCE_FILE"
}

write_env_file() { # needs FLINK_HOME
  local tmp=$ENV_FILE.tmp name
  local -A vars=(
    [FJC_FLINK_URL]=$FLINK_URL
    [FJC_FLINK_VERSION]=$FJC_FLINK_VERSION
    [AWS_ENDPOINT_URL]=$MOTO_URL
    [AWS_REGION]=us-east-1
    [AWS_DEFAULT_REGION]=us-east-1
    [AWS_ACCESS_KEY_ID]=testing
    [AWS_SECRET_ACCESS_KEY]=testing
    [FJC_ARTIFACT_ROOT]=$ARTIFACT_ROOT
    [FJC_TEST_JOBS_DIR]=$JOBS_DIR
    [FJC_TEST_OUT_DIR]=$OUT_DIR
    [FJC_SAVEPOINT_DIR]=file://$FLINK_SAVEPOINTS
    [FJC_CHECKPOINT_DIR]=file://$FLINK_CHECKPOINTS
    [FLINK_HOME]=$FLINK_HOME
    [FJC_FLINK_CONF_DIR]=$FLINK_CONF
    [FJC_LOCAL_DIR]=$FJC_LOCAL_DIR
  )
  {
    echo "# Written by localstack/up.sh; source it: . $(printf '%q' "$ENV_FILE")"
    while IFS= read -r name; do
      printf 'export %s=%q\n' "$name" "${vars[$name]}"
    done < <(printf '%s\n' "${!vars[@]}" | sort)
  } >"$tmp"
  mv -f "$tmp" "$ENV_FILE"
}
