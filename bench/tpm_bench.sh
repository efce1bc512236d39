#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The cost of a device key in a TPM (issue 13, part 2), every figure from this one run on
# 127.0.0.1, the TPM being swtpm (a software TPM; a real TPM makes tens of signatures per
# second, and its figures are the ones to plan with):
#  1. CSR signatures per second (crypto::Csr::Create, ECDSA P-256 over SHA-256) with a file key
#     and with the key in swtpm, in-process (anchor-key-bench), 1 and 2 threads on one key.
#  2. mTLS handshakes per second to Mosquitto with anchor's plugin: TCP + TLS 1.3 handshake
#     (the client's CertificateVerify signed by its key) + CONNECT/CONNACK + DISCONNECT, with the
#     same SSL_CTX route for both keys (anchor-mqtt-bench --in-process, --tpm).
#  3. One enrollment with anchor-agent run --once (process start, key made, CSR, EST over mTLS
#     for cacerts, files written), key file against --tpm.
#  4. Attested enrollment (issue 13, part 3): the mean of 10 `--tpm --attest` enrollments (the
#     challenge round trip, credential activation, certification, the CA's checks) against 10
#     plain `--tpm` ones, on a TPM manufactured with an EK certificate.
# Usage: bash bench/tpm_bench.sh [BUILD_DIR] [N_CSR] [N_CONN]
set -euo pipefail
BUILD=$(realpath "${1:-build}")
ROOT=$(cd "$(dirname "$0")/.." && pwd)
N_CSR=${2:-2000}
N_CONN=${3:-1000}
source "$(dirname "$0")/lib.sh"
AGENT=$BUILD/apps/anchor-agent
KB=$BUILD/bench/anchor-key-bench
MQB=$BUILD/bench/anchor-mqtt-bench
PLUGIN=$BUILD/plugins/mosquitto/anchor_mosquitto.so
field() { sed -n "s/.*$1=\([^ ]*\).*/\1/p"; }

# swtpm on two free ports (command, control = command + 1); stopped by PID on exit.
bash "$ROOT/tests/data/tpm/manufacture.sh" "$WORK/tpmstate" > /dev/null
TPM_PORT=$(free_port)
swtpm socket --tpm2 --tpmstate dir="$WORK/tpmstate" --server type=tcp,port=$TPM_PORT,bindaddr=127.0.0.1 \
  --ctrl type=tcp,port=$((TPM_PORT + 1)),bindaddr=127.0.0.1 --flags not-need-init,startup-clear &
PIDS+=($!)
wait_port $((TPM_PORT + 1)) /dev/null
TCTI="swtpm:host=127.0.0.1,port=$TPM_PORT"

"$ANCHOR" init --name bench -q 2>/dev/null
# Attestation offered (not required: plain enrollments stay possible for the comparison).
sed -i "s|^bootstrap_profile = .*|&\ntpm_manufacturer_ca = \"$WORK/tpmstate/manufacturer.pem\"|" \
  "$ANCHOR_HOME/anchor.toml"
start_anchor_serve
enroll() {  # enroll NAME [agent flags]: anchor-agent --once with a token; prints seconds
  local name=$1; shift
  "$ANCHOR" token create --cn "$name" -q > "$name.token"
  local t0=$(date +%s%N)
  "$AGENT" run --once --server "$CA_URL" --ca-cert "$ANCHOR_HOME/root.crt" --cn "$name" \
    --key "$name.key" --cert "$name.crt" --token-file "$name.token" "$@" 2>> agent.log
  echo "scale=3; ($(date +%s%N) - t0) / 1000000000" | sed "s/t0/$t0/" | bc
}
t_file=$(enroll dev-file)
t_tpm=$(enroll dev-tpm --tpm "$TCTI")
head -1 dev-tpm.key | grep -q "TSS2 PRIVATE KEY" || { echo "dev-tpm.key is not a TPM key" >&2; exit 1; }

echo "== 1. CSR signatures per second (in-process) =="
for threads in 1 2; do
  f=$("$KB" --key dev-file.key --n "$N_CSR" --threads "$threads")
  t=$("$KB" --key dev-tpm.key --tpm "$TCTI" --n "$N_CSR" --threads "$threads")
  echo "threads=$threads file: $(echo "$f" | field csr_per_s)/s   swtpm: $(echo "$t" | field csr_per_s)/s"
done

echo "== 2. mTLS handshakes per second to Mosquitto + anchor's plugin =="
"$ANCHOR" issue --cn localhost --profile peer --cert broker.crt --key broker.key -q 2>/dev/null
MP=$(free_port)
cat > broker.conf <<CONF
user $(id -un)
per_listener_settings false
log_dest file $WORK/mosquitto.log
persistence false
listener $MP 127.0.0.1
cafile $ANCHOR_HOME/root.crt
certfile broker.crt
keyfile broker.key
require_certificate true
set_tcp_nodelay true
plugin $PLUGIN
plugin_opt_ca_url $CA_URL
plugin_opt_ca_file $ANCHOR_HOME/root.crt
plugin_opt_cert broker.crt
plugin_opt_key broker.key
CONF
mosquitto -c broker.conf > mosquitto.out 2>&1 &
PIDS+=($!)
wait_port "$MP" mosquitto.out
MQ=("$MQB" connect --port "$MP" --cafile "$ANCHOR_HOME/root.crt" --n "$N_CONN")
for c in 1 4; do
  "${MQ[@]}" --concurrency "$c" --cert dev-file.crt --key dev-file.key --in-process > f.out
  "${MQ[@]}" --concurrency "$c" --cert dev-tpm.crt --key dev-tpm.key --tpm "$TCTI" > t.out
  [ "$(field accepted < f.out)" = "$N_CONN" ] && [ "$(field accepted < t.out)" = "$N_CONN" ] \
    || { cat f.out t.out >&2; exit 1; }
  echo "concurrency=$c file: $(field rate < f.out)/s   swtpm: $(field rate < t.out)/s"
done

echo "== 3. One enrollment (anchor-agent run --once) =="
echo "file key: ${t_file} s   key made in swtpm: ${t_tpm} s"

echo "== 4. Attested enrollment: mean of 10 (anchor-agent run --once --tpm [--attest]) =="
sum_tpm=0; sum_att=0
for i in $(seq 1 10); do
  sum_tpm=$(echo "$sum_tpm + $(enroll "plain-$i" --tpm "$TCTI")" | bc)
  sum_att=$(echo "$sum_att + $(enroll "att-$i" --tpm "$TCTI" --attest)" | bc)
done
openssl x509 -in att-10.crt -noout -text | grep -q "2.25.258688376349271163816718884496956034002.2.1" \
  || { echo "att-10.crt is not marked attested" >&2; exit 1; }
echo "key made in swtpm: $(echo "scale=3; $sum_tpm / 10" | bc) s   made and attested: $(echo "scale=3; $sum_att / 10" | bc) s"
