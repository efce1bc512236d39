#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# EST simplereenroll with an EST client made of curl and openssl: the device renews with the
# certificate it holds (same key, then a new key); another CN, no certificate, a revoked
# certificate and a certificate of another CA are refused while the server keeps serving.
# Bootstrap enrollment with a factory certificate made by openssl.
source "$(dirname "$0")/lib.sh"

anchor init --name renewals -q
use_factory_ca
start_anchor_serve

reenroll() {  # reenroll CSR.b64 [curl args...]: prints the status, body in http.out
  local csr=$1; shift
  http_status -H "Content-Type: application/pkcs10" --data-binary @"$csr" "$@" \
    "$BASE/.well-known/est/simplereenroll"
}
make_csr() {  # make_csr KEY CN OUT.b64 [new]: a CSR with openssl, base64 DER
  if [ "${4:-}" = new ]; then
    openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$1" \
      -subj "/CN=$2" -outform DER -out csr.der 2>/dev/null
  else
    openssl req -new -key "$1" -subj "/CN=$2" -outform DER -out csr.der 2>/dev/null
  fi
  base64 csr.der > "$3"
}
to_pem() { base64 -d "$WORK/http.out" | openssl pkcs7 -inform DER -print_certs -out "$1"; }

# First enrollment with a token, as in serve_est_test.
token=$(anchor token create --cn meter-9 -q)
make_csr dev.key meter-9 first.b64 new
[ "$(http_status -H "Authorization: Bearer $token" -H "Content-Type: application/pkcs10" \
     --data-binary @first.b64 "$BASE/.well-known/est/simpleenroll")" = 200 ] || fail "enroll"
to_pem dev.crt
serial1=$(openssl x509 -in dev.crt -noout -serial)

# Renewal with the same key, authenticated by dev.crt over mTLS.
make_csr dev.key meter-9 same.b64
[ "$(reenroll same.b64 --cert dev.crt --key dev.key)" = 200 ] || { cat http.out; fail "reenroll"; }
to_pem renewed.crt
openssl verify -x509_strict -purpose sslclient -CAfile "$ANCHOR_HOME/root.crt" \
  -untrusted "$ANCHOR_HOME/intermediate.crt" renewed.crt >/dev/null || fail "renewed certificate"
[ "$(openssl x509 -in renewed.crt -noout -subject)" = "$(openssl x509 -in dev.crt -noout -subject)" ] \
  || fail "renewal changed the subject"
[ "$(openssl x509 -in renewed.crt -noout -ext subjectAltName)" = \
  "$(openssl x509 -in dev.crt -noout -ext subjectAltName)" ] || fail "renewal changed the SANs"
[ "$(openssl x509 -in renewed.crt -noout -serial)" != "$serial1" ] || fail "same serial"
pass "simplereenroll with curl --cert: same subject and SANs, new serial, verified by openssl"

# Renewal with a new key (rekey), authenticated by the renewed certificate.
make_csr new.key meter-9 rekey.b64 new
[ "$(reenroll rekey.b64 --cert renewed.crt --key dev.key)" = 200 ] || fail "rekey"
to_pem rekeyed.crt
[ "$(openssl x509 -in rekeyed.crt -noout -pubkey)" = "$(openssl pkey -in new.key -pubout)" ] \
  || fail "rekeyed certificate is not for the new key"
pass "simplereenroll with a new key"

# Refusals: another CN (403), no client certificate (401), a revoked certificate (401).
make_csr dev.key meter-10 other.b64
[ "$(reenroll other.b64 --cert renewed.crt --key dev.key)" = 403 ] || fail "another CN must be 403"
grep -q "same common name" http.out || fail "the 403 should say why: $(cat http.out)"
[ "$(reenroll same.b64)" = 401 ] || fail "no client certificate must be 401"
anchor revoke --cert dev.crt -q
[ "$(reenroll same.b64 --cert dev.crt --key dev.key)" = 401 ] || fail "a revoked certificate must be 401"
grep -q "revoked" http.out || fail "the 401 should say revoked: $(cat http.out)"
pass "another CN 403, no certificate 401, revoked certificate 401"

