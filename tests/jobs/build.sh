#!/usr/bin/env bash
# Compile the test jobs into OUT_DIR/stream-counter.jar and OUT_DIR/batch-sum.jar.
# Usage: tests/jobs/build.sh FLINK_HOME OUT_DIR
# Rebuilds only when a source is newer than a jar or FLINK_HOME changed.
set -euo pipefail

if [[ $# -ne 2 ]]; then
  echo "usage: $0 FLINK_HOME OUT_DIR" >&2
  exit 2
fi
flink_home=$1
out_dir=$2
src_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")/src" && pwd)
jars=("$out_dir/stream-counter.jar" "$out_dir/batch-sum.jar")
stamp=$out_dir/.built-against

if [[ ! -d $flink_home/lib ]]; then
  echo "build.sh: no lib/ under FLINK_HOME=$flink_home" >&2
  exit 1
fi

up_to_date() {
  local jar
  [[ -f $stamp && $(<"$stamp") == "$flink_home" ]] || return 1
  for jar in "${jars[@]}"; do
    [[ -f $jar ]] || return 1
    [[ -z $(find "$src_dir" -name '*.java' -newer "$jar" -print -quit) ]] || return 1
  done
}

if up_to_date; then
  echo "test jobs up to date in $out_dir"
  exit 0
fi

mkdir -p "$out_dir"
classes=$(mktemp -d "$out_dir/.classes.XXXXXX")
trap 'rm -rf "$classes"' EXIT

mapfile -t sources < <(find "$src_dir" -name '*.java' | sort)
javac -nowarn --release 11 -encoding UTF-8 -cp "$flink_home/lib/*" -d "$classes" "${sources[@]}"

build_jar() { # name main-class
  local tmp=$out_dir/.$1.jar.tmp
  jar --create --file "$tmp" --main-class "$2" -C "$classes" .
  mv -f "$tmp" "$out_dir/$1.jar"
}
build_jar stream-counter fjc.testjobs.StreamCounter
build_jar batch-sum fjc.testjobs.BatchSum
printf '%s' "$flink_home" >"$stamp"
echo "built ${jars[*]}"
