#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# A CA on PostgreSQL (the throwaway cluster of ctest's `postgres` fixture) with two `anchor
# serve` replicas on one database: `anchor init --store` refuses a URI with a password, an
# unreachable server and a database that holds a CA already, each with nothing left behind; one
# token posted 100 times at once over both replicas (curl, openssl-made CSRs) pays for exactly one
# certificate; a device enrolled on one replica (anchor-agent) and revoked on the other is
# revoked at once in `openssl ocsp` answers from both, in both revocation feeds and in each CRL
# (openssl crl); the rows are read back with psql, PostgreSQL's own client; `anchor audit verify`
# passes over what both replicas wrote. `anchor backup` refuses, pointing to PostgreSQL's tools.
source "$(dirname "$0")/lib.sh"
: "${ANCHOR_AGENT:?ANCHOR_AGENT must name the anchor-agent binary}"
test_database anchor_it

# Refusals, each leaving no home behind.
rc=0; anchor init --home bad1 --store "postgresql://anchor:secret@/$DB?host=$PG_HOST" > out 2>&1 || rc=$?
[ "$rc" = 2 ] && has "holds a password" out && [ ! -e bad1 ] \
  || { cat out; fail "a URI with a password: exit $rc"; }
rc=0; anchor init --home bad2 --store "postgresql://anchor@/$DB?host=$WORK/nowhere" > out 2>&1 || rc=$?
[ "$rc" != 0 ] && has "cannot connect to the database: PostgreSQL: " out && [ ! -e bad2 ] \
  || { cat out; fail "an unreachable server: exit $rc"; }
pass "init --store refuses a password in the URI (exit 2) and an unreachable server, leaving nothing"

# A CA refused half-way (a server name outside its own name constraints, found after the root
# is made) writes nothing to the database, so that the next init there works.
rc=0; anchor init --home bad3 --store "$URL" --permit-dns example.com --san other.org -q > out 2>&1 || rc=$?
[ "$rc" != 0 ] && [ ! -e bad3 ] || { cat out; fail "init with a SAN outside --permit-dns: exit $rc"; }
[ "$(psql "$URL" -qtAc "SELECT to_regclass('audit_log') IS NULL OR (SELECT count(*) FROM audit_log) = 0")" = t ] \
  || fail "a refused init left records in the database"
pass "a refused init --store leaves the database as it was"

anchor init --name pgca --store "$URL" -q 2> init.err || { cat init.err; fail "anchor init --store"; }
[ ! -e "$ANCHOR_HOME/anchor.db" ] || fail "a SQLite database was made beside the PostgreSQL store"
has "^url = \"$URL\"" "$ANCHOR_HOME/anchor.toml" || fail "anchor.toml does not name the store"
[ "$(dbsql "SELECT version FROM anchor_schema")" = 2 ] || fail "schema version"
[ "$(dbsql "SELECT count(*) FROM certificates")" = 2 ] || fail "server and admin certificates not in PostgreSQL"
rc=0; anchor init --home again --name other --store "$URL" > out 2>&1 || rc=$?
[ "$rc" != 0 ] && has "already holds 2 certificates" out && [ ! -e again ] \
  || { cat out; fail "a second CA on the same database: exit $rc"; }
rc=0; anchor backup --out ca.backup > out 2>&1 || rc=$?
[ "$rc" != 0 ] && has "pg_dump" out && [ ! -e ca.backup ] || { cat out; fail "anchor backup of a PostgreSQL CA: exit $rc"; }
pass "anchor init --store: the records in PostgreSQL (psql), none in anchor.db; a second CA on the same database refused; anchor backup points to pg_dump"

# Two replicas, each with plain HTTP for OCSP and the CRL.
start_replica 1
start_replica 2
A="https://127.0.0.1:$PORT_1"
B="https://127.0.0.1:$PORT_2"
CURL=(curl -sS --max-time 10 --cacert "$ANCHOR_HOME/root.crt")

# One token, 100 requests at once over both replicas, each with its own key: one certificate. (The
# same request sent again gets the same certificate back: a retry, not a second redemption.)
token=$(anchor token create --cn race -q)
for i in $(seq 1 100); do
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "race$i.key" \
    -subj /CN=race -outform DER -out "race$i.der" 2>/dev/null
  base64 "race$i.der" > "race$i.b64"
done
posts=()
for i in $(seq 1 100); do
  url=$A; [ $((i % 2)) = 0 ] && url=$B
  "${CURL[@]}" -o "race$i.out" -w '%{http_code}\n' \
    -u "device:$token" -H "Content-Type: application/pkcs10" --data-binary "@race$i.b64" \
    "$url/.well-known/est/simpleenroll" > "race$i.status" &
  posts+=($!)
