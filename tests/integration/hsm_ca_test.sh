#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# A CA whose root and intermediate keys live in a SoftHSM2 token made here by softhsm2-util:
# `anchor init --key-uri/--root-key-uri` makes them inside the token, pkcs11-tool (opensc) and
# p11tool (GnuTLS) find them sensitive and never extractable and cannot export them; offline
# issuance, EST enrollment with curl, revocation, /crl and /ocsp are verified by openssl; the
# token pulled from under `anchor serve` gives 503 + Retry-After without spending the token, and
# its return is taken up without a restart; a wrong PIN, a missing token, a taken label and a
# PIN in the URI are one-line errors that leave no home and no key behind.
source "$(dirname "$0")/lib.sh"

MODULE=/usr/lib/softhsm/libsofthsm2.so
[ -e "$MODULE" ] || fail "SoftHSM2 is not installed (make setup installs softhsm2)"
mkdir -p "$WORK/tokens"
printf 'directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n' "$WORK/tokens" \
  > softhsm2.conf
export SOFTHSM2_CONF="$WORK/softhsm2.conf"
softhsm2-util --init-token --free --label anchor-ca --so-pin 5678 --pin 1234 >/dev/null
echo 1234 > pin
URI="pkcs11:token=anchor-ca;object=intermediate?module-path=$MODULE"
ROOT_URI="pkcs11:token=anchor-ca;object=root?module-path=$MODULE"
objects() {  # the token's objects as pkcs11-tool lists them
  pkcs11-tool --module "$MODULE" --token-label anchor-ca --login --pin 1234 --list-objects 2>/dev/null
}

anchor --pin-file pin init --name hsm --no-passphrase --key-uri "$URI" --root-key-uri "$ROOT_URI" \
  > init.out 2> init.err || { cat init.err; fail "anchor init --key-uri"; }
has "key in PKCS#11 token 'anchor-ca' key 'intermediate', not extractable" init.err \
  || { cat init.err; fail "init does not say where the intermediate key is"; }
has -i "not encrypted" init.err && { cat init.err; fail "init warns of key files it did not write"; }
for k in intermediate root; do
  has "^pkcs11:token=anchor-ca;object=$k;id=%" "$ANCHOR_HOME/$k.key" \
    || { cat "$ANCHOR_HOME/$k.key"; fail "$k.key does not name the key in the token"; }
  has -i "PRIVATE KEY" "$ANCHOR_HOME/$k.key" && fail "$k.key holds a key value"
  [ "$(stat -c %a "$ANCHOR_HOME/$k.key")" = 600 ] || fail "$k.key is not 0600"
done
pass "init: root and intermediate keys made in the token; the home keeps their URIs (0600)"

# What the token says of them, asked by opensc and GnuTLS, not by anchor.
objects > objects.txt
[ "$(grep -c "^Private Key Object; EC" objects.txt)" = 2 ] || { cat objects.txt; fail "two EC keys"; }
[ "$(grep -c "Access: *sensitive, always sensitive, never extractable, local" objects.txt)" = 2 ] \
  || { cat objects.txt; fail "the keys must be sensitive and never extractable"; }
has -E "Access:.*[^r] extractable" objects.txt && { cat objects.txt; fail "a key is extractable"; }
ID=$(sed -n 's/^pkcs11:.*;id=\([^;]*\);.*/\1/p' "$ANCHOR_HOME/intermediate.key" | tr -d '%' | tr 'A-F' 'a-f')
pkcs11-tool --module "$MODULE" --token-label anchor-ca --login --pin 1234 --read-object \
  --type privkey --id "$ID" -o exported.der > export.out 2>&1 || true
[ ! -s exported.der ] || fail "pkcs11-tool exported the intermediate key"
has -i "not (yet) supported\|error\|failed" export.out || { cat export.out; fail "pkcs11-tool export"; }
if GNUTLS_PIN=1234 p11tool --provider "$MODULE" --login --export \
  "pkcs11:token=anchor-ca;object=intermediate;type=private" > p11tool.out 2>&1; then
  fail "p11tool exported the intermediate key"
