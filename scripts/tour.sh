#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `make tour`: the tutorials' mTLS flow (seeds 000, 003, 004) done by anchor, step by step, in a
# temporary directory: a CA, a server and a client certificate, verification, the seeds' Node.js
# mTLS server, curl with the client certificate, a refused stranger, revocation and a CRL; then
# the online CA: `anchor serve`, a device enrolling itself with a one-time token over EST,
# renewing over mTLS, and a revocation that OCSP and the broker feed report at once.
set -euo pipefail

ANCHOR=$(realpath "${1:-build/apps/anchor}")
HERE=$(cd "$(dirname "$0")/.." && pwd)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/anchor-tour.XXXXXX")
NODE_PID=""
SERVE_PID=""
cleanup() {
  local pid
  for pid in $NODE_PID $SERVE_PID; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT INT TERM
cd "$WORK"
export ANCHOR_HOME="$WORK/ca"

step=0
run() {  # run "what it does" command...: prints the command, its output, ✓ or ✗ with its time
  local what=$1; shift
  step=$((step + 1))
  printf '\n\033[1m%d. %s\033[0m\n   $ %s\n' "$step" "$what" "$*"
  local start end rc=0
  start=$(date +%s%N)
  "$@" 2>&1 | awk '{ print "   " $0 }' || rc=${PIPESTATUS[0]}
  end=$(date +%s%N)
  if [ "$rc" -eq 0 ]; then
    printf '   \033[32m✓\033[0m %d ms\n' $(((end - start) / 1000000))
  else
    printf '   \033[31m✗\033[0m (exit %d)\n' "$rc"
    exit 1
  fi
}
refused() {  # refused "what" command...: succeeds only when the command fails
  if "$@" >/dev/null 2>&1; then echo "accepted, but should have been refused"; return 1; fi
  echo "refused, as it should be"
}

anchor() { "$ANCHOR" "$@"; }

run "Create a CA: root + intermediate + server and admin certificates (replaces genrsa + req -x509)" \
  anchor init --name demo
run "On the device: make a key that never leaves it (replaces openssl genrsa)" \
  anchor key --type ec-p256 --out client.key
run "On the device: make a CSR (replaces openssl req -new)" \
  anchor csr --key client.key --cn my-client --out client.csr
run "At the CA: sign it as a client certificate, full chain (replaces openssl x509 -req -CAcreateserial)" \
  anchor sign client.csr --profile client --out client.crt
run "A server certificate for localhost in one step (development)" \
  anchor issue --cn localhost --profile server --cert server.crt --key server.key
run "Verify both chains, the server for its host name" \
  bash -c "'$ANCHOR' verify server.crt --host localhost --purpose server && '$ANCHOR' verify client.crt --purpose client"
run "Inspect the client certificate" anchor inspect client.crt
run "Lint it: no findings an mTLS peer would trip over" anchor lint client.crt

PORT=0 PORT_FILE="$WORK/port" CERT=server.crt KEY=server.key CA="$ANCHOR_HOME/root.crt" \
  node "$HERE/tests/integration/node/app_bob.js" >node.log 2>&1 &
NODE_PID=$!
for _ in $(seq 1 100); do [ -s port ] && break; sleep 0.1; done
PORT=$(cat port)
run "Start the seeds' Node.js mTLS server (requestCert, rejectUnauthorized) on port $PORT" cat node.log
CURL=(curl -sS --max-time 10 --resolve "localhost:$PORT:127.0.0.1" --cacert "$ANCHOR_HOME/root.crt")
run "curl with the client certificate (seed 003)" \
  "${CURL[@]}" --key client.key --cert client.crt "https://localhost:$PORT"
run "curl without a certificate" refused "${CURL[@]}" "https://localhost:$PORT"
ANCHOR_HOME="$WORK/stranger" "$ANCHOR" init --name stranger -q
ANCHOR_HOME="$WORK/stranger" "$ANCHOR" issue --cn my-client --profile client \
  --cert stranger.crt --key stranger.key -q
run "curl with a certificate from another CA" \
  refused "${CURL[@]}" --key stranger.key --cert stranger.crt "https://localhost:$PORT"
run "Revoke the client certificate and publish a CRL" \
  bash -c "'$ANCHOR' revoke --cert client.crt --reason keyCompromise && '$ANCHOR' crl --pem --out crl.pem"
cat "$ANCHOR_HOME/root.crt" "$ANCHOR_HOME/intermediate.crt" > cas.pem
run "openssl verify -crl_check now says: certificate revoked" \
  bash -c "! openssl verify -crl_check -CAfile cas.pem -CRLfile crl.pem client.crt 2>&1 | tee /dev/stderr | grep -q OK\$"
"$ANCHOR" serve --listen 127.0.0.1:0 >serve.log 2>&1 &
SERVE_PID=$!
for _ in $(seq 1 100); do grep -q "listening on" serve.log && break; sleep 0.1; done
CA_PORT=$(sed -n 's/.*listening on https:\/\/127.0.0.1:\([0-9]*\).*/\1/p' serve.log)
CA_URL="https://localhost:$CA_PORT"
run "Start the online CA: anchor serve (EST, OCSP, CRL, revocation feed, admin API; TLS 1.3)" cat serve.log
run "The operator makes a one-time token for device sensor-7 (through the admin API)" \
  bash -c "'$ANCHOR' token create --server $CA_URL --cn sensor-7 -q > token.txt && echo token written to token.txt, shown once"
FP=$(openssl x509 -in "$ANCHOR_HOME/root.crt" -noout -fingerprint -sha256 | cut -d= -f2)
run "The device enrolls itself over EST: key made on the device, CA pinned by its fingerprint" \
  anchor enroll --server "$CA_URL" --fingerprint "$FP" --token-file token.txt --cn sensor-7 \
  --key sensor.key --cert sensor.crt --ca-out ca.pem
run "The token cannot be used twice" refused anchor enroll --server "$CA_URL" --ca-cert ca.pem \
  --token-file token.txt --cn sensor-7 --key other.key --cert other.crt
run "The enrolled certificate opens the seeds' Node.js server" \
  "${CURL[@]}" --key sensor.key --cert sensor.crt "https://localhost:$PORT"
run "The device renews itself over mTLS with the certificate it holds (EST simplereenroll)" \
  anchor renew --server "$CA_URL" --ca-cert ca.pem --cert sensor.crt --key sensor.key --rekey
run "Revoke it through the server: OCSP says revoked at once" \
  bash -c "'$ANCHOR' revoke --server $CA_URL --cert sensor.crt --reason keyCompromise && openssl ocsp -issuer '$ANCHOR_HOME/intermediate.crt' -cert sensor.crt -url $CA_URL/ocsp -CAfile ca.pem 2>&1 | grep sensor.crt"
run "The revocation feed that brokers follow" \
  curl -sS --cacert ca.pem --resolve "localhost:$CA_PORT:127.0.0.1" "$CA_URL/api/v1/revocations?since=0"
run "Every certificate this CA issued" anchor list
run "The audit log is intact (hash chain)" anchor audit verify
printf '\n\033[32mTour complete.\033[0m Everything ran in %s and is removed now.\n' "$WORK"
