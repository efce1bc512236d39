#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The CA's own certificates and reload, with real processes and real peers (curl, openssl,
# Python's ssl, bench/anchor-load):
#  - `anchor renew` / `anchor issue` over server.crt say to use `anchor ca server-cert`;
#  - SIGHUP with a broken anchor.toml: one log line naming the key, the old settings kept, still
#    serving; a good anchor.toml then applies at once (a profile's validity), and a transport
#    key is named as needing a restart;
#  - `anchor ca server-cert --san` then SIGHUP: the new name verifies with openssl
#    -verify_hostname and curl; before the SIGHUP it does not;
#  - `anchor ocsp signer` then SIGHUP: openssl verifies OCSP answers signed by the new signer;
#  - SIGHUP every 0.2 s during an enrollment storm (keep-alive and fresh connections): zero
#    failures, every certificate stored;
#  - a server certificate of a 2-minute profile, renewed by `anchor serve` itself while curl
#    keeps connecting: every curl succeeds, a connection opened before the renewal keeps working,
#    the served serial changes, and openssl verifies the new certificate.
source "$(dirname "$0")/lib.sh"
: "${ANCHOR_LOAD:?ANCHOR_LOAD must name bench/anchor-load}"

anchor init --name lifecycle -q
TOML="$ANCHOR_HOME/anchor.toml"
cp "$TOML" good.toml
start_anchor_serve

# --- The errors that used to leave a user stuck name the way out.
expect_fail "anchor renew on server.crt" anchor renew --server "$BASE" \
  --ca-cert "$ANCHOR_HOME/root.crt" --cert "$ANCHOR_HOME/server.crt" --key "$ANCHOR_HOME/server.key"
has "anchor ca server-cert" "$WORK/last.err" || fail "renew does not name anchor ca server-cert"
expect_fail "anchor issue over server.crt" anchor issue --cn x -p server --san dns:x \
  --cert "$ANCHOR_HOME/server.crt" --key new.key
has "anchor ca server-cert" "$WORK/last.err" || fail "issue does not name anchor ca server-cert"
[ ! -e new.key ] || fail "issue wrote a key"

# --- SIGHUP with a broken anchor.toml: one line naming the key, old settings kept.
sed -i 's/^crl_days = .*/crl_days = "seven"/' "$TOML"
kill -HUP "$SERVE_PID"
for i in $(seq 1 50); do
  [ "$(log_count "keeping the previous settings")" -ge 1 ] && break
  sleep 0.1
done
[ "$(log_count "keeping the previous settings")" = 1 ] || { cat "$WORK/serve.log"; fail "no single line for the broken anchor.toml"; }
grep "keeping the previous settings" "$WORK/serve.log" | has "crl_days" ||
  fail "the line does not name the key: $(grep 'keeping the previous' "$WORK/serve.log")"
kill -0 "$SERVE_PID" || fail "anchor serve died on SIGHUP"
[ "$(http_status "$BASE/healthz")" = 200 ] || fail "not serving after a bad reload"
pass "broken anchor.toml: $(grep 'keeping the previous settings' "$WORK/serve.log" | cut -c1-200)"

# A good anchor.toml applies at once: devices now get 3-day certificates; a transport key is
# named as needing a restart.
cp good.toml "$TOML"
sed -i '/^\[profiles.device\]/,/^\[/ s/^default_days = .*/default_days = 3/' "$TOML"
sed -i 's/^max_connections = .*/max_connections = 999/' "$TOML"
hup_and_wait
grep "anchor serve: reloaded " "$WORK/serve.log" | tail -1 | has "server.max_connections" ||
  fail "the reload line does not name the changed transport key"
# ... only as not applied, never also as applied.
reloaded=$(grep "anchor serve: reloaded " "$WORK/serve.log" | tail -1)
case "$reloaded" in *"(changed, not applied: server.max_connections)"*) ;;
  *) fail "server.max_connections is not named as changed, not applied: $reloaded" ;; esac
