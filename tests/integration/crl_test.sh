#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# After `anchor revoke` + `anchor crl`, `openssl verify -crl_check` rejects the revoked
# certificate and accepts another; the CRL's issuing distribution point matches the
# certificates' CRL distribution point, and its number increases.
source "$(dirname "$0")/lib.sh"

anchor init --name crl --public-url http://127.0.0.1:8443 -q
anchor issue --cn dev-1 --profile device --cert d1.crt --key d1.key -q
anchor issue --cn dev-2 --profile device --cert d2.crt --key d2.key -q

anchor crl --out empty.crl -q
openssl crl -inform DER -in empty.crl -noout -text >empty.txt
grep -q "No Revoked Certificates" empty.txt || fail "the first CRL should be empty"

anchor revoke --cert d1.crt --reason keyCompromise -q
expect_fail "revoking twice" anchor revoke --cert d1.crt
expect_fail "revoking an unknown serial" anchor revoke 0123456789abcdef
expect_fail "revoking a non-hex serial" anchor revoke not-a-serial
expect_fail "an unknown reason" anchor revoke --cert d2.crt --reason bored

anchor crl --pem --out crl.pem -q
openssl crl -in crl.pem -noout -text >crl.txt
grep -q "Key Compromise" crl.txt || fail "reason missing from the CRL"
number=$(openssl crl -in crl.pem -noout -crlnumber | sed 's/crlNumber=//')
[ "$((16#$number))" -eq 2 ] || fail "CRL number should be 2, got $number"
grep -q "URI:http://127.0.0.1:8443/crl" crl.txt || fail "issuing distribution point missing"
openssl x509 -in d1.crt -noout -ext crlDistributionPoints | has "URI:http://127.0.0.1:8443/crl" \
  || fail "certificate CDP missing"

cat "$ANCHOR_HOME/root.crt" "$ANCHOR_HOME/intermediate.crt" > cafile.pem
if openssl verify -crl_check -x509_strict -CAfile cafile.pem -CRLfile crl.pem d1.crt >v1.out 2>&1; then
  fail "openssl accepted the revoked certificate"
fi
grep -q "certificate revoked" v1.out || { cat v1.out; fail "expected 'certificate revoked'"; }
openssl verify -crl_check -x509_strict -CAfile cafile.pem -CRLfile crl.pem d2.crt >/dev/null \
  || fail "openssl rejected the unrevoked certificate"
pass "openssl verify -crl_check: revoked refused, other accepted, IDP matches CDP"

expect_fail "anchor verify of the revoked certificate" anchor verify d1.crt --crl crl.pem
anchor verify d2.crt --crl crl.pem --purpose client >/dev/null || fail "anchor verify d2"
[ "$(anchor list --status revoked --json -q | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" = 1 ] \
  || fail "list --status revoked"
pass "anchor verify and list agree"
