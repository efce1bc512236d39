#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# anchor-agent against anchor serve: first enrollment with a one-time token (key made on the
# device, 0600, and the CA received only a CSR for its public key); not due: nothing changes;
# due: renewed with a new key and --on-renew run; CA down: exit 75, the working certificate
# untouched and the error in `status`; the daemon renews, runs its hook and stops on SIGTERM; a
# revoked certificate is a failure that stops the daemon (exit 1). anchor-agent (resident) links
# neither OpenSSL nor libcurl; anchor-agent-worker does; neither links Boost or SQLite.
source "$(dirname "$0")/lib.sh"
: "${ANCHOR_AGENT:?ANCHOR_AGENT must name the anchor-agent binary}"

WORKER="$(dirname "$ANCHOR_AGENT")/anchor-agent-worker"
! ldd "$ANCHOR_AGENT" "$WORKER" | grep -Eq "sqlite|boost" || fail "the agent links SQLite or Boost"
# The resident part holds neither OpenSSL nor libcurl; the worker it runs for each attempt does.
! ldd "$ANCHOR_AGENT" | grep -Eq "libcrypto|libssl|libcurl" || fail "anchor-agent links OpenSSL or libcurl"
ldd "$WORKER" | has libcurl || fail "anchor-agent-worker does not link libcurl"
anchor init --name devices -q
start_anchor_serve
anchor token create --cn pump-1 -q > token.txt
AGENT=("$ANCHOR_AGENT" run --server "$BASE" --ca-cert "$ANCHOR_HOME/root.crt" --cn pump-1
       --key pump.key --cert pump.crt --ca-out ca.pem --token-file token.txt
       --on-renew 'echo "$ANCHOR_SERIAL" >> hook.log')

"${AGENT[@]}" --once 2> agent.log || { cat agent.log; fail "first enrollment"; }
[ "$(stat -c %a pump.key)" = 600 ] || fail "key mode"
openssl verify -x509_strict -purpose sslclient -CAfile ca.pem -untrusted pump.crt pump.crt >/dev/null \
  || fail "the agent's chain does not verify"
serial1=$(openssl x509 -in pump.crt -noout -serial | cut -d= -f2 | tr 'A-F' 'a-f')
python3 - "$ANCHOR_HOME/anchor.db" "$serial1" <<'PY' || fail "the CA's record does not match the device key"
import sqlite3, subprocess, sys
der = sqlite3.connect(sys.argv[1]).execute("SELECT der FROM certificates WHERE serial=?", (sys.argv[2],)).fetchone()[0]
pub = subprocess.run(["openssl", "x509", "-inform", "DER", "-noout", "-pubkey"], input=der, capture_output=True).stdout
mine = subprocess.run(["openssl", "pkey", "-in", "pump.key", "-pubout"], capture_output=True).stdout
assert pub == mine
PY
grep -q "^$serial1$" hook.log || fail "--on-renew did not run after enrollment"
"$ANCHOR_AGENT" status --cert pump.crt > status.out
grep -q "identity: *CN=pump-1" status.out && grep -q "last error: *none" status.out \
  || { cat status.out; fail "status"; }
pass "first start: enrolled with a token, key made here (0600), CA holds only its public key; status"
"$ANCHOR_AGENT" status --cert pump.crt --json > status.json
/usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if d["identity"] == "CN=pump-1" and d["last_error"] is None and d["not_after"].endswith("Z") else 1)' \
  status.json || { cat status.json; fail "status --json"; }
pass "status --json: one document, the shape of anchor's --json"

# A lost answer: the CA committed the certificate, the device never received it. The key made
# for an enrollment is kept (0600) as KEY.enrolling until the answer arrives, so the retry with
# the same token asks for the same key and gets the certificate already issued (same serial),
# where a new key would be refused (the token is used) and the device stranded.
anchor token create --cn pump-3 -q > token3.txt
ENROLL3=(anchor enroll --server "$BASE" --ca-cert "$ANCHOR_HOME/root.crt" --cn pump-3
         --key pump3.key --cert pump3.crt --token-file token3.txt)
