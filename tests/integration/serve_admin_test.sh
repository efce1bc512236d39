#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The admin API with curl: no certificate 401, a device certificate 403, the admin certificate
# lists, gets, revokes and creates tokens (JSON read by Python); bad requests 4xx with nothing
# changed (rows counted with Python's sqlite3). `anchor list/revoke/token create --server`. The
# revocation feed and /metrics. An admin certificate cannot be had through a token.
source "$(dirname "$0")/lib.sh"

anchor init --name admin -q
start_anchor_serve
ADMIN=(--cert "$ANCHOR_HOME/admin.crt" --key "$ANCHOR_HOME/admin.key")
json() { python3 -c "import json,sys; d=json.load(open('$WORK/http.out')); print($1)"; }

anchor issue --cn dev-1 --profile device --cert dev.crt --key dev.key -q
serial=$(openssl x509 -in dev.crt -noout -serial | cut -d= -f2 | tr 'A-F' 'a-f')

[ "$(http_status "$BASE/api/v1/certificates")" = 401 ] || fail "no certificate must be 401"
[ "$(http_status --cert dev.crt --key dev.key "$BASE/api/v1/certificates")" = 403 ] \
  || fail "a device certificate must be 403"
grep -q "not an admin certificate" http.out || fail "the 403 should say why: $(cat http.out)"
[ "$(http_status --cert dev.crt --key dev.key "$BASE/metrics")" = 403 ] || fail "metrics for non-admin"
pass "admin API: no certificate 401, device certificate 403"

[ "$(http_status "${ADMIN[@]}" "$BASE/api/v1/certificates?profile=device")" = 200 ] || fail "list"
[ "$(json 'len(d["certificates"])')" = 1 ] || fail "list should find the one device: $(cat http.out)"
[ "$(json 'd["certificates"][0]["serial"]')" = "$serial" ] || fail "listed serial"
[ "$(http_status "${ADMIN[@]}" "$BASE/api/v1/certificates/$serial")" = 200 ] || fail "get"
json 'd["pem"]' > got.pem  # a file: openssl stops reading at END CERTIFICATE, a pipe would break
openssl x509 -in got.pem -noout -serial | has -i "$serial" || fail "get returns the PEM"
[ "$(http_status "${ADMIN[@]}" "$BASE/api/v1/certificates/ffff")" = 404 ] || fail "unknown serial 404"
[ "$(http_status "${ADMIN[@]}" "$BASE/api/v1/certificates/xyz")" = 400 ] || fail "bad serial 400"
[ "$(http_status "${ADMIN[@]}" "$BASE/api/v1/certificates?status=bogus")" = 400 ] || fail "bad filter"
pass "admin API: list with filter, get by serial (with PEM), 404 and 400"

# Revoke: bad bodies change nothing; a good one revokes, and the feed shows it.
revoke() { http_status "${ADMIN[@]}" -H "Content-Type: application/json" --data-binary "$1" \
  "$BASE/api/v1/certificates/$serial/revoke"; }
[ "$(revoke '{"reason": "sloppiness"}')" = 400 ] || fail "unknown reason must be 400"
[ "$(revoke 'not json')" = 400 ] || fail "a body that is not JSON must be 400"
[ "$(http_status "${ADMIN[@]}" -H "Content-Type: text/plain" --data-binary '{}' \
     "$BASE/api/v1/certificates/$serial/revoke")" = 400 ] || fail "wrong content type"
revoked_rows() { python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("SELECT COUNT(*) FROM revocations").fetchone()[0])' "$ANCHOR_HOME/anchor.db"; }
[ "$(revoked_rows)" = 0 ] || fail "a refused revocation wrote a row"
[ "$(revoke '{"reason": "keyCompromise"}')" = 200 ] || fail "revoke: $(cat http.out)"
[ "$(json 'd["reason"]')" = keyCompromise ] || fail "revoke answer"
[ "$(revoke '{"reason": "keyCompromise"}')" = 409 ] || fail "revoking twice must be 409"
[ "$(revoked_rows)" = 1 ] || fail "expected one revocation row"
pass "revoke via API: bad reason/body/type 400 and no row; revoked; twice 409"

