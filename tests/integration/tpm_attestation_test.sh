#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Enrollment that proves the key is in a TPM, end to end: a TPM manufactured with an endorsement
# key certificate from a local "manufacturer" CA (swtpm_setup --create-ek-cert), a CA whose device
# profile requires attestation and trusts that manufacturer. anchor-agent --tpm --attest gets a
# challenge, has the TPM activate it and certify its new key, and is issued a certificate that
# carries anchor's attested-key policy (read by openssl and python3-cryptography), which `anchor
# list --attested` finds. Without evidence, with a TPM of another manufacturer, or from the
# operator's own `anchor issue`, nothing is issued and the token is not spent; renewal attests its
# new key again.
source "$(dirname "$0")/lib.sh"
: "${ANCHOR_AGENT:?ANCHOR_AGENT must name the anchor-agent binary}"
POLICY=2.25.258688376349271163816718884496956034002.2.1

command -v swtpm_setup >/dev/null || { echo "skip: swtpm-tools is not installed"; exit 77; }
bash "$TESTS_DIR/../data/tpm/manufacture.sh" "$WORK/tpm" || fail "manufacturing the TPM"
start_swtpm "$WORK/tpm"
anchor init --name fleet -q

# The operator's two lines: trust the TPM maker, and require attestation for devices.
python3 - "$ANCHOR_HOME/anchor.toml" "$WORK/tpm/manufacturer.pem" <<'PY'
import re, sys
path, maker = sys.argv[1], sys.argv[2]
text = open(path).read()
text = re.sub(r'(?m)^(bootstrap_profile = .*)$', r'\1\ntpm_manufacturer_ca = "%s"' % maker, text)
text = text.replace("[profiles.device]\n", "[profiles.device]\nrequire_attestation = true\n")
open(path, "w").write(text)
PY
has "require_attestation = true" "$ANCHOR_HOME/anchor.toml" || fail "could not edit anchor.toml"
start_anchor_serve
[ "$(stat -c %a "$ANCHOR_HOME/attestation.key")" = 600 ] || fail "attestation.key is not 0600"
pass "serve made the attestation challenge key (0600)"

# The challenge endpoint refuses what is not a challenge request, with a line naming it.
status=$(http_status -X POST -H 'Content-Type: application/json' -d '{"ek_certificate":"AAAA"}' \
  "$BASE/api/v1/attestation/challenge")
[ "$status" = 400 ] && has "ak_public" http.out || { cat http.out; fail "incomplete challenge request: $status"; }
status=$(http_status -X POST -H 'Content-Type: text/plain' -d 'x' "$BASE/api/v1/attestation/challenge")
[ "$status" = 415 ] || fail "challenge request as text/plain: $status"
pass "the challenge endpoint refuses malformed requests (400, 415)"

# RFC 7030 4.5: csrattrs names the five attributes that carry the evidence (openssl reads them).
[ "$(http_status "$BASE/.well-known/est/csrattrs")" = 200 ] || fail "csrattrs: $(cat http.out)"
base64 -d http.out | openssl asn1parse -inform der > csrattrs.txt || fail "csrattrs is not base64 DER"
[ "$(grep -c "OBJECT *:2.25.258688376349271163816718884496956034002.1.[1-5]$" csrattrs.txt)" = 5 ] \
  || { cat csrattrs.txt; fail "csrattrs does not name the evidence attributes"; }
pass "csrattrs names the evidence attributes (openssl asn1parse)"

anchor token create --cn dev-1 -q > token.txt
AGENT=("$ANCHOR_AGENT" run --server "$BASE" --ca-cert "$ANCHOR_HOME/root.crt" --cn dev-1
       --key dev.key --cert dev.crt --ca-out ca.pem --token-file token.txt --tpm "$TPM_TCTI")

# A key in the TPM but no evidence: the profile refuses it, nothing is written, the token stays.
if "${AGENT[@]}" --once 2> plain.log; then fail "issued without attestation"; fi
has "requires a key shown to be in a TPM" plain.log || { cat plain.log; fail "the refusal does not say what is missing"; }
[ ! -e dev.crt ] && [ ! -e dev.key ] || fail "a refused enrollment left files"
pass "a TPM key without evidence is refused (403, one line), nothing written"

# The operator cannot issue a device certificate without attestation either.
expect_fail "anchor issue --profile device" anchor issue --profile device --cn op-dev \
  --key op.key --cert op.crt
