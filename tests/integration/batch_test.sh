#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# A factory batch: 1,000 CSRs (made by python3-cryptography) signed by one `anchor sign`; every
# serial distinct, every certificate recorded. A batch with one bad CSR writes nothing.
source "$(dirname "$0")/lib.sh"

anchor init --name factory -q
mkdir csrs out
/usr/bin/python3 "$TESTS_DIR/make_csrs.py" csrs 1000
anchor sign csrs/*.csr --profile device --out-dir out -q
[ "$(ls out | wc -l)" = 1000 ] || fail "expected 1000 certificate files"
/usr/bin/python3 - out <<'PY' | sort -u > serials.txt
import os, sys
from cryptography import x509
for name in os.listdir(sys.argv[1]):
    print(hex(x509.load_pem_x509_certificate(open(os.path.join(sys.argv[1], name), "rb").read()).serial_number))
PY
[ "$(wc -l < serials.txt)" = 1000 ] || fail "serials are not distinct"
[ "$(row_count)" = 1002 ] || fail "expected 1000 rows plus the CA's server and admin"
pass "1000 certificates, 1000 distinct serials, all recorded"

# One tampered CSR in a batch: refused before anything is signed.
mkdir bad out2
/usr/bin/python3 "$TESTS_DIR/make_csrs.py" bad 5
/usr/bin/python3 "$TESTS_DIR/make_csrs.py" --tamper bad/dev-00003.csr
expect_fail "a batch with a tampered CSR" anchor sign bad/*.csr --profile device --out-dir out2
grep -q "dev-00003.csr" last.err || fail "the error should name the bad file"
[ -z "$(ls out2)" ] || fail "no certificate file may be written"
[ "$(row_count)" = 1002 ] || fail "no row may be added"
pass "bad batch: nothing written, no row"
