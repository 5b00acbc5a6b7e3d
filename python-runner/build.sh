#!/usr/bin/env bash
# Build OUT_DIR/fjc-python-runner.jar: Flink's flink-python jar (from FLINK_HOME/opt) with the
# runner's class fjc.python.PythonRunner added, so one upload carries both the Python driver and
# the runner (the cluster's lib/ needs no flink-python).
# Usage: python-runner/build.sh FLINK_HOME OUT_DIR
# Rebuilds only when the source is newer than the jar or FLINK_HOME changed.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/lib/javac.sh
source "$here/../scripts/lib/javac.sh"
javac_args "$0" "$@"
src_dir=$here/src/main/java
jar_file=$out_dir/fjc-python-runner.jar
stamp=$out_dir/.fjc-python-runner.built-against
python_jar=$(javac_one opt 'flink-python-*.jar')
dist_jar=$(javac_one lib 'flink-dist-*.jar')

if javac_up_to_date "$stamp" "$src_dir" "$jar_file"; then
  echo "python runner up to date in $out_dir"
  exit 0
fi
javac_compile "$src_dir" "$python_jar:$dist_jar"

tmp=$out_dir/.fjc-python-runner.jar.tmp
cp "$python_jar" "$tmp"
jar --update --file "$tmp" -C "$classes" .
mv -f "$tmp" "$jar_file"
printf '%s' "$flink_home" >"$stamp"
echo "built $jar_file"