fi
has "root\|intermediate" <(GNUTLS_PIN=1234 p11tool --provider "$MODULE" --login --list-all-privkeys \
  "pkcs11:token=anchor-ca" 2>/dev/null) || fail "p11tool does not see the keys"
GNUTLS_PIN=1234 p11tool --provider "$MODULE" --login --list-all-privkeys "pkcs11:token=anchor-ca" \
  2>/dev/null | has "CKA_NEVER_EXTRACTABLE" || fail "p11tool: the keys must be CKA_NEVER_EXTRACTABLE"
pass "pkcs11-tool and p11tool: sensitive, never extractable; export refused ($(head -c 80 p11tool.out | tr '\n' ' '))"

openssl verify -CAfile "$ANCHOR_HOME/root.crt" "$ANCHOR_HOME/intermediate.crt" >/dev/null \
  || fail "openssl: the intermediate (signed in the token by the root) does not verify"
anchor --pin-file pin issue --cn offline-1 --profile device --cert o1.crt --key o1.key -q
openssl verify -x509_strict -CAfile "$ANCHOR_HOME/root.crt" -untrusted "$ANCHOR_HOME/intermediate.crt" \
  o1.crt >/dev/null || fail "openssl: a certificate signed in the token"
pass "openssl verifies the intermediate and an offline issuance, both signed in the token"

# anchor serve with the PIN from the environment.
ANCHOR_PKCS11_PIN=1234 start_anchor_serve
csr() {  # csr NAME: a key and a base64 DER CSR made by openssl
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$1.key" \
    -subj "/CN=$1" -outform DER -out "$1.csr.der" 2>/dev/null
  base64 "$1.csr.der" > "$1.csr.b64"
}
enroll() {  # enroll NAME TOKEN: the HTTP status; body in NAME.p7, headers in NAME.h
  "${CURL[@]}" -D "$1.h" -o "$1.p7" -w '%{http_code}' -u "device:$2" \
    -H "Content-Type: application/pkcs10" --data-binary "@$1.csr.b64" "$BASE/.well-known/est/simpleenroll"
}
csr dev-1
[ "$(enroll dev-1 "$(anchor token create --cn dev-1 -q)")" = 200 ] || { cat dev-1.p7; fail "EST enroll"; }
base64 -d dev-1.p7 | openssl pkcs7 -inform DER -print_certs -out dev-1.crt
openssl verify -x509_strict -purpose sslclient -CAfile "$ANCHOR_HOME/root.crt" \
  -untrusted "$ANCHOR_HOME/intermediate.crt" dev-1.crt >/dev/null || fail "openssl: the enrolled certificate"
pass "EST simpleenroll with curl: issued in the token, verified by openssl"

anchor --pin-file pin revoke --cert dev-1.crt --reason keyCompromise -q
"${CURL[@]}" -o crl.der "$BASE/crl" || fail "GET /crl"
openssl crl -inform DER -in crl.der -CAfile <(cat "$ANCHOR_HOME/root.crt" "$ANCHOR_HOME/intermediate.crt") \
  -noout 2>&1 | has "verify OK" || fail "openssl: the CRL's signature (made in the token)"
openssl crl -inform DER -in crl.der -noout -text | has -i "$(openssl x509 -in dev-1.crt -noout -serial | cut -d= -f2)" \
  || fail "the CRL does not list dev-1"
openssl ocsp -issuer "$ANCHOR_HOME/intermediate.crt" -cert dev-1.crt -url "$BASE/ocsp" \
  -CAfile "$ANCHOR_HOME/root.crt" > ocsp.out 2>&1 || { cat ocsp.out; fail "openssl ocsp"; }
