#!/usr/bin/env bash
# Measures the cold start (init duration) and peak memory of a deployable zip
# (infra/.build/<function>.zip from infra/build.sh), run as a real Lambda process against the
# local services: `cargo lambda watch --only-lambda-apis` serves the Lambda Runtime API, this
# script starts the zip's `bootstrap` itself (so the clock starts at exec) and invokes it, on a
# fresh table:
#   reconcile       with the EventBridge scheduled event (a cycle over an empty table);
#   artifact-event  with the S3 ObjectCreated notification, rewritten to name an object no spec
#                   uses (init, then the "unused object" path: one index query, no debounce).
# Both get a trusted-keys secret holding "[]" as in the stack (FJC_TRUSTED_KEYS_SECRET, read at
# cold start) when the AWS CLI is there to create it in the emulator.
#
# cargo-lambda prints no REPORT line (Init Duration, Max Memory Used), so:
#   init duration = exec of bootstrap -> timestamp of the handler's first log line
#                   (configuration, SDK and HTTP clients, secrets read at start, STS for
#                   artifact-event, first /next round trip)
#   max memory    = VmHWM (peak resident set) of the bootstrap process after all invocations
#
# Usage: localstack/up.sh && . .local/env.sh && infra/build.sh &&
#        infra/measure-lambda.sh [reconcile|artifact-event] [INVOCATIONS]
#   (default reconcile, 5 invocations; a lone number is INVOCATIONS for reconcile)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=infra/lib/common.sh
source "$here/lib/common.sh"

function=reconcile
if [[ ${1:-} =~ ^[a-z][a-z-]*$ ]]; then
  function=$1
  shift
fi
invocations=${1:-5}
[[ $invocations =~ ^[1-9][0-9]*$ ]] || die "usage: $0 [reconcile|artifact-event] [INVOCATIONS]"
case $function in
  reconcile)
    fixture=$FJC_REPO_ROOT/tests/fixtures/events/eventbridge-scheduled.json
    first_line='reconcile invoked' ;;
  artifact-event)
    fixture=$FJC_REPO_ROOT/tests/fixtures/events/s3-object-created.json
    first_line='"artifact event"' ;;
  *) die "unknown function '$function' (reconcile or artifact-event)" ;;
esac
zip=$FJC_INFRA_DIR/.build/$function.zip
[[ -f $zip ]] || die "no $zip: run infra/build.sh"
[[ -n ${FJC_FLINK_URL:-} && -n ${AWS_ENDPOINT_URL:-} ]] ||
  die "run localstack/up.sh and source .local/env.sh first"
cargo_lambda=$(ensure_cargo_lambda)/bin/cargo-lambda

