#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `anchor serve` with an EST client made only of curl and openssl: cacerts, simpleenroll with a
# one-time token (Basic password), a retry with the same token and key answered with the same
# certificate and the token refused to any other key, bad requests refused while
# the server keeps serving, OCSP with `openssl ocsp -url` (POST) and the GET form, the OCSP cache
# invalidated by a revocation, /crl checked by openssl,
# TLS 1.2 refused by default, and a clean exit on SIGTERM.
source "$(dirname "$0")/lib.sh"

anchor init --name online -q
start_anchor_serve --http-listen 127.0.0.1:0

# cacerts: the chain, as certs-only PKCS#7 in base64.
"${CURL[@]}" "$BASE/.well-known/est/cacerts" | base64 -d > cacerts.p7
openssl pkcs7 -inform DER -in cacerts.p7 -print_certs -noout | has "online Root CA" \
  || fail "cacerts does not hold the root"
pass "GET cacerts parsed by openssl pkcs7"

# simpleenroll: the device makes its key and CSR with openssl, posts it with curl.
token=$(anchor token create --cn sensor-1 -q)
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout dev.key \
  -subj /CN=sensor-1 -outform DER -out dev.csr.der 2>/dev/null
base64 dev.csr.der > dev.csr.b64
enroll() {  # enroll TOKEN [curl args...]: prints the HTTP status, body in enroll.out
  local t=$1; shift
  "${CURL[@]}" -o enroll.out -w '%{http_code}' -u "device:$t" -H "Content-Type: application/pkcs10" \
    --data-binary @dev.csr.b64 "$@" "$BASE/.well-known/est/simpleenroll"
}
[ "$(enroll "$token")" = 200 ] || { cat enroll.out; fail "enrollment refused"; }
base64 -d enroll.out | openssl pkcs7 -inform DER -print_certs -out dev.crt
openssl verify -x509_strict -purpose sslclient -CAfile "$ANCHOR_HOME/root.crt" \
  -untrusted "$ANCHOR_HOME/intermediate.crt" dev.crt >/dev/null || fail "enrolled certificate"
[ "$(openssl x509 -in dev.crt -noout -pubkey)" = "$(openssl pkey -in dev.key -pubout)" ] \
  || fail "the certificate is not for the device's key"
pass "simpleenroll with curl + openssl: certificate verified, key never sent"

# The device lost the answer and retries: the same token and the same key get the same
# certificate (nothing new is signed); another key with that token gets 401.
[ "$(enroll "$token")" = 200 ] || { cat enroll.out; fail "a retry with the same token and key"; }
base64 -d enroll.out | openssl pkcs7 -inform DER -print_certs -out again.crt
[ "$(openssl x509 -in again.crt -noout -serial)" = "$(openssl x509 -in dev.crt -noout -serial)" ] \
  || fail "a retry must get the certificate already issued"
[ "$(anchor list | grep -c sensor-1)" = 1 ] || fail "a retry must not issue a second certificate"
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout other.key \
  -subj /CN=sensor-1 -outform DER -out other.csr.der 2>/dev/null
base64 other.csr.der > other.csr.b64
[ "$("${CURL[@]}" -o /dev/null -w '%{http_code}' -u "device:$token" \
     -H "Content-Type: application/pkcs10" --data-binary @other.csr.b64 \
     "$BASE/.well-known/est/simpleenroll")" = 401 ] || fail "a used token with another key must give 401"
pass "a retry with the same token and key gets the same certificate; another key gets 401"
[ "$(enroll anc_0000)" = 401 ] || fail "an unknown token must give 401"
[ "$("${CURL[@]}" -o /dev/null -w '%{http_code}' -u "x:$token" -H "Content-Type: application/pkcs10" \
     --data-binary "not base64!" "$BASE/.well-known/est/simpleenroll")" = 400 ] || fail "bad base64"
[ "$("${CURL[@]}" -o /dev/null -w '%{http_code}' -u "x:$token" -H "Content-Type: text/plain" \
     --data-binary @dev.csr.b64 "$BASE/.well-known/est/simpleenroll")" = 415 ] || fail "content type"
head -c 70000 /dev/zero | base64 > big.b64
[ "$("${CURL[@]}" -o /dev/null -w '%{http_code}' -u "x:$token" -H "Content-Type: application/pkcs10" \
     --data-binary @big.b64 "$BASE/.well-known/est/simpleenroll")" = 413 ] || fail "oversized body"
[ "$("${CURL[@]}" -o /dev/null -w '%{http_code}' "$BASE/healthz")" = 200 ] || fail "server stopped serving"
pass "used/unknown token 401, bad base64 400, wrong type 415, oversized 413; still serving"

expect_fail "a TLS 1.2 client when 1.3 is required" \
  curl -sS --max-time 10 --tlsv1.2 --tls-max 1.2 --resolve "localhost:$PORT:127.0.0.1" \
  --cacert "$ANCHOR_HOME/root.crt" "$BASE/healthz"

# openssl ocsp as the client, over HTTPS to /ocsp: good, with its nonce.
openssl ocsp -issuer "$ANCHOR_HOME/intermediate.crt" -cert dev.crt -url "$BASE/ocsp" \
  -CAfile "$ANCHOR_HOME/root.crt" > ocsp.out 2>&1 || { cat ocsp.out; fail "openssl ocsp"; }
grep -q "Response verify OK" ocsp.out && grep -q "dev.crt: good" ocsp.out \
  || { cat ocsp.out; fail "openssl ocsp -url: expected good"; }
pass "openssl ocsp -url $BASE/ocsp: good, response verified"

