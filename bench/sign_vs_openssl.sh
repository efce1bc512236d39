#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Signs N CSRs with one `anchor sign` call against the seeds' loop of
# `openssl x509 -req -CAcreateserial`, same CSRs (RSA 2048, as the seeds make them), same machine,
# same run; prints both times and the ratio.
# Usage: bench/sign_vs_openssl.sh [ANCHOR_BINARY] [N]
set -euo pipefail
ANCHOR=$(realpath "${1:-build/apps/anchor}")
N=${2:-1000}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/anchor-bench.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"

# The CSRs: N requests for one RSA 2048 key each would take minutes to generate; the signing side
# does not care whose key it is, so the N requests share one key (subjects differ).
openssl genrsa -out device.key 2048 2>/dev/null
mkdir csrs
for i in $(seq -w 1 "$N"); do
  openssl req -new -key device.key -subj "/CN=device-$i" -out "csrs/device-$i.csr"
done

# The seeds' CA and loop (seed 000 step 4, once per device).
openssl req -new -x509 -nodes -days 3650 -subj '/CN=my-ca' -newkey rsa:2048 \
  -keyout ca.key -out ca.crt 2>/dev/null
mkdir out-openssl
start=$(date +%s%N)
for f in csrs/*.csr; do
  openssl x509 -req -in "$f" -CA ca.crt -CAkey ca.key -CAcreateserial -days 365 -sha256 \
    -out "out-openssl/$(basename "$f" .csr).crt" 2>/dev/null
done
openssl_ns=$(( $(date +%s%N) - start ))

for kt in rsa-2048 ec-p256; do
  ANCHOR_HOME="$WORK/ca-$kt" "$ANCHOR" init --key-type "$kt" -q
  start=$(date +%s%N)
  ANCHOR_HOME="$WORK/ca-$kt" "$ANCHOR" sign csrs/*.csr --profile client --days 365 \
    --out-dir "out-anchor-$kt" -q
  anchor_ns=$(( $(date +%s%N) - start ))
  [ "$(ls "out-anchor-$kt" | wc -l)" -eq "$N" ] || { echo "anchor wrote too few files" >&2; exit 1; }
  printf 'anchor sign (%s CA, %d CSRs, one process, recorded + full chain): %6d ms  %7.0f certs/s\n' \
    "$kt" "$N" $((anchor_ns / 1000000)) "$(echo "$N / ($anchor_ns / 1000000000)" | bc -l)"
  printf '  vs openssl loop: %.1fx faster\n' "$(echo "$openssl_ns / $anchor_ns" | bc -l)"
done
printf 'openssl x509 -req loop (RSA 2048 CA, %d CSRs, seeds 000/003/004):  %6d ms  %7.0f certs/s\n' \
  "$N" $((openssl_ns / 1000000)) "$(echo "$N / ($openssl_ns / 1000000000)" | bc -l)"
