#!/usr/bin/env bash
# Compile the test jobs into OUT_DIR/stream-counter.jar and OUT_DIR/batch-sum.jar.
# Usage: tests/jobs/build.sh FLINK_HOME OUT_DIR
# Rebuilds only when a source is newer than a jar or FLINK_HOME changed.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/lib/javac.sh
source "$here/../../scripts/lib/javac.sh"
javac_args "$0" "$@"
src_dir=$here/src
jars=("$out_dir/stream-counter.jar" "$out_dir/batch-sum.jar")
stamp=$out_dir/.built-against

if javac_up_to_date "$stamp" "$src_dir" "${jars[@]}"; then
  echo "test jobs up to date in $out_dir"
  exit 0
fi
javac_compile "$src_dir" "$flink_home/lib/*"

build_jar() { # name main-class
  local tmp=$out_dir/.$1.jar.tmp
  jar --create --file "$tmp" --main-class "$2" -C "$classes" .
  mv -f "$tmp" "$out_dir/$1.jar"
}
build_jar stream-counter fjc.testjobs.StreamCounter
build_jar batch-sum fjc.testjobs.BatchSum
printf '%s' "$flink_home" >"$stamp"
echo "built ${jars[*]}"
