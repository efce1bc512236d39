#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# A rotation that a running `anchor serve` cannot take up, and what it does meanwhile, on a CA
# whose keys are encrypted: `anchor ca rotate` with a passphrase that does not open the home's
# keys is refused before it writes anything; a new generation whose key cannot be read is refused
# with one error line (not one per wake), the old generation keeps issuing and /metrics keeps
# naming it, and the fixed key is taken up with no SIGHUP; a take-up while server.crt cannot be
# read switches issuance and retries TLS until the file is back, then the new generation's leaf
# alone is accepted; a forged intermediates/current cannot write lines into the log. serve is
# stopped (SIGSTOP) while each fault is set up, so it cannot see a half-made one.
source "$(dirname "$0")/lib.sh"
: "${ANCHOR_AGENT:?ANCHOR_AGENT must name the anchor-agent binary}"
issuer_cn() { openssl x509 -in "$1" -noout -issuer -nameopt sep_multiline | sed -n 's/^ *CN=//p'; }
echo "first secret" > p1.txt
echo "other secret" > p2.txt
anchor --passphrase-file p1.txt init --name faults -q 2>/dev/null
export ANCHOR_PASSPHRASE="first secret"  # serve and the CLI open the home with it
start_anchor_serve
GEN="$ANCHOR_HOME/intermediates"
# enroll CN: a certificate from serve (the agent over EST); prints its issuer's CN.
enroll() {
  anchor token create --cn "$1" -q > "$1.tok"
  "$ANCHOR_AGENT" run --server "$BASE" --ca-cert "$ANCHOR_HOME/root.crt" --cn "$1" --key "$1.key" \
    --cert "$1.crt" --token-file "$1.tok" --once 2> "$1.log" || { cat "$1.log"; fail "enroll $1"; }
  issuer_cn "$1.crt"
}
metrics_intermediate() {
  "${CURL[@]}" --cert "$ANCHOR_HOME/admin.crt" --key "$ANCHOR_HOME/admin.key" "$BASE/metrics" \
    | grep '^anchor_certificate_expiry_seconds{role="intermediate"' | sed 's/.*subject="\([^"]*\)".*/\1/'
}
put_current() {  # put_current TEXT: intermediates/current replaced at once, as anchor writes it
  printf '%s' "$1" > "$GEN/current.new" && mv "$GEN/current.new" "$GEN/current"
}

# A passphrase that does not open the home's keys writes no key the home could not use.
ANCHOR_PASSPHRASE= expect_fail "ca rotate --request-out with another passphrase" \
  "$ANCHOR" --passphrase-file p2.txt ca rotate --request-out next.csr
[ ! -e next.csr ] && [ ! -e "$GEN" ] || fail "a refused rotation left $(ls "$GEN" next.csr 2>&1)"

# Generation 2 with a key that cannot be read: one error line, generation 1 keeps issuing.
kill -STOP "$SERVE_PID"
anchor ca rotate -q > /dev/null || { kill -CONT "$SERVE_PID"; fail "anchor ca rotate"; }
cp "$GEN/2/intermediate.key" key2.bak
echo "not a key" > "$GEN/2/intermediate.key"
kill -CONT "$SERVE_PID"
wait_for_log "cannot take up the intermediate that intermediates/current names"
[ "$(enroll dev-a)" = "faults Intermediate CA" ] || fail "dev-a was not issued by generation 1"
metrics_intermediate | has "^CN=faults Intermediate CA," \
  || fail "/metrics names $(metrics_intermediate), not the generation that issues"
sleep 11  # at least one more wake of the lifecycle thread
[ "$(log_count "cannot take up the intermediate")" = 1 ] \
  || { cat "$WORK/serve.log"; fail "the refusal is logged once per wake, not once"; }
cp key2.bak "$GEN/2/intermediate.key"
wait_for_log "took up the intermediate (generation 2, faults Intermediate CA G2, issues now"
[ "$(enroll dev-b)" = "faults Intermediate CA G2" ] || fail "dev-b was not issued by generation 2"
pass "a new generation whose key cannot be read: one error line, generation 1 issues and is the one /metrics names; the fixed key is taken up with no SIGHUP"

# Generation 3 taken up while server.crt cannot be read: issuance switches at once, TLS follows
# once the file is back, and a leaf of generation 3 alone is then accepted.
kill -STOP "$SERVE_PID"
cp "$ANCHOR_HOME/server.crt" server.bak
echo "garbage" > "$ANCHOR_HOME/server.crt"
anchor ca rotate -q > /dev/null || { kill -CONT "$SERVE_PID"; fail "the second rotation"; }
kill -CONT "$SERVE_PID"
wait_for_log "took up the intermediate (generation 3.*TLS cannot load its settings"
[ "$(enroll dev-c)" = "faults Intermediate CA G3" ] || fail "dev-c was not issued by generation 3"
cp server.bak "$ANCHOR_HOME/server.crt"
wait_for_log "TLS accepts the clients of intermediate generation 3 now"
openssl x509 -in dev-c.crt -out dev-c.leaf
[ "$(http_status --cert dev-c.leaf --key dev-c.key "$BASE/hello")" = 200 ] \
  || fail "a generation 3 leaf alone is refused after TLS caught up"
pass "a take-up while server.crt is unreadable: generation 3 issues at once, TLS retries until the file is back, then takes its leaf alone"

# A forged intermediates/current: said as one line, its control characters escaped.
put_current $'9\n2026-01-01T00:00:00Z anchor serve: took up forged'
wait_for_log "cannot take up the intermediate that intermediates/current names.*holds '9"
! grep -q '^2026-01-01T00:00:00Z anchor serve: took up forged' "$WORK/serve.log" \
  || fail "the content of intermediates/current wrote a line of its own into the log"
put_current 3
[ "$(enroll dev-d)" = "faults Intermediate CA G3" ] || fail "dev-d was not issued by generation 3"
pass "a forged intermediates/current is one escaped line; generation 3 keeps issuing"
