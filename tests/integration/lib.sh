# SPDX-License-Identifier: Apache-2.0
# Shared helpers for integration tests: a scratch directory, background processes that are
# always stopped by PID, assertions that name what failed.
set -euo pipefail

: "${ANCHOR:?ANCHOR must name the anchor binary}"
: "${TESTS_DIR:?TESTS_DIR must name tests/integration}"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/anchor-it.XXXXXX")
PIDS=()
TEST_DATABASES=()
cleanup() {
  local pid db
  for pid in "${PIDS[@]}"; do
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  for db in "${TEST_DATABASES[@]}"; do
    sql "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
  done
  rm -rf "$WORK"
}
trap cleanup EXIT
cd "$WORK"
export ANCHOR_HOME="$WORK/ca"
unset ANCHOR_PASSPHRASE

fail() { echo "FAIL: $*" >&2; exit 1; }
# has PATTERN...: grep for the end of a pipe. Unlike `grep -q` it reads all of its input, so the
# writer never dies of SIGPIPE, which `set -o pipefail` would report as a failure.
has() { grep "$@" >/dev/null; }
pass() { echo "ok: $*"; }
anchor() { "$ANCHOR" "$@"; }

# expect_fail DESCRIPTION CMD...: CMD must exit non-zero.
expect_fail() {
  local what=$1; shift
  if "$@" >"$WORK/last.out" 2>"$WORK/last.err"; then
    fail "$what: expected failure, got success"
  fi
  pass "$what refused: $(head -c 200 "$WORK/last.err" | tr '\n' ' ')"
}

# row_count: certificates recorded in the CA's store, read with Python's sqlite3, not anchor.
row_count() {
  /usr/bin/python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("SELECT COUNT(*) FROM certificates").fetchone()[0])' \
    "$ANCHOR_HOME/anchor.db"
}

# start_node_server CERT KEY CA [node flags...]: the Node.js server of seed 003 on an ephemeral
# port; sets NODE_PORT.
start_node_server() {
  local cert=$1 key=$2 ca=$3; shift 3
  rm -f "$WORK/node.port"
  PORT=0 PORT_FILE="$WORK/node.port" CERT="$cert" KEY="$key" CA="$ca" \
    node "$@" "$TESTS_DIR/node/app_bob.js" >"$WORK/node.log" 2>&1 &
  PIDS+=($!)
  local i
  for i in $(seq 1 100); do
    [ -s "$WORK/node.port" ] && break
    sleep 0.1
  done
  [ -s "$WORK/node.port" ] || { cat "$WORK/node.log"; fail "node server did not start"; }
  NODE_PORT=$(cat "$WORK/node.port")
}

# forget_pid PID: PID has been stopped and waited for; cleanup need not.
forget_pid() {
  local kept=() p
  for p in "${PIDS[@]}"; do
    [ "$p" = "$1" ] || kept+=("$p")
  done
  PIDS=("${kept[@]}")
}

stop_last_server() {
  local pid=${PIDS[-1]}
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  unset 'PIDS[-1]'
}

# use_factory_ca: a factory CA made by openssl alone (factory.crt, factory.key in $WORK), named
# in anchor.toml as the bootstrap CA; before start_anchor_serve.
use_factory_ca() {
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout factory.key \
    -subj "/CN=Factory CA" -days 30 -addext basicConstraints=critical,CA:TRUE \
    -addext keyUsage=critical,keyCertSign,cRLSign -out factory.crt 2>/dev/null
  sed -i "s|^bootstrap_ca = .*|bootstrap_ca = \"$WORK/factory.crt\"|" "$ANCHOR_HOME/anchor.toml"
}

