#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Seeds for the fuzz corpora, made with the openssl CLI (never anchor). Re-run to regenerate.
set -euo pipefail
cd "$(dirname "$0")"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
openssl genrsa -out "$tmp/rsa.key" 2048 2>/dev/null
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$tmp/ec.key"
openssl genpkey -algorithm ED25519 -out "$tmp/ed.key"
openssl req -new -key "$tmp/rsa.key" -subj /CN=localhost -out csr/rsa-subj.pem
openssl req -new -key "$tmp/ec.key" -subj /CN=dev-1 -addext subjectAltName=DNS:a.example,IP:10.0.0.1 \
  -outform DER -out csr/ec-san.der
openssl req -new -key "$tmp/ed.key" -subj /CN=ca-wannabe -addext basicConstraints=critical,CA:TRUE \
  -out csr/ed-ca-request.pem
openssl req -new -key "$tmp/ec.key" -subj "/C=SE/O=Acme/CN=device1.example.com" -out csr/full-subject.pem
openssl req -new -x509 -nodes -days 365 -subj /CN=my-ca -key "$tmp/rsa.key" -out certificate/ca.pem
openssl x509 -req -in csr/rsa-subj.pem -CA certificate/ca.pem -CAkey "$tmp/rsa.key" \
  -CAcreateserial -CAserial "$tmp/ca.srl" -days 365 -out certificate/seed-leaf-v1.pem 2>/dev/null
cat certificate/seed-leaf-v1.pem certificate/ca.pem > certificate/chain.pem
openssl x509 -in certificate/ca.pem -outform DER -out certificate/ca.der
# The broker plugin's seeds: the first byte picks the parser (0 feed, 1 rules, 2 topics).
printf '\x00{"cursor":3,"more":false,"revocations":[{"seq":3,"serial":"0a1b","revoked_at":"2026-01-01T00:00:00Z","revoked_at_unix":1767225600,"reason":"keyCompromise"}]}' > mqtt_policy/feed.bin
printf '\x01[roles]\ndevice = "urn:anchor:device:{cn}"\n\n[[allow]]\nrole = "device"\npublish = ["devices/{cn}/#"]\nsubscribe = ["commands/{cn}/#"]\n\n[[allow]]\ncn = "client_b"\nsubscribe = ["devices/client_a/#"]\n' > mqtt_policy/rules.bin
printf '\x02devices/+/telemetry\ndevices/a/telemetry' > mqtt_policy/topics.bin
# The issuance fuzzer reads a selector byte first (bit 0: re-sign with its own key, bit 1: the CA
# with name constraints): each request seed, and the malformed requests of tests/data/csr, behind
# each selector.
mkdir -p csr_to_certificate
rm -f csr_to_certificate/*
for f in csr/* ../../tests/data/csr/*.csr; do
  for sel in 0 1 2 3; do
    { printf "\\x0$sel"; cat "$f"; } > "csr_to_certificate/$(basename "$f").$sel"
  done
done
# The plugin's state file (selector 3) and a shared subscription (selector 2).
printf '\x03{"version":1,"sessions":[{"client_id":"sensor-17","cn":"dev-a","serial":"0a1b","uris":["urn:anchor:device:dev-a"]}],"retained":[{"topic":"devices/dev-a/status","publishers":[{"digest":"00112233445566778899aabbccddeeff","serial":"0a1b"}]}]}' > mqtt_policy/state.bin
printf '\x03{"version":2,"sessions":[{"client_id":"dev-a:ota","cn":"dev-a","serial":"0a1b","uris":["urn:anchor:device:dev-a"]}],"retained":[],"identities":["dev-a","svc-s"]}' > mqtt_policy/state-v2.bin
printf '\x02$share/workers/devices/+/telemetry\ndevices/+/telemetry' > mqtt_policy/share.bin
