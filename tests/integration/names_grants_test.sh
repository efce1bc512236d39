#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Names and grants at every entry point, against real peers:
# - one bad name is refused with the same reason by anchor csr, issue, sign (a request made by
#   openssl), token create, the admin API (curl) and EST (curl); a Unicode DNS name becomes its
#   A-label at each, and openssl/certtool read the A-label;
# - a CA made with --permit-dns: what lies outside is refused before signing with the rule named,
#   what lies inside verifies with openssl and certtool, anchor inspect shows the constraints and
#   anchor lint finds a foreign leaf outside them;
# - the cells of the credential table that the network reaches: an admin certificate is never
#   re-enrolled (h03), a token never yields a role URI of another profile (h04), a factory
#   certificate gets its CN and nothing it asks for; each refusal leaves no row and no used token.
source "$(dirname "$0")/lib.sh"
command -v certtool >/dev/null || { echo "needs gnutls-bin"; exit 77; }

anchor init --name names -q
use_factory_ca
start_anchor_serve
ADMIN=(--cert "$ANCHOR_HOME/admin.crt" --key "$ANCHOR_HOME/admin.key")
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out dev.key 2>/dev/null

# enroll_status TOKEN CN SAN: EST simpleenroll of an openssl CSR asking for SAN; prints the status.
enroll_status() {
  openssl req -new -key dev.key -subj "/CN=$2" ${3:+-addext "subjectAltName=$3"} -outform DER \
    -out e.der 2>/dev/null
  base64 e.der > e.b64
  http_status -H "Authorization: Bearer $1" -H "Content-Type: application/pkcs10" \
    --data-binary @e.b64 "$BASE/.well-known/est/simpleenroll"
}

# 1. The same reason at every entry point.
for case in "email:no-at-sign|email:no-at-sign|it has no '@'" \
            "dns:a_b.example|DNS:a_b.example|the character '_' is not allowed" \
            "uri:just/a/path|URI:just/a/path|does not start with a scheme"; do
  IFS='|' read -r san opensslsan why <<<"$case"
  rows=$(row_count)
  expect_fail "anchor csr --san $san" anchor csr --key dev.key --cn c1 --san "$san" --out c1.csr
  has -F "$why" last.err || fail "anchor csr: no reason"
  expect_fail "anchor issue --san $san" anchor issue --cn c1 --profile client --san "$san" \
    --cert i.crt --key i.key
  has -F "$why" last.err && [ ! -e i.crt ] && [ ! -e i.key ] || fail "anchor issue: reason or files"
  openssl req -new -key dev.key -subj /CN=c1 -addext "subjectAltName=$opensslsan" -out s.csr 2>/dev/null
  expect_fail "anchor sign of an openssl request for $san" anchor sign s.csr --profile client --out s.crt
  has -F "$why" last.err && [ ! -e s.crt ] || fail "anchor sign: reason or file"
  expect_fail "anchor token create --san $san" anchor token create --cn c1 --profile client --san "$san"
  has -F "$why" last.err || fail "anchor token create: no reason"
  code=$(http_status "${ADMIN[@]}" -H "Content-Type: application/json" \
    -d "{\"cn\":\"c1\",\"profile\":\"client\",\"sans\":[\"$san\"]}" "$BASE/api/v1/tokens")
  [ "$code" = 400 ] && has -F "$why" http.out || { cat http.out; fail "admin API token for $san: $code"; }
  token=$(anchor token create --cn c1 --profile client -q)
  code=$(enroll_status "$token" c1 "$opensslsan")
  [ "$code" = 400 ] && has -F "$why" http.out || { cat http.out; fail "EST with $san: $code"; }
  [ "$(enroll_status "$token" c1)" = 200 ] || fail "the token was consumed by the refused request"
  [ "$(row_count)" = $((rows + 1)) ] || fail "a refused request left a row"
  pass "$san: the same reason from csr, issue, sign, token create, the admin API and EST"
done

