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

# write_exports FILE WRITER ARRAY: write FILE (atomically) with one "export NAME=VALUE" line
# per entry of the associative ARRAY, sorted by name.
write_exports() {
  local file=$1 writer=$2 name
  local -n _exports=$3
  {
    echo "# Written by $writer; source it: . $(printf '%q' "$file")"
    while IFS= read -r name; do
      printf 'export %s=%q\n' "$name" "${_exports[$name]}"
    done < <(printf '%s\n' "${!_exports[@]}" | sort)
  } >"$file.tmp"
  mv -f "$file.tmp" "$file"
}

write_env_file() { # needs FLINK_HOME
  # shellcheck disable=SC2034 # (passed by name to write_exports)
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
    [FJC_SQL_RUNNER]=$JOBS_DIR/fjc-sql-runner.jar
    [FJC_PYTHON_RUNNER]=$JOBS_DIR/fjc-python-runner.jar
    [FJC_TEST_OUT_DIR]=$OUT_DIR
    [FJC_SAVEPOINT_DIR]=file://$FLINK_SAVEPOINTS
    [FJC_CHECKPOINT_DIR]=file://$FLINK_CHECKPOINTS
    [FLINK_HOME]=$FLINK_HOME
    [FJC_FLINK_CONF_DIR]=$FLINK_CONF
    [FJC_LOCAL_DIR]=$FJC_LOCAL_DIR
  )
  write_exports "$ENV_FILE" localstack/up.sh vars
}
