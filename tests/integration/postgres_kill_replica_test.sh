#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# SIGKILL of one `anchor serve` replica of two on one PostgreSQL database (ctest's `postgres`
# fixture, a database of its own), first in the middle of an enrollment storm on both
# (bench/anchor-load): the storm on the survivor has no error; every serial a client received is
# in the database once (psql); nothing is half-written (each certificate paid by a token has its
# token marked used by it and an audit entry, each used token its certificate); `anchor audit
# verify` passes; the survivor answers /healthz, `openssl ocsp` and an enrollment; the killed
# replica, started again on the same home, serves. Then in the middle of a burst of revocations
# through the admin API alternating between the replicas: each one answered 200 is in the
# database, in the survivor's feed (cursors consecutive from 1) and in its CRL (openssl crl).
source "$(dirname "$0")/lib.sh"
: "${ANCHOR_LOAD:?ANCHOR_LOAD must name bench/anchor-load}"
test_database anchor_kill

anchor init --name killca --store "$URL" -q 2> init.err || { cat init.err; fail "anchor init --store"; }
start_replica 1
start_replica 2
R1="https://127.0.0.1:$PORT_1"
R2="https://127.0.0.1:$PORT_2"
CURL=(curl -sS --max-time 10 --cacert "$ANCHOR_HOME/root.crt")
ADMIN=(--cert "$ANCHOR_HOME/admin.crt" --key "$ANCHOR_HOME/admin.key")
base_certs=$(dbsql "SELECT count(*) FROM certificates")

# --- An enrollment storm on both replicas; replica 1 is killed in its middle. ---
N=1000
load() {  # load URL SERIALS-FILE: N enrollments (tokens made first, through URL's admin API)
  "$ANCHOR_LOAD" enroll --url "$1" --ca "$ANCHOR_HOME/root.crt" \
    --admin-cert "$ANCHOR_HOME/admin.crt" --admin-key "$ANCHOR_HOME/admin.key" \
    --n "$N" --concurrency 8 --serials "$2" --go go
}
load "$R1" s1.txt > load1.out 2> load1.err &
L1=$!
PIDS+=($L1)
load "$R2" s2.txt > load2.out 2> load2.err &
L2=$!
PIDS+=($L2)
# Both clients start enrolling together once both have their tokens (psql counts them), and
# replica 1 is killed when some hundred certificates are in the database.
for _ in $(seq 1 600); do
  [ "$(dbsql "SELECT count(*) FROM tokens")" -ge $((2 * N)) ] && break
  sleep 0.05
done
touch go
killed_at=""
for _ in $(seq 1 600); do
  certs=$(dbsql "SELECT count(*) FROM certificates")
  if [ "$certs" -ge $((base_certs + 300)) ]; then
    kill -KILL "$PID_1"
    killed_at=$((certs - base_certs))
    break
  fi
  sleep 0.02
done
[ -n "$killed_at" ] || { cat load1.err load2.err; fail "the storm never reached 300 certificates"; }
wait "$PID_1" 2>/dev/null || true
forget_pid "$PID_1"
wait "$L1" || true  # its requests in flight and after the kill fail
rc2=0; wait "$L2" || rc2=$?
forget_pid "$L1"
forget_pid "$L2"
[ "$rc2" = 0 ] || { cat load2.out load2.err; fail "the storm on the surviving replica had errors"; }
has "errors=0" load2.out || fail "replica 2's storm: $(cat load2.out)"
errors1=$(sed -n 's/.* errors=\([0-9]*\).*/\1/p' load1.out)
[ -n "$errors1" ] && [ "$errors1" -gt 0 ] || { cat load1.out load1.err; fail "the storm on the killed replica saw no error"; }
got1=$(wc -l < s1.txt)
got2=$(wc -l < s2.txt)
[ "$got2" = "$N" ] || fail "replica 2's client received $got2 certificates of $N"
[ "$got1" -ge 1 ] && [ "$got1" -lt "$N" ] || fail "replica 1's client received $got1: not killed mid-storm"
pass "SIGKILL of replica 1 at $killed_at certificates: replica 2's storm $(sed 's/.*\(seconds=[0-9.]*\).*\(errors=[0-9]*\).*/\1 \2/' load2.out), $got2 of $N; replica 1's client received $got1, $errors1 failed ($(sed -n 's/.*\(statuses=[0-9:,]*\).*/\1/p' load1.out), 0: no answer)"

# Every serial a client received is in the database, once; none was handed to two clients.
check_received_stored s1.txt s2.txt
[ -z "$(dbsql "SELECT serial FROM certificates GROUP BY serial HAVING count(*) > 1")" ] || fail "a serial stored twice"
stored_load=$(dbsql "SELECT count(*) FROM certificates WHERE common_name LIKE 'load-%'")
pass "all $(wc -l < received.txt) serials the clients received are in the database (psql), none twice; $((stored_load - $(wc -l < received.txt))) committed but not received (answer lost in the kill)"

