#!/usr/bin/env bash
# LocalStack init hook (runs inside the container once LocalStack is ready): creates the
# controller's table with `fjc bootstrap`, the same code path as the tests and the CLI, and
# the artifact bucket specs can reference as s3://fjc-artifacts/<key>.
set -euo pipefail
export AWS_ENDPOINT_URL=http://localhost:4566
export AWS_REGION=${AWS_DEFAULT_REGION:-us-east-1}
export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test
export FJC_TABLE=${FJC_TABLE:-fjc-local}
/opt/fjc/bin/fjc bootstrap
awslocal s3 mb s3://fjc-artifacts >/dev/null 2>&1 || true
echo "fjc: table $FJC_TABLE and bucket fjc-artifacts ready"
