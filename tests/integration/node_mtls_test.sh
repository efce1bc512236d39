#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Seed 003: the Node.js mTLS server (requestCert + rejectUnauthorized) with an anchor server
# certificate, called by curl with an anchor client certificate; also under --tls-min-v1.3.
# No client certificate, or one from a second anchor CA, is refused.
source "$(dirname "$0")/lib.sh"

anchor init --name bob -q
anchor issue --cn localhost --profile server --cert server.crt --key server.key -q 2>/dev/null
anchor issue --cn my-client --profile client --cert client.crt --key client.key -q
ANCHOR_HOME="$WORK/other" anchor init --name mallory -q
ANCHOR_HOME="$WORK/other" anchor issue --cn my-client --profile client \
  --cert rogue.crt --key rogue.key -q

for flags in "" "--tls-min-v1.3"; do
  start_node_server server.crt server.key "$ANCHOR_HOME/root.crt" $flags
  url="https://localhost:$NODE_PORT"
  body=$(curl -sS --max-time 10 --resolve "localhost:$NODE_PORT:127.0.0.1" \
    --cacert "$ANCHOR_HOME/root.crt" --key client.key --cert client.crt "$url")
  [ "$body" = "Hello World" ] || fail "node ${flags:-default}: expected Hello World, got '$body'"
  pass "node ${flags:-default}: curl with an anchor client certificate got Hello World"
  expect_fail "node ${flags:-default}: no client certificate" \
    curl -sS --max-time 10 --resolve "localhost:$NODE_PORT:127.0.0.1" \
    --cacert "$ANCHOR_HOME/root.crt" "$url"
  expect_fail "node ${flags:-default}: client certificate of another CA" \
    curl -sS --max-time 10 --resolve "localhost:$NODE_PORT:127.0.0.1" \
    --cacert "$ANCHOR_HOME/root.crt" --key rogue.key --cert rogue.crt "$url"
  expect_fail "node ${flags:-default}: curl not trusting the server's CA" \
    curl -sS --max-time 10 --resolve "localhost:$NODE_PORT:127.0.0.1" \
    --cacert "$WORK/other/root.crt" --key client.key --cert client.crt "$url"
  stop_last_server
done

# With --tls-min-v1.3 a TLS 1.2 client is refused.
start_node_server server.crt server.key "$ANCHOR_HOME/root.crt" --tls-min-v1.3
expect_fail "node --tls-min-v1.3: a TLS 1.2-only client" \
  curl -sS --max-time 10 --tlsv1.2 --tls-max 1.2 --resolve "localhost:$NODE_PORT:127.0.0.1" \
  --cacert "$ANCHOR_HOME/root.crt" --key client.key --cert client.crt "https://localhost:$NODE_PORT"