"${ENROLL3[@]}" > enroll3.log 2>&1 || { cat enroll3.log; fail "pump-3 enrollment"; }
[ ! -e pump3.key.enrolling ] || fail "the enrolling key is left behind after a success"
serial3=$(openssl x509 -in pump3.crt -noout -serial)
mv pump3.key pump3.key.enrolling && rm pump3.crt  # the device as it was before the answer
"${ENROLL3[@]}" > enroll3.log 2>&1 || { cat enroll3.log; fail "the retry after a lost answer"; }
[ "$(openssl x509 -in pump3.crt -noout -serial)" = "$serial3" ] || fail "the retry got another certificate"
[ "$(stat -c %a pump3.key)" = 600 ] && [ ! -e pump3.key.enrolling ] || fail "the key after the retry"
[ "$(openssl x509 -in pump3.crt -noout -pubkey)" = "$(openssl pkey -in pump3.key -pubout)" ] \
  || fail "the certificate is not for the installed key"
rm pump3.key pump3.crt  # a new key with the used token: 401
if "${ENROLL3[@]}" > enroll3.log 2>&1; then fail "a used token enrolled a new key"; fi
has "401" enroll3.log || has "token" enroll3.log || { cat enroll3.log; fail "the refusal does not say why"; }
[ ! -e pump3.key.enrolling ] || fail "a key refused for good is kept as .enrolling"
pass "a lost answer: the retry asks for the key kept as .enrolling and gets the same certificate; a new key gets 401"

"${AGENT[@]}" --once 2>> agent.log || fail "a run that is not due"
[ "$(openssl x509 -in pump.crt -noout -serial | cut -d= -f2 | tr 'A-F' 'a-f')" = "$serial1" ] \
  || fail "renewed before two thirds of the lifetime"
cp pump.key key.before
"${AGENT[@]}" --once --renew-at 0 2>> agent.log || { cat agent.log; fail "due renewal"; }
serial2=$(openssl x509 -in pump.crt -noout -serial | cut -d= -f2 | tr 'A-F' 'a-f')
[ "$serial2" != "$serial1" ] || fail "not renewed when due"
! cmp -s pump.key key.before || fail "renewal kept the key (default is a new key)"
[ "$(openssl x509 -in pump.crt -noout -pubkey)" = "$(openssl pkey -in pump.key -pubout)" ] || fail "pair"
grep -q "^$serial2$" hook.log || fail "--on-renew did not run after renewal"
pass "not due: untouched; due: renewed with a new key, --on-renew run"

stop_anchor_serve
cp pump.crt crt.before; cp pump.key key.before
rc=0; "${AGENT[@]}" --once --renew-at 0 2> down.log || rc=$?
[ $rc -eq 75 ] || { cat down.log; fail "CA down: exit $rc, expected 75 (try again later)"; }
cmp -s pump.crt crt.before && cmp -s pump.key key.before || fail "a failed renewal touched the files"
"$ANCHOR_AGENT" status --cert pump.crt > status.out
grep -q "last error: .*Couldn't connect" status.out || { cat status.out; fail "status lacks the error"; }
pass "CA down: exit 75 (try again later), working certificate untouched, status shows the error"

# The daemon: due at once (--renew-at 0), renews, runs the hook, then waits; SIGTERM stops it.
SERVE_LISTEN="127.0.0.1:$PORT" start_anchor_serve  # the CA is back, where it was
"${AGENT[@]}" --renew-at 0 2> daemon.log &
AGENT_PID=$!
PIDS+=($AGENT_PID)
for _ in $(seq 1 100); do grep -q "renewed" daemon.log && break; sleep 0.1; done
grep -q "renewed" daemon.log || { cat daemon.log; fail "the daemon did not renew"; }
"$ANCHOR_AGENT" status --cert pump.crt | has "last error: *none" || fail "status after recovery"
rss=$(ps -o rss= -p "$AGENT_PID" | tr -d ' ')
kill -TERM "$AGENT_PID"
rc=0; wait "$AGENT_PID" || rc=$?
forget_pid "$AGENT_PID"
[ $rc -eq 0 ] || fail "the agent exited $rc on SIGTERM"
pass "daemon: renewed after the CA came back, waits (RSS ${rss} KiB), stops cleanly on SIGTERM"
stop_anchor_serve

