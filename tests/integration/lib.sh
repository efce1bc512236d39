# SPDX-License-Identifier: Apache-2.0
# Shared helpers for integration tests: a scratch directory, background processes that are
# always stopped by PID, assertions that name what failed.
set -euo pipefail

: "${ANCHOR:?ANCHOR must name the anchor binary}"
: "${TESTS_DIR:?TESTS_DIR must name tests/integration}"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/anchor-it.XXXXXX")
PIDS=()
cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
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

# start_anchor_serve [serve flags...]: `anchor serve` on an ephemeral port of 127.0.0.1, or on
# $SERVE_LISTEN (to come back on the same port), (the
# binary itself, so its PID is the server's); sets SERVE_PID, PORT, BASE (https://localhost:PORT),
# HTTP_PORT (with --http-listen) and CURL (curl pinned to the CA root, resolving localhost to
# 127.0.0.1).
start_anchor_serve() {
  "$ANCHOR" serve --listen "${SERVE_LISTEN:-127.0.0.1:0}" "$@" >"$WORK/serve.log" 2>&1 &
  SERVE_PID=$!
  PIDS+=($SERVE_PID)
  local i
  for i in $(seq 1 100); do
    grep -q "listening on" "$WORK/serve.log" && break
    sleep 0.1
  done
  PORT=$(sed -n 's/.*listening on https:\/\/127.0.0.1:\([0-9]*\).*/\1/p' "$WORK/serve.log")
  [ -n "$PORT" ] || { cat "$WORK/serve.log"; fail "anchor serve did not start"; }
  BASE="https://localhost:$PORT"
  HTTP_PORT=$(sed -n 's/.*also on http:\/\/127.0.0.1:\([0-9]*\).*/\1/p' "$WORK/serve.log")
  CURL=(curl -sS --max-time 10 --resolve "localhost:$PORT:127.0.0.1" --cacert "$ANCHOR_HOME/root.crt")
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
