#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The OCSP responder against `openssl ocsp` as the relying party: requests made by openssl (with
# a nonce), answered by `anchor ocsp respond`, verified by openssl against the root: good, then
# revoked with reason after `anchor revoke`; unknown for a serial of ours never issued;
# unauthorized for another CA's certificate; malformedRequest for garbage.
source "$(dirname "$0")/lib.sh"

anchor init --name ocsp -q
anchor issue --cn dev-1 --profile device --cert d1.crt --key d1.key -q
anchor issue --cn dev-2 --profile device --cert d2.crt --key d2.key -q
I="$ANCHOR_HOME/intermediate.crt"
cat "$ANCHOR_HOME/root.crt" > trust.pem

# status_of SERIAL_HEX: the Cert Status openssl reads for that serial in ocsp.out.
status_of() {
  awk -v want="$(echo "$1" | tr a-f A-F)" '
    /Serial Number:/ { found = (toupper($3) == want) }
    found && /Cert Status:/ { print $3; exit }' ocsp.out
}
serial() { openssl x509 -in "$1" -noout -serial | sed 's/serial=//'; }

# check EXPECTED_D1 EXPECTED_D2: one request for both (openssl adds a nonce), answered by anchor,
# verified by openssl: signature chain to the root, nonce, and each status. (`openssl ocsp`
# ignores -reqin when -cert is also given, so verification uses -reqin/-respin only.)
check() {
  openssl ocsp -issuer "$I" -cert d1.crt -cert d2.crt -reqout req.der >/dev/null 2>&1
  anchor ocsp respond --request req.der --out resp.der -q
  openssl ocsp -reqin req.der -respin resp.der -CAfile trust.pem -resp_text >ocsp.out 2>&1 \
    || { cat ocsp.out; fail "openssl ocsp rejected the response"; }
  grep -q "Response verify OK" ocsp.out || { cat ocsp.out; fail "response signature not verified"; }
  grep -qi "no nonce" ocsp.out && { cat ocsp.out; fail "the nonce was not echoed"; }
  [ "$(status_of "$(serial d1.crt)")" = "$1" ] || { cat ocsp.out; fail "d1 should be $1"; }
  [ "$(status_of "$(serial d2.crt)")" = "$2" ] || { cat ocsp.out; fail "d2 should be $2"; }
}

check good good
pass "openssl ocsp: both good, signature and nonce verified"
anchor revoke --cert d1.crt --reason keyCompromise -q
check revoked good
grep -q "Revocation Reason: keyCompromise" ocsp.out || { cat ocsp.out; fail "revocation reason missing"; }
pass "after anchor revoke: d1 revoked (keyCompromise), d2 good"

# A certificate of another CA: unauthorized (RFC 5019 2.2.3): we cannot answer for its issuer.
ANCHOR_HOME="$WORK/other" anchor init --name other -q
ANCHOR_HOME="$WORK/other" anchor issue --cn stranger --profile client --cert s.crt --key s.key -q
openssl ocsp -issuer "$WORK/other/intermediate.crt" -cert s.crt -reqout req2.der >/dev/null 2>&1
anchor ocsp respond --request req2.der --out resp2.der -q
openssl ocsp -respin resp2.der -resp_text -noverify >ocsp2.out 2>&1 || true  # exits 1 on an error status
grep -qi "unauthorized" ocsp2.out || { cat ocsp2.out; fail "expected unauthorized"; }
pass "another CA's certificate: unauthorized"

# A serial under our issuer that we never issued: a signed, verifiable "unknown".
openssl ocsp -issuer "$I" -serial 0x0123456789 -reqout req4.der >/dev/null 2>&1
anchor ocsp respond --request req4.der --out resp4.der -q
openssl ocsp -reqin req4.der -respin resp4.der -CAfile trust.pem -resp_text >ocsp.out 2>&1 \
  || { cat ocsp.out; fail "openssl ocsp rejected the unknown answer"; }
[ "$(status_of 0123456789)" = unknown ] || { cat ocsp.out; fail "expected unknown"; }
pass "a serial we never issued: unknown, signed and verified"

head -c 100 /dev/urandom > junk.der
anchor ocsp respond --request junk.der --out resp3.der -q
openssl ocsp -respin resp3.der -resp_text -noverify >ocsp3.out 2>&1 || true
grep -qi "malformedrequest" ocsp3.out || { cat ocsp3.out; fail "expected malformedRequest"; }
pass "garbage request: malformedRequest"