# start_anchor_serve [serve flags...]: `anchor serve` on an ephemeral port of 127.0.0.1, or on
# $SERVE_LISTEN (to come back on the same port), (the
# binary itself, so its PID is the server's); sets SERVE_PID, PORT, BASE (https://localhost:PORT),
# HTTP_PORT (with --http-listen) and CURL (curl pinned to the CA root, resolving localhost to
# 127.0.0.1). Its stdout and stderr go to $WORK/serve.log, or with $SERVE_STDERR set, its stderr
# (the log) to that file alone.
start_anchor_serve() {
  # Empty first: on a restart the shell may not have truncated the last server's log yet when
  # the wait below reads it, and would take its "listening on" line for this server's.
  : >"$WORK/serve.log"
  if [ -n "${SERVE_STDERR:-}" ]; then
    "$ANCHOR" serve --listen "${SERVE_LISTEN:-127.0.0.1:0}" "$@" >"$WORK/serve.log" 2>"$SERVE_STDERR" &
  else
    "$ANCHOR" serve --listen "${SERVE_LISTEN:-127.0.0.1:0}" "$@" >"$WORK/serve.log" 2>&1 &
  fi
  SERVE_PID=$!
  PIDS+=($SERVE_PID)
  local i
  # Up to 30 s: it starts in well under one, but a sanitizer build on a loaded machine is slow.
  for i in $(seq 1 300); do
    grep -q "listening on" "$WORK/serve.log" && break
    kill -0 "$SERVE_PID" 2>/dev/null || break
    sleep 0.1
  done
  PORT=$(sed -n 's/.*listening on https:\/\/127.0.0.1:\([0-9]*\).*/\1/p' "$WORK/serve.log")
  [ -n "$PORT" ] || { cat "$WORK/serve.log"; fail "anchor serve did not start"; }
  BASE="https://localhost:$PORT"
  HTTP_PORT=$(sed -n 's/.*also on http:\/\/127.0.0.1:\([0-9]*\).*/\1/p' "$WORK/serve.log")
  CURL=(curl -sS --max-time 10 --resolve "localhost:$PORT:127.0.0.1" --cacert "$ANCHOR_HOME/root.crt")
}

# test_database PREFIX: a database of its own in the test cluster (ctest fixture `postgres`),
# dropped by cleanup; sets DB, PG_HOST (the cluster's socket directory) and URL
# (postgresql://anchor@/DB?host=PG_HOST). sql runs one statement on the cluster's postgres
# database, dbsql on DB, each printing the rows bare (psql -qtA).
test_database() {
  : "${ANCHOR_TEST_POSTGRES_DSN:?ANCHOR_TEST_POSTGRES_DSN must name the test cluster (ctest fixture postgres)}"
  DB="$1_$$_$RANDOM"
  sql "CREATE DATABASE $DB" || fail "psql CREATE DATABASE $DB"
  TEST_DATABASES+=("$DB")
  PG_HOST=${ANCHOR_TEST_POSTGRES_DSN#*host=}
  PG_HOST=${PG_HOST%% *}
  URL="postgresql://anchor@/$DB?host=$PG_HOST"
}
sql() { psql "$ANCHOR_TEST_POSTGRES_DSN" -v ON_ERROR_STOP=1 -qtAc "$1"; }
dbsql() { psql "$URL" -v ON_ERROR_STOP=1 -qtAc "$1"; }

# serial_of CERT: the serial of a PEM certificate, lower-case hex as anchor writes it.
serial_of() { openssl x509 -in "$1" -noout -serial | cut -d= -f2 | tr 'A-F' 'a-f'; }
now_ms() { date +%s%3N; }
# feed_cursor FILE and feed_serials FILE: the cursor, and the revoked serials separated by
# spaces, of an answer of the revocation feed, read with Python's json.
feed_cursor() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["cursor"])' "$1"; }
feed_serials() { python3 -c 'import json,sys; print(" ".join(r["serial"] for r in json.load(open(sys.argv[1]))["revocations"]))' "$1"; }
# still_waiting PID WHAT: half a second on, the request PID (a long-polled feed request) must
# not have answered yet.
still_waiting() {
  sleep 0.5
  kill -0 "$1" 2>/dev/null || fail "$2 answered before anything was revoked"
}

# check_received_stored FILE...: every serial the files list (one per line: what clients
# received) is in the certificates of the database (dbsql), and none is listed twice. Leaves
# the sorted list in received.txt.
check_received_stored() {
  cat "$@" | sort > "$WORK/received.txt"
  [ -z "$(uniq -d "$WORK/received.txt")" ] \
    || fail "a serial was received twice: $(uniq -d "$WORK/received.txt" | head -3 | tr '\n' ' ')"
  dbsql "SELECT serial FROM certificates" | sort > "$WORK/stored.txt"
  [ -z "$(comm -23 "$WORK/received.txt" "$WORK/stored.txt")" ] \
    || fail "$(comm -23 "$WORK/received.txt" "$WORK/stored.txt" | wc -l) serials a client received are not in the database"
}

