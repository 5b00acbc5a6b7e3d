# shellcheck shell=bash disable=SC2034  # (variables are used by the sourcing scripts)
# The REST authentication test environment (localstack/auth-up.sh, auth-ctl.sh, auth-down.sh):
#   - a test CA with a server certificate (localhost, 127.0.0.1) and a client certificate, and a
#     "rogue" CA with a client certificate of its own (same subject, other issuer);
#   - a second Flink session cluster (lib/flink.sh, state in $FJC_AUTH_DIR/flink) whose REST
#     answers only over TLS and only to clients with a certificate from the test CA;
#   - an nginx of its own (not the system service) in front of the MAIN cluster's REST:
#     HTTP basic auth on one port, a bearer token on another.
# Source it first: it sources common.sh with the mTLS cluster's settings (FJC_LOCAL_DIR is
# $FJC_AUTH_DIR). Then source install.sh, flink.sh and env-file.sh as needed.
#
# Settings (environment > value recorded by the last auth-up.sh > default):
#   FJC_AUTH_DIR         state dir: certificates, tls/, flink/, nginx/, env.sh (default <repo>/.local-auth)
#   FJC_MTLS_FLINK_PORT  https REST port of the mTLS cluster; RPC = +1, blob = +2 (default 18481)
#   FJC_BASIC_PORT       nginx port with HTTP basic auth                          (default 18491)
#   FJC_BEARER_PORT      nginx port with a bearer token                           (default 18492)
# The proxies forward to the main cluster, found as up.sh finds it (FJC_LOCAL_DIR, FJC_FLINK_PORT).

_auth_lib=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# Before common.sh is sourced for the mTLS cluster: the main cluster's REST, as up.sh resolves it.
FJC_AUTH_UPSTREAM_URL=$(bash -c 'source "$1" && printf "%s\n" "$FLINK_URL"' _ "$_auth_lib/common.sh") ||
  exit 1

