#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The CRL across `anchor serve` replicas on one PostgreSQL database (the throwaway cluster of
# ctest's `postgres` fixture), with a CRL lease of 3 s ([store] crl_lease_seconds):
# 1. Three replicas answer GET /crl (plain HTTP) over and over while certificates are revoked on
#    all three. Every CRL fetched verifies with `openssl crl -verify` against the CA's chain, and
#    lists every revocation committed before its GET began (`openssl crl -text`); the numbers each
#    replica hands out (`openssl crl -crlnumber`) never decrease; no number is carried by two
#    different CRLs (SHA-256 of the DER per number); the CRLs stored (psql) are at most one per
#    revocation: the replicas share one, they do not each sign their own.
# 2. The builder stalls: a replica is stopped (SIGSTOP) while psql shows it holding the lease (its
#    session holds the advisory lock in pg_locks), right after a revocation, so it is building.
#    Another replica's GET returns a CRL listing that revocation within the lease (the time is
#    measured and printed); a revocation on another replica meanwhile is not held up. Then the
#    stopped one is killed (SIGKILL).
# 3. The builder dies: a replica killed (SIGKILL) while it holds the lease gives it up at once.
# 4. A replica started afterwards hands out the newest stored CRL without signing one.
# Throughout, the CRL numbers in the audit log (commit order) strictly increase, none repeats, and
# `anchor audit verify` passes.
source "$(dirname "$0")/lib.sh"
test_database anchor_crl
STOPPED=()
finish() {
  local p
  for p in "${STOPPED[@]}"; do
    kill -KILL "$p" 2>/dev/null || true  # a stopped process would never act on SIGTERM
  done
  cleanup
}
trap finish EXIT
LEASE=3

anchor init --name leaseca --store "$URL" -q 2> init.err || { cat init.err; fail "anchor init --store"; }
[ "$(grep '^\[' "$ANCHOR_HOME/anchor.toml" | tail -1)" = "[store]" ] || fail "[store] is not the last table of anchor.toml"
echo "crl_lease_seconds = $LEASE" >> "$ANCHOR_HOME/anchor.toml"
cat "$ANCHOR_HOME/root.crt" "$ANCHOR_HOME/intermediate.crt" > chain.pem
fp=$(openssl x509 -in "$ANCHOR_HOME/intermediate.crt" -outform DER | sha256sum | cut -d' ' -f1)
for i in $(seq 1 18); do
  anchor issue --cn "dev-$i" --profile device --cert "dev-$i.crt" --key "dev-$i.key" -q
  openssl x509 -in "dev-$i.crt" -noout -serial | cut -d= -f2 > "dev-$i.serial"
done
# 50,000 revoked certificates of the intermediate, written with psql, so that building a CRL
# takes long enough (a few hundred milliseconds) to stop its builder in the middle.
dbsql "INSERT INTO certificates (serial, issuer, subject, common_name, sans, profile, not_before,
         not_after, status, revoked_at, revocation_reason, der, fingerprint, created_at,
         issuer_fingerprint)
       SELECT '7e' || lpad(to_hex(g), 30, '0'), 'CN=bulk', 'CN=bulk', 'bulk', '', 'device', 0, 4102444800,
              'revoked', 1767225600, 1, '\\x3000'::bytea, 'bulk-' || g, 1767225600, '$fp'
       FROM generate_series(1, 50000) g" || fail "psql: the bulk revocations"

start_replica 1
start_replica 2
start_replica 3

# revoke N REPLICA: dev-N revoked through REPLICA's admin API; its serial then joins revoked.list
# (what was committed before any GET that starts after this line).
: > revoked.list
revoke() {
  local port
  eval "port=\$PORT_$2"
  anchor revoke --server "https://127.0.0.1:$port" "$(cat "dev-$1.serial")" --reason keyCompromise -q \
    || fail "revoking dev-$1 on replica $2"
  cat "dev-$1.serial" >> revoked.list
}
# fetch REPLICA TAG: GET /crl from REPLICA into fetched/TAG.der, and what had been revoked before
# into fetched/TAG.req; one line "REPLICA TAG STATUS" in fetches.log.
mkdir fetched
fetch() {
  local http status
  eval "http=\$HTTP_$1"
  cp revoked.list "fetched/$2.req"
  status=$(curl -sS --max-time 20 -o "fetched/$2.der" -w '%{http_code}' "http://127.0.0.1:$http/crl" || true)
  echo "$1 $2 $status" >> fetches.log
  [ "$status" = 200 ]
}
# holder_pid: the anchor process whose session holds the CRL lease (application_name
# anchor:PID@HOST), or nothing.
holder_pid() {
  dbsql "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
         WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2
         AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
         AND l.classid = 1634626403::oid
         AND l.objid = (hashtext(current_schema()) & 2147483647)::oid" 2>/dev/null \
    | sed -n 's/^anchor:\([0-9]*\)@.*$/\1/p' | head -1
}

