#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The README's quick start, run as written: the block after "<!-- readme-quickstart -->", with
# only what a reader fills in or has elsewhere moved here: the build line (the binaries under
# test are on PATH), $HOME (this test's directory), port 8443 (a free one) and ROOT_SHA256 (the
# fingerprint `anchor init` printed, read from its output as the reader would). Each background
# process is recorded and stopped by its PID. Then what the block promises is checked with curl:
# the hello answers, and after the revocation the same certificate is refused.
source "$(dirname "$0")/lib.sh"
: "${ANCHOR_AGENT:?ANCHOR_AGENT must name the anchor-agent binary}"
README="$TESTS_DIR/../../README.md"

awk '$0 == "<!-- readme-quickstart -->" { found = 1; next }
     found && /^```/ { if (inside) exit; inside = 1; next }
     inside { print }' "$README" > block.sh
grep -q "anchor-agent run" block.sh || fail "the quick start block was not found in the README"

mkdir bin && ln -s "$ANCHOR" bin/anchor && ln -s "$ANCHOR_AGENT" bin/anchor-agent
PORT=$(free_port)
# The reader copies the fingerprint from init's output: take it from the block's own output.
sed -e '/^make build/d' -e "s#\$HOME#$WORK#g" -e "s#8443#$PORT#g" \
    -e 's#ROOT_SHA256#"$(sed -n "s/^root SHA-256 fingerprint: //p" init.out)"#' \
    -e 's#^\(anchor init [^\#]*\)\(\#.*\)\{0,1\}$#\1 > init.out#' \
    -e 's#&\( *\#.*\)\?$#\& PIDS+=($!)#' block.sh > run.sh
grep -q 'PIDS+=' run.sh || fail "no background process was found in the block"
export PATH="$WORK/bin:$PATH"
unset ANCHOR_HOME
# The reader's `anchor` is the program on PATH, not lib.sh's function of that name: run in the
# background, the function would be a subshell, and its PID not the server's (which would then
# outlive the test).
unset -f anchor
# Sourced here, so that its background processes join PIDS (stopped by PID at exit); a command of
# the block that fails shows in what the checks below find.
source run.sh > run.out 2>&1 || true
has "Hello, sensor-7" run.out || { cat run.sh run.out; fail "the hello did not answer"; }
has "^revoked " run.out || { cat run.out; fail "the revocation did not happen"; }
grep -q "^root SHA-256 fingerprint: " init.out || { cat init.out; fail "anchor init printed no fingerprint"; }
status=$(curl -s -o hello.out -w '%{http_code}' --cacert ca.pem --cert sensor.crt --key sensor.key \
  "https://127.0.0.1:$PORT/hello")
[ "$status" = 401 ] && has "revoked" hello.out || fail "after the revocation the hello answered $status"
pass "README quick start: init, serve, token, agent enrollment, hello and revoke work as written"
