#!/usr/bin/env bash
# Build OUT_DIR/fjc-python-runner.jar: Flink's flink-python jar (from FLINK_HOME/opt) with the
# runner's class fjc.python.PythonRunner added, so one upload carries both the Python driver and
# the runner (the cluster's lib/ needs no flink-python).
# Usage: python-runner/build.sh FLINK_HOME OUT_DIR
# Rebuilds only when the source is newer than the jar or FLINK_HOME changed.
set -euo pipefail

if [[ $# -ne 2 ]]; then
  echo "usage: $0 FLINK_HOME OUT_DIR" >&2
  exit 2
fi
flink_home=$1
out_dir=$2
src_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")/src/main/java" && pwd)
jar_file=$out_dir/fjc-python-runner.jar
stamp=$out_dir/.fjc-python-runner.built-against

one() {
  local found=("$@")
  if [[ ${#found[@]} -ne 1 || ! -f ${found[0]} ]]; then
    echo "build.sh: expected one $1" >&2
    exit 1
  fi
  printf '%s' "${found[0]}"
}
python_jar=$(one "$flink_home"/opt/flink-python-*.jar)
dist_jar=$(one "$flink_home"/lib/flink-dist-*.jar)

if [[ -f $stamp && $(<"$stamp") == "$flink_home" && -f $jar_file &&
  -z $(find "$src_dir" -name '*.java' -newer "$jar_file" -print -quit) ]]; then
  echo "python runner up to date in $out_dir"
  exit 0
fi

mkdir -p "$out_dir"
classes=$(mktemp -d "$out_dir/.python-runner-classes.XXXXXX")
trap 'rm -rf "$classes"' EXIT
mapfile -t sources < <(find "$src_dir" -name '*.java' | sort)
javac -nowarn --release 11 -encoding UTF-8 -cp "$python_jar:$dist_jar" -d "$classes" "${sources[@]}"

tmp=$out_dir/.fjc-python-runner.jar.tmp
cp "$python_jar" "$tmp"
jar --update --file "$tmp" -C "$classes" .
mv -f "$tmp" "$jar_file"
printf '%s' "$flink_home" >"$stamp"
echo "built $jar_file"