work=$(mktemp -d)
watch_pid="" fn_pid="" keys_secret=""
cleanup() {
  [[ -z $fn_pid ]] || kill "$fn_pid" 2>/dev/null || true
  [[ -z $watch_pid ]] || kill "$watch_pid" 2>/dev/null || true
  wait 2>/dev/null || true
  [[ -z $keys_secret ]] || aws secretsmanager delete-secret --secret-id "$keys_secret" \
    --force-delete-without-recovery >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

"$FJC_PYTHON" -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])' "$zip" "$work/task"
chmod +x "$work/task/bootstrap"
port=$("$FJC_PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
run=$RANDOM$RANDOM
table=fjc-measure-$run

# A fresh table through the same bootstrap code as everything else (the fjc CLI).
fjc=${CARGO_TARGET_DIR:-$FJC_CACHE_DIR/target}/debug/fjc
[[ -x $fjc ]] || die "no $fjc: cargo build --bin fjc"
FJC_TABLE=$table "$fjc" bootstrap >/dev/null

# The stack's empty trusted-keys secret (TrustedKeysSecret), when the AWS CLI can make it.
keys_env=()
if command -v aws >/dev/null; then
  keys_secret=fjc-measure-$run/trusted-keys
  aws secretsmanager create-secret --name "$keys_secret" --secret-string '[]' >/dev/null ||
    die "could not create the trusted-keys secret in the emulator"
  keys_env=(FJC_TRUSTED_KEYS_SECRET="$keys_secret")
  keys_note="trusted-keys secret read at init"
else
  keys_note="no trusted-keys secret (no AWS CLI to create one)"
fi

# artifact-event: the checked-in notification, naming an object that no spec uses.
if [[ $function == artifact-event ]]; then
  "$FJC_PYTHON" - "$fixture" "$work/event.json" "fjc-measure-$run" <<'PY'
import json, sys
event = json.load(open(sys.argv[1]))
s3 = event["Records"][0]["s3"]
s3["bucket"]["name"] = sys.argv[3]
s3["bucket"]["arn"] = "arn:aws:s3:::" + sys.argv[3]
s3["object"]["key"] = "measure/unused-object.jar"
json.dump(event, open(sys.argv[2], "w"))
PY
  fixture=$work/event.json
fi

"$cargo_lambda" lambda watch --only-lambda-apis --invoke-address 127.0.0.1 --invoke-port "$port" \
  --manifest-path "$FJC_REPO_ROOT/Cargo.toml" >"$work/watch.log" 2>&1 &
watch_pid=$!
for _ in $(seq 100); do
  (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
  sleep 0.1
done

invoke() {
  "$cargo_lambda" lambda invoke _ --data-file "$fixture" \
    --invoke-address 127.0.0.1 --invoke-port "$port" --output-format json
}

# The first event waits in the Runtime API until the function asks for it.
invoke >"$work/first.json" &
invoke_pid=$!
sleep 0.5
t0=$(date +%s%N)
(
  cd "$work/task"
  exec env FJC_ENV=prod FJC_CONFIG_DIR="$work/task/config" FJC_TABLE="$table" \
    FJC_TMP_DIR="$work/tmp" FJC_LOG_FORMAT=json "${keys_env[@]}" \
    AWS_LAMBDA_RUNTIME_API="http://127.0.0.1:$port/.rt" AWS_LAMBDA_FUNCTION_NAME=_ \
    AWS_LAMBDA_FUNCTION_VERSION=1 AWS_LAMBDA_FUNCTION_MEMORY_SIZE=256 \
    ./bootstrap
) >"$work/function.log" 2>&1 &
fn_pid=$!
wait "$invoke_pid" || {
  cat "$work/function.log" "$work/watch.log" >&2
  die "first invocation failed"
}
t1=$(date +%s%N)

started=$(grep -m1 -F "$first_line" "$work/function.log" | sed -n 's/.*"timestamp":"\([^"]*\)".*/\1/p')
[[ -n $started ]] || {
  cat "$work/function.log" >&2
  die "no $first_line line in the function log"
}
init_ns=$(($(date -d "$started" +%s%N) - t0))
if [[ $function == artifact-event ]] && ! tr -d '\n ' <"$work/first.json" | grep -q '"unused":true'; then
  cat "$work/first.json" "$work/function.log" >&2
  die "artifact-event did not report the object as unused"
fi

warm=()
for ((i = 1; i < invocations; i++)); do
  a=$(date +%s%N)
  invoke >/dev/null
  warm+=("$((($(date +%s%N) - a) / 1000000)) ms")
done
hwm=$(awk '/^VmHWM/ {print $2}' "/proc/$fn_pid/status")

printf '%s (release zip %s, %s KiB): init duration %d.%d ms, max memory %d.%d MiB (VmHWM after %d invocations)\n' \
  "$function" "$(basename "$zip")" "$(($(stat -c %s "$zip") / 1024))" \
  $((init_ns / 1000000)) $((init_ns / 100000 % 10)) $((hwm / 1024)) $((hwm * 10 / 1024 % 10)) "$invocations"
printf '  %s\n' "$keys_note"
printf '  first invocation (cold, end to end) %d ms; answer %s\n' $(((t1 - t0) / 1000000)) "$(tr -d '\n ' <"$work/first.json")"
printf '  warm invocations (end to end, incl. the invoke CLI): %s\n' "${warm[*]:-none}"
