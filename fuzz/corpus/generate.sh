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
