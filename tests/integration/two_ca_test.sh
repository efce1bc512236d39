#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Seed 004, "Using distinct CAs": Amy's client (Amy's CA) calls Bob's server (Bob's CA). Each
# side trusts the other's root through `anchor trust bundle`; without it the call fails.
source "$(dirname "$0")/lib.sh"

ANCHOR_HOME="$WORK/amy" anchor init --name amy -q
ANCHOR_HOME="$WORK/bob" anchor init --name bob -q
ANCHOR_HOME="$WORK/bob" anchor issue --cn localhost --profile server \
  --cert bob_server.crt --key bob_server.key -q 2>/dev/null
ANCHOR_HOME="$WORK/amy" anchor issue --cn amy-client --profile client \
  --cert amy_client.crt --key amy_client.key -q

# Bob's server trusts Amy's CA (and its own); Amy's curl trusts Bob's.
anchor trust bundle --ca "$WORK/amy/root.crt" --ca "$WORK/bob/root.crt" --out bob_trusts.pem -q
[ "$(grep -c 'BEGIN CERTIFICATE' bob_trusts.pem)" = 2 ] || fail "bundle should hold two roots"
anchor trust bundle --ca "$WORK/bob/root.crt" --ca "$WORK/bob/root.crt" --out amy_trusts.pem -q
[ "$(grep -c 'BEGIN CERTIFICATE' amy_trusts.pem)" = 1 ] || fail "bundle should drop duplicates"
expect_fail "a leaf certificate in a trust bundle" anchor trust bundle --ca amy_client.crt

start_node_server bob_server.crt bob_server.key bob_trusts.pem
body=$(curl -sS --max-time 10 --resolve "localhost:$NODE_PORT:127.0.0.1" --cacert amy_trusts.pem \
  --key amy_client.key --cert amy_client.crt "https://localhost:$NODE_PORT")
[ "$body" = "Hello World" ] || fail "Amy -> Bob: got '$body'"
pass "Amy's client, Amy's CA -> Bob's server, Bob's CA: Hello World"
stop_last_server

# Bob's server without Amy's root refuses Amy.
start_node_server bob_server.crt bob_server.key "$WORK/bob/root.crt"
expect_fail "Bob without Amy's root" curl -sS --max-time 10 \
  --resolve "localhost:$NODE_PORT:127.0.0.1" --cacert amy_trusts.pem \
  --key amy_client.key --cert amy_client.crt "https://localhost:$NODE_PORT"
