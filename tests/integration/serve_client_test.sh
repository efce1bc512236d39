#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `anchor enroll` and `anchor renew` against `anchor serve`: the CA pinned by --ca-cert or by a
# fingerprint (computed here by openssl), key generated on the client, files 0600/atomic; the
# certificates work with curl against the seeds' Node.js server. Failures leave nothing written
# and never damage the certificate that works: wrong fingerprint, used token, CA down.
source "$(dirname "$0")/lib.sh"

anchor init --name fleet -q
start_anchor_serve
CA=(--ca-cert "$ANCHOR_HOME/root.crt")

t1=$(anchor token create --cn sensor-a -q)
anchor enroll --server "$BASE" "${CA[@]}" --token "$t1" --cn sensor-a --key a.key --cert a.crt \
  --ca-out ca.pem -q || fail "enroll with --ca-cert"
[ "$(stat -c %a a.key)" = 600 ] || fail "key mode $(stat -c %a a.key)"
openssl verify -x509_strict -purpose sslclient -CAfile ca.pem -untrusted a.crt a.crt >/dev/null \
  || fail "enrolled chain does not verify with the written CA bundle"
[ "$(openssl x509 -in a.crt -noout -pubkey)" = "$(openssl pkey -in a.key -pubout)" ] || fail "key"
pass "anchor enroll --ca-cert: key made here (0600), full chain verified by openssl"

[ "$(http_status --cert a.crt --key a.key "$BASE/hello")" = 200 ] || fail "/hello with a.crt"
grep -qx "Hello, sensor-a" http.out || fail "/hello answer: $(cat http.out)"
[ "$(http_status "$BASE/hello")" = 401 ] || fail "/hello without a certificate must be 401"
expect_fail "/hello from a TLS 1.2 client (1.3 required)" "${CURL[@]}" --tlsv1.2 --tls-max 1.2 \
  --cert a.crt --key a.key "$BASE/hello"
pass "GET /hello with the enrolled certificate: Hello, sensor-a; without one 401"

# TLS session resumption (RFC 8446 2.2): curl reuses the session of its first connection for the
# second; openssl s_client resumes from a saved session with the client certificate, and the
# resumed connection is still known as sensor-a.
"${CURL[@]}" -o /dev/null -o /dev/null -H "Connection: close" --cert a.crt --key a.key \
  "$BASE/hello" "$BASE/hello" -w "%{http_code}\n" >resume.out 2>resume.err \
  || fail "a second connection resuming the session: $(cat resume.err)"
