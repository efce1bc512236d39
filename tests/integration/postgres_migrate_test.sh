#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `anchor store migrate --to postgres://...` moves a working SQLite CA into PostgreSQL (the
# throwaway cluster of ctest's `postgres` fixture): a URI with a password is a usage error, a
# database with records is refused with anchor.toml unchanged; the copy holds what sqlite3 counts
# in anchor.db, psql says; then `anchor serve` on it answers `openssl ocsp` for a certificate
# revoked before the move, enrolls with a token made before it, renews a device (anchor-agent),
# goes on with the CRL numbers, and `anchor audit verify` passes over the one chain.
source "$(dirname "$0")/lib.sh"
: "${ANCHOR_AGENT:?ANCHOR_AGENT must name the anchor-agent binary}"
test_database anchor_busy
busy=$DB
test_database anchor_mig
lite() { sqlite3 "$ANCHOR_HOME/anchor.db" "$1"; }

# A working SQLite CA: two devices, one revoked, a token not used yet, a CRL signed.
anchor init --name moving -q 2>/dev/null
start_anchor_serve --http-listen "127.0.0.1:$(free_port)"
HTTP=$(sed -n 's|.*also on http://127.0.0.1:\([0-9]*\).*|\1|p' "$WORK/serve.log")
for d in dev-a dev-b; do
  anchor token create --cn "$d" -q > "$d.tok"
  "$ANCHOR_AGENT" run --server "$BASE" --ca-cert "$ANCHOR_HOME/root.crt" --cn "$d" --key "$d.key" \
    --cert "$d.crt" --token-file "$d.tok" --once 2> "$d.log" || { cat "$d.log"; fail "enroll $d"; }
done
serial_b=$(openssl x509 -in dev-b.crt -noout -serial | cut -d= -f2 | tr 'A-F' 'a-f')
anchor revoke "$serial_b" --reason keyCompromise -q
later=$(anchor token create --cn dev-c -q)
curl -sS --max-time 10 "http://127.0.0.1:$HTTP/crl" -o before.crl || fail "GET /crl"
crl_before=$(openssl crl -inform DER -in before.crl -noout -crlnumber | cut -d= -f2)
# Not while a serve runs on the home: it would go on writing anchor.db after the copy.
rc=0; anchor store migrate --to "$URL" > out 2>&1 || rc=$?
[ "$rc" != 0 ] && has "anchor serve is running on" out || { cat out; fail "migrate beside a running serve: exit $rc"; }
[ "$(dbsql "SELECT to_regclass('certificates') IS NULL")" = t ] || fail "a refused migration wrote tables"
stop_anchor_serve
counts_lite="$(lite 'SELECT count(*) FROM certificates') $(lite 'SELECT count(*) FROM tokens') $(lite 'SELECT count(*) FROM revocations') $(lite 'SELECT count(*) FROM audit_log')"

# Refusals: a password in the URI (usage, exit 2); a database that holds records.
rc=0; anchor store migrate --to "postgresql://anchor:pw@/$DB?host=$PG_HOST" > out 2>&1 || rc=$?
[ "$rc" = 2 ] && has "holds a password" out || { cat out; fail "a URI with a password: exit $rc"; }
psql "postgresql://anchor@/$busy?host=$PG_HOST" -qc "CREATE TABLE unrelated (x int)" > /dev/null
cp "$ANCHOR_HOME/anchor.toml" toml.before
ANCHOR_HOME="$WORK/other" anchor init --name other --store "postgresql://anchor@/$busy?host=$PG_HOST" -q 2>/dev/null \
  || fail "a second CA for the busy database"
rc=0; anchor store migrate --to "postgresql://anchor@/$busy?host=$PG_HOST" > out 2>&1 || rc=$?
[ "$rc" != 0 ] && has "holds records that are not a copy of this CA" out || { cat out; fail "a database with records: exit $rc"; }
cmp -s toml.before "$ANCHOR_HOME/anchor.toml" || fail "a refused migration changed anchor.toml"
pass "store migrate refuses to run beside anchor serve, a password in the URI (exit 2) and a database with another CA's records (anchor.toml unchanged)"

