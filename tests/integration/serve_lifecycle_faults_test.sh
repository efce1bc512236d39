#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The faults a hostile review found in serve's own certificates and its SIGHUP reload, each
# reproduced as it was reported (coord/reviews/lifecycle_review.md 1-6):
#  1. two `anchor ca server-cert` at once never leave server.key and server.crt mismatched, both
#     succeed, and nothing staged is left (a flock on the home's own-certificates.lock);
#  2. SIGHUP refuses a server.crt of another CA (openssl-made) and one of the client profile,
#     with one line, and the old certificate keeps serving (curl against the root);
#  3. SIGHUP refuses a client certificate as the delegated OCSP signer (no id-kp-OCSPSigning);
#  4. SIGHUP while serve still reads its passphrase neither kills it nor is lost;
#  5. an empty anchor.toml is refused on SIGHUP; an applied one names each changed setting;
#  6. a key file readable by others is named with `chmod 600`, at start and on reload;
#  7a. a server certificate replaced (re-issued, then SIGHUP) is revoked as superseded.
source "$(dirname "$0")/lib.sh"

anchor init --name faults -q
H="$ANCHOR_HOME"
same_pair() {
  cmp -s <(openssl x509 -in "$H/server.crt" -noout -pubkey) <(openssl pkey -in "$H/server.key" -pubout)
}

