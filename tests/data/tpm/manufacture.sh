#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# manufacture.sh DIR: makes a TPM 2.0 state in DIR (new or empty) as a TPM maker does: swtpm_setup
# creates an RSA-2048 endorsement key at 0x81010001 and stores its certificate, issued by a local
# "manufacturer" CA (swtpm_localca, its files under DIR/localca), in NV index 0x01c00002.
# DIR/manufacturer.pem is that CA (root, then issuing CA). Start swtpm on DIR afterwards
# (tests/testlib/swtpm.h, or lib.sh's start_swtpm); this script starts nothing.
set -euo pipefail
D=$(realpath -m "$1")
mkdir -p "$D/localca"
printf 'statedir = %s\nsigningkey = %s\nissuercert = %s\ncertserial = %s\n' "$D/localca" \
  "$D/localca/signkey.pem" "$D/localca/issuercert.pem" "$D/localca/certserial" \
  > "$D/swtpm-localca.conf"
printf -- '--platform-manufacturer anchor-tests\n--platform-version 2.1\n--platform-model swtpm\n' \
  > "$D/swtpm-localca.options"
printf 'create_certs_tool = /usr/bin/swtpm_localca\ncreate_certs_tool_config = %s\ncreate_certs_tool_options = %s\nactive_pcr_banks = sha256\n' \
  "$D/swtpm-localca.conf" "$D/swtpm-localca.options" > "$D/swtpm_setup.conf"
swtpm_setup --tpm2 --tpmstate "$D" --create-ek-cert --config "$D/swtpm_setup.conf" \
  --overwrite > "$D/setup.log" 2>&1 || { cat "$D/setup.log" >&2; exit 1; }
cat "$D/localca/swtpm-localca-rootca-cert.pem" "$D/localca/issuercert.pem" > "$D/manufacturer.pem"
