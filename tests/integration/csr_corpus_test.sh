#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The CSR corpus of make_corpus.py (python3-cryptography and openssl, not anchor): over 200
# requests with unusual but valid names, keys and extensions, each issued by `anchor sign` under
# its profile, and each certificate accepted by openssl verify -x509_strict (for the profile's
# purpose), GnuTLS certtool --verify, Go's crypto/x509 (cfssl certinfo) and python3-cryptography
# (only the request's key, the profile's extensions and the CN). The malformed and forbidden ones
# are refused with exit 1 and one line each, and leave neither a file nor a row.
source "$(dirname "$0")/lib.sh"
command -v certtool >/dev/null && command -v cfssl >/dev/null || { echo "needs gnutls-bin, golang-cfssl"; exit 77; }
anchor init --name corpus -q
ROOT=$ANCHOR_HOME/root.crt
INTER=$ANCHOR_HOME/intermediate.crt
/usr/bin/python3 "$TESTS_DIR/make_corpus.py" make corpus
rows_at_start=$(row_count)

issued=0 refused=0
declare -A BY_PURPOSE
while IFS=$'\t' read -r file profile expect cn what; do
  base=corpus/${file%.csr}
  if [ "$expect" = ok ]; then
    anchor sign "corpus/$file" --profile "$profile" --out "$base.crt" -q 2>"$base.err" \
      || { cat "$base.err"; fail "$file ($profile, $what) was refused"; }
    issued=$((issued + 1))
    case $profile in
      server) BY_PURPOSE[sslserver]+=" $base.crt" ;;
      peer) BY_PURPOSE[sslserver]+=" $base.crt"; BY_PURPOSE[sslclient]+=" $base.crt" ;;
      *) BY_PURPOSE[sslclient]+=" $base.crt" ;;
    esac
    continue
  fi
  rc=0
  anchor sign "corpus/$file" --profile "$profile" --out "$base.crt" 2>"$base.err" || rc=$?
  [ "$rc" = 1 ] || { cat "$base.err"; fail "$file ($what): exit $rc, expected 1"; }
  [ "$(wc -l < "$base.err")" = 1 ] || { cat "$base.err"; fail "$file ($what): the reason is not one line"; }
  has "^anchor: error: " "$base.err" || { cat "$base.err"; fail "$file ($what): no error line"; }
  [ ! -e "$base.crt" ] || fail "$file ($what): a certificate file was written"
  refused=$((refused + 1))
done < corpus/manifest.tsv
[ "$issued" -ge 200 ] || fail "only $issued requests were issued; the corpus must hold 200"
pass "$issued certificates issued, $refused requests refused with one line each and no file"
[ "$(row_count)" = $((rows_at_start + issued)) ] || fail "the store holds rows for refused requests"
pass "the store holds exactly the $issued issued certificates"

for purpose in sslserver sslclient; do
  # shellcheck disable=SC2086  # one argument per certificate
  openssl verify -x509_strict -purpose "$purpose" -CAfile "$ROOT" -untrusted "$INTER" \
    ${BY_PURPOSE[$purpose]} > "verify-$purpose.out" 2>&1 \
    || { grep -v ": OK$" "verify-$purpose.out"; fail "openssl verify -x509_strict -purpose $purpose refused some"; }
done
pass "openssl verify -x509_strict accepts all $issued for their purpose"

for crt in corpus/*.crt; do
  certtool --verify --load-ca-certificate "$ROOT" --infile "$crt" > certtool.out 2>&1 \
    || { cat certtool.out; fail "certtool --verify refused $crt"; }
  openssl x509 -in "$crt" -out leaf.pem  # cfssl reads one certificate
  cfssl certinfo -cert leaf.pem > cfssl.json 2>cfssl.err \
    || { cat cfssl.err; fail "cfssl certinfo (Go crypto/x509) cannot parse $crt"; }
  has '"serial_number"' cfssl.json || { cat cfssl.json cfssl.err; fail "cfssl certinfo: no serial for $crt"; }
done
pass "GnuTLS certtool --verify accepts all, Go's crypto/x509 (cfssl certinfo) parses all"

/usr/bin/python3 "$TESTS_DIR/make_corpus.py" check corpus || fail "python3-cryptography found a certificate anchor should not have issued"
pass "python3-cryptography: the request's key, CA:FALSE, the profile's extensions and only the CN"

# The batch path takes the same corpus: the valid ones in one run, and one bad file among many
# refuses the whole batch before anything is signed or written.
mkdir batch_in batch_out
while IFS=$'\t' read -r file profile expect cn what; do
  [ "$profile" = client ] && [ "$expect" = ok ] && cp "corpus/$file" batch_in/
done < corpus/manifest.tsv
cp corpus/"$(awk -F'\t' '$2 == "client" && $3 == "refuse" {print $1; exit}' corpus/manifest.tsv)" batch_in/zz-bad.csr
before=$(row_count)
expect_fail "a batch holding one bad request" anchor sign batch_in/*.csr --profile client --out-dir batch_out
has "zz-bad.csr" last.err || fail "the batch error does not name the bad file"
[ -z "$(ls batch_out)" ] && [ "$(row_count)" = "$before" ] || fail "a refused batch wrote or recorded something"
rm batch_in/zz-bad.csr
anchor sign batch_in/*.csr --profile client --out-dir batch_out -q 2>/dev/null
[ "$(ls batch_out | wc -l)" = "$(ls batch_in | wc -l)" ] || fail "the batch did not write every certificate"
pass "the batch path: one bad file refuses all before signing; the rest are issued together"

# The same valid requests before a CA whose intermediate permits only DNS names under
# example.com: each is either issued and accepted by openssl and GnuTLS (which read name
# constraints differently), or refused with one line, leaving nothing.
export ANCHOR_HOME="$WORK/nc"
anchor init --name corpus-nc --permit-dns example.com -q 2>/dev/null
mkdir nc_out
nc_issued=0 nc_refused=0
while IFS=$'\t' read -r file profile expect cn what; do
  [ "$expect" = ok ] || continue
  out=nc_out/${file%.csr}.crt
  if anchor sign "corpus/$file" --profile "$profile" --out "$out" -q 2>nc.err; then
    purpose=sslclient; [ "$profile" = server ] || [ "$profile" = peer ] && purpose=sslserver
    openssl verify -x509_strict -purpose "$purpose" -CAfile "$ANCHOR_HOME/root.crt" \
      -untrusted "$ANCHOR_HOME/intermediate.crt" "$out" >/dev/null 2>&1 \
      || fail "$file ($profile, $what): openssl refuses it under name constraints"
    certtool --verify --load-ca-certificate "$ANCHOR_HOME/root.crt" --infile "$out" >/dev/null 2>&1 \
      || fail "$file ($profile, $what): GnuTLS refuses it under name constraints"
    nc_issued=$((nc_issued + 1))
  else
    [ "$(grep -c . nc.err)" = 1 ] && [ ! -e "$out" ] || { cat nc.err; fail "$file: not one line, or a file"; }
    nc_refused=$((nc_refused + 1))
  fi
done < corpus/manifest.tsv
[ "$nc_issued" -gt 20 ] && [ "$nc_refused" -gt 20 ] || fail "the constrained pass tried too little"
[ "$(row_count)" = $((2 + nc_issued)) ] || fail "refusals under name constraints left rows"
pass "under --permit-dns example.com: $nc_issued issued and accepted by openssl and GnuTLS, $nc_refused refused with one line"
