#!/usr/bin/env bash
# End-to-end test of the SQL runner on a real Flink cluster (REST API of Flink 2.x).
# Usage: sql-runner/test.sh [FLINK_HOME [REST_URL]]
# Defaults come from $FJC_LOCAL_DIR/env.sh (.local/env.sh, written by localstack/up.sh) when it
# exists: FLINK_HOME, FJC_FLINK_URL, FJC_SAVEPOINT_DIR, FJC_TEST_JOBS_DIR (where the jar goes).
#
#  1. builds OUT/fjc-sql-runner.jar (sql-runner/build.sh) and uploads it;
#  2. runs examples/counts.sql with a chosen job id and pipeline.name, checks both, waits for
#     output, stops it with a savepoint (drain false);
#  3. runs examples/counts-filtered.sql (a WHERE added) from that savepoint: in the TaskManagers'
#     stdout (.out, fetched by REST) each key's first count is its last count + 1, none restarts;
#  4. stops that with a savepoint and runs examples/counts-regrouped.sql (GROUP BY changed) from
#     it: the job must end FAILED with Flink's state-migration error;
#  5. runs examples/batch.sql: one job, FINISHED, with the expected totals;
#  6. bad input (empty script, syntax error, missing table, client-only command): the REST run
#     fails with the runner's one-line "fjc-sql: ..." message and no job exists.
# Every job it started is cancelled at the end, whatever happens (the cluster's slots are shared).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
env_file=${FJC_LOCAL_DIR:-$repo/.local}/env.sh
# shellcheck disable=SC1090
[[ -f $env_file ]] && source "$env_file"

flink_home=${1:-${FLINK_HOME:-}}
url=${2:-${FJC_FLINK_URL:-}}
url=${url%/}
[[ -n $flink_home && -n $url ]] || {
  echo "usage: $0 FLINK_HOME REST_URL (defaults from $env_file, which does not exist)" >&2
  exit 2
}
savepoint_dir=${FJC_SAVEPOINT_DIR:-} # empty: the cluster's execution.checkpointing.savepoint-dir
out_dir=${FJC_TEST_JOBS_DIR:-${TMPDIR:-/tmp}/fjc-sql-runner}
for tool in curl jq javac jar base64; do
  command -v "$tool" >/dev/null || { echo "$0: $tool not found" >&2; exit 2; }
done

t0=$SECONDS
tag=$(od -An -tx1 -N4 /dev/urandom | tr -d ' \n')
work=$(mktemp -d "${TMPDIR:-/tmp}/fjc-sql-test.XXXXXX")
started_jobs=()
savepoints=()
jar_id=""

log() { printf '[sql-runner test +%ss] %s\n' "$((SECONDS - t0))" "$*"; }
fail() {
  printf '[sql-runner test] FAIL: %s\n' "$*" >&2
  exit 1
}