# OCSP by POST and by GET (RFC 6960 A.1, as a cached RFC 5019 request without nonce).
openssl ocsp -issuer "$ANCHOR_HOME/intermediate.crt" -cert dev.crt -no_nonce -reqout req.der \
  -url "http://127.0.0.1:1/" >/dev/null 2>&1 || true
get_ocsp() {  # the GET form: URL-encoded base64 of the DER request
  local path
  path=$(python3 -c 'import base64,sys,urllib.parse; print(urllib.parse.quote(base64.b64encode(open(sys.argv[1],"rb").read()).decode(), safe=""))' req.der)
  "${CURL[@]}" "$BASE/ocsp/$path" -o "$1"
}
get_ocsp resp_get.der
openssl ocsp -reqin req.der -respin resp_get.der -CAfile "$ANCHOR_HOME/root.crt" -resp_text 2>&1 \
  | has "Cert Status: good" || fail "OCSP GET: expected good"
get_ocsp resp_get2.der
cmp -s resp_get.der resp_get2.der || fail "a repeated nonce-less request should be served from the cache"
pass "OCSP GET (URL-encoded base64) good; repeated request answered from the cache"
[ "$(http_status "$BASE/ocsp/%%%")" = 400 ] || fail "a malformed OCSP GET path must be 400"
"${CURL[@]}" -H "Content-Type: application/ocsp-request" --data-binary @req.der "$BASE/ocsp" -o resp.der
openssl ocsp -reqin req.der -respin resp.der -CAfile "$ANCHOR_HOME/root.crt" -resp_text 2>&1 \
  | has "Cert Status: good" || fail "OCSP over HTTP: expected good"
anchor revoke --cert dev.crt --reason keyCompromise -q
"${CURL[@]}" -H "Content-Type: application/ocsp-request" --data-binary @req.der "$BASE/ocsp" -o resp.der
openssl ocsp -reqin req.der -respin resp.der -CAfile "$ANCHOR_HOME/root.crt" -resp_text 2>&1 \
  | has "Cert Status: revoked" || fail "OCSP over HTTP: expected revoked"
openssl ocsp -issuer "$ANCHOR_HOME/intermediate.crt" -cert dev.crt \
  -url "http://127.0.0.1:$HTTP_PORT/ocsp" -CAfile "$ANCHOR_HOME/root.crt" 2>&1 \
  | has "dev.crt: revoked" || fail "openssl ocsp -url http://...: expected revoked"
[ "$(curl -sS -o /dev/null -w '%{http_code}' "http://127.0.0.1:$HTTP_PORT/crl")" = 200 ] \
  || fail "GET /crl over plain HTTP"
[ "$(curl -sS -o /dev/null -w '%{http_code}' -u "x:$token" -H "Content-Type: application/pkcs10" \
     --data-binary @dev.csr.b64 "http://127.0.0.1:$HTTP_PORT/.well-known/est/simpleenroll")" = 403 ] \
  || fail "EST over plain HTTP must be refused"
pass "plain HTTP (--http-listen): openssl ocsp -url http://127.0.0.1:PORT/ocsp revoked, /crl served, EST 403"
get_ocsp resp_get3.der
openssl ocsp -reqin req.der -respin resp_get3.der -CAfile "$ANCHOR_HOME/root.crt" -resp_text 2>&1 \
  | has "Cert Status: revoked" || fail "the OCSP cache hid a revocation"
openssl ocsp -issuer "$ANCHOR_HOME/intermediate.crt" -cert dev.crt -url "$BASE/ocsp" \
  -CAfile "$ANCHOR_HOME/root.crt" 2>&1 | has "dev.crt: revoked" \
  || fail "openssl ocsp -url: expected revoked"
"${CURL[@]}" "$BASE/crl" -o served.crl
cat "$ANCHOR_HOME/root.crt" "$ANCHOR_HOME/intermediate.crt" > cas.pem
openssl crl -inform DER -in served.crl -out served.pem
if openssl verify -crl_check -CAfile cas.pem -CRLfile served.pem dev.crt >/dev/null 2>&1; then
  fail "the served CRL does not revoke dev.crt"
fi
pass "OCSP over HTTP good then revoked; served CRL revokes it"

stop_anchor_serve
pass "SIGTERM: clean exit 0"

# A delegated OCSP signer: openssl checks it (issued by the intermediate, id-kp-OCSPSigning) and
# names it as the responder.
anchor ocsp signer --days 7 -q
[ "$(stat -c %a "$ANCHOR_HOME/ocsp.key")" = 600 ] || fail "ocsp.key mode"
openssl x509 -in "$ANCHOR_HOME/ocsp.crt" -noout -ext extendedKeyUsage,noCheck 2>/dev/null \
  | has "OCSP Signing" || fail "the signer lacks id-kp-OCSPSigning"
openssl x509 -in "$ANCHOR_HOME/ocsp.crt" -noout -text | has "OCSP No Check" \
  || fail "the signer lacks ocsp-nocheck"
start_anchor_serve
grep -q "OCSP signed by CN=online OCSP Responder" serve.log || fail "serve does not use the signer"
openssl ocsp -issuer "$ANCHOR_HOME/intermediate.crt" -cert dev.crt -url "$BASE/ocsp" \
  -CAfile "$ANCHOR_HOME/root.crt" -resp_text > delegated.out 2>&1 || { cat delegated.out; fail "ocsp"; }
grep -q "Response verify OK" delegated.out && grep -q "dev.crt: revoked" delegated.out \
  || { cat delegated.out; fail "openssl does not accept the delegated signer's response"; }
grep -q "Responder Id: .*CN = online OCSP Responder" delegated.out || fail "responder id"
stop_anchor_serve
pass "delegated OCSP signer (ocsp-nocheck): openssl verifies its response"
