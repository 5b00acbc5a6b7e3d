#!/usr/bin/env bash
# Deploys the controller to a real AWS account (README "Deploying"). Never run by CI.
#
# Usage:
#   infra/deploy.sh --stack NAME --bucket PACKAGING_BUCKET --param FlinkUrl=https://flink.internal:8081 \
#                   [--param Key=Value]... [--region REGION] [--arm64] [--no-build]
#
#   --stack    CloudFormation stack name (e.g. fjc-prod)
#   --bucket   an existing S3 bucket in the same region where the zips are uploaded for deployment
#   --param    a template parameter (infra/template.yaml); repeat; FlinkUrl is required.
#              Pass every parameter you changed from its default on each deployment. Often set:
#              TrustedKeysSecretArn (an existing secret of trusted Ed25519 public keys; default: the
#              stack creates <prefix>/trusted-keys), SpecSecretsPrefix (secrets specs may reference,
#              default fjc/jobs/), EnableArtifactUploadTrigger=false (no S3 upload trigger),
#              ArtifactEventTimeout, ArtifactEventMemorySize, ArtifactEventDebounceSeconds
#   --arm64    build for arm64 and deploy with Architecture=arm64
#   --no-build deploy the zips already in infra/.build
#
# What it does: infra/check.sh (cfn-lint, checkov), infra/build.sh (cargo lambda build --release),
# then `sam deploy` when the SAM CLI is installed, else `aws cloudformation package` + `deploy`.
# Credentials and region come from the usual AWS CLI configuration (AWS_PROFILE, AWS_REGION, ...).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=infra/lib/common.sh
source "$here/lib/common.sh"

usage() {
  sed -n '4,18p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

[[ -z ${CI:-} ]] || die "infra/deploy.sh deploys to a real AWS account and does not run in CI"

stack="" bucket="" region="" build=1 arch_flag=""
params=()
while [[ $# -gt 0 ]]; do
  case $1 in
    --stack) stack=${2:-}; shift 2 ;;
    --bucket) bucket=${2:-}; shift 2 ;;
    --region) region=${2:-}; shift 2 ;;
    --param) params+=("${2:-}"); shift 2 ;;
    --arm64) arch_flag=--arm64; params+=("Architecture=arm64"); shift ;;
    --no-build) build=0; shift ;;
    -h | --help) usage ;;
    *) usage ;;
  esac
done
[[ -n $stack && -n $bucket ]] || usage
for p in "${params[@]}"; do
  [[ $p == *=* ]] || die "--param takes Key=Value, got '$p'"
  [[ $p != EnableArtifactEvent=* ]] ||
    die "EnableArtifactEvent is gone: artifact-event is always deployed; EnableArtifactUploadTrigger=false turns its S3 trigger off"
done

command -v aws >/dev/null || die "the AWS CLI is needed (pip install awscli, or your OS package)"
region_args=()
[[ -z $region ]] || region_args=(--region "$region")

"$FJC_INFRA_DIR/check.sh"
if [[ $build == 1 ]]; then
  "$FJC_INFRA_DIR/build.sh" ${arch_flag:+"$arch_flag"}
fi
for fn in reconcile artifact-event; do
  [[ -f $FJC_INFRA_DIR/.build/$fn.zip ]] || die "no infra/.build/$fn.zip: run infra/build.sh"
done
[[ ! -f $FJC_INFRA_DIR/.build/artifact-event.placeholder ]] ||
  die "infra/.build/artifact-event.zip is a placeholder from an old build: run infra/build.sh"

capabilities=(CAPABILITY_NAMED_IAM CAPABILITY_AUTO_EXPAND)
identity=$(aws "${region_args[@]}" sts get-caller-identity --query Arn --output text) ||
  die "no AWS credentials"
log "deploying stack $stack as $identity"

if command -v sam >/dev/null; then
  sam deploy "${region_args[@]}" --template-file "$FJC_INFRA_DIR/template.yaml" \
    --stack-name "$stack" --s3-bucket "$bucket" --s3-prefix "$stack" \
    --capabilities "${capabilities[@]}" --no-fail-on-empty-changeset \
    ${params[@]:+--parameter-overrides "${params[@]}"}
else
  packaged=$FJC_INFRA_DIR/.build/packaged.yaml
  aws "${region_args[@]}" cloudformation package --template-file "$FJC_INFRA_DIR/template.yaml" \
    --s3-bucket "$bucket" --s3-prefix "$stack" --output-template-file "$packaged"
  aws "${region_args[@]}" cloudformation deploy --template-file "$packaged" \
    --stack-name "$stack" --capabilities "${capabilities[@]}" --no-fail-on-empty-changeset \
    ${params[@]:+--parameter-overrides "${params[@]}"}
fi
aws "${region_args[@]}" cloudformation describe-stacks --stack-name "$stack" \
  --query 'Stacks[0].Outputs[].[OutputKey,OutputValue]' --output table

# The dashboard's static site goes to its bucket (CloudFront serves it); the
# reconcile function writes snapshot.json beside it, so that file is never touched.
dashboard_bucket=$(aws "${region_args[@]}" cloudformation describe-stacks --stack-name "$stack" \
  --query "Stacks[0].Outputs[?OutputKey=='DashboardBucketName'].OutputValue" --output text)
if [[ -n $dashboard_bucket && $dashboard_bucket != None ]]; then
  [[ -f $FJC_REPO_ROOT/dashboard/dist/index.html ]] || "$FJC_REPO_ROOT/dashboard/build.sh"
  log "publishing the dashboard to s3://$dashboard_bucket"
  aws "${region_args[@]}" s3 sync "$FJC_REPO_ROOT/dashboard/dist/" "s3://$dashboard_bucket/" \
    --delete --exclude snapshot.json
fi