[ "$(http_status "$BASE/api/v1/revocations?since=0")" = 200 ] || fail "feed"
[ "$(json 'd["revocations"][0]["serial"]')" = "$serial" ] || fail "feed serial"
cursor=$(json 'd["cursor"]')
[ "$(http_status "$BASE/api/v1/revocations?since=$cursor")" = 200 ] || fail "feed again"
[ "$(json 'len(d["revocations"])')" = 0 ] || fail "nothing new after the cursor"
[ "$(http_status "$BASE/api/v1/revocations?since=-1")" = 400 ] || fail "negative cursor"
[ "$(http_status "$BASE/api/v1/revocations?since=0&limit=0")" = 400 ] || fail "limit 0"
pass "revocation feed: the event, an empty page after the cursor, bad cursor 400"

# Tokens through the API: created (201) and redeemable; an admin token is refused.
[ "$(http_status "${ADMIN[@]}" -H "Content-Type: application/json" \
     --data-binary '{"cn": "dev-2", "ttl": "1h"}' "$BASE/api/v1/tokens")" = 201 ] || fail "token"
token=$(json 'd["token"]')
[[ "$token" =~ ^anc_[0-9a-f]{64}$ ]] || fail "token format"
[ "$(http_status "${ADMIN[@]}" -H "Content-Type: application/json" \
     --data-binary '{"cn": "evil", "profile": "admin"}' "$BASE/api/v1/tokens")" = 403 ] \
  || fail "a token for the admin profile must be refused"
[ "$(http_status "${ADMIN[@]}" -H "Content-Type: application/json" \
     --data-binary '{"cn": "dev-3", "sans": "x"}' "$BASE/api/v1/tokens")" = 400 ] || fail "sans type"
[ "$(http_status "${ADMIN[@]}" -H "Content-Type: application/json" \
     --data-binary '{"profile": "device"}' "$BASE/api/v1/tokens")" = 400 ] || fail "cn missing"
anchor enroll --server "$BASE" --ca-cert "$ANCHOR_HOME/root.crt" --token "$token" --cn dev-2 \
  --key dev2.key --cert dev2.crt -q || fail "the API's token does not enroll"
pass "tokens via API: 201 and redeemable; admin profile 403; bad fields 400"

# The CLI against the server with the CA home's admin certificate.
anchor list --server "$BASE" --json > list.json
python3 -c 'import json; l=json.load(open("list.json")); assert any(c["common_name"]=="dev-2" for c in l)' \
  || fail "anchor list --server"
t2=$(anchor token create --server "$BASE" --cn dev-4 -q)
[[ "$t2" =~ ^anc_ ]] || fail "anchor token create --server"
serial2=$(openssl x509 -in dev2.crt -noout -serial | cut -d= -f2)
expect_fail "anchor list --server with a device certificate" \
  anchor list --server "$BASE" --admin-cert dev2.crt --admin-key dev2.key
grep -q "403" last.err || fail "expected 403: $(cat last.err)"
anchor revoke --server "$BASE" "$serial2" --reason superseded -q || fail "anchor revoke --server"
anchor list --server "$BASE" --status revoked --json | has -i "$serial2" || fail "revoked via CLI"
[ "$(http_status --cert dev2.crt --key dev2.key "$BASE/hello")" = 401 ] \
  || fail "/hello must refuse a revoked certificate that TLS still accepts"
pass "anchor list/token create/revoke --server"

[ "$(http_status "${ADMIN[@]}" "$BASE/metrics")" = 200 ] || fail "metrics"
grep -q '^anchor_certificates_issued_total 1$' http.out || fail "issued counter: $(cat http.out)"
grep -q '^anchor_certificates_revoked_total 2$' http.out || fail "revoked counter"
grep -q '^anchor_enrollment_duration_seconds_count 1$' http.out || fail "histogram count"
grep -q '^anchor_tls_handshake_failures_total' http.out || fail "handshake failures"
pass "metrics: Prometheus text with counters and the latency histogram"

stop_anchor_serve