case "${reloaded%%; a restart is needed*}" in *server.max_connections*)
  fail "server.max_connections is reported as applied too: $reloaded" ;; esac
has "profiles.device.default_days 365 -> 3" <<<"$reloaded" || fail "the applied change is not named: $reloaded"
token=$(anchor token create --cn dev-1 --profile device -q)
anchor enroll --server "$BASE" --ca-cert "$ANCHOR_HOME/root.crt" --token "$token" --cn dev-1 \
  --key dev1.key --cert dev1.crt -q
days=$(( ($(date -d "$(openssl x509 -in dev1.crt -noout -enddate | cut -d= -f2)" +%s) - $(date +%s)) / 86400 ))
[ "$days" = 2 ] || [ "$days" = 3 ] || fail "the device certificate is valid $days days, not 3"
pass "reload applied anchor.toml: $(grep 'anchor serve: reloaded ' "$WORK/serve.log" | tail -1 | cut -c1-240)"
cp good.toml "$TOML"
hup_and_wait

# --- anchor ca server-cert --san, then SIGHUP: the new name verifies.
NEW_NAME=ca.lifecycle.example
old_serial=$(served_serial)
anchor ca server-cert --san "dns:$NEW_NAME" -q
openssl verify -CAfile "$ANCHOR_HOME/root.crt" -untrusted "$ANCHOR_HOME/intermediate.crt" \
  -verify_hostname "$NEW_NAME" "$ANCHOR_HOME/server.crt" >/dev/null || fail "openssl verify of server.crt"
[ "$(stat -c %a "$ANCHOR_HOME/server.key")" = 600 ] || fail "server.key is not 0600"
NEW_CURL=(curl -sS --max-time 10 --resolve "$NEW_NAME:$PORT:127.0.0.1" --cacert "$ANCHOR_HOME/root.crt")
if "${NEW_CURL[@]}" -o /dev/null "https://$NEW_NAME:$PORT/healthz" 2>/dev/null; then
  fail "the new name verified before SIGHUP"
fi
[ "$(served_serial)" = "$old_serial" ] || fail "the served certificate changed before SIGHUP"
hup_and_wait
"${NEW_CURL[@]}" -o /dev/null "https://$NEW_NAME:$PORT/healthz" || fail "curl to $NEW_NAME after SIGHUP"
openssl s_client -connect "127.0.0.1:$PORT" -servername "$NEW_NAME" -verify_hostname "$NEW_NAME" \
  -CAfile "$ANCHOR_HOME/root.crt" -verify_return_error </dev/null >sclient.out 2>&1 ||
  { cat sclient.out; fail "openssl s_client -verify_hostname $NEW_NAME"; }
has "Verify return code: 0 (ok)" sclient.out || fail "s_client did not verify"
"${CURL[@]}" -o /dev/null "$BASE/healthz" || fail "localhost no longer verifies"
[ "$(served_serial)" != "$old_serial" ] || fail "the served serial did not change"
pass "anchor ca server-cert --san $NEW_NAME + SIGHUP: curl and openssl -verify_hostname accept it"

# --- anchor ocsp signer, then SIGHUP: OCSP answers come signed by the delegated signer.
cat "$ANCHOR_HOME/root.crt" "$ANCHOR_HOME/intermediate.crt" >trust.pem
# ocsp_serials: the serials of the certificates an OCSP answer for dev1.crt carries.
ocsp_answer() {
  openssl ocsp -issuer "$ANCHOR_HOME/intermediate.crt" -cert dev1.crt -no_nonce -reqout req.der >/dev/null 2>&1
  "${CURL[@]}" --data-binary @req.der -H "Content-Type: application/ocsp-request" -o resp.der "$BASE/ocsp"
  openssl ocsp -reqin req.der -respin resp.der -CAfile trust.pem -resp_text >ocsp.out 2>&1 ||
    { cat ocsp.out; fail "openssl ocsp rejected the answer"; }
  has "Response verify OK" ocsp.out || { cat ocsp.out; fail "the OCSP answer does not verify"; }
}
anchor ocsp signer --days 7 -q
signer_serial=$(openssl x509 -in "$ANCHOR_HOME/ocsp.crt" -noout -serial | sed 's/serial=//')
ocsp_answer
grep -i -A1 "Serial Number" ocsp.out | tr -d ' :\n' | grep -qi "$signer_serial" &&
  fail "the delegated signer answered before SIGHUP"