done
for p in "${posts[@]}"; do wait "$p" || true; done
[ "$(cat race*.status | grep -c '^200$')" = 1 ] && [ "$(cat race*.status | grep -c '^401$')" = 99 ] \
  || fail "one token over two replicas: $(sort race*.status | uniq -c | tr '\n' ' ')"
[ "$(dbsql "SELECT count(*) FROM certificates WHERE common_name = 'race'")" = 1 ] \
  || fail "psql counts $(dbsql "SELECT count(*) FROM certificates WHERE common_name = 'race'") certificates for the token"
pass "one token posted with 100 keys at once over two replicas: one 200, ninety-nine 401, one row"

# Enrolled on replica 1, revoked on replica 2: revoked everywhere at once.
anchor token create --cn pump -q > pump.tok
"$ANCHOR_AGENT" run --server "$A" --ca-cert "$ANCHOR_HOME/root.crt" --cn pump --key pump.key \
  --cert pump.crt --token-file pump.tok --once 2> agent.log || { cat agent.log; fail "agent enrollment"; }
serial=$(openssl x509 -in pump.crt -noout -serial | cut -d= -f2 | tr 'A-F' 'a-f')
ocsp() {  # ocsp HTTP_PORT: the status line for pump.crt
  openssl ocsp -issuer "$ANCHOR_HOME/intermediate.crt" -cert pump.crt -url "http://127.0.0.1:$1/ocsp" \
    -CAfile "$ANCHOR_HOME/root.crt" -no_nonce 2>&1 | grep 'pump.crt:'
}
[ "$(ocsp "$HTTP_1")" = "pump.crt: good" ] && [ "$(ocsp "$HTTP_2")" = "pump.crt: good" ] \
  || fail "OCSP before the revocation: $(ocsp "$HTTP_1") / $(ocsp "$HTTP_2")"
anchor revoke --server "$B" "$serial" --reason keyCompromise -q || fail "revoke on replica 2"
[ "$(ocsp "$HTTP_1")" = "pump.crt: revoked" ] && [ "$(ocsp "$HTTP_2")" = "pump.crt: revoked" ] \
  || fail "OCSP right after the revocation: $(ocsp "$HTTP_1") / $(ocsp "$HTTP_2")"
for port in "$PORT_1" "$PORT_2"; do
  "${CURL[@]}" --cert "$ANCHOR_HOME/admin.crt" --key "$ANCHOR_HOME/admin.key" \
    "https://127.0.0.1:$port/api/v1/revocations?since=0" > "feed$port.json" || fail "feed of $port"
  has "$serial" "feed$port.json" || fail "the feed of replica :$port lacks the revocation"
done
cmp -s "feed$PORT_1.json" "feed$PORT_2.json" || fail "the replicas' feeds differ"
for http in "$HTTP_1" "$HTTP_2"; do
  curl -sS --max-time 10 "http://127.0.0.1:$http/crl" -o "crl$http.der" || fail "CRL of :$http"
  openssl crl -inform DER -in "crl$http.der" -noout -text | has -i "$serial" \
    || fail "the CRL of replica :$http lacks the revocation"
done
[ "$(dbsql "SELECT status FROM certificates WHERE serial = '$serial'")" = revoked ] || fail "psql: not revoked"
pass "enrolled on replica 1, revoked on replica 2: openssl ocsp says revoked on both at once; both feeds and both CRLs list it"

# A home is tied to its CA's database: another CA's home pointed at it is refused, as is this
# home once the database has been dropped and made again (nothing is created in it).
anchor init --home "$WORK/other" --name other -q 2>/dev/null
printf '\n[store]\nurl = "%s"\n' "$URL" >> "$WORK/other/anchor.toml"
rc=0; anchor list --home "$WORK/other" > out 2>&1 || rc=$?
[ "$rc" != 0 ] && has "holds another CA's records" out || { cat out; fail "another CA's home on this database: exit $rc"; }

# Both replicas wrote one chain.
anchor audit verify > audit.out || { cat audit.out; fail "anchor audit verify"; }
kill -TERM "$PID_1" "$PID_2"
wait "$PID_1" "$PID_2" || fail "a replica did not stop cleanly"
forget_pid "$PID_1"
forget_pid "$PID_2"
pass "anchor audit verify passes over both replicas' writes; both stop cleanly on SIGTERM"

sql "DROP DATABASE $DB WITH (FORCE)" && sql "CREATE DATABASE $DB" || fail "psql: drop and create the database"
rc=0; anchor list > out 2>&1 || rc=$?
[ "$rc" != 0 ] && has "has no anchor tables" out || { cat out; fail "a database dropped and made again: exit $rc"; }
[ "$(dbsql "SELECT to_regclass('anchor_schema') IS NULL")" = t ] || fail "tables were created in the new, empty database"
pass "a CA home is tied to its database: another CA's home and a database dropped and made again are refused, nothing created"
