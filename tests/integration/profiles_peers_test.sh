#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Every profile and key type is accepted by openssl verify -x509_strict (with the purpose it is
# for), parsed by python3-cryptography and by cfssl certinfo (Go's crypto/x509), and its chain
# is accepted by GnuTLS certtool.
source "$(dirname "$0")/lib.sh"

anchor init --name peers -q
cat "$ANCHOR_HOME/intermediate.crt" "$ANCHOR_HOME/root.crt" > chain.pem

for kt in ec-p256 ec-p384 ed25519 rsa-2048; do
  for profile in server client device service peer; do
    base="$profile-$kt"
    cn="$base.example.com"
    [ "$profile" = device ] && cn="dev-$kt-01"
    [ "$profile" = service ] && cn="svc-$kt-01"
    anchor key --type "$kt" --out "$base.key" -q
    anchor csr --key "$base.key" --cn "$cn" --out "$base.csr" -q
    anchor sign "$base.csr" --profile "$profile" --out "$base.crt" -q 2>/dev/null
    case $profile in
      server) purposes="sslserver" ;;
      client|device|service) purposes="sslclient" ;;
      peer) purposes="sslserver sslclient" ;;
    esac
    for purpose in $purposes; do
      openssl verify -x509_strict -purpose "$purpose" -CAfile "$ANCHOR_HOME/root.crt" \
        -untrusted "$ANCHOR_HOME/intermediate.crt" "$base.crt" >/dev/null \
        || fail "openssl verify -purpose $purpose rejected $base"
    done
    # The file is leaf + intermediate: certtool checks the chain up to the root.
    cat "$base.crt" "$ANCHOR_HOME/root.crt" > "$base.full.pem"
    certtool --verify-chain --infile "$base.full.pem" >"$base.certtool" 2>&1 \
      || { cat "$base.certtool"; fail "certtool --verify-chain rejected the chain of $base"; }
    certtool --verify --load-ca-certificate "$ANCHOR_HOME/root.crt" --infile "$base.crt" \
      >"$base.certtool" 2>&1 \
      || { cat "$base.certtool"; fail "certtool --verify rejected $base against the root"; }
    openssl x509 -in "$base.crt" -out "$base.leaf.pem"  # cfssl reads exactly one certificate
    cfssl certinfo -cert "$base.leaf.pem" > "$base.cfssl.json" 2>"$base.cfssl.err" \
      || { cat "$base.cfssl.err"; fail "cfssl certinfo could not parse $base"; }
    grep -q "\"common_name\": \"$cn\"" "$base.cfssl.json" || fail "cfssl saw another CN in $base"
    /usr/bin/python3 "$TESTS_DIR/check_with_cryptography.py" "$base.crt" "$profile" "$cn" \
      || fail "python3-cryptography check of $base"
  done
  pass "key type $kt: all profiles accepted by openssl, certtool, cfssl, python3-cryptography"
done

# The CA certificates themselves, by python3-cryptography (extensions exactly as DESIGN.md says).
/usr/bin/python3 "$TESTS_DIR/check_with_cryptography.py" "$ANCHOR_HOME/root.crt" root "peers Root CA"
/usr/bin/python3 "$TESTS_DIR/check_with_cryptography.py" "$ANCHOR_HOME/intermediate.crt" intermediate \
  "peers Intermediate CA"
pass "root and intermediate extensions"