# 1. Revocations on every replica while each replica is asked for its CRL, over and over.
fetch 1 first || fail "the first GET /crl"
(
  for i in $(seq 1 8); do
    revoke "$i" $(( (i % 3) + 1 ))
    sleep 0.3
  done
) > revoker.log 2>&1 &
revoker=$!
fetchers=()
for r in 1 2 3; do
  (
    for j in $(seq -w 1 30); do
      fetch "$r" "r$r-$j" || true
      sleep 0.05
    done
  ) &
  fetchers+=($!)
done
wait "$revoker" || { cat revoker.log; fail "the revocations"; }
for p in "${fetchers[@]}"; do wait "$p"; done
fetch 1 last-1 && fetch 2 last-2 && fetch 3 last-3 || fail "GET /crl after the revocations"
[ "$(grep -vc ' 200$' fetches.log)" = 0 ] || fail "GET /crl answered other than 200: $(grep -v ' 200$' fetches.log | head -3)"

# check_fetches: every CRL fetched verifies (openssl crl -verify), lists what was revoked before
# its GET (openssl crl -text), one DER per number, and each replica's numbers never decrease.
declare -A SHA_OF_NUMBER LISTED NUMBER_OF_SHA
check_fetches() {
  local replica tag status sha number serial last
  declare -A LAST
  while read -r replica tag status; do
    [ "$status" = 200 ] || continue
    sha=$(sha256sum < "fetched/$tag.der" | cut -d' ' -f1)
    if [ -z "${NUMBER_OF_SHA[$sha]:-}" ]; then
      openssl crl -inform DER -in "fetched/$tag.der" -noout -CAfile chain.pem -verify 2> verify.out \
        && has "verify OK" verify.out || { cat verify.out; fail "openssl crl -verify refused $tag"; }
      number=$(openssl crl -inform DER -in "fetched/$tag.der" -noout -crlnumber | sed 's/crlNumber=//; s/^0x//')
      NUMBER_OF_SHA[$sha]=$((16#$number))
      openssl crl -inform DER -in "fetched/$tag.der" -noout -text \
        | sed -n 's/^ *Serial Number: *//p' > "fetched/$sha.serials"
      LISTED[$sha]=$(wc -l < "fetched/$sha.serials")
    fi
    number=${NUMBER_OF_SHA[$sha]}
    if [ -n "${SHA_OF_NUMBER[$number]:-}" ] && [ "${SHA_OF_NUMBER[$number]}" != "$sha" ]; then
      fail "two different CRLs carry number $number"
    fi
    SHA_OF_NUMBER[$number]=$sha
    while read -r serial; do
      grep -qx "$serial" "fetched/$sha.serials" \
        || fail "CRL $number ($tag, replica $replica) lacks $serial, revoked before its GET"
    done < "fetched/$tag.req"
    last=${LAST[$replica]:-0}
    [ "$number" -ge "$last" ] || fail "replica $replica handed out CRL $number after CRL $last"
    LAST[$replica]=$number
  done < fetches.log
}
check_fetches
stored=$(dbsql "SELECT count(*) FROM crls")
[ "$stored" -le 9 ] || fail "$stored CRLs stored for 8 revocations: the replicas signed their own"
pass "3 replicas, 8 revocations, $(wc -l < fetches.log) GET /crl: ${#NUMBER_OF_SHA[@]} CRLs, each verified by openssl crl -verify, listing every revocation committed before its GET, one DER per number, no replica's number going back; $stored stored (psql)"

# 2. The builder stalls. A revocation makes the CRL stale; replica 1 is asked first, and is
# stopped once psql shows it holding the lease. Tried again (after SIGCONT) when it was done
# before the stop landed.
# catch_builder REPLICA DEV...: for each DEV until it works, revoke it (on replica 3), ask REPLICA
# for its CRL, and return as soon as psql shows REPLICA holding the CRL lease (GET_PID is the GET
# in flight); fails when it never does.
catch_builder() {
  local replica=$1 pid i dev
  eval "pid=\$PID_$replica"
  shift
  for dev in "$@"; do
    revoke "$dev" 3
    fetch "$replica" "builder-$dev" > /dev/null 2>&1 &
    GET_PID=$!
    for i in $(seq 1 300); do
      [ "$(holder_pid)" = "$pid" ] && return 0
      sleep 0.01
    done
    echo "replica $replica was not seen holding the lease after dev-$dev's revocation; again"
    wait "$GET_PID" || true
  done
  fail "replica $replica was never seen holding the CRL lease"
}
for attempt in 1 2 3; do
  catch_builder 1 $((attempt * 2 + 7)) $((attempt * 2 + 8))  # dev-9 to dev-14 at most
  kill -STOP "$PID_1"
  STOPPED+=("$PID_1")
  STALLED_MS=$(now_ms)
  [ "$(holder_pid)" = "$PID_1" ] && break
  echo "replica 1 gave the lease up before it stopped; again"
  kill -CONT "$PID_1"
  STOPPED=()
  wait "$GET_PID" || true
  [ "$attempt" != 3 ] || fail "replica 1 was never stopped holding the CRL lease"
done
stalled_serial=$(tail -1 revoked.list)
# While it is stopped: a revocation on replica 3 goes through (the lease is not the writers' lock).
start=$(now_ms)
revoke 18 3
revoke_ms=$(( $(now_ms) - start ))
# Replica 2's GET waits for the lease, ends the stalled session once its lease ran out, builds.
# A 200 it gives is checked like every other (it must list the stalled revocation).
k=0
until fetch 2 "takeover-$k"; do
  [ $(( $(now_ms) - STALLED_MS )) -lt $(( (LEASE + 10) * 1000 )) ] || fail "no replica took the CRL over"
  k=$((k + 1))
  sleep 0.1
done
takeover_ms=$(( $(now_ms) - STALLED_MS ))
openssl crl -inform DER -in "fetched/takeover-$k.der" -noout -text | has "$stalled_serial" \
  || fail "the CRL after the takeover lacks the stalled revocation"
[ "$takeover_ms" -le $(( (LEASE + 2) * 1000 )) ] || fail "the takeover took $takeover_ms ms, lease $LEASE s"
kill -KILL "$PID_1"
wait "$PID_1" 2>/dev/null || true
forget_pid "$PID_1"
STOPPED=()
wait "$GET_PID" || true  # its stalled GET, which the kill ended
fetch 3 after-stall || fail "GET /crl on replica 3 after the stall"
check_fetches
pass "builder stopped (SIGSTOP) holding the lease: replica 2 handed out a CRL with the revocation ${takeover_ms} ms later (lease ${LEASE} s); a revocation meanwhile took ${revoke_ms} ms; then SIGKILL; numbers still increase, none repeats"

# 3. The builder dies holding the lease: its session ends with it, and so does the lease.
catch_builder 2 15 16 17
kill -KILL "$PID_2"
killed_ms=$(now_ms)
wait "$PID_2" 2>/dev/null || true
forget_pid "$PID_2"
wait "$GET_PID" || true
killed_serial=$(tail -1 revoked.list)
fetch 3 after-kill || fail "GET /crl on replica 3 after replica 2 was killed"
died_ms=$(( $(now_ms) - killed_ms ))
openssl crl -inform DER -in fetched/after-kill.der -noout -text | has "$killed_serial" \
  || fail "the CRL after the kill lacks the revocation"
[ "$died_ms" -lt $(( LEASE * 1000 )) ] || fail "a killed builder held the lease back for $died_ms ms"
check_fetches
pass "builder killed (SIGKILL) holding the lease: replica 3 answered with a CRL listing the revocation ${died_ms} ms later"

# 4. A new replica hands out what is stored, and signs nothing.
before=$(dbsql "SELECT count(*) FROM crls")
start_replica 4
fetch 4 newcomer || fail "GET /crl on a new replica"
cmp -s fetched/newcomer.der fetched/after-kill.der || fail "the new replica does not hand out the stored CRL"
[ "$(dbsql "SELECT count(*) FROM crls")" = "$before" ] || fail "the new replica signed a CRL of its own"
check_fetches
pass "a replica started afterwards hands out the stored CRL, byte for byte, signing none"

# What was stored, in commit order: strictly increasing numbers, each once, one DER kept.
dbsql "SELECT substring(detail from 'number=([0-9]+)') FROM audit_log WHERE action = 'crl' ORDER BY seq" > audit-numbers
sort -n -c -u audit-numbers 2>/dev/null || fail "the audit log's CRL numbers do not strictly increase: $(tr '\n' ' ' < audit-numbers)"
[ "$(wc -l < audit-numbers)" = "$(dbsql "SELECT count(*) FROM crls")" ] || fail "audit entries and stored CRLs differ"
for n in "${!SHA_OF_NUMBER[@]}"; do
  grep -qx "$n" audit-numbers || fail "CRL $n was handed out but is not in the audit log"
done
[ "$(dbsql "SELECT count(*) FROM crls WHERE der IS NOT NULL")" = 1 ] || fail "superseded CRLs kept their DER"
anchor audit verify > audit.out || { cat audit.out; fail "anchor audit verify"; }
pass "CRL numbers in commit order (audit log): $(wc -l < audit-numbers) stored, strictly increasing, each once; anchor audit verify passes"
