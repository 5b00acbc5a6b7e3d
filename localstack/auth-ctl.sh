#!/usr/bin/env bash
# Secret rotation for the nginx of auth-up.sh: replace a credential, reload nginx, wait until
# the new one is accepted and the old one refused (15 s at most), update $FJC_AUTH_DIR/env.sh.
# Usage: localstack/auth-ctl.sh COMMAND
#   set-basic USER PASSWORD   the one user:password of the basic-auth port
#   set-bearer TOKEN          the one token of the bearer port (chars A-Z a-z 0-9 -._~+/ and =)
set -euo pipefail
# shellcheck source-path=SCRIPTDIR

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=SCRIPTDIR/lib/auth.sh
source "$here/lib/auth.sh"
# shellcheck source=SCRIPTDIR/lib/env-file.sh
source "$here/lib/env-file.sh"

usage() {
  sed -n '4,6s/^# \{0,1\}//p' "${BASH_SOURCE[0]}" >&2
  exit 2
}

case ${1:-} in
  set-basic) [[ $# -eq 3 ]] || usage ;;
  set-bearer) [[ $# -eq 2 ]] || usage ;;
  *) usage ;;
esac
[[ -s $AUTH_CREDENTIALS ]] || die "no credentials in $FJC_AUTH_DIR: run localstack/auth-up.sh first"
take_lock
nginx_alive || die "the nginx of $FJC_AUTH_DIR is not running: run localstack/auth-up.sh"
auth_load_credentials

t0=$EPOCHREALTIME
if [[ $1 == set-basic ]]; then
  old=(basic "$BASIC_USER" "$BASIC_PASSWORD")
  auth_save_credentials "$2" "$3" "$BEARER_TOKEN"
  new=(basic "$BASIC_USER" "$BASIC_PASSWORD")
  what="basic credentials (user $BASIC_USER)"
else
  old=(bearer "$BEARER_TOKEN")
  auth_save_credentials "$BASIC_USER" "$BASIC_PASSWORD" "$2"
  new=(bearer "$BEARER_TOKEN")
  what="bearer token"
fi
auth_write_env
nginx_reload
wait_until 15 "nginx to accept the new $what" proxy_accepts "${new[@]}" ||
  die "nginx does not accept the new $what (see $NGINX_ERROR_LOG)"
if [[ ${old[*]} != "${new[*]}" ]]; then
  wait_until 15 "nginx to refuse the old $what" proxy_refuses "${old[@]}" ||
    die "nginx still accepts the old $what"
fi
ms=$(((${EPOCHREALTIME/./} - ${t0/./}) / 1000))
log "new $what in force after $ms ms; $ENV_FILE updated"