hup_and_wait
grep "anchor serve: reloaded " "$WORK/serve.log" | tail -1 | has -i "the OCSP signer (serial $signer_serial" ||
  fail "the reload line does not name the OCSP signer"
ocsp_answer
grep -i -A1 "Serial Number" ocsp.out | tr -d ' :\n' | grep -qi "$signer_serial" ||
  { cat ocsp.out; fail "the OCSP answer is not signed by the new delegated signer"; }
pass "anchor ocsp signer + SIGHUP: openssl verifies answers signed by the delegated signer $signer_serial"

# --- SIGHUP during an enrollment storm: nothing dropped.
"$ANCHOR_LOAD" enroll --url "$BASE" --ca "$ANCHOR_HOME/root.crt" \
  --admin-cert "$ANCHOR_HOME/admin.crt" --admin-key "$ANCHOR_HOME/admin.key" \
  --n 1500 --concurrency 8 --serials keep.txt >keep.out 2>&1 &
keep_pid=$!
PIDS+=($keep_pid)
"$ANCHOR_LOAD" enroll --url "$BASE" --ca "$ANCHOR_HOME/root.crt" \
  --admin-cert "$ANCHOR_HOME/admin.crt" --admin-key "$ANCHOR_HOME/admin.key" \
  --n 500 --concurrency 8 --fresh --serials fresh.txt >fresh.out 2>&1 &
fresh_pid=$!
PIDS+=($fresh_pid)
hups=0
while kill -0 "$keep_pid" 2>/dev/null || kill -0 "$fresh_pid" 2>/dev/null; do
  kill -HUP "$SERVE_PID"
  hups=$((hups + 1))
  sleep 0.2
done
rc=0; wait "$keep_pid" || rc=$?; forget_pid "$keep_pid"
[ $rc = 0 ] || { cat keep.out; fail "keep-alive storm failed during SIGHUPs"; }
rc=0; wait "$fresh_pid" || rc=$?; forget_pid "$fresh_pid"
[ $rc = 0 ] || { cat fresh.out; fail "fresh-connection storm failed during SIGHUPs"; }
has "errors=0" keep.out || fail "keep-alive storm: $(cat keep.out)"
has "errors=0" fresh.out || fail "fresh storm: $(cat fresh.out)"
cat keep.txt fresh.txt >all.txt
[ "$(sort -u all.txt | wc -l)" = 2000 ] || fail "expected 2000 distinct serials, got $(sort -u all.txt | wc -l)"
python3 - "$ANCHOR_HOME/anchor.db" all.txt <<'PY' || fail "store check"
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
stored = {r[0] for r in db.execute("SELECT serial FROM certificates")}
missing = [s.strip() for s in open(sys.argv[2]) if s.strip() not in stored]
assert not missing, f"{len(missing)} issued serials are not in the store"
PY
[ "$hups" -ge 3 ] || fail "only $hups SIGHUPs were sent during the storm"
kill -0 "$SERVE_PID" || fail "anchor serve died"
pass "storm with $hups SIGHUPs: $(head -c 120 keep.out); $(head -c 120 fresh.out)"

