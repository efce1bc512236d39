#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The offline root: `anchor init --offline-root DIR` leaves no root key in the CA home; every
# command that needs it says so in one line and how to proceed; the key ceremony (request online,
# signature on the "offline machine" with --root-dir and no CA home, installation online) rotates
# the intermediate, checked by openssl; the root's CRL, signed offline, revokes the retired
# intermediate and openssl -crl_check_all then refuses its certificates; `anchor ca
# take-root-offline` moves the key of an existing CA.
source "$(dirname "$0")/lib.sh"

anchor init --name fleet --offline-root "$WORK/offline" --permit-dns example.com -q 2>/dev/null
[ ! -e "$ANCHOR_HOME/root.key" ] || fail "root.key written into the CA home"
[ -s "$WORK/offline/root.key" ] && [ "$(stat -c %a "$WORK/offline/root.key")" = 600 ] \
  || fail "the offline root key is missing or not 0600"
[ "$(stat -c %a "$WORK/offline")" = 700 ] || fail "the offline directory is not 0700"
cmp -s "$ANCHOR_HOME/root.crt" "$WORK/offline/root.crt" || fail "root.crt differs between home and offline"
openssl pkey -in "$WORK/offline/root.key" -pubout | cmp -s - <(openssl x509 -in "$ANCHOR_HOME/root.crt" -noout -pubkey) \
  || fail "the offline key is not the root's"
ROOT=("$ANCHOR_HOME/root.crt")
anchor issue --cn dev-1 --profile device --cert dev-1.crt --key dev-1.key -q 2>/dev/null
cp "$ANCHOR_HOME/intermediate.crt" gen1.crt
pass "init --offline-root: the key only in the offline directory (0600, in 0700), the home issues"

# Commands that need the root key say so in one line, with the way on.
one_line() {  # one_line WHAT PATTERN CMD...: CMD fails with a single line matching PATTERN
  local what=$1 pattern=$2; shift 2
  expect_fail "$what" "$@"
  [ "$(wc -l < "$WORK/last.err")" = 1 ] || { cat "$WORK/last.err"; fail "$what: not one line"; }
  has -- "$pattern" "$WORK/last.err" || { cat "$WORK/last.err"; fail "$what: does not say '$pattern'"; }
}
one_line "anchor ca rotate without the root" "--request-out FILE" anchor ca rotate
one_line "anchor crl --root without the root" "--root-dir DIR" anchor crl --root --pem
one_line "anchor ca take-root-offline twice" "no root key" anchor ca take-root-offline "$WORK/again"
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout x.key -subj /CN=x \
  -out x.csr 2>/dev/null
one_line "anchor ca sign-intermediate without the key" "root.key does not exist" \
  anchor ca sign-intermediate x.csr --root-dir "$WORK/nowhere" --out y.crt
[ ! -e "$ANCHOR_HOME/intermediates" ] || fail "a refused rotation left intermediates/"

# The ceremony. 1, online: the new key stays here, the request goes out.
anchor ca rotate --request-out next.csr 2> request.out || { cat request.out; fail "--request-out"; }
openssl req -in next.csr -noout -verify 2>&1 | has "verify OK" || fail "the request's signature"
openssl req -in next.csr -noout -subject | has "fleet Intermediate CA G2" || fail "the request's name"
has "sign-intermediate next.csr --root-dir DIR --days 1825 --permit-dns example.com" request.out \
  || { cat request.out; fail "the offline command is not spelled out"; }
# The name the offline machine will print back when it signs, to compare.
has "the key of generation 2 (.*fleet Intermediate CA G2)" request.out \
  || { cat request.out; fail "step 1 does not name the generation it prepared"; }
[ -s "$ANCHOR_HOME/intermediates/2/intermediate.key" ] || fail "the pending key"
expect_fail "a second request while one is pending" anchor ca rotate --request-out again.csr
# 2, on the offline machine: only the root directory, no CA home.
ANCHOR_HOME="$WORK/no-ca-here" anchor ca sign-intermediate next.csr --root-dir "$WORK/offline" \
  --permit-dns example.com --days 700 --out next.crt -q || fail "sign-intermediate"
[ ! -e "$WORK/no-ca-here" ] || fail "sign-intermediate made a CA home"
openssl verify -x509_strict -CAfile "${ROOT[0]}" next.crt >/dev/null || fail "the signed intermediate"
openssl x509 -in next.crt -noout -ext nameConstraints | has "DNS:example.com" || fail "name constraints lost"
# A certificate for another key, or without the constraints, is refused at installation.
ANCHOR_HOME="$WORK/no-ca-here" anchor ca sign-intermediate next.csr --root-dir "$WORK/offline" \
  --days 700 --out loose.crt -q
