#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `make demo`: the tutorials' mTLS flow (seeds 000, 003, 004) done by anchor, step by step, in a
# temporary directory: a CA, a server and a client certificate, verification, the seeds' Node.js
# mTLS server, curl with the client certificate, a refused stranger, revocation and a CRL.
set -euo pipefail

ANCHOR=$(realpath "${1:-build/apps/anchor}")
HERE=$(cd "$(dirname "$0")/.." && pwd)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/anchor-demo.XXXXXX")
NODE_PID=""
cleanup() {
  if [ -n "$NODE_PID" ]; then kill "$NODE_PID" 2>/dev/null || true; wait "$NODE_PID" 2>/dev/null || true; fi
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
run "Every certificate this CA issued" anchor list
run "The audit log is intact (hash chain)" anchor audit verify
printf '\n\033[32mDemo complete.\033[0m Everything ran in %s and is removed now.\n' "$WORK"