# A Unicode DNS name becomes its A-label wherever it is given.
anchor csr --key dev.key --cn m1 --san dns:münchen.example --out m.csr -q
openssl req -in m.csr -noout -text | has "DNS:xn--mnchen-3ya.example" || fail "anchor csr wrote no A-label"
anchor issue --cn m2.example --profile server --san dns:MÜNCHEN.example --cert m2.crt --key m2.key -q
openssl x509 -in m2.crt -noout -ext subjectAltName | has "DNS:xn--mnchen-3ya.example" \
  || fail "anchor issue wrote no A-label"
certtool -i --infile m2.crt | has "DNSname: xn--mnchen-3ya.example" || fail "certtool reads another name"
token=$(anchor token create --cn m3 --profile client --san dns:münchen.example -q)
[ "$(enroll_status "$token" m3 DNS:xn--mnchen-3ya.example)" = 200 ] || { cat http.out; fail "EST A-label"; }
pass "a Unicode DNS name is written as its A-label by csr, issue, token create and EST"

# 2. Name constraints, end to end, on a CA of their own.
export ANCHOR_HOME="$WORK/nc"
anchor init --name nc --permit-dns example.com -q 2>init.err
has "leaves out localhost" init.err || fail "init did not say that localhost is left out"
anchor inspect "$ANCHOR_HOME/intermediate.crt" | has "permitted dns:example.com (critical)" \
  || fail "anchor inspect shows no name constraints"
rows=$(row_count)
expect_fail "a name outside the CA's constraints" anchor issue --cn www.example.org --profile server \
  --cert out.crt --key out.key
has -F "www.example.org is outside the CA's permitted DNS names (example.com)" last.err \
  || fail "the refusal does not name the rule"
[ ! -e out.crt ] && [ "$(row_count)" = "$rows" ] || fail "an outside name left a file or a row"
expect_fail "a token for a name outside" anchor token create --cn www.example.org --profile server
expect_fail "a client whose CN reads as a DNS name outside" anchor issue --cn sensor.local \
  --profile client --cert sl.crt --key sl.key
anchor issue --cn www.example.com --profile server --cert in.crt --key in.key -q
openssl verify -x509_strict -CAfile "$ANCHOR_HOME/root.crt" -untrusted "$ANCHOR_HOME/intermediate.crt" \
  in.crt >/dev/null || fail "openssl refused a name inside"
certtool --verify --load-ca-certificate "$ANCHOR_HOME/root.crt" --infile in.crt >/dev/null \
  || fail "certtool refused a name inside"
for f in server admin; do
  openssl verify -x509_strict -CAfile "$ANCHOR_HOME/root.crt" -untrusted "$ANCHOR_HOME/intermediate.crt" \
    "$ANCHOR_HOME/$f.crt" >/dev/null || fail "init's own $f certificate violates its constraints"
  certtool --verify --load-ca-certificate "$ANCHOR_HOME/root.crt" --infile "$ANCHOR_HOME/$f.crt" \
    >/dev/null || fail "GnuTLS refuses init's own $f certificate"
done
# GnuTLS holds the CN of a server certificate without a DNS SAN to the DNS constraints, whatever
# the CN looks like: an IP-only server certificate is refused before signing, with the fix named.
expect_fail "an IP-only server certificate under DNS constraints" anchor issue --cn "srv y" \
  --san ip:127.0.0.1 --profile server --cert ip.crt --key ip.key
has "needs a DNS name within them" last.err || fail "the reason does not say what to add"
anchor issue --cn "srv y" --san ip:127.0.0.1 --san dns:srv.example.com --profile server \
  --cert ip.crt --key ip.key -q
certtool --verify --load-ca-certificate "$ANCHOR_HOME/root.crt" --infile ip.crt >/dev/null \
  || fail "GnuTLS refuses a server certificate with a DNS name inside"
# A leaf of that intermediate for another name, signed by openssl: lint with the chain finds it.
openssl req -new -key dev.key -subj /CN=www.example.org -addext subjectAltName=DNS:www.example.org \
  -out foreign.csr 2>/dev/null
openssl x509 -req -in foreign.csr -CA "$ANCHOR_HOME/intermediate.crt" -CAkey "$ANCHOR_HOME/intermediate.key" \
  -days 30 -copy_extensions copy -out foreign.crt 2>/dev/null
expect_fail "anchor lint of a leaf outside, with its issuer" anchor lint foreign.crt \
  --issuer "$ANCHOR_HOME/intermediate.crt"