# A certificate of another CA does not get through the TLS handshake.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout rogue.key \
  -subj /CN=meter-9 -days 1 -out rogue.crt 2>/dev/null
expect_fail "a certificate of another CA on simplereenroll" \
  "${CURL[@]}" -f -H "Content-Type: application/pkcs10" --data-binary @same.b64 \
  --cert rogue.crt --key rogue.key "$BASE/.well-known/est/simplereenroll"
[ "$(http_status "$BASE/healthz")" = 200 ] || fail "server stopped serving"
pass "server still serving"

# Bootstrap: a factory certificate enrolls for its own CN without a token.
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout fdev.key \
  -subj /CN=pump-4 -out fdev.csr 2>/dev/null
openssl x509 -req -in fdev.csr -CA factory.crt -CAkey factory.key -CAcreateserial -days 30 \
  -extfile <(printf 'extendedKeyUsage=clientAuth\nbasicConstraints=critical,CA:FALSE\n') \
  -out fdev.crt 2>/dev/null
anchor enroll --server "$BASE" --ca-cert "$ANCHOR_HOME/root.crt" --factory-cert fdev.crt \
  --factory-key fdev.key --cn pump-4 --key pump.key --cert pump.crt -q \
  || fail "bootstrap enrollment with a factory certificate"
openssl x509 -in pump.crt -noout -ext subjectAltName | has "urn:anchor:device:pump-4" \
  || fail "bootstrap enrollment should issue a device certificate"
expect_fail "a factory certificate asking for another CN" \
  anchor enroll --server "$BASE" --ca-cert "$ANCHOR_HOME/root.crt" --factory-cert fdev.crt \
  --factory-key fdev.key --cn pump-5 --key pump5.key --cert pump5.crt
grep -q "403" last.err || fail "expected a 403: $(cat last.err)"
[ ! -e pump5.crt ] && [ ! -e pump5.key ] || fail "a refused enrollment left files"
pass "bootstrap: factory certificate enrolls its own CN (device profile), not another"

# Revoking the device is not undone by its factory certificate: 403 naming the way back (a
# token); another device of the factory still enrolls.
anchor revoke --cert pump.crt --reason keyCompromise -q
expect_fail "a factory certificate re-admitting a revoked device" \
  anchor enroll --server "$BASE" --ca-cert "$ANCHOR_HOME/root.crt" --factory-cert fdev.crt \
  --factory-key fdev.key --cn pump-4 --key pump4b.key --cert pump4b.crt
grep -q "403 .*is revoked.*anchor token create --cn pump-4" last.err || fail "expected a 403: $(cat last.err)"
[ ! -e pump4b.crt ] && [ ! -e pump4b.key ] || fail "a refused enrollment left files"
t=$(anchor token create --cn pump-4 --profile device -q)
anchor enroll --server "$BASE" --ca-cert "$ANCHOR_HOME/root.crt" --token "$t" --cn pump-4 \
  --key pump4b.key --cert pump4b.crt -q || fail "the operator's token re-admits the device"
pass "a revoked device is not re-admitted by its factory certificate, only by a token"

stop_anchor_serve

# anchor's own root as a "factory CA" would let every anchor certificate, revoked ones too,
# enroll as a factory certificate: serve refuses to start, naming the file.
cat factory.crt "$ANCHOR_HOME/root.crt" > bundle.pem
sed -i "s|^bootstrap_ca = .*|bootstrap_ca = \"$WORK/bundle.pem\"|" "$ANCHOR_HOME/anchor.toml"
expect_fail "serve with its own root in bootstrap_ca" timeout 20 "$ANCHOR" serve --listen 127.0.0.1:0
grep -q "bundle.pem: server.bootstrap_ca certificate .* is this CA's own" last.err \
  || fail "the refusal should name the file and why: $(cat last.err)"
pass "serve refuses anchor's own root as a factory CA"