# check_tokens_whole: nothing half-written between tokens, certificates and the audit log of the
# database (dbsql): a certificate paid by a token has that token marked used by it and an
# "issue" audit entry, a used token has its certificate, and no token paid for two.
check_tokens_whole() {
  [ "$(dbsql "SELECT count(*) FROM certificates c WHERE c.token_hash IS NOT NULL AND NOT EXISTS (
    SELECT 1 FROM tokens t WHERE t.hash = c.token_hash AND t.used_by = c.serial AND t.used_at IS NOT NULL)")" = 0 ] \
    || fail "a certificate whose token is not marked used by it"
  [ "$(dbsql "SELECT count(*) FROM tokens t WHERE t.used_at IS NOT NULL AND NOT EXISTS (
    SELECT 1 FROM certificates c WHERE c.serial = t.used_by AND c.token_hash = t.hash)")" = 0 ] \
    || fail "a used token without its certificate"
  [ -z "$(dbsql "SELECT token_hash FROM certificates WHERE token_hash IS NOT NULL GROUP BY token_hash HAVING count(*) > 1")" ] \
    || fail "a token paid for two certificates"
  [ "$(dbsql "SELECT count(*) FROM certificates c WHERE c.token_hash IS NOT NULL AND NOT EXISTS (
    SELECT 1 FROM audit_log a WHERE a.action = 'issue' AND a.serial = c.serial)")" = 0 ] \
    || fail "an enrolled certificate without its audit entry"
}

# start_replica N [serve flags...]: one more `anchor serve` of the same home (replicas of a CA
# whose store is PostgreSQL), with plain HTTP for OCSP and the CRL; its log in replicaN.log.
# Sets PID_N, PORT_N (HTTPS) and HTTP_N (plain HTTP).
start_replica() {
  local n=$1 http i
  shift
  http=$(free_port)
  # Empty first, so that a restarted replica's last "listening on" is not taken for its own.
  : > "$WORK/replica$n.log"
  "$ANCHOR" serve --listen 127.0.0.1:0 --http-listen "127.0.0.1:$http" "$@" > "$WORK/replica$n.log" 2>&1 &
  PIDS+=($!)
  eval "PID_$n=$!"
  for i in $(seq 1 300); do
    grep -q "listening on" "$WORK/replica$n.log" && break
    sleep 0.1
  done
  grep -q "listening on" "$WORK/replica$n.log" || { cat "$WORK/replica$n.log"; fail "replica $n did not start"; }
  eval "PORT_$n=$(sed -n 's|.*listening on https://127.0.0.1:\([0-9]*\).*|\1|p' "$WORK/replica$n.log")"
  eval "HTTP_$n=$http"
}

# stop_anchor_serve: SIGTERM, and the server must exit 0.
stop_anchor_serve() {
  kill -TERM "$SERVE_PID"
  local rc=0
  wait "$SERVE_PID" || rc=$?
  forget_pid "$SERVE_PID"
  [ $rc -eq 0 ] || { cat "$WORK/serve.log"; fail "anchor serve exited $rc on SIGTERM"; }
}

# http_status CURL-ARGS...: prints only the HTTP status of the request (body in $WORK/http.out).
http_status() {
  "${CURL[@]}" -o "$WORK/http.out" -w '%{http_code}' "$@" || true
}