cleanup() {
  local rc=$? id sp
  for id in "${started_jobs[@]}"; do
    # 202 cancelled; 409 already terminal; 404 never created.
    curl -s -o /dev/null --max-time 5 -X PATCH "$url/jobs/$id?mode=cancel" || true
  done
  [[ -z $jar_id ]] || curl -s -o /dev/null --max-time 5 -X DELETE "$url/jars/$jar_id" || true
  for sp in "${savepoints[@]}"; do
    sp=${sp#file:}
    [[ $sp == /*/savepoint-* && -d $sp ]] && rm -rf "$sp"
  done
  rm -rf "$work"
  if [[ $rc -eq 0 ]]; then
    log "PASS in $((SECONDS - t0)) s"
  else
    log "failed after $((SECONDS - t0)) s (jobs cancelled: ${#started_jobs[@]})"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

new_id() { od -An -tx1 -N16 /dev/urandom | tr -d ' \n'; }

# run_sql SCRIPT_FILE JOB_ID [SAVEPOINT]: POST /jars/:id/run; sets RUN_CODE and RUN_BODY.
run_sql() {
  local file=$1 id=$2 sp=${3:-} body
  body=$(jq -n --arg b64 "$(base64 -w0 "$file")" --arg id "$id" --arg sp "$sp" '{
      entryClass: "fjc.sql.SqlRunner",
      programArgsList: ["--script-base64", $b64],
      jobId: $id,
      flinkConfiguration: {"pipeline.name": ("fjc:" + $id)}
    } + (if $sp == "" then {} else {savepointPath: $sp} end)')
  started_jobs+=("$id")
  RUN_BODY=$(curl -sS --max-time 120 -w '\n%{http_code}' -X POST \
    -H 'Content-Type: application/json' -d "$body" "$url/jars/$jar_id/run")
  RUN_CODE=${RUN_BODY##*$'\n'}
  RUN_BODY=${RUN_BODY%$'\n'*}
}

# The runner's line from a failed run's REST answer.
fjc_line() { jq -r '.errors[]?' <<<"$1" | grep -o 'fjc-sql: .*' | head -n1; }

job_field() { curl -s --max-time 5 "$url/jobs/$1" | jq -r ".$2 // empty"; }

wait_state() { # id state timeout
  local i s
  for ((i = 0; i < $3 * 2; i++)); do
    s=$(job_field "$1" state)
    [[ $s == "$2" ]] && return 0
    [[ $s == FAILED || $s == CANCELED || $s == FINISHED ]] && break
    sleep 0.5
  done
  fail "job $1 is ${s:-unknown}, expected $2"
}

# The print connector's lines "<ident>> +U[k3, 17]" from every TaskManager's stdout (.out).
tm_stdout() {
  local tm
  for tm in $(curl -s --max-time 5 "$url/taskmanagers" | jq -r '.taskmanagers[].id'); do
    curl -s --max-time 10 "$url/taskmanagers/$tm/stdout" || true
  done
}
printed() { tm_stdout | grep -a "^$1> " || true; }

wait_printed() { # ident min-lines timeout
  local i n
  for ((i = 0; i < $3 * 2; i++)); do
    n=$(printed "$1" | wc -l)
    ((n >= $2)) && return 0
    sleep 0.5
  done
  fail "only $n lines from print sink '$1' after $3 s"
}

stop_with_savepoint() { # id -> savepoint location on stdout
  local req trigger i s loc
  if [[ -n $savepoint_dir ]]; then
    req=$(jq -n --arg d "$savepoint_dir" '{targetDirectory: $d, drain: false}')
  else
    req='{"drain": false}'
  fi
  trigger=$(curl -s --max-time 10 -X POST -H 'Content-Type: application/json' -d "$req" \
    "$url/jobs/$1/stop" | jq -r '."request-id" // empty')
  [[ -n $trigger ]] || fail "stop-with-savepoint of $1 not accepted"
  for ((i = 0; i < 120; i++)); do
    s=$(curl -s --max-time 5 "$url/jobs/$1/savepoints/$trigger")
    if [[ $(jq -r .status.id <<<"$s") == COMPLETED ]]; then
      loc=$(jq -r '.operation.location // empty' <<<"$s")
      [[ -n $loc ]] || fail "savepoint of $1 failed: $(jq -c '.operation."failure-cause"' <<<"$s" | cut -c1-300)"
      printf '%s\n' "$loc"
      return 0
    fi
    sleep 0.5
  done
  fail "savepoint of $1 not done after 60 s"
}

# Last value per key ("k3 17" lines) of a print sink.
last_counts() {
  printed "$1" | sed -n 's/^[^>]*> +[IU]\[\(k[0-9]*\), \([0-9]*\)\]$/\1 \2/p' |
    awk '{ last[$1] = $2 } END { for (k in last) print k, last[k] }' | sort
}
# First value per key, and "+I" rows (a count starting from 1).
first_counts() {
  printed "$1" | sed -n 's/^[^>]*> +[IU]\[\(k[0-9]*\), \([0-9]*\)\]$/\1 \2/p' |
    awk '!($1 in first) { first[$1] = $2 } END { for (k in first) print k, first[k] }' | sort
}

script_copy() { # example ident-map... -> file with print identifiers made unique
  local src=$here/examples/$1 dst=$work/$1
  shift
  cp "$src" "$dst"
  local pair
  for pair in "$@"; do
    sed -i "s/'print-identifier' = '${pair%%=*}'/'print-identifier' = '${pair#*=}'/" "$dst"
    grep -q "'${pair#*=}'" "$dst" || fail "no print-identifier '${pair%%=*}' in $1"
  done
  printf '%s\n' "$dst"
}

# ---- 1. build and upload ------------------------------------------------------------------
curl -sf --max-time 5 -o /dev/null "$url/overview" || fail "no Flink REST API at $url"
"$here/build.sh" "$flink_home" "$out_dir" >/dev/null
jar_id=$(curl -s --max-time 60 -X POST -F "jarfile=@$out_dir/fjc-sql-runner.jar" \
  "$url/jars/upload" | jq -r '.filename // empty')
jar_id=${jar_id##*/}
[[ -n $jar_id ]] || fail "jar upload failed"
log "uploaded $jar_id (tag $tag)"

# ---- 2. streaming counts, stop with savepoint ---------------------------------------------
a=counts-a-$tag
b=counts-b-$tag
c=counts-c-$tag
id_a=$(new_id)
run_sql "$(script_copy counts.sql "counts=$a")" "$id_a"
[[ $RUN_CODE == 200 ]] || fail "run counts.sql: HTTP $RUN_CODE $(fjc_line "$RUN_BODY")"
[[ $(jq -r .jobid <<<"$RUN_BODY") == "$id_a" ]] || fail "REST answered job id $(jq -r .jobid <<<"$RUN_BODY"), chose $id_a"
wait_state "$id_a" RUNNING 30
name=$(job_field "$id_a" name)
[[ $name == "fjc:$id_a" ]] || fail "job name is '$name', expected fjc:$id_a"
log "counts.sql RUNNING as $id_a, name $name"
wait_printed "$a" 16 40
sp_a=$(stop_with_savepoint "$id_a")
savepoints+=("$sp_a")
wait_state "$id_a" FINISHED 20
log "stopped with savepoint $sp_a: last counts $(last_counts "$a" | tr '\n' ' ')"

# ---- 3. changed script (WHERE added) from the savepoint: counts continue -----------------
id_b=$(new_id)
run_sql "$(script_copy counts-filtered.sql "counts=$b")" "$id_b" "$sp_a"
[[ $RUN_CODE == 200 ]] || fail "run counts-filtered.sql: HTTP $RUN_CODE $(fjc_line "$RUN_BODY")"
wait_state "$id_b" RUNNING 30
restored=$(curl -s --max-time 5 "$url/jobs/$id_b/checkpoints" | jq -r '.latest.restored.external_path // empty')
[[ $restored == "$sp_a" ]] || fail "job $id_b restored from '$restored', expected $sp_a"
wait_printed "$b" 10 40
last_a=$(last_counts "$a")
first_b=$(first_counts "$b")
continued=0
while read -r key first; do
  last=$(awk -v k="$key" '$1 == k { print $2 }' <<<"$last_a")
  [[ -n $last ]] || continue # a key the first run never printed
  ((first == last + 1)) || fail "key $key: last count $last before the upgrade, first after it $first"
  continued=$((continued + 1))
done <<<"$first_b"
((continued > 0)) || fail "no key of run A was printed by run B"
if printed "$b" | grep -q '> +I\['; then
  fail "run B inserted a key from scratch: $(printed "$b" | grep '> +I\[' | head -n3 | tr '\n' ' ')"
fi
log "restored into counts-filtered.sql ($id_b): $continued keys continued (first after: $(tr '\n' ' ' <<<"$first_b"))"

# ---- 4. incompatible change (GROUP BY) from a savepoint: FAILED with Flink's reason --------
sp_b=$(stop_with_savepoint "$id_b")
savepoints+=("$sp_b")
id_c=$(new_id)
run_sql "$(script_copy counts-regrouped.sql "counts=$c")" "$id_c" "$sp_b"
if [[ $RUN_CODE == 200 ]]; then
  for ((i = 0; i < 60; i++)); do
    state=$(job_field "$id_c" state)
    [[ $state == FAILED ]] && break
    sleep 0.5
  done
  [[ $state == FAILED ]] || fail "counts-regrouped.sql from a savepoint: job is $state, expected FAILED"
  reason=$(curl -s --max-time 5 "$url/jobs/$id_c/exceptions" |
    jq -r '.exceptionHistory.entries[0].stacktrace // empty' | grep '^Caused by:' | tail -n1)
else
  reason=$(fjc_line "$RUN_BODY")
fi
[[ $reason == *StateMigrationException* || $reason == *"Cannot map checkpoint/savepoint state"* ]] ||
  fail "incompatible change failed for another reason: $reason"
log "incompatible change refused: ${reason:0:200}"

# ---- 5. batch ----------------------------------------------------------------------------
id_d=$(new_id)
run_sql "$(script_copy batch.sql "batch-totals=totals-$tag" "batch-overall=overall-$tag")" "$id_d"
[[ $RUN_CODE == 200 ]] || fail "run batch.sql: HTTP $RUN_CODE $(fjc_line "$RUN_BODY")"
wait_state "$id_d" FINISHED 60
overall=$(printed "overall-$tag")
[[ $overall == "overall-$tag> +I[1000, 1000]" ]] || fail "batch.sql printed '$overall'"
[[ $(printed "totals-$tag" | wc -l) -eq 5 ]] || fail "batch.sql: expected 5 key totals"
log "batch.sql FINISHED as one job ($id_d, $(job_field "$id_d" name)): $overall"

# ---- 6. bad input ------------------------------------------------------------------------
printf '' >"$work/empty.sql"
cat >"$work/syntax.sql" <<'EOF'
CREATE TABLE src (k INT) WITH ('connector' = 'datagen');
CREATE TABLE snk (k INT) WITH ('connector' = 'print');
INSERT INTO snk
SELECT k FORM src;
EOF
cat >"$work/missing.sql" <<'EOF'
CREATE TABLE snk (k INT) WITH ('connector' = 'print');

INSERT INTO snk SELECT k FROM nosuch;
EOF
cat >"$work/client.sql" <<'EOF'
CREATE TABLE snk (k INT) WITH ('connector' = 'print');
SHOW TABLES;
INSERT INTO snk VALUES (1);
EOF
expect_bad() { # file expected-line
  local id line
  id=$(new_id)
  run_sql "$work/$1" "$id"
  [[ $RUN_CODE != 200 ]] || fail "$1 was accepted (HTTP 200)"
  line=$(fjc_line "$RUN_BODY")
  [[ $line == "$2" ]] || fail "$1: HTTP $RUN_CODE, got '$line', expected '$2'"
  [[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$url/jobs/$id") == 404 ]] ||
    fail "$1: a job $id exists"
  log "$1: HTTP $RUN_CODE, no job: $line"
}
expect_bad empty.sql "fjc-sql: the script is empty: no SQL statement to run"
expect_bad syntax.sql 'fjc-sql: statement 3 (line 3): SQL parse failed. Encountered "src" at line 4, column 15.'
expect_bad missing.sql "fjc-sql: statement 2 (line 3): SQL validation failed. From line 3, column 31 to line 3, column 36: Object 'nosuch' not found"
expect_bad client.sql "fjc-sql: statement 2 (line 2): SHOW is a SQL client command, not allowed in a job script: SHOW TABLES"