has "Response verify OK" ocsp.out && has "dev-1.crt: revoked" ocsp.out \
  || { cat ocsp.out; fail "openssl ocsp: expected a verified 'revoked'"; }
pass "revoked: /crl and /ocsp signed in the token, verified by openssl crl and openssl ocsp"

# The token goes away (its files moved, as a pulled HSM): 503 + Retry-After, the token unspent,
# the server serving; back again, the same token enrolls without a restart.
csr dev-2
token=$(anchor token create --cn dev-2 -q)
mv "$WORK/tokens" "$WORK/tokens.away"
code=$(enroll dev-2 "$token")
[ "$code" = 503 ] || { cat dev-2.p7; fail "enrollment with the token gone: $code, not 503"; }
grep -qi "^retry-after: [0-9]" dev-2.h || fail "the 503 has no Retry-After"
has "PKCS#11 token 'anchor-ca'" "$WORK/serve.log" || { cat "$WORK/serve.log"; fail "no log line names the token"; }
[ "$("${CURL[@]}" -o /dev/null -w '%{http_code}' "$BASE/healthz")" = 200 ] || fail "healthz while the token is gone"
[ "$("${CURL[@]}" -o /dev/null -w '%{http_code}' "$BASE/crl?fresh" )" != 500 ] || fail "a 500 while the token is gone"
# OCSP without a nonce (cacheable) while the token is gone: tryLater (RFC 6960 2.3), logged.
openssl ocsp -issuer "$ANCHOR_HOME/intermediate.crt" -serial 0x0123 -no_nonce -reqout q.der > /dev/null 2>&1
"${CURL[@]}" -H "Content-Type: application/ocsp-request" --data-binary @q.der "$BASE/ocsp" -o qa.der
openssl ocsp -respin qa.der -resp_text -noverify > qa.txt 2>&1 || true  # exits 1 on an error status
has -i "trylater" qa.txt || { cat qa.txt; fail "OCSP with the token gone: expected tryLater"; }
wait_for_log "route=/ocsp status=200.*error=.*PKCS#11 token 'anchor-ca'" 5
mv "$WORK/tokens.away" "$WORK/tokens"
sleep 0.3  # past the pause between two looks for a gone token
"${CURL[@]}" -H "Content-Type: application/ocsp-request" --data-binary @q.der "$BASE/ocsp" -o qb.der
openssl ocsp -reqin q.der -respin qb.der -CAfile "$ANCHOR_HOME/root.crt" -resp_text 2>&1 \
  | has "Response verify OK" || fail "OCSP after the token came back: the tryLater stayed cached"
[ "$(enroll dev-2 "$token")" = 200 ] || { cat dev-2.p7; fail "the same token after the token came back"; }
base64 -d dev-2.p7 | openssl pkcs7 -inform DER -print_certs -out dev-2.crt
openssl verify -CAfile "$ANCHOR_HOME/root.crt" -untrusted "$ANCHOR_HOME/intermediate.crt" dev-2.crt \
  >/dev/null || fail "openssl: the certificate issued after the token came back"
kill -0 "$SERVE_PID" || fail "anchor serve died"
pass "token gone: 503 + Retry-After, OCSP tryLater (not cached), token unspent, still serving; back: the same token enrolls, no restart"
stop_anchor_serve

# A backup of a token CA carries the URI files (the keys stay in the token), and a restored home
# issues with them; the root, in the token, cannot be "taken offline" by moving its file.
echo backup-pass > bp
anchor --passphrase-file bp backup --out ca.backup --with-keys -q || fail "backup --with-keys of a token CA"
anchor --passphrase-file bp restore ca.backup --home "$WORK/restored" -q || fail "restore of a token CA"
cmp "$ANCHOR_HOME/intermediate.key" "$WORK/restored/intermediate.key" || fail "the restored home names another key"
ANCHOR_HOME="$WORK/restored" anchor --pin-file pin issue --cn restored-1 --profile device \
  --cert r1.crt --key r1.key -q || fail "issuing from the restored home"
