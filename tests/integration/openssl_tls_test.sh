#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# openssl s_server -Verify 1 / s_client handshakes with anchor certificates, both ways: the
# server requires a client certificate, and each side verifies the other's chain and name.
source "$(dirname "$0")/lib.sh"

anchor init --name tls -q
anchor issue --cn localhost --profile server --cert server.crt --key server.key -q 2>/dev/null
anchor issue --cn device-7 --profile device --cert device.crt --key device.key -q
anchor issue --cn node-a.local --profile peer --cert peer.crt --key peer.key -q 2>/dev/null

# handshake SERVER_CERT SERVER_KEY CLIENT_CERT CLIENT_KEY NAME: s_server requires and verifies
# the client (-www: it answers a status page only after a verified handshake); s_client
# verifies the server's chain and host name.
handshake() {
  local scert=$1 skey=$2 ccert=$3 ckey=$4 name=$5
  rm -f s_server.log
  openssl s_server -accept 127.0.0.1:0 -naccept 1 -cert "$scert" -cert_chain "$scert" -key "$skey" \
    -CAfile "$ANCHOR_HOME/root.crt" -Verify 1 -verify_return_error -tls1_3 -www \
    </dev/null >s_server.log 2>&1 &
  PIDS+=($!)
  local port="" i
  for i in $(seq 1 100); do
    port=$(sed -n 's/^ACCEPT .*:\([0-9]*\)$/\1/p' s_server.log | head -1)
    [ -n "$port" ] && break
    sleep 0.1
  done
  [ -n "$port" ] || { cat s_server.log; fail "s_server did not start"; }
  printf "GET / HTTP/1.0\r\n\r\n" | timeout 10 openssl s_client -ign_eof -connect "127.0.0.1:$port" -servername "$name" \
    -verify_hostname "$name" -CAfile "$ANCHOR_HOME/root.crt" -verify_return_error \
    -cert "$ccert" -cert_chain "$ccert" -key "$ckey" >s_client.log 2>&1
  local rc=$?
  stop_last_server
  [ $rc -eq 0 ] && grep -q "HTTP/1.0 200 ok" s_client.log
}

handshake server.crt server.key device.crt device.key localhost \
  || { cat s_client.log; fail "server cert + device client cert"; }
grep -q "Verification: OK" s_client.log || fail "s_client did not verify the server"
pass "s_server (anchor server cert) <- s_client (anchor device cert)"

# A peer certificate (serverAuth + clientAuth) works on both sides; a server-only one is not
# accepted as a client certificate.
handshake peer.crt peer.key peer.crt peer.key node-a.local \
  || { cat s_client.log; fail "peer cert both ways"; }
pass "peer certificate as both server and client"

expect_fail "a server-only certificate used as a client certificate" \
  handshake peer.crt peer.key server.crt server.key node-a.local
expect_fail "wrong host name" handshake server.crt server.key device.crt device.key example.com