# --- 1. Two writers of the server certificate at once.
for i in $(seq 1 15); do
  anchor ca server-cert >w1.out 2>w1.err &
  p1=$!
  anchor ca server-cert >w2.out 2>w2.err &
  p2=$!
  rc1=0; rc2=0
  wait $p1 || rc1=$?
  wait $p2 || rc2=$?
  [ $rc1 -eq 0 ] && [ $rc2 -eq 0 ] || { cat w1.err w2.err; fail "round $i: a writer failed"; }
  same_pair || fail "round $i: server.key is not the key of server.crt"
  ! ls "$H"/*.new >/dev/null 2>&1 || fail "round $i: staged files left: $(ls "$H"/*.new)"
done
pass "30 concurrent anchor ca server-cert: every pair matches, none failed"

# --- 6 (at start). A CA key readable by others is named at start.
chmod 644 "$H/intermediate.key"
start_anchor_serve
has -F "$H/intermediate.key is readable" "$WORK/serve.log" || fail "no warning for intermediate.key"
has -F "chmod 600 $H/intermediate.key" "$WORK/serve.log" || fail "the warning names no fix"
chmod 600 "$H/intermediate.key"
pass "a key file readable by others is named at start with chmod 600"

serves() { "${CURL[@]}" -o /dev/null "$BASE/cacerts" || fail "curl against the root fails: $*"; }
cp "$H/server.crt" good.crt
cp "$H/server.key" good.key
good_serial=$(served_serial)

# --- 2. A server certificate of another CA, then one of the client profile.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$H/server.key" \
  -out "$H/server.crt" -subj /CN=localhost -addext subjectAltName=DNS:localhost 2>/dev/null
hup_and_wait
has "server.crt would not verify" "$WORK/serve.log" || { cat "$WORK/serve.log"; fail "another CA's certificate not refused"; }
has "kept the previous: the TLS certificate" "$WORK/serve.log" || fail "no 'kept' in the reload line"
[ "$(served_serial)" = "$good_serial" ] || fail "the served certificate changed"
serves "after another CA's certificate"
anchor issue --cn client-1 -p client --cert client.crt --key client.key >/dev/null 2>issue.err ||
  { cat issue.err; fail "anchor issue -p client"; }
cat client.crt "$H/intermediate.crt" >"$H/server.crt"
cp client.key "$H/server.key"
before=$(log_count "server.crt would not verify")
hup_and_wait
[ "$(log_count "server.crt would not verify")" -gt "$before" ] || fail "a client certificate was taken as server.crt"
[ "$(served_serial)" = "$good_serial" ] || fail "the served certificate changed"
serves "after a client certificate"
cp good.crt "$H/server.crt"
cp good.key "$H/server.key"
pass "SIGHUP refuses server.crt of another CA and of the client profile; the old one serves"

# --- 7a. A replaced server certificate is revoked (superseded) once no handshake gets it.
anchor ca server-cert --san dns:faults.example >/dev/null
hup_and_wait
new_serial=$(served_serial)
[ "$new_serial" != "$good_serial" ] || fail "the re-issued certificate is not served"
has "revoked the replaced server certificate (serial $good_serial, superseded)" "$WORK/serve.log" ||
  { cat "$WORK/serve.log"; fail "the replaced certificate was not revoked"; }
anchor list --status revoked --profile server --json >revoked.json
python3 - "$good_serial" "$new_serial" revoked.json <<'PY'
import json, sys
old, new, path = sys.argv[1], sys.argv[2], sys.argv[3]
text = open(path).read().lower()
assert old in text, "the replaced serial is not listed revoked"
assert new not in text, "the served serial is listed revoked"
PY
serves "after the re-issue"
cp "$H/server.crt" good.crt
cp "$H/server.key" good.key
good_serial=$new_serial
pass "the replaced server certificate is revoked (superseded) once the new one serves"

# --- 3. A client certificate as the delegated OCSP signer.
cp client.crt "$H/ocsp.crt"
cp client.key "$H/ocsp.key"
hup_and_wait
has "no id-kp-OCSPSigning" "$WORK/serve.log" || { cat "$WORK/serve.log"; fail "a client certificate was taken as OCSP signer"; }
has "kept the previous: the OCSP signer" "$WORK/serve.log" || fail "no 'kept' for the OCSP signer"
rm "$H/ocsp.crt" "$H/ocsp.key"
pass "SIGHUP refuses a client certificate as the OCSP signer"

# --- 5. An empty anchor.toml is refused; an applied one names what changed.
cp "$H/anchor.toml" good.toml
: >"$H/anchor.toml"
applied=$(log_count "reloaded anchor.toml")
hup_and_wait  # until the reload's summary line, which follows the refusal
has "has no \[ca\] name" "$WORK/serve.log" || { cat "$WORK/serve.log"; fail "an empty anchor.toml was applied"; }
[ "$(log_count "reloaded anchor.toml")" -eq "$applied" ] || fail "an empty anchor.toml was reported as reloaded"
python3 - "$H/anchor.toml" good.toml <<'PY'
import sys
text = open(sys.argv[2]).read()
device = text.index("[profiles.device]")
head, tail = text[:device], text[device:]
tail = tail.replace("max_days = 825", "max_days = 30", 1).replace("default_days = 365", "default_days = 20", 1)
open(sys.argv[1], "w").write(head + tail)
PY
hup_and_wait
has "profiles.device.max_days 825 -> 30" "$WORK/serve.log" || { cat "$WORK/serve.log"; fail "the change is not named"; }
has "profiles.device.default_days 365 -> 20" "$WORK/serve.log" || fail "the change is not named"
pass "an empty anchor.toml is refused; each changed setting is named"

# --- 6 (on reload). server.key readable by others.
chmod 644 "$H/server.key"
hup_and_wait
has -F "chmod 600 $H/server.key" "$WORK/serve.log" || fail "no warning for server.key on reload"
chmod 600 "$H/server.key"
serves "at the end"
stop_anchor_serve
pass "a key file readable by others is named on reload"

# --- 4. SIGHUP while serve reads its passphrase (before the server exists).
export ANCHOR_HOME="$WORK/enc"
echo "correct horse battery" >pass.txt
anchor init --name enc --passphrase-file pass.txt -q
mkfifo pass.fifo
: >"$WORK/serve.log"
"$ANCHOR" serve --listen 127.0.0.1:0 --passphrase-file pass.fifo >"$WORK/serve.log" 2>&1 &
SERVE_PID=$!
PIDS+=($SERVE_PID)
# Wait until anchor serve (not the forked shell before its exec, which may catch SIGHUP itself)
# catches SIGHUP (SigCgt bit 0: signal 1), i.e. serve has begun; it now blocks on the FIFO.
for i in $(seq 1 100); do
  cgt=
  [ "$(readlink "/proc/$SERVE_PID/exe")" = "$(readlink -f "$ANCHOR")" ] &&
    cgt=$(sed -n 's/^SigCgt:\t//p' "/proc/$SERVE_PID/status" 2>/dev/null)
  [ -n "$cgt" ] && (( (16#$cgt & 1) != 0 )) && break
  sleep 0.05
done
(( (16#${cgt:-0} & 1) != 0 )) || fail "anchor serve does not catch SIGHUP before it reads its keys"
kill -HUP "$SERVE_PID"
sleep 0.2
kill -0 "$SERVE_PID" 2>/dev/null || { cat "$WORK/serve.log"; fail "SIGHUP before serving killed anchor serve"; }
cat pass.txt >pass.fifo
for i in $(seq 1 300); do
  grep -q "anchor serve: reloaded " "$WORK/serve.log" && break
  kill -0 "$SERVE_PID" 2>/dev/null || break
  sleep 0.1
done
has "listening on" "$WORK/serve.log" || { cat "$WORK/serve.log"; fail "serve did not start"; }
has "anchor serve: reloaded " "$WORK/serve.log" || { cat "$WORK/serve.log"; fail "the early SIGHUP was lost"; }
stop_anchor_serve
pass "SIGHUP before serving is a reload once serving, not an exit"
