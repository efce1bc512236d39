#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Every program's command line keeps the same contract: --version prints "PROGRAM VERSION" and
# exits 0; a usage error exits 2 (never CLI11's 105/106) and names a mistyped command or option
# with the registered name it is closest to; durations take the usual forms.
source "$TESTS_DIR/lib.sh"
: "${ANCHOR_AGENT:?}"
WORKER="$(dirname "$ANCHOR_AGENT")/anchor-agent-worker"
version=$(sed -n 's/^project(anchor VERSION \([0-9.]*\) .*/\1/p' "$TESTS_DIR/../../CMakeLists.txt")
[ -n "$version" ] || fail "no version in CMakeLists.txt's project()"

# exit_of CMD...: runs CMD, output in out.txt, and prints its exit code.
exit_of() { local rc=0; "$@" >out.txt 2>&1 || rc=$?; echo $rc; }

for prog in "$ANCHOR:anchor" "$ANCHOR_AGENT:anchor-agent" "$WORKER:anchor-agent"; do
  bin=${prog%%:*} name=${prog#*:}
  [ "$(exit_of "$bin" --version)" = 0 ] || { cat out.txt; fail "$bin --version did not exit 0"; }
  [ "$(cat out.txt)" = "$name $version" ] || fail "$bin --version printed '$(cat out.txt)'"
done
pass "--version on every program: 'anchor $version'"

# check_usage EXPECTED CMD...: CMD exits 2 and its one line of output contains EXPECTED.
check_usage() {
  local expected=$1; shift
  local rc
  rc=$(exit_of "$@")
  [ "$rc" = 2 ] || { cat out.txt; fail "$*: exit $rc, expected 2"; }
  [ "$(wc -l < out.txt)" = 1 ] || { cat out.txt; fail "$*: more than one line"; }
  has -F -e "$expected" out.txt || { cat out.txt; fail "$*: does not say '$expected'"; }
}
check_usage "unknown command 'isue'; did you mean 'issue'?" "$ANCHOR" isue --cn x
check_usage "unknown command 'craete'; did you mean 'create'?" "$ANCHOR" token craete --cn x
check_usage "unknown option '--tll'; did you mean '--ttl'?" "$ANCHOR" token create --cn x --tll 5m
check_usage "unknown option '--hoem'; did you mean '--home'?" "$ANCHOR" list --hoem x
check_usage "unknown option '--sever'; did you mean '--server'?" \
  "$ANCHOR_AGENT" run --sever https://x --key k --cert c
check_usage "unknown command 'stauts'; did you mean 'status'?" "$ANCHOR_AGENT" stauts --cert c
check_usage "unknown option '--fingerprnt'; did you mean '--fingerprint'?" \
  "$WORKER" run --server https://x --key k --cert c --fingerprnt AB
check_usage "unknown command 'bogus'; use one of: run, status" "$ANCHOR_AGENT" bogus
check_usage "--cn is required" "$ANCHOR" token create
check_usage "not expected" "$ANCHOR_AGENT" run --server https://x --key k --cert c --no-such-flag
pass "usage errors exit 2 in every program, with the name that was meant"

# Durations: the token's lifetime as the store records it (read with Python's sqlite3).
anchor init --name durations -q --no-passphrase >/dev/null 2>&1
ttl_of() {
  /usr/bin/python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute(
    "SELECT expires_at - created_at FROM tokens WHERE common_name = ?", (sys.argv[2],)).fetchone()[0])' \
    "$ANCHOR_HOME/anchor.db" "$1"
}
for pair in 90s:90 90m:5400 1h30m:5400 7d:604800 1d12h:129600 2w:1209600 366d:31622400; do
  text=${pair%%:*} seconds=${pair#*:}
  anchor token create --cn "ttl-$text" --ttl "$text" -q >/dev/null
  [ "$(ttl_of "ttl-$text")" = "$seconds" ] || fail "--ttl $text: $(ttl_of "ttl-$text") s, expected $seconds"
done
pass "token --ttl takes 90s, 90m, 1h30m, 7d, 1d12h, 2w"
for bad in 90 1.5h 30m1h forever 0s 367d; do
  rc=$(exit_of anchor token create --cn "bad-ttl" --ttl "$bad")
  [ "$rc" = 1 ] || { cat out.txt; fail "--ttl $bad: exit $rc, expected 1"; }
  [ "$(wc -l < out.txt)" = 1 ] || { cat out.txt; fail "--ttl $bad: more than one line"; }
done
rc=$(exit_of anchor token create --cn bad-ttl --ttl 90)
has -F "write e.g. 90s, 30m, 1h30m" out.txt || { cat out.txt; fail "a bad duration does not show the forms"; }
[ "$(/usr/bin/python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute(
  "SELECT COUNT(*) FROM tokens WHERE common_name = ?", ("bad-ttl",)).fetchone()[0])' \
  "$ANCHOR_HOME/anchor.db")" = 0 ] || fail "a refused --ttl left a token row"
pass "a bad --ttl (90, 1.5h, 30m1h, forever, 0s, 367d) is one line, exit 1, no row"