has "requires a key shown to be in a TPM" last.err || fail "anchor issue's refusal: $(cat last.err)"
[ ! -e op.key ] || fail "anchor issue left a key"

# With --attest: the same token now pays for an attested certificate.
"${AGENT[@]}" --attest --once 2> agent.log || { cat agent.log; cat "$WORK/serve.log"; fail "attested enrollment"; }
openssl verify -x509_strict -purpose sslclient -CAfile ca.pem -untrusted dev.crt dev.crt >/dev/null \
  || fail "the attested certificate does not verify"
openssl x509 -in dev.crt -noout -text | has "Policy: $POLICY" || fail "openssl does not see the attested-key policy"
python3 - dev.crt "$POLICY" <<'PY' || fail "python3-cryptography does not see the attested-key policy"
import sys
from cryptography import x509
cert = x509.load_pem_x509_certificate(open(sys.argv[1], "rb").read())
policies = cert.extensions.get_extension_for_class(x509.CertificatePolicies)
assert not policies.critical
assert [p.policy_identifier.dotted_string for p in policies.value] == [sys.argv[2]], policies
PY
head -1 dev.key | has -x -- "-----BEGIN TSS2 PRIVATE KEY-----" || fail "the attested key is not a TPM key"
tpm2_load -r dev.key -c obj.ctx >/dev/null 2>load.err || { cat load.err; fail "the TPM cannot load the attested key"; }
tpm2_readpublic -c obj.ctx -f pem -o obj.pem > dev.attrs
tpm2_flushcontext -t >/dev/null
[ "$(openssl pkey -pubin -in obj.pem)" = "$(openssl x509 -in dev.crt -noout -pubkey)" ] \
  || fail "the certificate's key is not the key in the TPM"
for attr in fixedtpm fixedparent sensitivedataorigin noda; do
  has -w "$attr" dev.attrs || { cat dev.attrs; fail "the attested key lacks $attr"; }
done
[ "$(tpm2_getcap handles-transient | grep -c 0x || true)" = 0 ] || fail "attestation left TPM objects loaded"
has "key=tpm-attested" "$WORK/serve.log" || fail "the request line does not say the key was attested"
pass "attested enrollment: the certificate carries policy $POLICY (openssl, python3-cryptography), its key is the TPM's (fixedtpm, noda), no slot left taken"

anchor list --attested --json > attested.json
python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); assert [x["common_name"] for x in r]==["dev-1"], r; assert r[0]["key_attested"] is True' attested.json \
  || { cat attested.json; fail "anchor list --attested"; }
anchor list --json | python3 -c 'import json,sys; r=json.load(sys.stdin); assert any(not x.get("key_attested") for x in r)' \
  || fail "anchor list marks every certificate attested"
pass "anchor list --attested finds the attested certificate, and only it"

# Renewal makes the new key in the TPM and attests it again; without --attest it is refused.
serial1=$(serial_of dev.crt)
if "${AGENT[@]}" --once --renew-at 0 2> renew-plain.log; then fail "renewed without attestation"; fi
has "requires a key shown to be in a TPM" renew-plain.log || { cat renew-plain.log; fail "renewal refusal"; }
[ "$(serial_of dev.crt)" = "$serial1" ] || fail "a refused renewal replaced the certificate"
"${AGENT[@]}" --attest --once --renew-at 0 2>> agent.log || { cat agent.log; fail "attested renewal"; }
[ "$(serial_of dev.crt)" != "$serial1" ] || fail "not renewed"
openssl x509 -in dev.crt -noout -text | has "Policy: $POLICY" || fail "the renewed certificate is not marked attested"
[ "$(tpm2_getcap handles-transient | grep -c 0x || true)" = 0 ] || fail "renewal left TPM objects loaded"
pass "renewal attests its new key again; without evidence it is refused and the old pair kept"
# A renewal that keeps the attested key needs no new evidence: the certificate it renews is it.
serial2=$(serial_of dev.crt)
"${AGENT[@]}" --once --renew-at 0 --keep-key 2>> agent.log || { cat agent.log; fail "renewal keeping the attested key"; }
[ "$(serial_of dev.crt)" != "$serial2" ] || fail "not renewed with the same key"
openssl x509 -in dev.crt -noout -text | has "Policy: $POLICY" || fail "the same-key renewal is not marked attested"
pass "a renewal that keeps the attested key stays attested without new evidence"