[ "$(tr -d '\n' <resume.out)" = 200200 ] || fail "resumed /hello: $(cat resume.out)"
hostport=${BASE#https://}
hello_over_s_client() {
  printf 'GET /hello HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n' \
    | timeout 10 openssl s_client -ign_eof -connect "$hostport" -CAfile "$ANCHOR_HOME/root.crt" \
      -verify_return_error -cert a.crt -key a.key "$@" 2>&1
}
hello_over_s_client -sess_out session.pem >first.log || fail "s_client: $(tail -5 first.log)"
[ -s session.pem ] || fail "no TLS session ticket was issued"
hello_over_s_client -sess_in session.pem >resumed.log || fail "resumed s_client: $(tail -5 resumed.log)"
grep -q "^Reused, TLSv1.3" resumed.log || fail "not resumed: $(grep -E '^(New|Reused)' resumed.log)"
grep -q "Hello, sensor-a" resumed.log || fail "resumed session lost the client: $(tail -3 resumed.log)"
pass "TLS sessions resume (curl, openssl -sess_in) and keep the client certificate's identity"

# A --ca-cert that cannot verify the server: this client refuses the server, and says so (it
# sends the "unknown CA" alert itself; the server refused nothing), with nothing written.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout other.key \
  -subj "/CN=Other Root" -days 1 -out other.crt 2>/dev/null
t0=$(anchor token create --cn sensor-0 -q)
expect_fail "another CA's root as --ca-cert" anchor enroll --server "$BASE" --ca-cert other.crt \
  --token "$t0" --cn sensor-0 --key z.key --cert z.crt
grep -q "this client does not accept the server's certificate" last.err \
  || fail "the error should blame the server's certificate: $(cat last.err)"
! grep -q "refused this client certificate" last.err || fail "blamed the client certificate: $(cat last.err)"
[ ! -e z.crt ] || fail "a refused enrollment left a certificate"
pass "a CA file that cannot verify the server is named as the fault, not the client certificate"

# The fingerprint of the root, by openssl, pins the CA without a file.
fp=$(openssl x509 -in "$ANCHOR_HOME/root.crt" -noout -fingerprint -sha256 | cut -d= -f2)
t2=$(anchor token create --cn sensor-b -q)
expect_fail "a wrong fingerprint" anchor enroll --server "$BASE" --token "$t2" --cn sensor-b \
  --fingerprint "00:${fp:3}" --key b.key --cert b.crt
[ ! -e b.key ] && [ ! -e b.crt ] || fail "a refused enrollment left files"
anchor enroll --server "$BASE" --fingerprint "$fp" --token "$t2" --cn sensor-b --key b.key \
  --cert b.crt --ca-out b-ca.pem -q || fail "enroll with --fingerprint (token not consumed before)"
cmp -s <(openssl x509 -in "$ANCHOR_HOME/root.crt") <(openssl x509 -in b-ca.pem) \
  || fail "the pinned CA is not the root"
pass "anchor enroll --fingerprint (openssl's colon form): wrong one refused with no file, right one enrolls"

# Pasted as openssl prints it ("sha256 Fingerprint=AB:CD:..."), it works; a malformed one is named
# as such before anything is fetched.
t3=$(anchor token create --cn sensor-f -q)
expect_fail "a malformed fingerprint" anchor enroll --server "$BASE" --token "$t3" --cn sensor-f \
  --fingerprint "${fp:0:20}" --key f.key --cert f.crt
grep -q "is not a SHA-256 fingerprint" last.err || fail "say the fingerprint is malformed: $(cat last.err)"
pasted=$(openssl x509 -in "$ANCHOR_HOME/root.crt" -noout -fingerprint -sha256)
anchor enroll --server "$BASE" --fingerprint "$pasted" --token "$t3" --cn sensor-f --key f.key \
  --cert f.crt -q || fail "the fingerprint as openssl prints it: $pasted"
pass "--fingerprint as openssl prints it is taken; a malformed one is named"

expect_fail "a used token" anchor enroll --server "$BASE" "${CA[@]}" --token "$t2" --cn sensor-b \
  --key c.key --cert c.crt
[ ! -e c.key ] && [ ! -e c.crt ] || fail "a refused enrollment left files"
expect_fail "a token for another name" anchor enroll --server "$BASE" "${CA[@]}" \
  --token "$(anchor token create --cn sensor-d -q)" --cn sensor-x --key d.key --cert d.crt

# Renewal keeps the identity; with --rekey the key changes too.
before=$(openssl x509 -in a.crt -noout -serial)
anchor renew --server "$BASE" "${CA[@]}" --cert a.crt --key a.key -q || fail "renew"
[ "$(openssl x509 -in a.crt -noout -serial)" != "$before" ] || fail "renew kept the old certificate"
cp a.key a.key.old
anchor renew --server "$BASE" "${CA[@]}" --cert a.crt --key a.key --rekey -q || fail "rekey"
! cmp -s a.key a.key.old || fail "--rekey kept the key"
[ "$(openssl x509 -in a.crt -noout -pubkey)" = "$(openssl pkey -in a.key -pubout)" ] \
  || fail "after --rekey the certificate and key do not match"
[ "$(stat -c %a a.key)" = 600 ] || fail "rekeyed key mode"
# On the CA machine the home's root.crt is the server's trust, as for the admin commands.
before=$(openssl x509 -in a.crt -noout -serial)
anchor renew --server "$BASE" --cert a.crt --key a.key -q || fail "renew without --ca-cert on the CA machine"
[ "$(openssl x509 -in a.crt -noout -serial)" != "$before" ] || fail "renew without --ca-cert kept the old certificate"
pass "anchor renew, and --rekey: new serial, key and certificate match; on the CA machine without --ca-cert"

# The renewed certificate works where the seeds use certificates: Node.js server + curl.
anchor issue --cn localhost --profile server --cert srv.crt --key srv.key -q
start_node_server "$WORK/srv.crt" "$WORK/srv.key" "$ANCHOR_HOME/root.crt"
curl -sS --max-time 10 --cacert ca.pem --cert a.crt --key a.key \
  "https://localhost:$NODE_PORT/" | has "Hello World" || fail "node + curl with a.crt"
stop_last_server
pass "the renewed certificate opens the seeds' Node.js mTLS server"

# The CA goes away: renewal fails with a one-line error and the working files stay as they were.
cp a.crt a.crt.before; cp a.key a.key.before
stop_anchor_serve
expect_fail "renewal while the CA is down" anchor renew --server "$BASE" "${CA[@]}" \
  --cert a.crt --key a.key --rekey
cmp -s a.crt a.crt.before && cmp -s a.key a.key.before || fail "a failed renewal touched the files"
[ "$(wc -l < last.err)" = 1 ] || fail "the error should be one line: $(cat last.err)"
pass "CA down: one-line error, certificate and key untouched"