expect_fail "take-root-offline with the root in a token" anchor --pin-file pin ca take-root-offline "$WORK/off"
has "PKCS#11 token" "$WORK/last.err" || fail "take-root-offline does not say why"
[ -e "$ANCHOR_HOME/root.key" ] && [ ! -e "$WORK/off/root.key" ] || fail "take-root-offline moved something"
pass "backup --with-keys and restore of a token CA (URIs, keys stay in the token); take-root-offline refused"

# Refusals: one line, non-zero, no home and no new key in the token.
before=$(objects | grep -c "Object;")
refused() {  # refused DESCRIPTION EXPECTED_TEXT anchor-args...: nothing made
  local what=$1 text=$2; shift 2
  rm -rf "$WORK/other"
  if ANCHOR_HOME="$WORK/other" "$ANCHOR" "$@" > refused.out 2> refused.err; then
    fail "$what: expected a refusal"
  fi
  [ "$(wc -l < refused.err)" = 1 ] || { cat refused.err; fail "$what: not one line"; }
  has -- "$text" refused.err || { cat refused.err; fail "$what: the error does not say '$text'"; }
  [ ! -e "$WORK/other" ] || fail "$what: left $WORK/other behind"
  ls -a "$WORK" | has "^\.other\.init" && fail "$what: left a staging directory"
  [ "$(objects | grep -c "Object;")" = "$before" ] || fail "$what: left a key in the token"
  pass "$what: $(cat refused.err)"
}
echo 0000 > wrong.pin
refused "a wrong PIN" "PIN" --pin-file wrong.pin init --no-passphrase --key-uri "${URI/intermediate/i2}"
refused "no PIN" "--pin-file" init --no-passphrase --key-uri "${URI/intermediate/i2}"
refused "a missing token" "tokens present: 'anchor-ca' (serial " --pin-file pin init --no-passphrase \
  --key-uri "${URI/anchor-ca/no-such-token}"
refused "a label the token holds" "already exists" --pin-file pin init --no-passphrase --key-uri "$URI"
refused "a PIN in the URI" "pin-value" --pin-file pin init --no-passphrase \
  --key-uri "pkcs11:token=anchor-ca;object=i2;pin-value=1234?module-path=$MODULE"
refused "a blank in the URI" "%20" --pin-file pin init --no-passphrase \
  --key-uri "pkcs11:token=anchor-ca;object=my key?module-path=$MODULE"
refused "module-path in the path" "belongs in the query" --pin-file pin init --no-passphrase \
  --key-uri "pkcs11:token=anchor-ca;object=i2;module-path=$MODULE"
echo 9999 > other.pin
refused "a wrong PIN from pin-source" "the pin-source file $WORK/other.pin" --pin-file pin init \
  --no-passphrase --key-uri "${URI/intermediate/i2}&pin-source=$WORK/other.pin"
refused "an RSA CA in a token" "ec-p256 or ec-p384" --pin-file pin init --no-passphrase \
  --key-type rsa-2048 --key-uri "${URI/intermediate/i2}"
# A failure after a key was made in the token (the root's is made first, then the intermediate's
# label is found taken): the key made is deleted again.
refused "a failure after a key was made" "already exists" --pin-file pin init --no-passphrase \
  --root-key-uri "${ROOT_URI/root/r3}" --key-uri "$URI"

# anchor serve with a wrong PIN does not start, and says why in one line.
if "$ANCHOR" --pin-file wrong.pin serve --listen 127.0.0.1:0 > serve_bad.out 2> serve_bad.err; then
  fail "anchor serve started with a wrong PIN"
fi
has "PIN of PKCS#11 token 'anchor-ca'" serve_bad.err || { cat serve_bad.err; fail "serve: the wrong PIN is not named"; }
pass "anchor serve with a wrong PIN: $(tail -1 serve_bad.err)"

