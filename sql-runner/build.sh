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
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/lib/javac.sh
source "$here/../scripts/lib/javac.sh"
javac_args "$0" "$@"
src_dir=$here/src/main/java
jar_file=$out_dir/fjc-sql-runner.jar
stamp=$out_dir/.fjc-sql-runner.built-against
table_jar=$(javac_one lib 'flink-table-api-java-uber-*.jar')
dist_jar=$(javac_one lib 'flink-dist-*.jar')

if javac_up_to_date "$stamp" "$src_dir" "$jar_file"; then
  echo "sql runner up to date in $out_dir"
  exit 0
fi
javac_compile "$src_dir" "$table_jar:$dist_jar"

tmp=$out_dir/.fjc-sql-runner.jar.tmp
jar --create --file "$tmp" --main-class fjc.sql.SqlRunner -C "$classes" .
mv -f "$tmp" "$jar_file"
printf '%s' "$flink_home" >"$stamp"
echo "built $jar_file"