# Nothing half-written: a certificate paid by a token has its token used by it, and an audit
# entry; a used token has its certificate.
check_tokens_whole
used=$(dbsql "SELECT count(*) FROM tokens WHERE used_at IS NOT NULL")
unused=$(dbsql "SELECT count(*) FROM tokens WHERE used_at IS NULL")
anchor audit verify > audit.out || { cat audit.out; fail "anchor audit verify"; }
pass "nothing half-written: $used used tokens each with its certificate and each certificate with its token and audit entry, $unused tokens unused; anchor audit verify passes"

# The survivor serves: /healthz, OCSP (openssl ocsp) and an enrollment.
[ "$("${CURL[@]}" -o /dev/null -w '%{http_code}' "$R2/healthz")" = 200 ] || fail "replica 2's /healthz"
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout after.key \
  -subj /CN=after -outform DER -out after.der 2>/dev/null
base64 after.der > after.b64
enroll() {  # enroll URL TOKEN OUT: the HTTP status; the certificate in OUT (PEM) on 200
  local code
  code=$("${CURL[@]}" -o enroll.out -w '%{http_code}' -H "Authorization: Bearer $2" \
    -H "Content-Type: application/pkcs10" --data-binary @after.b64 "$1/.well-known/est/simpleenroll" || true)
  [ "$code" = 200 ] && base64 -d enroll.out | openssl pkcs7 -inform DER -print_certs -out "$3"
  echo "$code"
}
[ "$(enroll "$R2" "$(anchor token create --cn after -q)" after.crt)" = 200 ] \
  || fail "an enrollment on replica 2 after the kill: $(cat enroll.out)"
ocsp() {  # ocsp HTTP_PORT CERT: the status line
  openssl ocsp -issuer "$ANCHOR_HOME/intermediate.crt" -cert "$2" -url "http://127.0.0.1:$1/ocsp" \
    -CAfile "$ANCHOR_HOME/root.crt" -no_nonce 2>&1 | grep "$2:" || true
}
[ "$(ocsp "$HTTP_2" after.crt)" = "after.crt: good" ] || fail "OCSP on replica 2: $(ocsp "$HTTP_2" after.crt)"
pass "replica 2 after the kill: /healthz 200, an enrollment 200, openssl ocsp says good"

# Replica 1 started again on the same home serves.
t0=$(now_ms)
start_replica 1
restart_ms=$(( $(now_ms) - t0 ))
R1="https://127.0.0.1:$PORT_1"
[ "$("${CURL[@]}" -o /dev/null -w '%{http_code}' "$R1/healthz")" = 200 ] || fail "replica 1's /healthz after its restart"
[ "$(enroll "$R1" "$(anchor token create --cn after -q)" after1.crt)" = 200 ] \
  || fail "an enrollment on the restarted replica 1: $(cat enroll.out)"
[ "$(ocsp "$HTTP_1" after1.crt)" = "after1.crt: good" ] || fail "OCSP on replica 1: $(ocsp "$HTTP_1" after1.crt)"
pass "replica 1 started again on the same home in $restart_ms ms: /healthz, an enrollment and OCSP answer"

# --- A burst of revocations alternating between the replicas; replica 1 killed in its middle. ---
head -200 received.txt > to_revoke.txt
python3 - "$R1" "$R2" "$ANCHOR_HOME" to_revoke.txt > revoked.txt 2> revoke.err <<'PY' &
# Four clients revoke the listed serials through the admin API, serial i on replica i % 2; each
# line of output is "serial status" (status 0: no answer).
import http.client, json, ssl, sys, threading, urllib.parse
urls, home, serials = sys.argv[1:3], sys.argv[3], open(sys.argv[4]).read().split()
ctx = ssl.create_default_context(cafile=f"{home}/root.crt")
ctx.load_cert_chain(f"{home}/admin.crt", f"{home}/admin.key")
lock, nxt, out = threading.Lock(), [0], []
def work():
    conns = {}
    while True:
        with lock:
            i = nxt[0]; nxt[0] += 1
        if i >= len(serials):
            return
        u = urllib.parse.urlsplit(urls[i % 2])
        status = 0
        try:
            c = conns.get(u.port) or http.client.HTTPSConnection("localhost", u.port, context=ctx, timeout=15)
            c.connect() if c.sock is None else None
            conns[u.port] = c
            c.request("POST", f"/api/v1/certificates/{serials[i]}/revoke",
                      body=json.dumps({"reason": "keyCompromise"}),
                      headers={"Content-Type": "application/json"})
            r = c.getresponse(); r.read(); status = r.status
        except Exception as e:
            conns.pop(u.port, None)
            print(f"{serials[i]}: {e!r}", file=sys.stderr)
        with lock:
            out.append(f"{serials[i]} {status}")