# A CA of key files moves its intermediate into the token with `anchor ca rotate --key-uri`.
export ANCHOR_HOME="$WORK/moving"
anchor init --name moving --no-passphrase -q > /dev/null 2>&1
anchor issue --cn before --profile device --cert before.crt --key before.key -q
refused_rotation() {  # refused_rotation DESCRIPTION TEXT args...: no generation, no key made
  local what=$1 text=$2; shift 2
  if anchor --pin-file pin ca rotate "$@" > rot.out 2> rot.err; then fail "$what: expected a refusal"; fi
  has -- "$text" rot.err || { cat rot.err; fail "$what: the error does not say '$text'"; }
  [ ! -e "$ANCHOR_HOME/intermediates/2" ] || fail "$what: left generation 2 behind"
  [ "$(objects | grep -c "Object;")" = "$before" ] || fail "$what: left a key in the token"
  pass "$what: $(cat rot.err)"
}
refused_rotation "rotate into a label the token holds" "already exists" --key-uri "$URI"
refused_rotation "rotate into a token with an RSA key" "ec-p256 or ec-p384" \
  --key-type rsa-2048 --key-uri "${URI/intermediate/g2}"
anchor --pin-file pin ca rotate --key-uri "${URI/intermediate/g2}" -q > rotate.out \
  || fail "anchor ca rotate --key-uri"
has "^pkcs11:token=anchor-ca;object=g2;" "$ANCHOR_HOME/intermediates/2/intermediate.key" \
  || fail "generation 2's key file does not name the key in the token"
anchor --pin-file pin issue --cn after --profile device --cert after.crt --key after.key -q
openssl verify -CAfile "$ANCHOR_HOME/root.crt" -untrusted "$ANCHOR_HOME/intermediates/2/intermediate.crt" \
  after.crt > /dev/null || fail "openssl: a certificate of the rotated, token-held intermediate"
openssl verify -CAfile "$ANCHOR_HOME/root.crt" -untrusted "$ANCHOR_HOME/intermediates/1/intermediate.crt" \
  before.crt > /dev/null || fail "openssl: the retired generation's certificate"
pass "anchor ca rotate --key-uri: generation 2's key made in the token, issuing; generation 1 retired"

# A token CA whose URIs carry pin-source needs no PIN flag; a rotation with a short URI keeps the
# module and the PIN's source of the generation before.
export ANCHOR_HOME="$WORK/sourced"
anchor init --name sourced --no-passphrase -q \
  --key-uri "pkcs11:token=anchor-ca;object=sourced-g1?module-path=$MODULE&pin-source=$WORK/pin" \
  --root-key-uri "pkcs11:token=anchor-ca;object=sourced-root?module-path=$MODULE&pin-source=$WORK/pin" \
  > /dev/null 2>&1 || fail "init with pin-source"
anchor ca rotate --key-uri "pkcs11:token=anchor-ca;object=sourced-g2" -q > /dev/null \
  || fail "rotate with a URI without module-path and pin-source"
has "module-path=$MODULE&pin-source=$WORK/pin" "$ANCHOR_HOME/intermediates/2/intermediate.key" \
  || { cat "$ANCHOR_HOME/intermediates/2/intermediate.key"; fail "the rotated key's URI lost its module or PIN source"; }
anchor issue --cn sourced-1 --profile device --cert s1.crt --key s1.key -q \
  || fail "issuing with the PIN from pin-source alone"
anchor inspect "$ANCHOR_HOME/intermediates/2/intermediate.key" > inspect.out \
  || fail "anchor inspect of a key file that names a token key"
has "PKCS#11 token 'anchor-ca' key 'sourced-g2'" inspect.out && has -i "ec-p256\|P-256" inspect.out \
  || { cat inspect.out; fail "anchor inspect does not show the token key"; }
pass "pin-source in the URIs: no PIN flag needed; rotate keeps module and PIN source; inspect shows the token key"
