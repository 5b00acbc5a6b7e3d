# shellcheck shell=bash
# Python venvs in $FJC_CACHE_DIR: Flink (one per version), PyFlink with its dependencies, and moto. Source after common.sh.

# ensure_venv DIR PIP_ARGS...: create DIR and pip install PIP_ARGS, unless done before.
ensure_venv() {
  local venv=$1
  shift
  [[ -f $venv/.fjc-ready ]] && return 0
  mkdir -p "$FJC_CACHE_DIR"
  (
    exec 8>"$venv.lock"
    flock 8
    [[ -f $venv/.fjc-ready ]] && exit 0
    log "installing into $venv: $*"
    rm -rf "$venv"
    "$FJC_PYTHON" -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "$@"
    touch "$venv/.fjc-ready"
  ) || die "could not install $* into $venv"
}

ensure_flink_venv() {
  ensure_venv "$FLINK_VENV" --no-deps \
    "apache-flink==$FJC_FLINK_VERSION" "apache-flink-libraries==$FJC_FLINK_VERSION"
}

# The Python that runs PyFlink jobs (about 850 MB): apache-flink with its dependencies.
ensure_pyflink_venv() {
  ensure_venv "$PYFLINK_VENV" "apache-flink==$FJC_FLINK_VERSION"
}

ensure_moto_venv() {
  ensure_venv "$MOTO_VENV" "moto[server]"
}

# The venvs, installed side by side when missing.
ensure_venvs() {
  local flink_job moto_job pyflink_job
  ensure_flink_venv &
  flink_job=$!
  ensure_moto_venv &
  moto_job=$!
  ensure_pyflink_venv &
  pyflink_job=$!
  wait "$flink_job" || die "Flink install failed"
  wait "$moto_job" || die "moto install failed"
  wait "$pyflink_job" || die "PyFlink install failed"
}

# FLINK_HOME is the installed pyflink package dir (bin/, conf/, lib/); cached in the venv.
flink_home() {
  local cache=$FLINK_VENV/.flink-home home
  if [[ -f $cache ]]; then
    home=$(<"$cache")
  else
    home=$("$FLINK_VENV/bin/python" -c \
      'import os,importlib.util;print(os.path.dirname(importlib.util.find_spec("pyflink").origin))') ||
      die "pyflink not importable from $FLINK_VENV"
    printf '%s' "$home" >"$cache"
  fi
  [[ -f $home/bin/bash-java-utils.jar ]] || die "no Flink distribution under $home"
  printf '%s\n' "$home"
}
