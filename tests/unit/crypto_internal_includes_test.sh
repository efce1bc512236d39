#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Which files may include crypto/internal/ and crypto/ossl_ptr.h (the OpenSSL objects behind
# crypto/'s public types): crypto/ itself and the places docs/ARCHITECTURE.md lists under
# "OpenSSL stays in crypto/". Any other includer fails this test; add it there first, with why.
set -euo pipefail
root=${1:?usage: crypto_internal_includes_test.sh SOURCE_DIR}
cd "$root"
allowed='^(src/crypto/|src/server/https_server\.cc|plugins/mosquitto/mosquitto_entry\.cc|bench/issuance_bench\.cc|fuzz/|tests/unit/crypto/|tests/unit/ocsp/responder_test\.cc|tests/unit/server/router_test\.cc|tests/unit/ca/key_attestation_test\.cc|tests/testlib/soft_tpm_signature\.h)'
found=$(grep -rlE '#include "crypto/(internal/[a-z0-9_]+|ossl_ptr)\.h"' \
          src plugins tests bench apps fuzz --include='*.cc' --include='*.h' | sort)
bad=$(grep -vE "$allowed" <<<"$found" || true)
if [[ -n "$bad" ]]; then
  echo "these files include crypto/internal/ or crypto/ossl_ptr.h but are not allowed to:" >&2
  echo "$bad" >&2
  exit 1
fi
echo "crypto internals included only by: $(tr '\n' ' ' <<<"$found" | sed 's|src/crypto/[^ ]* ||g')"
