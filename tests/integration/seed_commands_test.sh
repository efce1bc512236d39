#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The seeds' own commands interoperate with anchor: their RSA 2048 `openssl req -new` CSRs (with
# -subj, and answered interactively without it) are signed by `anchor sign`; anchor's CSRs are
# signed by `openssl x509 -req -CAcreateserial` with the seeds' CA.
source "$(dirname "$0")/lib.sh"

anchor init --name seeds -q

# Seed 003/004: openssl genrsa + req -new -subj, then anchor sign (default profile: peer).
openssl genrsa -out server.key 2048 2>/dev/null
openssl req -new -key server.key -subj '/CN=localhost' -out server.csr
openssl genrsa -out client.key 2048 2>/dev/null
openssl req -new -key client.key -subj '/CN=my-client' -out client.csr
anchor sign server.csr --profile server --days 365 --out server.crt -q 2>/dev/null
anchor sign client.csr --profile client --days 365 --out client.crt -q
openssl verify -x509_strict -purpose sslserver -CAfile "$ANCHOR_HOME/root.crt" \
  -untrusted "$ANCHOR_HOME/intermediate.crt" server.crt >/dev/null || fail "server.crt"
openssl verify -x509_strict -purpose sslclient -CAfile "$ANCHOR_HOME/root.crt" \
  -untrusted "$ANCHOR_HOME/intermediate.crt" client.crt >/dev/null || fail "client.crt"
openssl x509 -in server.crt -noout -ext subjectAltName | has "DNS:localhost" \
  || fail "the server certificate must carry its CN as a DNS SAN"
pass "seed 003 CSRs (openssl req -new -subj) signed by anchor"

# Seed 000: `openssl req -new` without -subj asks questions; answer them like a user would.
openssl genrsa -out device.key 2048 2>/dev/null
printf 'SE\nStockholm\n\nAcme\n\ndevice1.example.com\n\n\n\n' \
  | openssl req -new -key device.key -out device.csr 2>/dev/null
anchor sign device.csr --out device.crt -q 2>/dev/null
openssl verify -x509_strict -purpose sslserver -CAfile "$ANCHOR_HOME/root.crt" \
  -untrusted "$ANCHOR_HOME/intermediate.crt" device.crt >/dev/null || fail "device.crt"
subject=$(openssl x509 -in device.crt -noout -subject)
[ "$subject" = "subject=CN = device1.example.com" ] \
  || fail "only the CN may be copied from the request, got '$subject'"
pass "seed 000 interactive CSR signed by anchor; C/ST/O of the request not copied"

# Seed 003's whole flow with anchor's certificates and Node + curl.
start_node_server server.crt server.key "$ANCHOR_HOME/root.crt"
body=$(curl -sS --max-time 10 --resolve "localhost:$NODE_PORT:127.0.0.1" \
  --cacert "$ANCHOR_HOME/root.crt" --key client.key --cert client.crt "https://localhost:$NODE_PORT")
[ "$body" = "Hello World" ] || fail "seed 003 flow: got '$body'"
pass "seed 003: Hello World with seed-made keys and anchor-signed certificates"
stop_last_server

# The other direction: anchor's key and CSR, the seeds' CA and `openssl x509 -req`.
openssl req -new -x509 -nodes -days 365 -subj '/CN=my-ca' -keyout ca.key -out ca.crt 2>/dev/null
anchor key --type rsa-2048 --out amy.key -q
anchor csr --key amy.key --cn amy-client --san dns:amy.example.com --out amy.csr -q
openssl req -in amy.csr -noout -verify 2>&1 | has "verify OK" || fail "openssl rejects anchor's CSR"
openssl x509 -req -in amy.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 365 \
  -out amy.crt 2>/dev/null || fail "openssl x509 -req could not sign anchor's CSR"
openssl verify -CAfile ca.crt amy.crt >/dev/null || fail "amy.crt"
anchor key --type ec-p256 --out ec.key -q
anchor csr --key ec.key --cn ec-device --out ec.csr -q
openssl x509 -req -in ec.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 365 -out ec.crt 2>/dev/null \
  || fail "openssl x509 -req could not sign anchor's EC CSR"
pass "anchor's CSRs (RSA and EC) signed by openssl x509 -req -CAcreateserial"

# anchor lint on the seeds' certificates: what it finds (reported in the README).
openssl genrsa -out seed_srv.key 2048 2>/dev/null
openssl req -new -key seed_srv.key -subj '/CN=localhost' -out seed_srv.csr
openssl x509 -req -in seed_srv.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 365 \
  -out seed_srv.crt 2>/dev/null
if anchor lint seed_srv.crt >lint.out 2>&1; then
  cat lint.out; fail "lint should find errors in the seeds' server certificate"
fi
for id in no-san cn-only-identity missing-eku; do
  grep -q "$id" lint.out || { cat lint.out; fail "lint did not report $id"; }
done
anchor lint server.crt >lint_anchor.out 2>&1 || { cat lint_anchor.out; fail "anchor's own certificate has lint errors"; }
pass "lint: seeds' certificate has errors, anchor's has none"