threads = [threading.Thread(target=work) for _ in range(4)]
for t in threads: t.start()
for t in threads: t.join()
print("\n".join(out))
PY
RV=$!
PIDS+=($RV)
killed_at=""
for _ in $(seq 1 600); do
  n=$(dbsql "SELECT count(*) FROM revocations")
  if [ "$n" -ge 60 ]; then
    kill -KILL "$PID_1"
    killed_at=$n
    break
  fi
  sleep 0.02
done
[ -n "$killed_at" ] || fail "the revocation burst never reached 60 revocations"
wait "$PID_1" 2>/dev/null || true
forget_pid "$PID_1"
wait "$RV" || { cat revoke.err; fail "the revocation client"; }
forget_pid "$RV"
ok=$(awk '$2 == 200' revoked.txt | wc -l)
refused=$(awk '$2 != 200' revoked.txt | wc -l)
[ "$(wc -l < revoked.txt)" = 200 ] || fail "the client reported $(wc -l < revoked.txt) of 200"
[ "$refused" -gt 0 ] || fail "no revocation failed: replica 1 was not killed in the burst"
# Those answered by replica 2 all succeeded (every even-numbered one).
awk '$2 == 200 {print $1}' revoked.txt | sort > ok.txt
dbsql "SELECT serial FROM revocations" | sort > db_revoked.txt
[ -z "$(comm -23 ok.txt db_revoked.txt)" ] || fail "$(comm -23 ok.txt db_revoked.txt | wc -l) revocations answered 200 are not in the database"
[ "$(dbsql "SELECT count(*) FROM certificates c WHERE (c.status = 'revoked') <> EXISTS (
  SELECT 1 FROM revocations r WHERE r.serial = c.serial)")" = 0 ] || fail "a revoked certificate without its revocation row, or the reverse"
[ "$(dbsql "SELECT count(*) FROM revocations r WHERE NOT EXISTS (
  SELECT 1 FROM audit_log a WHERE a.action = 'revoke' AND a.serial = r.serial)")" = 0 ] || fail "a revocation without its audit entry"
"${CURL[@]}" "${ADMIN[@]}" "$R2/api/v1/revocations?since=0&limit=10000" > feed.json || fail "replica 2's feed"
python3 - feed.json ok.txt "$(dbsql "SELECT count(*) FROM revocations")" <<'PY' || fail "replica 2's feed"
import json, sys
feed = json.load(open(sys.argv[1]))
seqs = [r["seq"] for r in feed["revocations"]]
assert seqs == list(range(1, len(seqs) + 1)), f"cursors not consecutive from 1: {seqs}"
assert len(seqs) == int(sys.argv[3]) and feed["cursor"] == len(seqs), (len(seqs), sys.argv[3], feed["cursor"])
missing = set(open(sys.argv[2]).read().split()) - {r["serial"] for r in feed["revocations"]}
assert not missing, f"{len(missing)} revocations answered 200 missing from the feed"
PY
curl -sS --max-time 10 "http://127.0.0.1:$HTTP_2/crl" -o crl.der || fail "replica 2's CRL"
cat "$ANCHOR_HOME/intermediate.crt" "$ANCHOR_HOME/root.crt" > chain.pem
openssl crl -inform DER -in crl.der -CAfile chain.pem -noout 2>&1 | has "verify OK" || fail "replica 2's CRL does not verify"
openssl crl -inform DER -in crl.der -noout -text | sed -n 's/^ *Serial Number: *//p' | tr 'A-F' 'a-f' \
  | sed 's/^0*//' | sort > crl_serials.txt
sed 's/^0*//' ok.txt | sort > ok_stripped.txt
[ -z "$(comm -23 ok_stripped.txt crl_serials.txt)" ] \
  || fail "$(comm -23 ok_stripped.txt crl_serials.txt | wc -l) revocations answered 200 are not in replica 2's CRL"
total=$(wc -l < db_revoked.txt)
pass "SIGKILL of replica 1 at $killed_at revocations: $ok answered 200 (all in the database, in replica 2's feed with cursors 1..$total consecutive, in its CRL), $refused failed, $((total - ok)) committed without a 200"
anchor audit verify > audit.out || { cat audit.out; fail "anchor audit verify after the revocations"; }
kill -TERM "$PID_2"
wait "$PID_2" || fail "replica 2 did not stop cleanly"
forget_pid "$PID_2"
pass "anchor audit verify passes; replica 2 stops cleanly on SIGTERM"
