#!/usr/bin/env bash
# Compile the SQL runner into OUT_DIR/fjc-sql-runner.jar (Main-Class fjc.sql.SqlRunner).
# Usage: sql-runner/build.sh FLINK_HOME OUT_DIR
# Rebuilds only when a source is newer than the jar or FLINK_HOME changed.
#
# Compiled against two jars of $FLINK_HOME/lib (the PyPI apache-flink-libraries wheel):
#   flink-table-api-java-uber-*.jar  TableEnvironment, EnvironmentSettings, StatementSet,
#                                    TableEnvironmentInternal/Parser, the planner loader
#                                    (org.apache.flink.table.planner.loader), datagen/print
#   flink-dist-*.jar                 Configuration, PipelineOptions, ExecutionOptions,
#                                    StreamExecutionEnvironment
# At run time the cluster's lib/ also supplies flink-table-planner-loader-*.jar (the planner
# itself, loaded in its own class loader) and flink-table-runtime-*.jar; the jar holds only
# fjc.sql classes.
set -euo pipefail

if [[ $# -ne 2 ]]; then
  echo "usage: $0 FLINK_HOME OUT_DIR" >&2
  exit 2
fi
flink_home=$1
out_dir=$2
src_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")/src/main/java" && pwd)
jar_file=$out_dir/fjc-sql-runner.jar
stamp=$out_dir/.fjc-sql-runner.built-against

if [[ ! -d $flink_home/lib ]]; then
  echo "build.sh: no lib/ under FLINK_HOME=$flink_home" >&2
  exit 1
fi

classpath=""
for pattern in 'flink-table-api-java-uber-*.jar' 'flink-dist-*.jar'; do
  found=("$flink_home"/lib/$pattern)
  if [[ ${#found[@]} -ne 1 || ! -f ${found[0]} ]]; then
    echo "build.sh: expected one $pattern in $flink_home/lib" >&2
    exit 1
  fi
  classpath+=${classpath:+:}${found[0]}
done

up_to_date() {
  [[ -f $stamp && $(<"$stamp") == "$flink_home" ]] || return 1
  [[ -f $jar_file ]] || return 1
  [[ -z $(find "$src_dir" -name '*.java' -newer "$jar_file" -print -quit) ]]
}

if up_to_date; then
  echo "sql runner up to date in $out_dir"
  exit 0
fi

mkdir -p "$out_dir"
classes=$(mktemp -d "$out_dir/.sql-runner-classes.XXXXXX")
trap 'rm -rf "$classes"' EXIT

mapfile -t sources < <(find "$src_dir" -name '*.java' | sort)
javac -nowarn --release 11 -encoding UTF-8 -cp "$classpath" -d "$classes" "${sources[@]}"

tmp=$out_dir/.fjc-sql-runner.jar.tmp
jar --create --file "$tmp" --main-class fjc.sql.SqlRunner -C "$classes" .
mv -f "$tmp" "$jar_file"
printf '%s' "$flink_home" >"$stamp"
echo "built $jar_file"