# A TPM of a manufacturer the CA does not trust: its EK certificate is refused at the challenge.
TRUSTED_TCTI=$TPM_TCTI
bash "$TESTS_DIR/../data/tpm/manufacture.sh" "$WORK/other-tpm" || fail "manufacturing the other TPM"
start_swtpm "$WORK/other-tpm"
anchor token create --cn dev-2 -q > token2.txt
if anchor enroll --server "$BASE" --ca-cert "$ANCHOR_HOME/root.crt" --cn dev-2 --key dev2.key \
  --cert dev2.crt --token-file token2.txt --tpm "$TPM_TCTI" --attest > other.log 2>&1; then
  fail "a TPM of another manufacturer was accepted"
fi
has "does not verify to a configured TPM manufacturer CA" other.log || { cat other.log; fail "the refusal does not name the manufacturer trust"; }
[ ! -e dev2.key ] && [ ! -e dev2.crt ] && [ ! -e dev2.key.enrolling ] || fail "the refused enrollment left files"
[ "$(tpm2_getcap handles-transient | grep -c 0x || true)" = 0 ] || fail "a refused attestation left TPM objects loaded"
pass "a TPM of another manufacturer is refused at the challenge (403), nothing written"
# The token was not spent: the trusted TPM enrolls with it, through `anchor enroll`.
export TPM2TOOLS_TCTI=$TRUSTED_TCTI
anchor enroll --server "$BASE" --ca-cert "$ANCHOR_HOME/root.crt" --cn dev-2 --key dev2.key \
  --cert dev2.crt --token-file token2.txt --tpm "$TRUSTED_TCTI" --attest > enroll2.log 2>&1 \
  || { cat enroll2.log; fail "anchor enroll --attest with the token the refusal left"; }
openssl x509 -in dev2.crt -noout -text | has "Policy: $POLICY" || fail "anchor enroll --attest: not marked attested"
pass "the token the refusal left enrolls the trusted TPM (anchor enroll --tpm --attest)"

# A key kept from an attempt that never reached the CA ("KEY.enrolling"; here one that
# tpm2-openssl made, `openssl genpkey -provider tpm2`) is certified again for a new challenge and
# enrolled, not replaced.
anchor token create --cn dev-3 -q > token3.txt
TPM2OPENSSL_TCTI=$TRUSTED_TCTI openssl genpkey -provider tpm2 -provider default -algorithm EC \
  -pkeyopt group:P-256 -out dev3.key.enrolling 2> genpkey.err || { cat genpkey.err; fail "openssl genpkey -provider tpm2"; }
want=$(TPM2OPENSSL_TCTI=$TRUSTED_TCTI openssl pkey -provider tpm2 -provider default -in dev3.key.enrolling -pubout)
anchor enroll --server "$BASE" --ca-cert "$ANCHOR_HOME/root.crt" --cn dev-3 --key dev3.key \
  --cert dev3.crt --token-file token3.txt --tpm "$TRUSTED_TCTI" --attest > enroll3.log 2>&1 \
  || { cat enroll3.log; fail "enrollment with a kept key"; }
[ "$(openssl x509 -in dev3.crt -noout -pubkey)" = "$want" ] || fail "the kept key was replaced"
openssl x509 -in dev3.crt -noout -text | has "Policy: $POLICY" || fail "the kept key's certificate is not marked attested"
[ ! -e dev3.key.enrolling ] || fail "the kept key is still staged"
[ "$(tpm2_getcap handles-transient | grep -c 0x || true)" = 0 ] || fail "re-attestation left TPM objects loaded"
pass "a key kept from an unanswered attempt (made by tpm2-openssl) is attested again and enrolled"

# --attest without --tpm is a usage error; so is --attest with an existing key.
expect_fail "--attest without --tpm" anchor enroll --server "$BASE" --ca-cert "$ANCHOR_HOME/root.crt" \
  --cn dev-2 --key dev3.key --cert dev3.crt --token-file token2.txt --attest
has -- "--tpm" last.err || fail "the usage error does not name --tpm: $(cat last.err)"

# A profile that requires attestation needs a manufacturer to trust: a one-line configuration
# error, naming both keys.
stop_anchor_serve
sed -i "/^tpm_manufacturer_ca = /d" "$ANCHOR_HOME/anchor.toml"
expect_fail "require_attestation without a manufacturer" anchor list
has "profiles.device.require_attestation" last.err && has "tpm_manufacturer_ca" last.err \
  || fail "the configuration error: $(cat last.err)"
[ "$(wc -l < last.err)" = 1 ] || fail "the configuration error is not one line"