FJC_AUTH_DIR=${FJC_AUTH_DIR:-$(cd "$_auth_lib/../.." && pwd)/.local-auth}
[[ $FJC_AUTH_DIR == /* ]] || FJC_AUTH_DIR=$PWD/$FJC_AUTH_DIR
AUTH_INSTANCE_FILE=$FJC_AUTH_DIR/instance.env
if [[ -f $AUTH_INSTANCE_FILE ]]; then
  while IFS='=' read -r _key _value; do
    case $_key in
      FJC_MTLS_FLINK_PORT | FJC_BASIC_PORT | FJC_BEARER_PORT)
        [[ -n ${!_key:-} ]] || printf -v "$_key" '%s' "$_value"
        ;;
    esac
  done <"$AUTH_INSTANCE_FILE"
  unset _key _value
fi
FJC_MTLS_FLINK_PORT=${FJC_MTLS_FLINK_PORT:-18481}
FJC_BASIC_PORT=${FJC_BASIC_PORT:-18491}
FJC_BEARER_PORT=${FJC_BEARER_PORT:-18492}

# The mTLS cluster is lib/flink.sh's cluster of the state dir $FJC_AUTH_DIR.
FJC_LOCAL_DIR=$FJC_AUTH_DIR
FJC_FLINK_PORT=$FJC_MTLS_FLINK_PORT
FJC_FLINK_VERSION=2.3.0
FJC_FLINK_SLOTS=4
# shellcheck source=SCRIPTDIR/common.sh
source "$_auth_lib/common.sh"

for _v in FJC_BASIC_PORT FJC_BEARER_PORT; do
  [[ ${!_v} =~ ^[1-9][0-9]*$ ]] || die "$_v must be a positive integer, got '${!_v}'"
done
unset _v
_ports=" $FJC_MTLS_FLINK_PORT $((FJC_MTLS_FLINK_PORT + 1)) $((FJC_MTLS_FLINK_PORT + 2)) $FJC_BASIC_PORT "
[[ $_ports != *" $FJC_BEARER_PORT "* && $_ports != *" ${FJC_AUTH_UPSTREAM_URL##*:} "* ]] ||
  die "ports clash: mTLS Flink $FJC_MTLS_FLINK_PORT (+1, +2), basic $FJC_BASIC_PORT, bearer $FJC_BEARER_PORT, main Flink $FJC_AUTH_UPSTREAM_URL"
unset _ports
# The paths go unquoted into nginx's config.
[[ $FJC_AUTH_DIR =~ ^[A-Za-z0-9._/+-]+$ ]] ||
  die "FJC_AUTH_DIR may hold only letters, digits and ._/+- (got '$FJC_AUTH_DIR')"

FJC_MTLS_URL=https://localhost:$FJC_MTLS_FLINK_PORT
FJC_BASIC_URL=http://127.0.0.1:$FJC_BASIC_PORT
FJC_BEARER_URL=http://127.0.0.1:$FJC_BEARER_PORT

# What clients use (exported by env.sh); the rest of the TLS material is in tls/.
AUTH_CA=$FJC_AUTH_DIR/ca.pem
AUTH_CLIENT_CERT=$FJC_AUTH_DIR/client.pem
AUTH_CLIENT_KEY=$FJC_AUTH_DIR/client-key.pem
AUTH_ROGUE_CERT=$FJC_AUTH_DIR/rogue-client.pem
AUTH_ROGUE_KEY=$FJC_AUTH_DIR/rogue-client-key.pem
TLS_DIR=$FJC_AUTH_DIR/tls
TLS_CNF=$TLS_DIR/openssl.cnf
TLS_STORE_PASS=$TLS_DIR/store.pass
TLS_KEYSTORE=$TLS_DIR/rest-keystore.p12
TLS_TRUSTSTORE=$TLS_DIR/rest-truststore.p12
TLS_DONE=$TLS_DIR/.complete
# Appended to the mTLS cluster's config.yaml by lib/flink.sh.
FJC_FLINK_EXTRA_CONF=$TLS_DIR/flink-rest-ssl.yaml

# lib/common.sh's Flink checks (flink_ready, ...) go to the mTLS cluster with the client cert.
FLINK_URL=$FJC_MTLS_URL
FLINK_CURL_OPTS=(--cacert "$AUTH_CA" --cert "$AUTH_CLIENT_CERT" --key "$AUTH_CLIENT_KEY")

NGINX_DIR=$FJC_AUTH_DIR/nginx
NGINX_CONF=$NGINX_DIR/nginx.conf
NGINX_PID_FILE=$NGINX_DIR/nginx.pid
NGINX_ERROR_LOG=$NGINX_DIR/logs/error.log
NGINX_OUT=$NGINX_DIR/logs/nginx.out
NGINX_HTPASSWD=$NGINX_DIR/htpasswd
NGINX_BEARER_CONF=$NGINX_DIR/bearer.conf
# Line 1 basic-auth user, 2 its password, 3 the bearer token.
AUTH_CREDENTIALS=$NGINX_DIR/credentials
NGINX_BIN=$(command -v nginx || echo /usr/sbin/nginx)

auth_record_settings() {
  mkdir -p "$FJC_AUTH_DIR"
  printf '%s\n' "FJC_MTLS_FLINK_PORT=$FJC_MTLS_FLINK_PORT" "FJC_BASIC_PORT=$FJC_BASIC_PORT" \
    "FJC_BEARER_PORT=$FJC_BEARER_PORT" >"$AUTH_INSTANCE_FILE.tmp"
  mv -f "$AUTH_INSTANCE_FILE.tmp" "$AUTH_INSTANCE_FILE"
  touch "$STATE_MARKER"
}

# ---- certificates ------------------------------------------------------------------------

# Extensions that rustls/webpki, curl and Java all accept.
tls_openssl_cnf() {
  cat <<'EOF'
[req]
distinguished_name = dn
[dn]
[ca_ext]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[server_ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost, IP:127.0.0.1
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[client_ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
EOF
}

# RSA keys: Flink's default cipher suites (security.ssl.algorithms) are ECDHE_RSA only.
# genpkey writes PKCS#8 ("BEGIN PRIVATE KEY").
tls_key() { openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$1"; }

tls_ca() { # cert key cn
  tls_key "$2" &&
    openssl req -x509 -new -config "$TLS_CNF" -extensions ca_ext -key "$2" -subj "/CN=$3" \
      -days 3650 -sha256 -out "$1"
}

tls_leaf() { # cert key cn extensions ca-cert ca-key
  tls_key "$2" &&
    openssl req -new -config "$TLS_CNF" -key "$2" -subj "/CN=$3" |
    openssl x509 -req -CA "$5" -CAkey "$6" -set_serial "0x$(openssl rand -hex 16)" -days 825 \
      -sha256 -extfile "$TLS_CNF" -extensions "$4" -out "$1"
}

keytool_bin() {
  local java
  java=$(java_bin)
  if [[ -x ${java%/*}/keytool ]]; then printf '%s\n' "${java%/*}/keytool"; else command -v keytool; fi
}

# Everything at once (a new CA invalidates the rest); .complete last.
tls_generate() {
  local ca_key=$TLS_DIR/ca-key.pem rogue_ca=$TLS_DIR/rogue-ca.pem keytool
  keytool=$(keytool_bin) || return 1
  rm -f "$TLS_DONE" "$TLS_KEYSTORE" "$TLS_TRUSTSTORE"
  tls_openssl_cnf >"$TLS_CNF" &&
    openssl rand -hex 16 >"$TLS_STORE_PASS" &&
    tls_ca "$AUTH_CA" "$ca_key" "fjc test CA" &&
    tls_leaf "$TLS_DIR/server.pem" "$TLS_DIR/server-key.pem" localhost server_ext "$AUTH_CA" "$ca_key" &&
    tls_leaf "$AUTH_CLIENT_CERT" "$AUTH_CLIENT_KEY" fjc-client client_ext "$AUTH_CA" "$ca_key" &&
    tls_ca "$rogue_ca" "$TLS_DIR/rogue-ca-key.pem" "fjc rogue CA" &&
    tls_leaf "$AUTH_ROGUE_CERT" "$AUTH_ROGUE_KEY" fjc-client client_ext "$rogue_ca" "$TLS_DIR/rogue-ca-key.pem" &&
    openssl pkcs12 -export -in "$TLS_DIR/server.pem" -inkey "$TLS_DIR/server-key.pem" \
      -certfile "$AUTH_CA" -name flink-rest -passout "file:$TLS_STORE_PASS" -out "$TLS_KEYSTORE" &&
    "$keytool" -importcert -noprompt -storetype PKCS12 -alias fjc-test-ca -file "$AUTH_CA" \
      -keystore "$TLS_TRUSTSTORE" -storepass:file "$TLS_STORE_PASS" &&
    touch "$TLS_DONE"
}

# All files there, chains verify, nothing expires within a day.
tls_valid() {
  local f at=$(($(date +%s) + 86400))
  [[ -f $TLS_DONE ]] || return 1
  for f in "$AUTH_CLIENT_KEY" "$AUTH_ROGUE_KEY" "$TLS_KEYSTORE" "$TLS_TRUSTSTORE" "$TLS_STORE_PASS"; do
    [[ -s $f ]] || return 1
  done
  openssl verify -attime "$at" -CAfile "$AUTH_CA" "$TLS_DIR/server.pem" "$AUTH_CLIENT_CERT" >/dev/null 2>&1 &&
    openssl verify -attime "$at" -CAfile "$TLS_DIR/rogue-ca.pem" "$AUTH_ROGUE_CERT" >/dev/null 2>&1
}

tls_flink_conf() {
  local pass
  pass=$(<"$TLS_STORE_PASS")
  cat <<EOF
security.ssl.rest.enabled: true
security.ssl.rest.authentication-enabled: true
security.ssl.rest.keystore: $(yaml_quote "$TLS_KEYSTORE")
security.ssl.rest.keystore-type: PKCS12
security.ssl.rest.keystore-password: $(yaml_quote "$pass")
security.ssl.rest.key-password: $(yaml_quote "$pass")
security.ssl.rest.truststore: $(yaml_quote "$TLS_TRUSTSTORE")
security.ssl.rest.truststore-type: PKCS12
security.ssl.rest.truststore-password: $(yaml_quote "$pass")
EOF
}

# Reuse valid certificates, else make new ones; sets TLS_CHANGED. Then the Flink TLS config.
auth_ensure_tls() {
  TLS_CHANGED=0
  mkdir -p "$TLS_DIR"
  if ! tls_valid; then
    log "generating test CA, server and client certificates (and a rogue CA) in $FJC_AUTH_DIR"
    (umask 077 && tls_generate) >"$TLS_DIR/generate.log" 2>&1 || {
      show_log_tail "$TLS_DIR/generate.log" 20
      die "could not generate the test certificates"
    }
    TLS_CHANGED=1
  fi
  local new
  new=$(tls_flink_conf)
  [[ -f $FJC_FLINK_EXTRA_CONF && $(<"$FJC_FLINK_EXTRA_CONF") == "$new" ]] ||
    (umask 077 && printf '%s\n' "$new" >"$FJC_FLINK_EXTRA_CONF")
}

# mTLS must really be in force: no client certificate, or one from the rogue CA, must fail.
auth_check_mtls() {
  if curl -fsS -o /dev/null --max-time 5 --cacert "$AUTH_CA" "$FJC_MTLS_URL/overview" 2>/dev/null; then
    die "$FJC_MTLS_URL answers a client without a certificate"
  fi
  if curl -fsS -o /dev/null --max-time 5 --cacert "$AUTH_CA" --cert "$AUTH_ROGUE_CERT" \
    --key "$AUTH_ROGUE_KEY" "$FJC_MTLS_URL/overview" 2>/dev/null; then
    die "$FJC_MTLS_URL answers a client certificate of the rogue CA"
  fi
}

# ---- credentials and nginx ---------------------------------------------------------------

# Sets BASIC_USER, BASIC_PASSWORD, BEARER_TOKEN; random ones at the first start.
auth_load_credentials() {
  if [[ ! -s $AUTH_CREDENTIALS ]]; then
    auth_save_credentials fjc "$(openssl rand -hex 16)" "$(openssl rand -hex 32)"
    log "generated a random basic-auth password (user fjc) and bearer token"
  fi
  {
    IFS= read -r BASIC_USER && IFS= read -r BASIC_PASSWORD && IFS= read -r BEARER_TOKEN
  } <"$AUTH_CREDENTIALS" || die "$AUTH_CREDENTIALS is damaged: delete it (auth-up.sh makes new credentials)"
}

auth_valid_user() { [[ $1 =~ ^[^:[:space:][:cntrl:]]+$ ]]; }
auth_valid_password() { [[ -n $1 && $1 != *[$'\n\r']* ]]; }
auth_valid_token() { [[ $1 =~ ^[A-Za-z0-9._~+/-]+=*$ ]]; } # RFC 6750 b64token

# auth_save_credentials USER PASSWORD TOKEN: the credentials file, htpasswd and bearer.conf.
auth_save_credentials() {
  auth_valid_user "$1" || die "invalid user '$1' (no ':', spaces or control characters)"
  auth_valid_password "$2" || die "invalid password (empty or multi-line)"
  auth_valid_token "$3" || die "invalid bearer token (allowed: A-Z a-z 0-9 - . _ ~ + / and trailing =)"
  BASIC_USER=$1 BASIC_PASSWORD=$2 BEARER_TOKEN=$3
  mkdir -p "$NGINX_DIR"
  local hash
  hash=$(printf '%s\n' "$BASIC_PASSWORD" | openssl passwd -apr1 -stdin) || die "openssl passwd failed"
  (
    umask 077
    printf '%s\n' "$BASIC_USER" "$BASIC_PASSWORD" "$BEARER_TOKEN" >"$AUTH_CREDENTIALS.tmp"
    printf '%s:%s\n' "$BASIC_USER" "$hash" >"$NGINX_HTPASSWD.tmp"
    cat >"$NGINX_BEARER_CONF.tmp" <<EOF
# Written by localstack/auth-up.sh / auth-ctl.sh set-bearer: the one accepted Authorization header.
if (\$http_authorization != "Bearer $BEARER_TOKEN") {
  add_header WWW-Authenticate 'Bearer realm="fjc"' always;
  return 401;
}
EOF
  )
  mv -f "$NGINX_HTPASSWD.tmp" "$NGINX_HTPASSWD"
  mv -f "$NGINX_BEARER_CONF.tmp" "$NGINX_BEARER_CONF"
  mv -f "$AUTH_CREDENTIALS.tmp" "$AUTH_CREDENTIALS"
}

ensure_nginx() {
  [[ -x $NGINX_BIN ]] && return 0
  log "installing nginx (apt)"
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nginx; } \
    >/dev/null || die "could not install nginx"
  NGINX_BIN=$(command -v nginx || echo /usr/sbin/nginx)
  [[ -x $NGINX_BIN ]] || die "no nginx binary after installing the nginx package"
  # Without a policy-rc.d that forbids it, the package starts the system service: not ours.
  if [[ -s /run/nginx.pid ]]; then "$NGINX_BIN" -s quit 2>/dev/null || true; fi
}

nginx_config() {
  # As root, the workers run as root too: they read the 0600 htpasswd.
  ((EUID != 0)) || echo "user $(id -un) $(id -gn);"
  cat <<EOF
# Written by localstack/auth-up.sh. Credentials: htpasswd, bearer.conf (localstack/auth-ctl.sh).
daemon off;
worker_processes 1;
pid $NGINX_PID_FILE;
error_log $NGINX_ERROR_LOG warn;
events { worker_connections 256; }
http {
  access_log $NGINX_DIR/logs/access.log;
  client_body_temp_path $NGINX_DIR/tmp/client_body;
  proxy_temp_path $NGINX_DIR/tmp/proxy;
  fastcgi_temp_path $NGINX_DIR/tmp/fastcgi;
  uwsgi_temp_path $NGINX_DIR/tmp/uwsgi;
  scgi_temp_path $NGINX_DIR/tmp/scgi;
  server_tokens off;
  # Jar uploads: any size, streamed to Flink as they arrive, long timeouts.
  client_max_body_size 0;
  client_body_timeout 600s;
  send_timeout 600s;
  proxy_request_buffering off;
  proxy_buffering off;
  proxy_http_version 1.1;
  proxy_set_header Connection "";
  proxy_set_header Authorization ""; # the credential is the proxy's, not Flink's
  proxy_connect_timeout 10s;
  proxy_send_timeout 600s;
  proxy_read_timeout 600s;

  server { # HTTP basic auth
    listen 127.0.0.1:$FJC_BASIC_PORT;
    auth_basic "fjc";
    auth_basic_user_file $NGINX_HTPASSWD;
    location / {
      proxy_pass $FJC_AUTH_UPSTREAM_URL;
    }
  }
  server { # bearer token
    listen 127.0.0.1:$FJC_BEARER_PORT;
    location / {
      include $NGINX_BEARER_CONF;
      proxy_pass $FJC_AUTH_UPSTREAM_URL;
    }
  }
}
EOF
}

# Sets NGINX_CONFIG_CHANGED=1 when nginx.conf was (re)written.
nginx_write_config() {
  local new
  NGINX_CONFIG_CHANGED=0
  mkdir -p "$NGINX_DIR/logs" "$NGINX_DIR/tmp"
  new=$(nginx_config)
  if [[ ! -f $NGINX_CONF || $(<"$NGINX_CONF") != "$new" ]]; then
    printf '%s\n' "$new" >"$NGINX_CONF.tmp"
    mv -f "$NGINX_CONF.tmp" "$NGINX_CONF"
    NGINX_CONFIG_CHANGED=1
  fi
}

nginx_cmd() { "$NGINX_BIN" -p "$NGINX_DIR/" -c "$NGINX_CONF" -e "$NGINX_ERROR_LOG" "$@"; }
nginx_alive() { pid_alive "$NGINX_PID_FILE" "-c $NGINX_CONF "; }

nginx_test_config() {
  local out
  out=$(nginx_cmd -t -q 2>&1) || {
    printf '%s\n' "$out" >&2
    die "nginx rejects $NGINX_CONF"
  }
}

nginx_workers() { ps -o pid= --ppid "$1" 2>/dev/null | tr -d ' '; } # master pid

# True when a new worker runs and no worker of before (OLD: " pid pid ") still takes requests:
# a worker that got the signal exits, or calls itself "shutting down" while it finishes.
nginx_reloaded() { # master old
  local pid new=0
  for pid in $(nginx_workers "$1"); do
    if [[ $2 != *" $pid "* ]]; then
      new=1
    elif ! pid_matches "$pid" "shutting down"; then
      return 1
    fi
  done
  ((new))
}

# Re-read nginx.conf and the files it includes; returns once the new config serves.
nginx_reload() {
  local master old i
  nginx_test_config
  master=$(pid_read "$NGINX_PID_FILE") || die "no nginx pid in $NGINX_PID_FILE"
  old=" $(nginx_workers "$master" | tr '\n' ' ') "
  nginx_cmd -s reload 2>>"$NGINX_OUT" || die "nginx -s reload failed (see $NGINX_OUT)"
  for ((i = 0; i < 200; i++)); do
    nginx_reloaded "$master" "$old" && return 0
    sleep 0.05
  done
  warn "nginx has not finished its reload after 10 s"
}

nginx_start() {
  local pid port deadline
  if nginx_alive; then
    pid=$(pid_read "$NGINX_PID_FILE")
    if [[ $NGINX_CONFIG_CHANGED == 1 ]]; then
      nginx_reload
      log "nginx reloaded with its new config (pid $pid)"
    else
      log "nginx already running (pid $pid)"
    fi
    return 0
  fi
  nginx_stop # what is left of an nginx that died or was killed
  for port in "$FJC_BASIC_PORT" "$FJC_BEARER_PORT"; do
    port_open "$port" && die "port $port is taken by a process not in $NGINX_PID_FILE"
  done
  nginx_test_config
  printf '\n==== %s starting nginx ====\n' "$(date '+%F %T')" >>"$NGINX_OUT"
  (
    cd "$NGINX_DIR" || exit 1
    exec setsid "$NGINX_BIN" -p "$NGINX_DIR/" -c "$NGINX_CONF" -e "$NGINX_ERROR_LOG"
  ) >>"$NGINX_OUT" 2>&1 </dev/null 9>&- &
  pid=$!
  printf '%s\n' "$pid" >"$NGINX_PID_FILE"
  NGINX_STARTED=1
  deadline=$((SECONDS + 10))
  until port_open "$FJC_BASIC_PORT" && port_open "$FJC_BEARER_PORT"; do
    if ! proc_running "$pid" || ((SECONDS >= deadline)); then
      show_log_tail "$NGINX_ERROR_LOG" 20
      show_log_tail "$NGINX_OUT" 10
      die "nginx (pid $pid) does not listen on $FJC_BASIC_PORT and $FJC_BEARER_PORT"
    fi
    sleep 0.1
  done
  log "nginx started (pid $pid)"
}

# Our nginx processes. The master runs in a session of its own (setsid) that its workers share:
# the workers of a SIGKILLed master live on and keep serving, so look for the whole session.
nginx_pids() {
  local sid pid
  { pid_read "$NGINX_PID_FILE" || true; pids_matching "$NGINX_BIN" "-c $NGINX_CONF "; } | sort -u |
    while IFS= read -r sid; do
      for pid in $(ps -o pid= -s "$sid"); do
        if pid_matches "$pid" nginx; then echo "$pid"; fi
      done
    done | sort -u
}

nginx_stop() {
  local pids
  mapfile -t pids < <(nginx_pids)
  if [[ ${#pids[@]} -gt 0 ]]; then
    log "stopping nginx (pids ${pids[*]})"
    stop_pids 10 "${pids[@]}"
  fi
  rm -f "$NGINX_PID_FILE"
}

# proxy_status basic USER PASSWORD | bearer TOKEN: HTTP status of GET /overview (000: no answer).
proxy_status() {
  local args
  case $1 in
    basic) args=(-u "$2:$3" "$FJC_BASIC_URL/overview") ;;
    bearer) args=(-H "Authorization: Bearer $2" "$FJC_BEARER_URL/overview") ;;
  esac
  curl -s -o /dev/null -w '%{http_code}' --max-time 5 "${args[@]}" 2>/dev/null || true
}

# Accepted: anything but 401 (a 502 means nginx let the request through to a main cluster that is down).
proxy_accepts() {
  local status
  status=$(proxy_status "$@")
  [[ $status != 401 && $status != 000 ]]
}
proxy_refuses() { [[ $(proxy_status "$@") == 401 ]]; }

# env.sh: the URLs, credentials and certificate paths for tests and fjc.
auth_write_env() {
  # shellcheck disable=SC2034 # (passed by name to write_exports)
  local -A vars=(
    [FJC_AUTH_DIR]=$FJC_AUTH_DIR
    [FJC_MTLS_URL]=$FJC_MTLS_URL
    [FJC_BASIC_URL]=$FJC_BASIC_URL
    [FJC_BEARER_URL]=$FJC_BEARER_URL
    [FJC_AUTH_UPSTREAM_URL]=$FJC_AUTH_UPSTREAM_URL
    [FJC_AUTH_BASIC_USER]=$BASIC_USER
    [FJC_AUTH_BASIC_PASSWORD]=$BASIC_PASSWORD
    [FJC_AUTH_BEARER_TOKEN]=$BEARER_TOKEN
    [FJC_AUTH_CA]=$AUTH_CA
    [FJC_AUTH_CLIENT_CERT]=$AUTH_CLIENT_CERT
    [FJC_AUTH_CLIENT_KEY]=$AUTH_CLIENT_KEY
    [FJC_AUTH_ROGUE_CERT]=$AUTH_ROGUE_CERT
    [FJC_AUTH_ROGUE_KEY]=$AUTH_ROGUE_KEY
  )
  (umask 077 && write_exports "$ENV_FILE" "localstack/${0##*/}" vars)
}
