#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The cost of keeping the CA key in a PKCS#11 token: two CA homes in one run, one whose
# intermediate key is a file and one whose key is in a SoftHSM2 token (made here), each served
# by `anchor serve` on 127.0.0.1 and driven by the same load client (bench/anchor-load):
#   1. enrollments/s (EST simpleenroll with a token, keep-alive): one signature in the token per
#      certificate, plus the verification before issuance and the store's durable commit;
#   2. OCSP responses/s for a request with a nonce, which the responder signs every time (only
#      nonce-less requests are answered from its cache): one signature per response.
# Usage: bench/hsm_bench.sh [BUILD_DIR]   Prints a Markdown report. QUICK=10 divides the counts.
set -euo pipefail
BUILD=$(realpath "${1:-build}")
HERE=$(cd "$(dirname "$0")/.." && pwd)
source "$HERE/bench/lib.sh"
LOAD="$BUILD/bench/anchor-load"
MODULE=/usr/lib/softhsm/libsofthsm2.so
N_ENROLL=$((2000 / ${QUICK:-1}))
N_OCSP=$((20000 / ${QUICK:-1}))
CONC=16

mkdir -p "$WORK/tokens"
printf 'directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n' "$WORK/tokens" \
  > "$WORK/softhsm2.conf"
export SOFTHSM2_CONF="$WORK/softhsm2.conf" ANCHOR_PKCS11_PIN=1234
softhsm2-util --init-token --free --label bench --so-pin 5678 --pin 1234 > /dev/null

make_home() {  # make_home NAME [init flags...]
  local name=$1; shift
  ANCHOR_HOME="$WORK/$name" "$ANCHOR" init --name "bench-$name" --no-passphrase "$@" -q &> /dev/null
  sed -i 's/^threads = .*/threads = 0/' "$WORK/$name/anchor.toml"
  ANCHOR_HOME="$WORK/$name" "$ANCHOR" issue --cn ocsp-probe --profile device --cert "$name.crt" \
    --key "$name.key" -q
  # openssl adds a nonce: every answer is signed anew.
  openssl ocsp -issuer "$WORK/$name/intermediate.crt" -cert "$name.crt" -reqout "$name.req" > /dev/null
}
serve() {  # serve NAME: sets SPID, SPORT, SHTTP
  SPORT=$(free_port); SHTTP=$(free_port)
  ANCHOR_HOME="$WORK/$1" "$ANCHOR" serve --listen "127.0.0.1:$SPORT" --http-listen "127.0.0.1:$SHTTP" \
    > "$WORK/$1.log" 2>&1 &
  SPID=$!; PIDS+=($SPID); wait_port "$SPORT" "$WORK/$1.log"
}
rate() { sed -n 's/.*rate=\([0-9.]*\).*/\1/p' "$1" | cut -d. -f1; }
p99() { sed -n 's/.*p99_us=\([0-9]*\).*/\1/p' "$1"; }

declare -A ENROLL OCSP P99E P99O
for name in file token; do
  if [ "$name" = token ]; then
    make_home token --key-uri "pkcs11:token=bench;object=intermediate?module-path=$MODULE"
  else
    make_home file
  fi
  serve "$name"
  "$LOAD" enroll --url "https://localhost:$SPORT" --ca "$WORK/$name/root.crt" \
    --admin-cert "$WORK/$name/admin.crt" --admin-key "$WORK/$name/admin.key" \
    --n "$N_ENROLL" --concurrency "$CONC" > "e-$name.out" 2>&1 || { cat "e-$name.out"; exit 1; }
  "$LOAD" ocsp --url "http://127.0.0.1:$SHTTP/ocsp" --request "$name.req" --n "$N_OCSP" \
    --concurrency "$CONC" > "o-$name.out" 2>&1 || { cat "o-$name.out"; exit 1; }
  ENROLL[$name]=$(rate "e-$name.out"); P99E[$name]=$(p99 "e-$name.out")
  OCSP[$name]=$(rate "o-$name.out"); P99O[$name]=$(p99 "o-$name.out")
  grep -q "error" "$WORK/$name.log" && { grep "error" "$WORK/$name.log" | head -3; exit 1; }
  kill "$SPID"; wait "$SPID" || true
done

echo "## CA key in a PKCS#11 token (SoftHSM2 $(dpkg-query -W -f='${Version}' softhsm2)) against a key file"
echo
echo "$(nproc) cores, load average $(cut -d' ' -f1 /proc/loadavg) at the end; $N_ENROLL enrollments and"
echo "$N_OCSP OCSP requests with a nonce (each answer signed), concurrency $CONC, ec-p256 keys."
echo
echo "| intermediate key | enrollments/s | p99 | OCSP responses/s (signed each) | p99 |"
echo "| --- | ---: | ---: | ---: | ---: |"
echo "| file (PKCS#8) | ${ENROLL[file]} | $((P99E[file] / 1000)) ms | ${OCSP[file]} | $((P99O[file] / 1000)) ms |"
echo "| SoftHSM2 token | ${ENROLL[token]} | $((P99E[token] / 1000)) ms | ${OCSP[token]} | $((P99O[token] / 1000)) ms |"
echo
python3 - "${ENROLL[file]}" "${ENROLL[token]}" "${OCSP[file]}" "${OCSP[token]}" <<'PY'
import sys
ef, et, of, ot = map(float, sys.argv[1:])
print(f"Ratios token / file: enrollments {et/ef:.2f}, OCSP signatures {ot/of:.2f}.")
PY