# free_port: a TCP port of 127.0.0.1 that nothing listens on now (for servers, such as
# Mosquitto, that cannot report the port they were given for port 0).
free_port() {
  /usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# mosquitto_conf PORT CAFILE CERT KEY [plugin_opt lines...]: a Mosquitto configuration on stdout
# with one mTLS listener on 127.0.0.1:PORT (require_certificate, TCP_NODELAY) and anchor's
# plugin ($ANCHOR_PLUGIN) following the CA at $BASE; each further argument is a line
# "key value" that becomes "plugin_opt_key value". The log goes to $WORK/mosquitto-PORT.log.
mosquitto_conf() {
  local port=$1 cafile=$2 cert=$3 key=$4; shift 4
  cat <<CONF
user $(id -un)
per_listener_settings false
log_dest file $WORK/mosquitto-$port.log
log_type error
log_type warning
log_type notice
log_type information
persistence false
listener $port 127.0.0.1
cafile $cafile
certfile $cert
keyfile $key
require_certificate true
set_tcp_nodelay true
plugin $ANCHOR_PLUGIN
plugin_opt_ca_url $BASE
plugin_opt_ca_file $ANCHOR_HOME/root.crt
plugin_opt_cert $cert
plugin_opt_key $key
CONF
  local opt
  for opt in "$@"; do
    echo "plugin_opt_$opt"
  done
}

# start_mosquitto CONF PORT: Mosquitto in the background, its PID in MOSQ_PID, ready when its
# log says it is running. Sanitizer builds preload their runtime ($ANCHOR_BROKER_PRELOAD), as
# the plugin needs it and Mosquitto was not built with it.
start_mosquitto() {
  local conf=$1 port=$2 log="$WORK/mosquitto-$2.log"
  : > "$log"
  env ${ANCHOR_BROKER_PRELOAD:+LD_PRELOAD=$ANCHOR_BROKER_PRELOAD} ASAN_OPTIONS=detect_leaks=0 \
    mosquitto -c "$conf" >>"$WORK/mosquitto-$port.out" 2>&1 &
  MOSQ_PID=$!
  PIDS+=($MOSQ_PID)
  local i
  for i in $(seq 1 300); do  # up to 30 s, for sanitizer builds on a loaded machine
    grep -q "running" "$log" && return 0
    kill -0 "$MOSQ_PID" 2>/dev/null || break
    sleep 0.1
  done
  cat "$log" "$WORK/mosquitto-$port.out" >&2
  fail "mosquitto did not start on port $port"
}

# start_swtpm DIR: a fresh software TPM 2.0 (swtpm, TPM state in DIR) on two free loopback
# ports, the command port and the control port above it; ready when the control port answers.
# Sets SWTPM_PID (stopped by cleanup, or by stop_pid), SWTPM_PORT and TPM_TCTI (the tpm2-tss TCTI
# that reaches it), and exports TPM2TOOLS_TCTI for tpm2-tools. No resource manager: 3 transient
# object slots, which a process that dies holding them leaves taken (tpm2_flushcontext -t).
# Exits 77 (skip) when swtpm, tpm2-tools or OpenSSL's tpm2 provider is not installed. For
# endorsement certificates, run tests/data/tpm/manufacture.sh DIR first.
start_swtpm() {
  local dir=$1 modules attempt port
  command -v swtpm >/dev/null || { echo "skip: swtpm is not installed (apt-get install swtpm)"; exit 77; }
  command -v tpm2_load >/dev/null || { echo "skip: tpm2-tools is not installed"; exit 77; }
  modules=$(openssl version -m | sed 's/^MODULESDIR: "\(.*\)"$/\1/')
  [ -r "$modules/tpm2.so" ] || { echo "skip: OpenSSL's tpm2 provider is not installed (apt-get install tpm2-openssl)"; exit 77; }
  mkdir -p "$dir"
  for attempt in $(seq 1 10); do
    port=$(free_port)
    # The control port must be free too: swtpm takes port + 1.
    /usr/bin/python3 -c 'import socket,sys; s=socket.socket(); s.bind(("127.0.0.1", int(sys.argv[1])))' \
      $((port + 1)) 2>/dev/null || continue
    swtpm socket --tpm2 --tpmstate dir="$dir" \
      --server type=tcp,port=$port,bindaddr=127.0.0.1 \
      --ctrl type=tcp,port=$((port + 1)),bindaddr=127.0.0.1 \
      --flags not-need-init,startup-clear --log file="$dir/swtpm.log",level=1 &
    SWTPM_PID=$!
    PIDS+=($SWTPM_PID)
    local i
    for i in $(seq 1 100); do
      if (exec 3<>"/dev/tcp/127.0.0.1/$((port + 1))") 2>/dev/null; then
        SWTPM_PORT=$port
        TPM_TCTI="swtpm:host=127.0.0.1,port=$port"
        export TPM2TOOLS_TCTI=$TPM_TCTI
        return 0
      fi
      kill -0 "$SWTPM_PID" 2>/dev/null || break
      sleep 0.05
    done
    stop_pid "$SWTPM_PID"
  done
  cat "$dir/swtpm.log" >&2 || true
  fail "swtpm did not start"
}

# stop_pid PID: SIGTERM, wait, and forget it.
stop_pid() {
  kill -TERM "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
  forget_pid "$1"
}

# restart_anchor_serve [serve flags...]: `anchor serve` again on the port of the last one ($PORT),
# once that one has been stopped; returns as soon as it listens (polled every 10 ms). The last
# one's log is appended to $WORK/serve-all.log and emptied first, so that its "listening on" is
# not taken for the new one's before the new one's shell has truncated the file. Sets SERVE_PID.
restart_anchor_serve() {
  cat "$WORK/serve.log" >>"$WORK/serve-all.log"
  : >"$WORK/serve.log"
  "$ANCHOR" serve --listen "127.0.0.1:$PORT" "$@" >"$WORK/serve.log" 2>&1 &
  SERVE_PID=$!
  PIDS+=($SERVE_PID)
  local i
  for i in $(seq 1 3000); do  # up to 30 s
    grep -q "listening on https://127.0.0.1:$PORT " "$WORK/serve.log" && return 0
    kill -0 "$SERVE_PID" 2>/dev/null || break
    sleep 0.01
  done
  cat "$WORK/serve.log"
  fail "anchor serve did not start again on port $PORT"
}

# For tests of anchor serve's reload (SIGHUP) and of its own certificates.
# served_serial NAME: the serial of the certificate a new TLS handshake gets, by openssl.
served_serial() {
  openssl s_client -connect "127.0.0.1:$PORT" -servername "${1:-localhost}" </dev/null 2>/dev/null |
    openssl x509 -noout -serial | sed 's/serial=//' | tr 'A-F' 'a-f'
}
# log_count PATTERN: lines of the server's log that match.
log_count() { grep -c -- "$1" "$WORK/serve.log" || true; }
# mosquitto_for_demo: the mosquitto `anchor demo --mosquitto` should run. In a sanitizer build
# ($ANCHOR_BROKER_PRELOAD set), the broker loads the sanitized plugin and needs the runtime
# preloaded: a wrapper script in $WORK that preloads it; otherwise Debian's mosquitto.
mosquitto_for_demo() {
  local real
  real=$(command -v mosquitto || echo /usr/sbin/mosquitto)
  if [ -z "${ANCHOR_BROKER_PRELOAD:-}" ]; then
    echo "$real"
    return
  fi
  printf '#!/bin/sh\nLD_PRELOAD=%s ASAN_OPTIONS=detect_leaks=0 exec %s "$@"\n' \
    "$ANCHOR_BROKER_PRELOAD" "$real" > "$WORK/mosquitto"
  chmod +x "$WORK/mosquitto"
  echo "$WORK/mosquitto"
}
# wait_for_log PATTERN [SECONDS]: wait (default 20 s) for a line of the server's log matching
# PATTERN (grep -e), or fail showing the log.
wait_for_log() {
  local i
  for i in $(seq 1 $((${2:-20} * 10))); do
    grep -q -e "$1" "$WORK/serve.log" && return 0
    sleep 0.1
  done
  cat "$WORK/serve.log"
  fail "no line '$1' in serve's log within ${2:-20} s"
}
# hup_and_wait: SIGHUP, then wait for the reload's summary line.
hup_and_wait() {
  local before
  before=$(log_count "anchor serve: reloaded ")
  kill -HUP "$SERVE_PID"
  local i
  for i in $(seq 1 100); do
    [ "$(log_count "anchor serve: reloaded ")" -gt "$before" ] && return 0
    sleep 0.1
  done
  cat "$WORK/serve.log"
  fail "no reload line after SIGHUP"
}

# running_in PREFIX: PIDs of live processes whose working directory is under PREFIX (the demo
# starts each of its processes in its directory).
running_in() {
  local d
  for d in /proc/[0-9]*; do
    case "$(readlink "$d/cwd" 2>/dev/null)" in
      "$1"*) grep -q '^State:.*Z' "$d/status" 2>/dev/null || echo "${d#/proc/}" ;;
    esac
  done
  true
}