# --- A 2-minute server certificate, renewed by anchor serve itself while curl keeps connecting.
sed -i '/^\[profiles.server\]/,/^\[/ s/^default_minutes = .*/default_minutes = 2/' "$TOML"
anchor ca server-cert -q
hup_and_wait
short_serial=$(served_serial)
life=$(( $(date -d "$(openssl x509 -in "$ANCHOR_HOME/server.crt" -noout -enddate | cut -d= -f2)" +%s) - $(date +%s) ))
[ "$life" -le 125 ] && [ "$life" -ge 60 ] || fail "the server certificate has $life s left, not about 2 minutes"
# A connection opened now, before the renewal, must keep working after it (Python's ssl: one
# socket throughout, its peer certificate the old one).
cat >keepalive.py <<'PY'
import http.client, ssl, sys, time
port, ca, seconds = int(sys.argv[1]), sys.argv[2], float(sys.argv[3])
ctx = ssl.create_default_context(cafile=ca)
conn = http.client.HTTPSConnection("localhost", port, context=ctx, timeout=10)
conn.connect()
sock = conn.sock
first = sock.getpeercert()["serialNumber"]
n = 0
end = time.time() + seconds
while time.time() < end:
    conn.request("GET", "/healthz")
    r = conn.getresponse(); r.read()
    assert r.status == 200, r.status
    assert conn.sock is sock, "the connection was replaced"
    n += 1
    time.sleep(1)
print(f"requests={n} serial={first.lower()} still={sock.getpeercert()['serialNumber'].lower()}")
PY
python3 keepalive.py "$PORT" "$ANCHOR_HOME/root.crt" 85 >keepalive.out 2>&1 &
ka_pid=$!
PIDS+=($ka_pid)
ok=0 failed=0 renewed_serial=""
deadline=$(( $(date +%s) + 100 ))
while [ "$(date +%s)" -lt "$deadline" ]; do
  if "${CURL[@]}" -o /dev/null "$BASE/healthz"; then ok=$((ok + 1)); else failed=$((failed + 1)); fi
  if [ -z "$renewed_serial" ] && [ "$(log_count "renewed the server certificate")" -ge 1 ]; then
    renewed_serial=$(served_serial)
  fi
  [ -n "$renewed_serial" ] && [ "$ok" -ge 20 ] && ! kill -0 "$ka_pid" 2>/dev/null && break
  sleep 0.2
done
[ "$failed" = 0 ] || fail "$failed of $((ok + failed)) curl requests failed during the renewal"
[ -n "$renewed_serial" ] || { cat "$WORK/serve.log"; fail "anchor serve did not renew its certificate"; }
[ "$renewed_serial" != "$short_serial" ] || fail "the served serial did not change"
grep "renewed the server certificate" "$WORK/serve.log" | head -1 | has "serial $short_serial -> " ||
  fail "the renewal line does not name the old serial: $(grep 'renewed the server' "$WORK/serve.log")"
openssl s_client -connect "127.0.0.1:$PORT" -servername localhost -showcerts </dev/null 2>/dev/null |
  awk '/BEGIN CERT/{n++} n==1{print} /END CERT/{if(n==1) exit}' >served.pem
openssl verify -x509_strict -purpose sslserver -CAfile "$ANCHOR_HOME/root.crt" \
  -untrusted "$ANCHOR_HOME/intermediate.crt" -verify_hostname localhost served.pem >/dev/null ||
  fail "openssl verify of the renewed certificate"
rc=0; wait "$ka_pid" || rc=$?; forget_pid "$ka_pid"
[ $rc = 0 ] || { cat keepalive.out; fail "the connection opened before the renewal broke"; }
has "serial=$short_serial still=$short_serial" keepalive.out ||
  fail "the open connection's certificate: $(cat keepalive.out)"
python3 - "$ANCHOR_HOME/anchor.db" "$renewed_serial" <<'PY' || fail "the renewed certificate is not recorded"
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
row = db.execute("SELECT profile FROM certificates WHERE serial = ?", (sys.argv[2],)).fetchone()
assert row and row[0] == "server", row
assert db.execute("SELECT COUNT(*) FROM audit_log WHERE serial = ?", (sys.argv[2],)).fetchone()[0] >= 1
PY
pass "self-renewal: $ok curls, 0 failed; served $short_serial -> $renewed_serial; $(cat keepalive.out)"
pass "$(grep 'renewed the server certificate' "$WORK/serve.log" | head -1)"
stop_anchor_serve
