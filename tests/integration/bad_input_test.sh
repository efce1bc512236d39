#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Bad input: each case exits 1 (2 for usage) with a one-line error, and leaves nothing behind:
# no certificate file, no store row.
source "$(dirname "$0")/lib.sh"

anchor init --name strict -q
rows=$(row_count)

# refused_cleanly DESCRIPTION OUTFILE CMD...: exit code 1, one line on stderr, OUTFILE absent,
# no row added.
refused_cleanly() {
  local what=$1 out=$2; shift 2
  local rc=0
  "$@" >"$WORK/last.out" 2>"$WORK/last.err" || rc=$?
  [ $rc -eq 1 ] || { cat "$WORK/last.err"; fail "$what: exit code $rc, expected 1"; }
  [ "$(wc -l < "$WORK/last.err")" -eq 1 ] || { cat "$WORK/last.err"; fail "$what: error is not one line"; }
  [ ! -e "$out" ] || fail "$what: $out was written"
  [ "$(row_count)" = "$rows" ] || fail "$what: a row was added"
  pass "$what: $(cat "$WORK/last.err")"
}

/usr/bin/python3 "$TESTS_DIR/make_csrs.py" . 1
mv dev-00000.csr good.csr
cp good.csr tampered.csr
/usr/bin/python3 "$TESTS_DIR/make_csrs.py" --tamper tampered.csr
refused_cleanly "tampered CSR signature" t.crt anchor sign tampered.csr --profile client --out t.crt

head -c 300 good.csr > truncated.csr
refused_cleanly "truncated CSR" t.crt anchor sign truncated.csr --out t.crt
head -c 512 /dev/urandom > garbage.bin
refused_cleanly "garbage CSR" t.crt anchor sign garbage.bin --out t.crt
: > empty.csr
refused_cleanly "empty CSR" t.crt anchor sign empty.csr --out t.crt
refused_cleanly "missing CSR file" t.crt anchor sign nosuch.csr --out t.crt
refused_cleanly "garbage to inspect" none anchor inspect garbage.bin
refused_cleanly "garbage to verify" none anchor verify garbage.bin

/usr/bin/python3 "$TESTS_DIR/make_csrs.py" --rsa1024 weak.csr
refused_cleanly "RSA-1024 key" t.crt anchor sign weak.csr --out t.crt
refused_cleanly "a name that is not a host name for a server" t.crt \
  anchor issue --cn "my laptop" --profile server --cert t.crt --key t.key
[ ! -e t.key ] || fail "no key file may be left"
refused_cleanly "more days than policy" t.crt anchor sign good.csr --profile client --days 5000 --out t.crt
refused_cleanly "unknown profile" t.crt anchor sign good.csr --profile wizard --out t.crt
refused_cleanly "CA profile from a CSR" t.crt anchor sign good.csr --profile intermediate --out t.crt

# A CSR asking for CA:TRUE gets a leaf, never a CA, and a warning says so.
/usr/bin/python3 "$TESTS_DIR/make_csrs.py" --ca-request ca-request.csr
anchor sign ca-request.csr --profile server --out leaf.crt 2>warn.txt
grep -q "CA:TRUE" warn.txt || fail "expected a warning about the CA:TRUE request"
openssl x509 -in leaf.crt -noout -ext basicConstraints | has "CA:FALSE" || fail "issued a CA!"
openssl x509 -in leaf.crt -noout -ext keyUsage | has "Certificate Sign" && fail "keyCertSign copied"
rows=$(row_count)
pass "CA:TRUE request -> leaf certificate"

# Policy in anchor.toml: only example.com names, only EC P-256 keys for servers.
sed -i '/^\[profiles.server\]/,/^\[/{s/^dns_suffixes = .*/dns_suffixes = ["example.com"]/;s/^key_types = .*/key_types = ["ec-p256"]/}' \
  "$ANCHOR_HOME/anchor.toml"
refused_cleanly "a name policy forbids" t.crt \
  anchor issue --cn evil.org --profile server --cert t.crt --key t.key
openssl genrsa -out rsa.key 2048 2>/dev/null
openssl req -new -key rsa.key -subj /CN=www.example.com -out rsa.csr
refused_cleanly "a key type policy forbids" t.crt anchor sign rsa.csr --profile server --out t.crt
anchor issue --cn www.example.com --profile server --cert ok.crt --key ok.key -q 2>/dev/null \
  || fail "an allowed name was refused"
rows=$(row_count)
echo 'max_days = "many"' >> "$ANCHOR_HOME/anchor.toml"
refused_cleanly "a broken anchor.toml" t.crt anchor issue --cn a.example.com --profile server \
  --cert t.crt --key t.key
sed -i '$d' "$ANCHOR_HOME/anchor.toml"

# init over an existing CA changes nothing.
before=$(sha256sum "$ANCHOR_HOME/root.crt")
refused_cleanly "init over an existing CA" none anchor init
[ "$(sha256sum "$ANCHOR_HOME/root.crt")" = "$before" ] || fail "init replaced the root"

# The intermediate key does not match its certificate.
cp "$ANCHOR_HOME/intermediate.key" inter.key.bak
anchor key --out "$ANCHOR_HOME/intermediate.key" --force -q
refused_cleanly "intermediate key and certificate do not match" t.crt anchor sign good.csr --out t.crt
cp inter.key.bak "$ANCHOR_HOME/intermediate.key"

# A certificate and a key that do not belong together.
anchor verify ok.crt --key ok.key >/dev/null || fail "the matching pair was refused"
refused_cleanly "key and certificate that do not match" none anchor verify ok.crt --key rsa.key

# Encrypted CA keys: a wrong or missing passphrase is refused, the right one works.
echo "correct horse battery staple" > pass.txt
echo "wrong" > wrong.txt
ANCHOR_HOME="$WORK/enc" anchor init --passphrase-file pass.txt -q
grep -q "ENCRYPTED PRIVATE KEY" "$WORK/enc/intermediate.key" || fail "the key is not encrypted"
grep -q "ENCRYPTED PRIVATE KEY" "$WORK/enc/root.key" || fail "the root key is not encrypted"
ANCHOR_HOME="$WORK/enc" rows=$(ANCHOR_HOME="$WORK/enc" row_count)
ANCHOR_HOME="$WORK/enc" refused_cleanly "wrong passphrase" t.crt \
  anchor sign good.csr --out t.crt --passphrase-file wrong.txt
ANCHOR_HOME="$WORK/enc" refused_cleanly "missing passphrase" t.crt anchor sign good.csr --out t.crt
ANCHOR_HOME="$WORK/enc" ANCHOR_PASSPHRASE="correct horse battery staple" \
  anchor sign good.csr --profile client --out enc.crt -q || fail "the right passphrase was refused"
openssl pkey -in "$WORK/enc/intermediate.key" -passin file:pass.txt -noout \
  || fail "openssl cannot read the encrypted key"
pass "encrypted CA keys (PKCS#8, scrypt) readable by openssl with the passphrase"

# Usage errors exit 2.
rc=0; anchor sign --no-such-flag >/dev/null 2>&1 || rc=$?
[ $rc -eq 2 ] || fail "usage error: exit $rc, expected 2"
rc=0; anchor >/dev/null 2>&1 || rc=$?
[ $rc -eq 2 ] || fail "no subcommand: exit $rc, expected 2"
pass "usage errors exit 2"

# Key files are 0600.
[ "$(stat -c %a ok.key)" = 600 ] || fail "ok.key is not 0600"
[ "$(stat -c %a "$ANCHOR_HOME/root.key")" = 600 ] || fail "root.key is not 0600"
pass "key files are 0600"
