# shellcheck shell=bash
# Helpers for the small Java builds against a Flink distribution (tests/jobs/build.sh,
# sql-runner/build.sh, python-runner/build.sh), each run as `build.sh FLINK_HOME OUT_DIR`.
# Source it, do not run it.

# javac_args "$0" "$@": sets flink_home and out_dir from the two arguments (exit 2 with the
# usage otherwise) and checks that FLINK_HOME holds a Flink distribution.
javac_args() {
  local script=$1
  shift
  if [[ $# -ne 2 ]]; then
    echo "usage: $script FLINK_HOME OUT_DIR" >&2
    exit 2
  fi
  flink_home=$1
  out_dir=$2
  if [[ ! -d $flink_home/lib ]]; then
    echo "$script: no lib/ under FLINK_HOME=$flink_home" >&2
    exit 1
  fi
}

# javac_one DIR PATTERN: the one file of FLINK_HOME/DIR matching PATTERN (exit 1 otherwise).
javac_one() {
  local found=("$flink_home/$1"/$2)
  if [[ ${#found[@]} -ne 1 || ! -f ${found[0]} ]]; then
    echo "build.sh: expected one $2 in $flink_home/$1" >&2
    exit 1
  fi
  printf '%s' "${found[0]}"
}

# javac_up_to_date STAMP SRC_DIR JAR...: whether every JAR exists, was built against this
# FLINK_HOME (recorded in STAMP), and no .java below SRC_DIR is newer.
javac_up_to_date() {
  local stamp=$1 src=$2 jar
  shift 2
  [[ -f $stamp && $(<"$stamp") == "$flink_home" ]] || return 1
  for jar in "$@"; do
    [[ -f $jar ]] || return 1
    [[ -z $(find "$src" -name '*.java' -newer "$jar" -print -quit) ]] || return 1
  done
}

# javac_compile SRC_DIR CLASSPATH: compiles every .java below SRC_DIR (Java 11 bytecode) into a
# fresh directory below OUT_DIR, removed on exit; sets classes to it.
javac_compile() {
  local sources
  mkdir -p "$out_dir"
  classes=$(mktemp -d "$out_dir/.classes.XXXXXX")
  # shellcheck disable=SC2064 # (the directory is known now)
  trap "rm -rf '$classes'" EXIT
  mapfile -t sources < <(find "$1" -name '*.java' | sort)
  javac -nowarn --release 11 -encoding UTF-8 -cp "$2" -d "$classes" "${sources[@]}"
}