anchor store migrate --to "$URL" --json > migrate.json 2> migrate.err || { cat migrate.err; fail "anchor store migrate"; }
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["certificates"] == 4 and d["revocations"] == 1, d' \
  migrate.json || fail "migrate --json: $(cat migrate.json)"
has "^url = \"$URL\"" "$ANCHOR_HOME/anchor.toml" || fail "anchor.toml does not name the new store"
counts_pg="$(dbsql 'SELECT count(*) FROM certificates') $(dbsql 'SELECT count(*) FROM tokens') $(dbsql 'SELECT count(*) FROM revocations') $(dbsql 'SELECT count(*) FROM audit_log')"
[ "$counts_pg" = "$counts_lite" ] || fail "psql counts '$counts_pg', sqlite3 counted '$counts_lite'"
[ "$(dbsql "SELECT hash FROM audit_log ORDER BY seq DESC LIMIT 1")" = "$(lite "SELECT hash FROM audit_log ORDER BY seq DESC LIMIT 1")" ] \
  || fail "the audit logs end on different hashes"
rc=0; anchor store migrate --to "$URL" > out 2>&1 || rc=$?
[ "$rc" != 0 ] && has "in PostgreSQL already" out || { cat out; fail "a second migration: exit $rc"; }
pass "store migrate: psql counts what sqlite3 counted ($counts_pg: certificates, tokens, revocations, audit entries), the same audit head; anchor.toml names the store"

# serve on PostgreSQL goes on where SQLite stopped.
mv "$ANCHOR_HOME/anchor.db" "$WORK/anchor.db.old"
SERVE_LISTEN=127.0.0.1:0 start_anchor_serve --http-listen "127.0.0.1:$HTTP"
openssl ocsp -issuer "$ANCHOR_HOME/intermediate.crt" -cert dev-b.crt -url "http://127.0.0.1:$HTTP/ocsp" \
  -CAfile "$ANCHOR_HOME/root.crt" -no_nonce 2>&1 | has "dev-b.crt: revoked" || fail "OCSP for dev-b after the move"
echo "$later" > dev-c.tok
"$ANCHOR_AGENT" run --server "$BASE" --ca-cert "$ANCHOR_HOME/root.crt" --cn dev-c --key dev-c.key \
  --cert dev-c.crt --token-file dev-c.tok --once 2> dev-c.log || { cat dev-c.log; fail "a token made before the move"; }
old_a=$(openssl x509 -in dev-a.crt -noout -serial)
anchor renew --server "$BASE" --ca-cert "$ANCHOR_HOME/root.crt" --cert dev-a.crt --key dev-a.key -q \
  2> renew.log || { cat renew.log; fail "renewing dev-a after the move"; }
[ "$(openssl x509 -in dev-a.crt -noout -serial)" != "$old_a" ] || fail "dev-a was not renewed"
curl -sS --max-time 10 "http://127.0.0.1:$HTTP/crl" -o after.crl || fail "GET /crl after the move"
crl_after=$(openssl crl -inform DER -in after.crl -noout -crlnumber | cut -d= -f2)
python3 -c 'import sys; sys.exit(int(sys.argv[1], 16) <= int(sys.argv[2], 16))' "$crl_after" "$crl_before" \
  || fail "CRL number $crl_after after $crl_before"
openssl crl -inform DER -in after.crl -noout -text | has -i "$serial_b" || fail "the CRL lost dev-b"
anchor audit verify > audit.out || { cat audit.out; fail "anchor audit verify"; }
pass "serve on PostgreSQL after the move: OCSP says dev-b revoked, a token made before enrolls, dev-a renews, the CRL number goes on ($crl_before -> $crl_after), the audit chain verifies"
