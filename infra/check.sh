#!/usr/bin/env bash
# Static checks of the CloudFormation/SAM template, offline: cfn-lint (schema, references,
# best practices), checkov (insecure settings), and that the CloudFront Function code inlined in
# it is its source in infra/edge/ byte for byte (infra/edge/inline.sh). cfn-lint and checkov come
# from PyPI into venvs under $FJC_CACHE_DIR, installed only when missing. Exit status non-zero
# when any check finds a problem.
#
# Suppressions live next to what they suppress, each with its reason:
#   - cfn-lint: Metadata.cfn-lint.config.ignore_checks on the resource in template.yaml;
#   - checkov:  Metadata.checkov.skip on the resource in template.yaml (with a comment).
# None are global, so a new resource is checked in full.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=infra/lib/common.sh
source "$here/lib/common.sh"

template=${1:-$FJC_INFRA_DIR/template.yaml}
[[ -f $template ]] || die "no template at $template"

# Both installs (first run only) side by side.
ensure_venv venv-cfn-lint "cfn-lint==$CFN_LINT_VERSION" >/dev/null &
cfn_lint_job=$!
ensure_venv venv-checkov "checkov==$CHECKOV_VERSION" >/dev/null &
checkov_job=$!
wait "$cfn_lint_job" || die "cfn-lint install failed"
wait "$checkov_job" || die "checkov install failed"
cfn_lint_venv=$FJC_CACHE_DIR/venv-cfn-lint
checkov_venv=$FJC_CACHE_DIR/venv-checkov

rc=0
log "cfn-lint $CFN_LINT_VERSION: $template"
"$cfn_lint_venv/bin/cfn-lint" --non-zero-exit-code warning -- "$template" || rc=1

log "checkov $CHECKOV_VERSION: $template"
# Offline: no Bridgecrew/Prisma platform, no version check, no download of external modules.
BC_SKIP_MAPPING=TRUE CHECKOV_RUN_SCA_PACKAGE_SCAN_V2=false \
  "$checkov_venv/bin/checkov" --quiet --compact --skip-download \
  --framework cloudformation --file "$template" || rc=1

log "inlined CloudFront Function code: $template"
FJC_PYTHON=$cfn_lint_venv/bin/python "$here/edge/inline.sh" --check "$template" || rc=1

if [[ $rc == 0 ]]; then log "template checks passed"; else log "template checks FAILED"; fi
exit "$rc"
