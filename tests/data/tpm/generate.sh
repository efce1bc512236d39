#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Makes the TPM 2.0 attestation fixtures of tests/unit/crypto/tpm_attestation_test.cc with a
# software TPM (manufacture.sh: swtpm's state made with an endorsement key certificate from a
# local CA, as a TPM maker certifies its chips; started by lib.sh's start_swtpm) and tpm2-tools
# as the device:
#   manufacturer-root.pem, manufacturer-issuer.pem  the "TPM maker" CA (root, issuing CA)
#   ek.crt.der        the EK certificate read from the TPM's NV index 0x01c00002 (RSA-2048 EK)
#   ak.pub            the attestation key's TPM2B_PUBLIC (ECC P-256, restricted signing, made
#                     under the EK by tpm2_createak)
#   key.pub           a device key's TPM2B_PUBLIC (ECC P-256, fixedTPM, by tpm2_create)
#   key.pem           that key's public key as PEM (the key a CSR would carry)
#   certify.attest    TPMS_ATTEST of TPM2_Certify(key by the AK), qualifying data 00ff55aa
#   certify.sig       its TPMT_SIGNATURE
# Forgeries (a software key posing as the AK) are made by the test itself, with OpenSSL.
# Needs swtpm, swtpm-tools, tpm2-tools and openssl. Run from anywhere; writes beside itself.
set -euo pipefail
OUT=$(cd "$(dirname "$0")" && pwd)
# lib.sh's scratch directory, its start_swtpm and its cleanup (swtpm stopped by PID).
export ANCHOR=${ANCHOR:-/bin/true} TESTS_DIR="$OUT/../../integration"
source "$OUT/../../integration/lib.sh"
bash "$OUT/manufacture.sh" "$WORK/tpm"
start_swtpm "$WORK/tpm"
cd "$WORK/tpm"
cp localca/swtpm-localca-rootca-cert.pem "$OUT/manufacturer-root.pem"  # the maker's CA
cp localca/issuercert.pem "$OUT/manufacturer-issuer.pem"
tpm2_nvread 0x1c00002 -o ek.nv 2> /dev/null
# The NV index is larger than the certificate: keep the DER SEQUENCE alone.
openssl x509 -inform DER -in ek.nv -outform DER -out "$OUT/ek.crt.der"
# swtpm has three transient object slots and no resource manager: flush after every step (the
# tools save each object's context to its .ctx file and load it again when named).
tpm2_createak -C 0x81010001 -c ak.ctx -G ecc -g sha256 -s ecdsa -u ak.tpm2b -n ak.name > /dev/null
tpm2_flushcontext -t
tpm2_createprimary -C o -g sha256 -G ecc -c srk.ctx > /dev/null
tpm2_flushcontext -t
tpm2_create -C srk.ctx -G ecc256 -u key.tpm2b -r key.priv > /dev/null
tpm2_flushcontext -t
tpm2_load -C srk.ctx -u key.tpm2b -r key.priv -c key.ctx > /dev/null
tpm2_flushcontext -t
tpm2_readpublic -c key.ctx -f pem -o "$OUT/key.pem" > /dev/null
tpm2_flushcontext -t
tpm2_certify -c key.ctx -C ak.ctx -g sha256 -o "$OUT/certify.attest" -s "$OUT/certify.sig" > /dev/null
cp ak.tpm2b "$OUT/ak.pub"
cp key.tpm2b "$OUT/key.pub"
echo "wrote the fixtures to $OUT"
