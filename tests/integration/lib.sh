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

stop_last_server() {
  local pid=${PIDS[-1]}
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  unset 'PIDS[-1]'
}