has "name-constraints: www.example.org is outside" last.out || { cat last.out; fail "lint did not name it"; }
pass "--permit-dns: outside refused before signing with the rule named; inside verified by openssl and certtool"
export ANCHOR_HOME="$WORK/ca"

# 3. Credentials over the network.
rows=$(row_count)
openssl req -new -key dev.key -subj "/CN=names-admin" -outform DER -out adm.der 2>/dev/null
base64 adm.der > adm.b64
code=$(http_status "${ADMIN[@]}" -H "Content-Type: application/pkcs10" --data-binary @adm.b64 \
  "$BASE/.well-known/est/simplereenroll")
[ "$code" = 403 ] && has "admin certificate cannot be obtained by renewal" http.out \
  || { cat http.out; fail "simplereenroll with the admin certificate: $code"; }
code=$(http_status "${ADMIN[@]}" -H "Content-Type: application/json" \
  -d '{"cn":"ops","profile":"admin"}' "$BASE/api/v1/tokens")
[ "$code" = 403 ] || fail "a token for the admin profile: $code"
code=$(http_status "${ADMIN[@]}" -H "Content-Type: application/json" \
  -d '{"cn":"mallory","profile":"client","sans":["uri:urn:anchor:service:mallory"]}' "$BASE/api/v1/tokens")
[ "$code" = 403 ] && has "service role URI" http.out || { cat http.out; fail "a client token with a role URI: $code"; }
token=$(anchor token create --cn mallory --profile client -q)
[ "$(enroll_status "$token" mallory URI:urn:anchor:service:mallory)" = 403 ] || fail "EST role URI"
[ "$(row_count)" = "$rows" ] || fail "a refused credential left a row"
# A factory certificate gets its CN (and the device URI), never a name it asks for.
openssl req -new -key dev.key -subj "/CN=pump-9" -out f.csr 2>/dev/null
openssl x509 -req -in f.csr -CA factory.crt -CAkey factory.key -days 30 -out pump-9.factory.crt \
  -extfile <(printf 'extendedKeyUsage=clientAuth\n') 2>/dev/null
factory() {  # factory SAN: simpleenroll with the factory certificate; prints the status
  openssl req -new -key dev.key -subj "/CN=pump-9" ${1:+-addext "subjectAltName=$1"} -outform DER \
    -out fe.der 2>/dev/null
  base64 fe.der > fe.b64
  http_status --cert pump-9.factory.crt --key dev.key -H "Content-Type: application/pkcs10" \
    --data-binary @fe.b64 "$BASE/.well-known/est/simpleenroll"
}
[ "$(factory DNS:bank.example)" = 403 ] && has "only its own common name" http.out \
  || { cat http.out; fail "a factory certificate asking for a DNS name"; }
[ "$(factory)" = 200 ] || { cat http.out; fail "factory enrollment"; }
base64 -d http.out | openssl pkcs7 -inform DER -print_certs -out pump-9.crt
openssl x509 -in pump-9.crt -noout -ext subjectAltName | has "URI:urn:anchor:device:pump-9" \
  || fail "the factory enrollment lacks the device URI"
# A factory certificate naming two devices names none: with /CN=f2/CN=f3, enrolling f3 is refused.
openssl req -new -key dev.key -subj "/CN=f2/CN=f3" -out f23.csr 2>/dev/null
openssl x509 -req -in f23.csr -CA factory.crt -CAkey factory.key -days 30 -out f23.factory.crt \
  -extfile <(printf 'extendedKeyUsage=clientAuth\n') 2>/dev/null
openssl req -new -key dev.key -subj "/CN=f3" -outform DER -out f3.der 2>/dev/null
base64 f3.der > f3.b64
code=$(http_status --cert f23.factory.crt --key dev.key -H "Content-Type: application/pkcs10" \
  --data-binary @f3.b64 "$BASE/.well-known/est/simpleenroll")
[ "$code" = 401 ] && has "names 2 common names" http.out || { cat http.out; fail "a two-CN factory certificate: $code"; }
pass "no admin certificate over EST, no role URI by token, a factory certificate gets its own name only"