expect_fail "an intermediate without the name constraints" anchor ca rotate --install loose.crt
has "name constraints" "$WORK/last.err" || fail "the refusal does not name the constraints"
# 3, online: installed and switched in.
anchor ca rotate --install next.crt -q > installed.out || fail "--install"
[ "$(cat installed.out)" = 2 ] || fail "install printed '$(cat installed.out)'"
anchor issue --cn dev-2 --profile device --cert dev-2.crt --key dev-2.key -q 2>/dev/null
openssl x509 -in dev-2.crt -noout -issuer | has "G2" || fail "dev-2 not from generation 2"
openssl verify -x509_strict -CAfile "${ROOT[0]}" -untrusted next.crt dev-2.crt >/dev/null || fail "dev-2"
openssl verify -x509_strict -CAfile "${ROOT[0]}" -untrusted gen1.crt dev-1.crt >/dev/null || fail "dev-1"
[ ! -e "$ANCHOR_HOME/root.key" ] || fail "the ceremony put the root key into the home"
pass "key ceremony: request online, signed offline with --root-dir (no CA home), installed; both leaves verify"

# The root's CRL, signed offline, revokes the retired intermediate; it keeps it on the next one.
ANCHOR_HOME="$WORK/no-ca-here" anchor crl --root --root-dir "$WORK/offline" \
  --revoke-intermediate gen1.crt --reason superseded --pem --out root1.crl -q || fail "root CRL"
ANCHOR_HOME="$WORK/no-ca-here" anchor crl --root --root-dir "$WORK/offline" --pem --out root2.crl -q
openssl crl -in root2.crl -CAfile "${ROOT[0]}" -noout 2>&1 | has "verify OK" || fail "root CRL signature"
openssl crl -in root2.crl -noout -text | has -i "$(openssl x509 -in gen1.crt -noout -serial | cut -d= -f2)" \
  || fail "the root's next CRL forgot the revoked intermediate"
n1=$(openssl crl -in root1.crl -noout -crlnumber | cut -d= -f2)
n2=$(openssl crl -in root2.crl -noout -crlnumber | cut -d= -f2)
python3 -c "import sys; assert int(sys.argv[2], 16) > int(sys.argv[1], 16)" "$n1" "$n2" || fail "CRL numbers $n1 then $n2"
# verify_all LEAF_CRL INTERMEDIATE LEAF: openssl checks both levels, the root's CRL included.
verify_all() { openssl verify -x509_strict -crl_check_all -CRLfile root2.crl -CRLfile "$1" \
  -CAfile "${ROOT[0]}" -untrusted "$2" "$3"; }
anchor crl --pem --out inter2.crl -q
verify_all inter2.crl next.crt dev-2.crt >/dev/null || fail "crl_check_all: dev-2"
# generation 1's own CRL, as `anchor serve` publishes it at /crl
HTTP=$(free_port)
start_anchor_serve --http-listen "127.0.0.1:$HTTP"
curl -sS --max-time 10 "http://127.0.0.1:$HTTP/crl" -o gen1.crl.der
openssl crl -inform DER -in gen1.crl.der -out gen1.crl
stop_anchor_serve
verify_all gen1.crl gen1.crt dev-1.crt > v.out 2>&1 && fail "dev-1 accepted under a revoked intermediate"
has "certificate revoked" v.out || { cat v.out; fail "not refused as revoked"; }
pass "root CRL signed offline: generation 1 revoked (openssl -crl_check_all refuses dev-1, accepts dev-2)"
[ ! -e "$ANCHOR_HOME/root.crl" ] || fail "the root's CRL state landed in the home"

# take-root-offline: an existing CA's root key leaves the home.
export ANCHOR_HOME="$WORK/second"
anchor init --name second -q 2>/dev/null
fp=$(openssl pkey -in "$ANCHOR_HOME/root.key" -pubout | sha256sum)
expect_fail "take-root-offline into a non-empty directory" anchor ca take-root-offline "$WORK/offline"
has "not an empty directory" "$WORK/last.err" && [ -s "$ANCHOR_HOME/root.key" ] \
  || fail "a refused take-root-offline: wrong reason, or the key is gone"
anchor ca take-root-offline "$WORK/second-offline" -q
[ ! -e "$ANCHOR_HOME/root.key" ] || fail "take-root-offline left root.key"
[ "$(openssl pkey -in "$WORK/second-offline/root.key" -pubout | sha256sum)" = "$fp" ] || fail "the moved key"
one_line "rotate after take-root-offline" "--request-out FILE" anchor ca rotate
anchor ca rotate --root-dir "$WORK/second-offline" -q > /dev/null || fail "rotate --root-dir"
openssl verify -x509_strict -CAfile "$ANCHOR_HOME/root.crt" "$ANCHOR_HOME/intermediate.crt" >/dev/null \
  || fail "the intermediate rotated with --root-dir"
pass "take-root-offline moves the key (and only then removes it); rotate --root-dir uses it there"