# Two thirds of a short lifetime: device certificates of 1 minute (+ the 60 s backdating: 120 s
# in all), so the agent renews 20 s after each enrollment, by itself, with the default schedule.
sed -i '/^\[profiles.device\]/,/^\[/ s/^default_minutes = .*/default_minutes = 1/' "$ANCHOR_HOME/anchor.toml"
start_anchor_serve
anchor token create --cn pump-2 -q > token2.txt
"$ANCHOR_AGENT" run --server "$BASE" --ca-cert "$ANCHOR_HOME/root.crt" --cn pump-2 --key p2.key \
  --cert p2.crt --token-file token2.txt --on-renew 'echo "$ANCHOR_SERIAL" >> hook2.log' 2> short.log &
AGENT_PID=$!
PIDS+=($AGENT_PID)
for _ in $(seq 1 100); do [ -s p2.crt ] && break; sleep 0.1; done
lifetime=$(( $(date -d "$(openssl x509 -in p2.crt -noout -enddate | cut -d= -f2)" +%s) - \
             $(date -d "$(openssl x509 -in p2.crt -noout -startdate | cut -d= -f2)" +%s) ))
[ "$lifetime" = 120 ] || fail "expected a 120 s certificate, got $lifetime s"
first=$(openssl x509 -in p2.crt -noout -serial)
enrolled_at=$(date +%s)
for _ in $(seq 1 400); do grep -q "renewed" short.log && break; sleep 0.1; done
renewed_after=$(( $(date +%s) - enrolled_at ))
grep -q "renewed" short.log || { cat short.log; fail "no renewal at two thirds of the lifetime"; }
[ "$(openssl x509 -in p2.crt -noout -serial)" != "$first" ] || fail "the certificate did not change"
# Two thirds, moved earlier by a jitter of up to 1/20 of the lifetime (6 s) against renewal storms.
[ "$renewed_after" -ge 12 ] || fail "renewed after ${renewed_after}s, before two thirds of the lifetime"
[ "$(wc -l < hook2.log)" = 2 ] || fail "--on-renew should have run twice (enroll, renew)"
kill -TERM "$AGENT_PID"; wait "$AGENT_PID" || true; forget_pid "$AGENT_PID"
pass "a 2-minute certificate renewed by the daemon after ${renewed_after}s (two thirds: 20 s after issuance, less up to 6 s of jitter)"

# A revoked certificate cannot be renewed, and no retry will change that: the daemon stops.
anchor revoke --cert p2.crt --reason keyCompromise -q
rc=0
"$ANCHOR_AGENT" run --server "$BASE" --ca-cert "$ANCHOR_HOME/root.crt" --key p2.key --cert p2.crt \
  --renew-at 0 2> revoked.log || rc=$?
[ $rc -eq 1 ] || { cat revoked.log; fail "revoked: the daemon exited $rc, expected 1"; }
has "stopping: the last attempt needs attention" revoked.log || fail "the daemon does not say why it stopped"
pass "revoked: the daemon stops (exit 1) instead of retrying, and says why"
stop_anchor_serve

# A wrong command line is a usage error, exit 2, whatever is wrong with it.
for args in "" "bogus" "status" "run --once --cert x.crt" "run --server https://x --cert x.crt --key x.key --renew-at 2"; do
  rc=0
  # shellcheck disable=SC2086  # the arguments are meant to split
  "$ANCHOR_AGENT" $args > usage.out 2>&1 || rc=$?
  [ $rc -eq 2 ] || { cat usage.out; fail "anchor-agent $args: exit $rc, expected 2"; }
done
"$ANCHOR_AGENT" bogus > usage.out 2>&1 || true
has "unknown command 'bogus'" usage.out || fail "an unknown command is not named"
pass "usage errors exit 2, an unknown command named"
